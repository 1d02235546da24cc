"""The suite's conftest: hypothesis's failing example in the feedback."""
import pytest


# Hypothesis's notes on a failure, in its newer wording and its older one.
NOTES = {
    "shrunk": "Failing test case: test_lstm_forward_matches_reference(\n    student=<StudentCode object at 0x7f>,\n"
              "    ref=<Reference object at 0x7e>,\n    case=Case(N=1, T=2, D=1, H=1, seed=0, dtype='float64'),\n)",
    "explicit": "Failing explicit example: test_truncation(\n    student=<StudentCode object at 0x7f>,\n"
                "    case=Case(N=2, T=7, D=3, H=4, seed=5, dtype='float64'),\n    k=3,\n)",
    "old shrunk": "Falsifying example: test_sigmoid(\n    student=<StudentCode object at 0x7f>,\n"
                  "    z=array([[0., 1.],\n           [2., 3.]]),  # or any other generated value\n)",
}


@pytest.mark.parametrize("name, arguments, shrunk", [
    ("shrunk", "case=Case(N=1, T=2, D=1, H=1, seed=0, dtype='float64')", True),
    ("explicit", "case=Case(N=2, T=7, D=3, H=4, seed=5, dtype='float64'), k=3", False),
    ("old shrunk", "z=array([[0., 1.], [2., 3.]])", True),
])
def test_feedback_shows_the_failing_example_without_the_graders_objects(name, arguments, shrunk):
    """Is hypothesis's failing example read from its note: only the drawn arguments, on one line?"""
    from autograder.suite.conftest import falsifying_example
    error = AssertionError("wrong")
    error.add_note(NOTES[name])
    assert falsifying_example(error, {"student", "ref"}) == (arguments, shrunk)
    assert falsifying_example(AssertionError("no note"), {"student"}) is None
