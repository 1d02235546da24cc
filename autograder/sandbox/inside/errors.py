"""How student code fails inside the worker."""
import os

HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep   # the worker's own code lives here

class StudentError(Exception):
    """Student code failed; `fatal` ends the worker once the grader has the answer."""

    def __init__(self, kind, message, fatal=False):
        super().__init__(message)
        self.kind, self.fatal = kind, fatal


def student_traceback(error):
    """`Type: message (file.py:line in function)` for the innermost student frame."""
    # Walk the traceback by hand: the traceback module would spend seconds
    # on a million-deep recursion before keeping its innermost frame.
    last, tb = None, error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(HERE):  # the worker's own frames are not the student's
            last = tb
        tb = tb.tb_next
    where = ""
    if last is not None:
        code = last.tb_frame.f_code
        where = f" ({os.path.basename(code.co_filename)}:{last.tb_lineno} in {code.co_name})"
    message = str(error)[:500]
    return f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"
