"""A failed check: the message is the student's feedback, and its cause picks the hint."""


class GradingFailure(AssertionError):
    """A check failed; the message is the student's feedback.

    cause: what kind of mistake it shows, which picks the hint shown with it
    (rubric.toml [causes]): "value" (the maths: the test's own hint),
    "dtype", "shape", "type" (not an array, a tuple of the wrong length...),
    "mutation" (an argument changed in place), "crash" (no result: raised,
    timed out, died, missing) or "trivial" (computes nothing from its inputs).
    """

    def __init__(self, message, cause="value"):
        super().__init__(message)
        self.cause = cause


class StudentCallFailed(GradingFailure):
    """The student's function could not produce a result."""

    def __init__(self, message, cause="crash"):
        super().__init__(message, cause)
