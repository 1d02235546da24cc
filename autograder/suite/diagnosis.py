"""Name the likely mistake behind a failed test, from the catalogue of known ones.

A check that calls a student's function does so inside `observing(example)`:
should it fail, its GradingFailure carries `evidence`, what was called (the
`Example`, enough to call it again) and what came back. When the test's
record is made (conftest.py), `diagnose` runs the catalogue's mutants
(mutants.py) that can change the outputs judged, on the very same inputs,
here in the grader, and compares each one's result with the student's the
way the failure's cause says:

- value, shape: every output, at the tolerance of the dtype returned;
- dtype: every output's dtype, and its values at float32's tolerance;
- mutation: the same arguments changed in place;
- crash: the same exception, type and message.

A mistake is named only when the reference does not give the student's
result and exactly one mistake (or one group of them) does. So a correct
solution is never diagnosed (it fails nothing), nor is a student whose
result two mistakes explain alike. Nor is an example Hypothesis shrank: its
sizes shrink to 1, where different mistakes coincide (a mean over a batch
of one is its sum); the suite's fixed examples (the telling case first) are
made to tell them apart. Nothing here runs unless a test fails.
"""
import copy
import inspect
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from autograder import contract
from autograder.failures import GradingFailure
from autograder.suite import mutants
from autograder.suite.checks import FLOAT_DTYPES, judged_at, tolerance

# How a diagnosis reads in the feedback, after what failed and where.
LINE = "Likely mistake, in {function}: {title}. {explanation}"
LIKELY = "Likely mistake"   # a failure message that already names one (encode's, the norms') keeps its own


@dataclass
class Example:
    """What a test gave a contract function, enough to call it again elsewhere.

    arguments: modules -> (args, kwargs), fresh copies on every call; a
    backward's cache comes from the given modules' own forward.
    runs: the contract functions the call runs (the forward too, for a backward).
    """
    function: str
    arguments: Callable
    dtype: str
    runs: tuple
    problem: object = None     # the Problem of a forward or backward example (problems.py)
    upstream: list = None      # a backward example's upstream gradients

    def call(self, modules):
        """The result of `modules`' function on this example, or the exception it raised."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                args, kwargs = self.arguments(modules)
                return getattr(modules, self.function)(*args, **kwargs), args, kwargs
            except Exception as error:   # noqa: BLE001 (a mutant may raise: the student's may have too)
                return error, None, None


@dataclass
class Evidence:
    """What a failed check saw: the example, and what the student's call returned."""
    example: Example
    returned: object = None      # the student's Returned (value, mutated arguments), None if it raised


class observing:
    """Context of a check: a GradingFailure raised inside carries the evidence.

    seen = observing(example); with seen: r = seen(student.call(...)) records
    the student's Returned and hands it back. Reusable; the first evidence wins.
    """

    def __init__(self, example):
        self.evidence = Evidence(example)

    def __call__(self, returned):
        self.evidence.returned = returned
        return returned

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, GradingFailure) and getattr(error, "evidence", None) is None:
            error.evidence = self.evidence
        return False


# --- examples -------------------------------------------------------------------

def dtype_of(args):
    for value in _leaves(args):
        if isinstance(value, np.ndarray) and value.dtype in FLOAT_DTYPES:
            return value.dtype.name
    return "float64"


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def call_example(function, args, kwargs=None):
    """`function(*args, **kwargs)`."""
    kwargs = kwargs or {}
    return Example(function, lambda modules: (copy.deepcopy(list(args)), copy.deepcopy(kwargs)),
                   dtype_of(args), (function,))


def forward_example(problem):
    """A Problem's forward on its arguments."""
    return Example(problem.forward, lambda modules: (copy.deepcopy(problem.args()), {}), problem.dtype,
                   (problem.forward,), problem)


def backward_example(problem, upstream=None):
    """A Problem's backward on its upstream gradients (or `upstream`) and the
    cache of the same modules' forward on its arguments."""
    upstream = problem.upstream if upstream is None else upstream

    def arguments(modules):
        forward = getattr(modules, problem.forward)(*copy.deepcopy(problem.args()))
        cache = forward[contract.returns(problem.forward).index("cache")]
        return [*copy.deepcopy(list(upstream)), cache], dict(problem.backward_kwargs)
    return Example(problem.backward, arguments, problem.dtype, (problem.forward, problem.backward), problem,
                   list(upstream))


# --- judging a mutant against the student -----------------------------------------

def flat(value, function):
    """Label -> value of every output but caches ('h', "grads['W_xh']", "grads[1]['b_f']"),
    or None when `value` is not the contract's tuple."""
    names = contract.returns(function)
    if len(names) == 1:
        values = (value,)
    elif isinstance(value, tuple) and len(value) == len(names):
        values = value
    else:
        return None
    found = {}

    def walk(item, label):
        if isinstance(item, dict):
            for key, inner in item.items():
                walk(inner, f"{label}[{key!r}]")
        elif isinstance(item, (list, tuple)):
            for i, inner in enumerate(item):
                walk(inner, f"{label}[{i}]")
        else:   # a NumPy scalar (a 0-d result of the reference's) as the 0-d array the worker sends
            found[label] = np.asarray(item) if isinstance(item, np.generic) else item
    for name, item in zip(names, values):
        if name != "cache":
            walk(item, name)
    return found


def same_outputs(student, other, dtype, with_dtype=False):
    """Whether two flat results agree: same labels, shapes (and dtypes), values
    within the tolerance the student's are judged at (nan where nan; integers exactly)."""
    if student is None or other is None or student.keys() != other.keys():
        return False
    for label, mine in student.items():
        theirs = other[label]
        if not (isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray)) or mine.shape != theirs.shape:
            return False
        if with_dtype and mine.dtype != theirs.dtype:
            return False
        if mine.dtype.kind in "iub" or theirs.dtype.kind in "iub":
            if not np.array_equal(mine, theirs):
                return False
            continue
        if mine.dtype not in FLOAT_DTYPES or theirs.dtype.kind != "f":
            return False
        tol = tolerance("float32") if with_dtype else judged_at(dtype, mine.dtype)
        with np.errstate(all="ignore"):
            if not np.allclose(mine, theirs.astype(np.float64), equal_nan=True, **tol):
                return False
    return True


def changed_arguments(function, before, args, kwargs):
    """Paths of the arguments a call changed, named as the worker names them
    ("dH", "grads['W_xh']", "params.keys()") from the function's parameter names."""
    try:
        names = list(inspect.signature(function).parameters)[:len(args)]
    except (TypeError, ValueError):
        names = []
    names += [f"argument {i + 1}" for i in range(len(names), len(args))]
    now = dict(argument_paths(args, kwargs, names))
    return sorted(path for path, value in argument_paths(before[0], before[1], names)
                  if not _equal(value, now.get(path)))


def argument_paths(args, kwargs, names):
    """(path, array or sorted keys) for every array and dict in the arguments."""
    found = []

    def walk(value, path):
        if isinstance(value, np.ndarray):
            found.append((path, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}[{key!r}]")
            found.append((path + ".keys()", sorted(value)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")
    for name, arg in zip(names, args):
        walk(arg, name)
    for key, arg in kwargs.items():
        walk(arg, key)
    return found


def _equal(before, after):
    if isinstance(before, list):
        return before == after
    return isinstance(after, np.ndarray) and after.shape == before.shape and np.array_equal(after, before,
                                                                                              equal_nan=True)


def inputs_of(example, modules):
    """Name -> array of every array among the example's arguments (a cache's included)."""
    args, kwargs = example.arguments(modules)
    found = {}

    def walk(value, label):
        if isinstance(value, np.ndarray):
            found[label] = value
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{label}[{key!r}]")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{label}[{i}]")
    walk([args, kwargs], "arguments")
    return found


def computes_nothing(student, example, folder):
    """Whether every output is zeros or one of the inputs (repeated, or one step
    of it): what code that computes nothing returns, and what a mistake may
    return on a degenerate example (σ'(0) is 0 for z(1 − z)). Such an example
    tells nothing."""
    from autograder.suite.work_done import echo_of   # work_done imports problems, which imports this module
    inputs = None
    for value in student.values():
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iubf":
            return False
        atol = tolerance(value.dtype.name)["atol"] if value.dtype in FLOAT_DTYPES else 0
        if np.all(np.abs(value) <= atol):
            continue
        if inputs is None:
            inputs = inputs_of(example, mutants.reference_modules(folder))
        if not echo_of(value, inputs):
            return False
    return True


class Judge:
    """How one cause of failure compares a result with the student's."""

    def student(self, evidence, failure, folder):
        """What of the student's is compared, or None when there is nothing to compare
        (for values: nothing computed, see computes_nothing)."""
        returned = evidence.returned
        mine = None if returned is None else flat(returned.value, evidence.example.function)
        if mine is None or computes_nothing(mine, evidence.example, folder):
            return None
        return mine

    def result(self, example, modules):
        value, _, _ = example.call(modules)
        return None if isinstance(value, Exception) else flat(value, example.function)

    def same(self, student, result, example):
        return same_outputs(student, result, example.dtype)


class DtypeJudge(Judge):
    def student(self, evidence, failure, folder):
        """The outputs, whatever they hold: the dtype is what is judged (code that computes
        nothing keeps the dtype right)."""
        returned = evidence.returned
        return None if returned is None else flat(returned.value, evidence.example.function)

    def same(self, student, result, example):
        return same_outputs(student, result, example.dtype, with_dtype=True)


class MutationJudge(Judge):
    def student(self, evidence, failure, folder):
        returned = evidence.returned
        return tuple(sorted(returned.mutated)) if returned is not None and returned.mutated else None

    def result(self, example, modules):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                before = example.arguments(modules)
            except Exception:   # noqa: BLE001 (the mutant's forward raises: it has no cache to call with)
                return None
            args, kwargs = copy.deepcopy(before)
            try:
                getattr(modules, example.function)(*args, **kwargs)
            except Exception:   # noqa: BLE001
                pass   # what it changed before raising still counts, as in the worker
        return tuple(changed_arguments(getattr(modules, example.function), before, args, kwargs))

    def same(self, student, result, example):
        return student == result


class CrashJudge(Judge):
    """The student's call raised: a mutant that raises the same exception matches."""

    def student(self, evidence, failure, folder):
        message = str(failure)
        return message if " raised " in message else None

    def result(self, example, modules):
        value, _, _ = example.call(modules)
        if not isinstance(value, Exception):
            return None
        text = str(value)[:500]
        return f"{type(value).__name__}: {text}" if text else type(value).__name__

    def same(self, student, result, example):
        if result is None:
            return False
        said = f" raised {result}"
        return student.endswith(said) or f"{said} (" in student or f"{said}; " in student


JUDGES = {"value": Judge(), "shape": Judge(), "dtype": DtypeJudge(), "mutation": MutationJudge(),
          "crash": CrashJudge()}


# --- the diagnosis ----------------------------------------------------------------

def reference_folder(ref):
    """The folder of the reference the suite grades against (the `ref` fixture)."""
    return str(Path(ref.modules["activations"].__file__).resolve().parent)


def diagnose(failure, folder):
    """The Mistake of the catalogue that explains `failure`, or None (see the module)."""
    evidence = getattr(failure, "evidence", None)
    judge = JUDGES.get(getattr(failure, "cause", "value"))
    if evidence is None or judge is None:
        return None
    student = judge.student(evidence, failure, folder)
    if student is None:
        return None
    example = evidence.example

    def explains(modules):
        return judge.same(student, judge.result(example, modules), example)

    if explains(mutants.reference_modules(folder)):
        return None
    found = [mistake for mistake in mutants.candidates(folder, example.runs)
             if explains(mutants.mutant(folder, mistake.id))]
    if len({mistake.kind for mistake in found}) != 1:
        return None
    return found[0]


def feedback_line(mistake):
    return LINE.format(function=mistake.function, title=mistake.title, explanation=mistake.explanation)


def annotate(metadata, failure, ref, part_is_right=None):
    """Add the diagnosis of `failure` to a test's metadata (conftest.py): the
    `diagnosis` field ({id, title, explanation}) and its sentence in the
    feedback. A diagnosis that fails is no diagnosis: the grade stands; the
    error is kept in the metadata, for the grader's own tests. An example
    Hypothesis shrank (metadata's example_shrunk) gets none (see the module).

    part_is_right(function): whether the student's `function` is right
    (carry_forward.right_at_telling). A mistake is named only in a function
    whose parts are all right: a mutant that happens to match what a wrong
    part causes (a flipped sigmoid looks like a GRU's swapped update gate
    when h_prev is 0) is no diagnosis."""
    if ref is None or getattr(failure, "evidence", None) is None or metadata.get("example_shrunk"):
        return
    try:
        mistake = diagnose(failure, reference_folder(ref))
    except Exception as error:   # noqa: BLE001
        metadata["diagnosis_error"] = f"{type(error).__name__}: {error}"[:2000]
        return
    if mistake is None:
        return
    try:
        if part_is_right and not all(part_is_right(part) for part in contract.parts_of(mistake.function)):
            return
    except Exception as error:   # noqa: BLE001
        metadata["diagnosis_error"] = f"{type(error).__name__}: {error}"[:2000]
        return
    metadata["diagnosis"] = mistake.as_diagnosis()
    if LIKELY not in metadata.get("feedback", ""):
        metadata["feedback"] = f"{metadata.get('feedback', '')}\n{feedback_line(mistake)}".lstrip("\n")
