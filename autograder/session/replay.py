"""Replay, within a batch, the examples hypothesis drew for a test.

Under the grading profile (derandomized, no example database) the examples
hypothesis draws for a test depend only on the test and on how the examples
before them ended. Every submission that passes a test is therefore run on
the very same examples. A batch records them (the values hypothesis passed to
the test function, in order) the first time a submission passes the test;
its later submissions run the test on those values as plain calls, without
hypothesis's engine (about 0.3 s of the grader's CPU a submission).

Replay never decides a failure. At the first recorded example that fails,
the replay is undone (the time it used, the failure it left) and the test
runs through hypothesis as usual: hypothesis draws the same examples, fails
on the same one and shrinks it, so the report is the one hypothesis alone
would give. After a failure that took the worker down (a crash, a timeout)
the submission is graded without replay, so that no hanging call is waited
for twice more than once.

A recording holds only what `encode` can write exactly (cases, floating
arrays, numbers, strings, tuples and lists of them); a test drawing anything
else is never replayed. Two recordings of one test that differ would mean
hypothesis's draws are not what this module assumes: that test is then never
replayed again.
"""
import base64
import dataclasses
import functools

import numpy as np
import pytest

from autograder.suite.inputs import Case


class Unrecordable(TypeError):
    """A drawn value `encode` cannot write exactly."""


def encode(value):
    """A JSON-able description of a drawn value, exact (see `decode`)."""
    if isinstance(value, Case):
        return {"case": dataclasses.asdict(value)}
    # Exact types only: a subclass (np.float64 is a float, a namedtuple a
    # tuple) would come back as its base class.
    if type(value) is np.ndarray and value.dtype.kind in "fiub" and value.dtype.names is None:
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode()
        return {"array": [value.dtype.str, list(value.shape), data]}
    if value is None or type(value) in (bool, int, float, str):
        return {"value": value}
    if type(value) in (tuple, list):
        return {type(value).__name__: [encode(item) for item in value]}
    raise Unrecordable(f"cannot record a drawn {type(value).__name__}")


def decode(spec):
    """The value `encode` described: a new object on every call."""
    (kind, content), = spec.items()
    if kind == "case":
        return Case(**content)
    if kind == "array":
        dtype, shape, data = content
        return np.frombuffer(base64.b64decode(data), dtype=np.dtype(dtype)).reshape(shape).copy()
    if kind == "value":
        return content
    items = [decode(item) for item in content]
    return tuple(items) if kind == "tuple" else items


class ExampleReplay:
    """The pytest plugin: records the examples of passing hypothesis tests,
    and replays known ones.

    known: test node id -> its examples, each {argument name: encode(value)};
    learned: what this process recorded (a batch's child sends it to the parent);
    unstable: tests never to replay; replayed: tests passed by replay here.
    `students` returns the StudentCode objects of the running submission.
    """

    def __init__(self, students):
        self.students = students
        self.known, self.learned, self.unstable = {}, {}, set()
        self.start_submission()

    def start_submission(self):
        """A new submission: replay allowed again, none replayed yet."""
        self.enabled, self.replayed = True, 0

    def learn(self, recordings):
        """Add recordings made elsewhere (by a child of the batch)."""
        for test, examples in recordings.items():
            if test in self.unstable:
                continue
            if test in self.known and self.known[test] != examples:
                del self.known[test]
                self.unstable.add(test)
            else:
                self.known[test] = examples

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        """Run a hypothesis test by replay when its examples are known, else
        through hypothesis, recording its examples."""
        given = getattr(pyfuncitem.obj, "hypothesis", None)
        if given is None or pyfuncitem.nodeid in self.unstable:
            return None
        args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
        examples = self.known.get(pyfuncitem.nodeid)
        if examples is not None and self.enabled:
            if self._replay(given.inner_test, args, examples):
                self.replayed += 1
                return True
            return None  # hypothesis runs it: the same examples, then shrinking
        self._record(pyfuncitem, given, args)
        return True

    def _replay(self, test, args, examples):
        """True when every example passed; otherwise the attempt is undone."""
        students = [student for student in self.students() if student is not None]
        budgets = [student.budget_left_s for student in students]
        try:
            for example in examples:
                test(**args, **{name: decode(spec) for name, spec in example.items()})
            return True
        except Exception:
            for student, budget in zip(students, budgets):
                if student.poisoned:  # the worker crashed or hung: no more replay for this submission
                    self.enabled = False
                student.retry(budget)
            return False

    def _record(self, pyfuncitem, given, args):
        """Run the test through hypothesis; keep its examples if all passed."""
        inner, names = given.inner_test, set(given._given_kwargs)
        examples, complete = [], [True]

        @functools.wraps(inner)  # hypothesis seeds its draws from this function's source: keep the test's
        def recorder(*positional, **kwargs):
            try:
                example = {name: encode(kwargs[name]) for name in names if name in kwargs}
            except Unrecordable:
                complete[0] = False
                example = None
            try:
                result = inner(*positional, **kwargs)
            except BaseException:
                complete[0] = False
                raise
            examples.append(example)
            return result

        given.inner_test = recorder
        try:
            pyfuncitem.obj(**args)
        finally:
            given.inner_test = inner
        if complete[0] and examples:
            self.learned[pyfuncitem.nodeid] = examples
