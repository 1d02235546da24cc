"""Fixtures of the hidden grading suite, and what each test leaves for the report.

The suite runs in the trusted grader process (session/suite.py). `student`
is the only way to reach the submission's code; `ref` is the hidden
reference, imported here and never shown to the worker. What the engine and
the suite share is the SuiteState in pytest's config.stash (session/state.py).
"""
import functools
import re
import sys
from pathlib import Path

import pytest

from autograder import contract
from autograder.failures import GradingFailure
from autograder.sandbox.outside.student_code import StudentCode
from autograder.session.state import state_of
from autograder.suite import carry_forward, diagnosis, plots


class Reference:
    """The reference's contract functions, by name: ref.lstm_forward(...)."""

    def __init__(self, folder):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
        self.modules = {name: __import__(name) for name in contract.MODULES}

    def __getattr__(self, function):
        return getattr(self.modules[contract.module_of(function)], function)


def test_key(item):
    """The rubric key of a pytest test: its function's name without test_."""
    return item.originalname.removeprefix("test_")


@functools.cache
def reference(folder):
    """The Reference in `folder`: one object per process, inherited by forked ones."""
    return Reference(Path(folder))


@pytest.fixture(scope="session")
def ref(request):
    return reference(state_of(request.config).reference_dir)


@pytest.fixture
def student(request) -> StudentCode:
    code = state_of(request.config).student
    code.begin_test()
    request.node.student_code = code
    return code


@pytest.fixture
def device_student(request) -> StudentCode:
    """The GPU worker of this submission (session/suite.py), or a skip saying why there is none."""
    state = state_of(request.config)
    if state.device_student is None:
        pytest.skip(state.gpu_skip or "not requested (grade with --gpu)")
    state.device_student.begin_test()
    request.node.student_code = state.device_student
    return state.device_student


@pytest.fixture
def device(request):
    """The GPU device of --gpu (sandbox/outside/devices.py), or None."""
    return state_of(request.config).device


def pytest_collection_modifyitems(config, items):
    """Run only the tests the grader selected (e.g. the public ones).

    In the grader, without a GPU worker, the GPU tests are not run at all:
    session/suite.py records them as skipped, with the state's gpu_skip as
    the reason (running them only to skip them costs pytest about 0.1 s a
    submission).
    """
    state = state_of(config)
    chosen = [item for item in items if state.keys is None or test_key(item) in state.keys]
    state.not_run = [item for item in chosen
                     if state.grading and state.device is None and "device_student" in item.fixturenames]
    chosen = [item for item in chosen if item not in state.not_run]
    config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
    items[:] = chosen


@pytest.hookimpl(optionalhook=True)
def pytest_json_runtest_metadata(item, call):
    """Per test (pytest-json-report's hook): its rubric key and parametrization,
    and, from its call, the contract functions it called and the student's feedback."""
    metadata = {"key": test_key(item), "param": getattr(getattr(item, "callspec", None), "id", "")}
    if call.when != "call":
        return metadata
    code = getattr(item, "student_code", None)
    doc = (item.function.__doc__ or "").strip().splitlines()
    metadata.update({"called": list(code.called) if code else [], "doc": doc[0] if doc else item.name})
    if call.excinfo is not None:
        failure = find_failure(call.excinfo.value)
        if failure is None:
            metadata["grader_error"] = f"{type(call.excinfo.value).__name__}: {call.excinfo.value}"[:2000]
        else:
            metadata["feedback"] = str(failure)
            metadata["cause"] = getattr(failure, "cause", "value")
            # Where its values go wrong, as plot data (plots.py): [] when the check left none.
            metadata["plots"] = plots.collect(failure, item.funcargs.get("ref"))
            # A function judged to compute nothing fails on every example alike: none is shown.
            example = failure.cause != "trivial" and falsifying_example(call.excinfo.value, set(item.fixturenames))
            if example:
                metadata["example"], metadata["example_shrunk"] = example
            # Whether it is right given the student's own parts (carry_forward.py): scoring.py keeps credit.
            carry_forward.annotate(metadata, failure, code, item.funcargs.get("ref"))
            # The known mistake that explains it, if one does (diagnosis.py), in a function whose own
            # parts are right; only failures pay for this.
            ref = item.funcargs.get("ref")
            right = None if code is None or ref is None else functools.partial(carry_forward.right_at_telling, code, ref)
            diagnosis.annotate(metadata, failure, ref, right)
    return metadata


def find_failure(error):
    """The GradingFailure inside `error` (hypothesis may wrap it in a group)."""
    if isinstance(error, GradingFailure):
        return error
    for inner in getattr(error, "exceptions", ()):
        found = find_failure(inner)
        if found is not None:
            return found
    return None


# How hypothesis's note on a failure begins: newer versions, then older ones.
SHRUNK_NOTES = ("Failing test case:", "Falsifying example:")
EXPLICIT_NOTES = ("Failing explicit example:", "Falsifying explicit example:")


def falsifying_example(error, fixtures=()):
    """Hypothesis's failing example, from the exception's notes: (the drawn
    arguments on one line, shrunk?), e.g. ("case=Case(N=1, T=2, D=1, H=1,
    seed=0, dtype='float64')", True); None when there is no such note.

    fixtures: names of the test's other arguments (student, ref, ...), left out.
    Hypothesis writes one argument per line, indented by 4; a long value
    continues on lines indented further.
    """
    for note in getattr(error, "__notes__", []):
        if not note.startswith(SHRUNK_NOTES + EXPLICIT_NOTES):
            continue
        arguments = []
        for line in note.splitlines()[1:]:
            if re.match(r"    \w+=", line):
                arguments.append(line.strip())
            elif line.startswith("     ") and arguments:
                arguments[-1] += " " + line.strip()
        kept = [argument.split("  # ")[0].rstrip(",") for argument in arguments
                if argument.split("=", 1)[0] not in fixtures]
        return ", ".join(kept)[:500], note.startswith(SHRUNK_NOTES)
    return None
