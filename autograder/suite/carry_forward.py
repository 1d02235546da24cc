"""Error carried forward: one mistake costs the function that holds it, not
everything built on it.

A function built from others (contract.BUILT_FROM: a gate from sigmoid, a
step from the gates, a sequence from its step...) can fail a test only
because a part it calls is wrong: it is right given the student's own parts.
Exam markers keep such work's credit ("error carried forward"); the grader
does too, by the rubric's rule (scoring.py: consequential_errors).

When a test of such a function fails, `annotate` (conftest.py, once the test
is over) judges it on the failing example's inputs:

1. The student's parts are called in the worker on those inputs, the way the
   function's contract rule calls them (compositions.py), and their results
   are composed here, in the grader. Parts are either the ones the contract
   names ("parts") or everything rebuilt from the student's activations
   ("activations"); a backward takes σ' and tanh' from the forward's outputs
   or from sigmoid_prime and tanh_prime, as students write them.
2. The student's function must agree with one such composition, or, for a
   backward pass, with the reference's backward on its own forward's cache
   (a gradient check then fails because of the forward alone). It must also
   be consistent with its parts at its telling input, where a mistake of its
   own shows (an example Hypothesis shrank may hide one).
3. A part it was composed from must differ from the reference on the inputs
   it was given: that part holds the mistake, the student starts there.
4. The function and every part used must compute something (work_done.py):
   a composite of parts that compute nothing earns nothing.

Outputs are judged, not calls: a sequence that inlines its step is judged
as one that calls it. The verdict goes into the test's metadata
(`carried_forward`); the points are scoring.py's business. Nothing here runs
unless a test fails.
"""
import contextlib
import functools
import hashlib
import weakref
from dataclasses import dataclass

import numpy as np

from autograder import contract
from autograder.failures import GradingFailure
from autograder.sandbox.inside.protocol import Handle
from autograder.suite import compositions, diagnosis, work_done
from autograder.suite.checks import as_float64, assert_all_close, expect_dtype
from autograder.suite.compositions import COMPOSITIONS, Derivatives, NotComposed

CAUSES = ("value", "shape", "dtype")   # what consistency can explain: not a crash, a mutation, no work
STYLES = [Derivatives(sigmoid, tanh) for sigmoid in ("outputs", "primes") for tanh in ("outputs", "primes")]
# What can go wrong composing untrusted results here (a part's odd output, shapes that do not fit).
COMPOSING_ERRORS = (NotComposed, GradingFailure, ValueError, TypeError, IndexError, KeyError, ArithmeticError)

_AT_TELLING = weakref.WeakKeyDictionary()   # StudentCode -> {function: consistent with its parts there?}
_RIGHT_AT_TELLING = weakref.WeakKeyDictionary()   # StudentCode -> {function: the reference's result there?}


@dataclass
class PartCall:
    """One call of a student's part while composing: what it was given and returned."""
    function: str
    args: list
    kwargs: dict
    value: object
    where: str       # e.g. "at step t=2", "in the backward direction, at step t=0"; "" at the top


class StudentParts:
    """The student's contract functions as parts: each call runs in the worker.

    Keeps every call (to compare with the reference's later), where a cache it
    returned came from, and reuses a result for the same arguments (not one
    holding a cache: a backward may consume its cache)."""

    def __init__(self, student):
        self.student = student
        self.style = STYLES[0]
        self.style_asked = False
        self.calls, self.origins, self.memo, self.labels = [], {}, {}, []

    @property
    def derivatives(self):
        self.style_asked = True
        return self.style

    def __getattr__(self, function):
        if function not in contract.FUNCTIONS:
            raise AttributeError(function)
        return functools.partial(self.call, function)

    def call(self, function, *args, **kwargs):
        key = memo_key(function, args, kwargs)
        if key in self.memo:
            value = self.memo[key]
        else:
            value = self.student.call(function, *args, **kwargs).value
            handles = [item for item in (value if isinstance(value, tuple) else ()) if isinstance(item, Handle)]
            for handle in handles:
                self.origins[int(handle)] = (function, args)
            if key is not None and not handles:
                self.memo[key] = value
        self.calls.append(PartCall(function, list(args), kwargs, value, ", ".join(self.labels)))
        return value

    @contextlib.contextmanager
    def at(self, label):
        self.labels.append(label)
        try:
            yield
        finally:
            self.labels.pop()


class Rebuilt:
    """Parts rebuilt from the student's activations: every composite function but
    the activations' own is its composition; the rest are the student's."""

    def __init__(self, parts):
        self.parts = parts

    @property
    def derivatives(self):
        return self.parts.derivatives

    def at(self, label):
        return self.parts.at(label)

    def __getattr__(self, function):
        if function in COMPOSITIONS and contract.module_of(function) != "activations":
            return functools.partial(COMPOSITIONS[function], self)
        return getattr(self.parts, function)


def memo_key(function, args, kwargs):
    """A digest of a call (function and argument values), or None for one given a cache."""
    digest = hashlib.blake2b(function.encode(), digest_size=16)

    def feed(value):
        if isinstance(value, Handle):
            raise LookupError
        if isinstance(value, np.ndarray):
            digest.update(f"{value.dtype.str}{value.shape}".encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        elif isinstance(value, dict):
            for key in sorted(value):
                digest.update(repr(key).encode())
                feed(value[key])
        elif isinstance(value, (list, tuple)):
            digest.update(b"[")
            for item in value:
                feed(item)
            digest.update(b"]")
        else:
            digest.update(repr(value).encode())
    try:
        feed([list(args), kwargs])
    except LookupError:
        return None
    return digest.hexdigest()


# --- the example's call --------------------------------------------------------------

@dataclass
class Call:
    """The failing example's call: a forward (function on args), or a backward
    (function on the upstream gradients and its forward's cache on args)."""
    function: str
    args: list
    kwargs: dict
    forward: str = None      # a backward's forward
    upstream: list = None    # a backward's upstream gradients

    @classmethod
    def of(cls, example):
        problem = example.problem
        if problem is None or example.function == problem.forward:
            args, kwargs = example.arguments(None)
            return cls(example.function, list(args), kwargs)
        return cls(example.function, problem.args(), dict(problem.backward_kwargs), problem.forward,
                   list(example.upstream))

    @property
    def dtype(self):
        return diagnosis.dtype_of(self.args)

    def run(self, modules, composed=False):
        """Its result with `modules`' functions (the student's parts, the reference);
        composed: the call's own functions composed from them instead."""
        def function(name):
            return functools.partial(COMPOSITIONS[name], modules) if composed else getattr(modules, name)
        if self.forward is None:
            return function(self.function)(*self.args, **self.kwargs)
        forward = compositions.result(function(self.forward)(*self.args), self.forward)
        cache = forward[contract.returns(self.forward).index("cache")]
        return function(self.function)(*self.upstream, cache, **self.kwargs)

    def in_float64(self):
        """The same call on float64 copies (what the reference is given)."""
        return Call(self.function, as_float64(self.args), self.kwargs, self.forward,
                    None if self.upstream is None else as_float64(self.upstream))


# --- consistency ------------------------------------------------------------------------

@dataclass
class Verdict:
    """A failed function agrees with a composition of the student's parts."""
    via: str             # "parts", "activations" or "reference" (see the module)
    calls: list          # the PartCalls composed (via reference: the forward's)
    origins: dict        # handle -> (forward, args) of the caches among the calls' arguments

    @property
    def built_from(self):
        return list(dict.fromkeys(call.function for call in self.calls))


def consistent(student, ref, call, with_dtype=False, or_reference=False):
    """The Verdict of the first way the student's function agrees with its parts, or None.

    or_reference: agreeing with the reference will do (a Verdict without calls)."""
    parts = StudentParts(student)
    target = diagnosis.flat(call.run(parts), call.function)
    if target is None:
        return None

    def agrees(value):
        return diagnosis.same_outputs(target, diagnosis.flat(value, call.function), call.dtype, with_dtype)

    if (call.forward is not None or or_reference) and agrees((call if with_dtype else call.in_float64()).run(ref)):
        # Via the reference: a backward that is the reference's on its own cache is
        # right; only its forward can make its gradient check fail.
        return Verdict("reference", parts.calls[:1] if call.forward is not None else [], parts.origins)
    for via in ("parts", "activations") if rebuildable(call.function) else ("parts",):
        for style in STYLES:
            parts.calls, parts.style, parts.style_asked = [], style, False
            with np.errstate(all="ignore"):
                try:
                    composed = call.run(parts if via == "parts" else Rebuilt(parts), composed=True)
                except COMPOSING_ERRORS:
                    composed = None
            if composed is not None and agrees(composed):
                return Verdict(via, parts.calls, parts.origins)
            if not parts.style_asked:
                break
    return None


def rebuildable(function):
    """Whether rebuilding from the activations differs from composing `function` of its named parts."""
    return any(part in COMPOSITIONS and contract.module_of(part) != "activations"
               for part in contract.BUILT_FROM[function])


def consistent_at_telling(student, ref, function):
    """Whether `function` agrees with the reference or with its parts at its
    telling input (work_done.py), once per submission."""
    verdicts = _AT_TELLING.setdefault(student, {})
    if function not in verdicts:
        try:
            verdicts[function] = consistent(student, ref, Call.of(telling_example(function)),
                                            or_reference=True) is not None
        except COMPOSING_ERRORS:
            verdicts[function] = False
    return verdicts[function]


def right_at_telling(student, ref, function):
    """Whether `function` gives the reference's result at its telling input, once per
    submission (diagnosis.py names no mistake built on a part that does not)."""
    verdicts = _RIGHT_AT_TELLING.setdefault(student, {})
    if function not in verdicts:
        call = Call.of(telling_example(function))
        try:
            with np.errstate(all="ignore"):
                mine = diagnosis.flat(call.run(StudentParts(student)), function)
            verdicts[function] = mine is not None and diagnosis.same_outputs(
                mine, diagnosis.flat(call.in_float64().run(ref), function), call.dtype, False)
        except COMPOSING_ERRORS:
            verdicts[function] = False
    return verdicts[function]


def telling_example(function):
    pair = work_done.PAIRS.get(function)
    if pair is not None and pair(work_done.TELLING).backward == function:
        return diagnosis.backward_example(pair(work_done.TELLING))
    probe = work_done.forward_probe(function)
    return diagnosis.call_example(function, probe.build_args(probe.blocks))


# --- where the mistake is -------------------------------------------------------------------

def differing_parts(ref, verdict, with_dtype):
    """function -> {"where", "difference"} of each part that differs from the
    reference on the inputs it was given, the first found first."""
    found = {}
    for call in verdict.calls:
        if call.function not in found:
            difference = part_difference(ref, call, verdict.origins, with_dtype)
            if difference:
                found[call.function] = {"where": call.where, "difference": difference}
    return found


def part_difference(ref, call, origins, with_dtype):
    """What of `call`'s result differs from the reference's on the same inputs, or ""."""
    given = (lambda value: value) if with_dtype else as_float64   # dtypes are judged on the dtype given
    args = []
    for arg in call.args:
        if isinstance(arg, Handle):   # a cache of the student's: the reference's own forward's, instead
            forward, forward_args = origins[int(arg)]
            arg = getattr(ref, forward)(*given(forward_args))[contract.returns(forward).index("cache")]
        else:
            arg = given(arg)
        args.append(arg)
    expected = getattr(ref, call.function)(*args)
    dtype = diagnosis.dtype_of(call.args)
    if diagnosis.same_outputs(diagnosis.flat(call.value, call.function), diagnosis.flat(expected, call.function),
                              dtype, with_dtype):
        return ""
    got = call.value if isinstance(call.value, tuple) else (call.value,)
    expected = expected if isinstance(expected, tuple) else (expected,)
    for name, mine, theirs in zip(contract.returns(call.function), got, expected):
        if name == "cache":
            continue
        name = "the result" if name == "out" else name
        try:
            if with_dtype:
                expect_dtype(mine, call.function, name, dtype)
            else:
                assert_all_close(mine, theirs, call.function, name, dtype)
        except GradingFailure as failure:
            return str(failure).removeprefix(f"{call.function}: ").split(". ")[0]
    return "its result differs from the reference's"


# --- the verdict, for the test's record -------------------------------------------------------

def judge(student, ref, example, cause):
    """The test record's `carried_forward` entry for a failure on `example`, or None."""
    if example.function not in COMPOSITIONS or cause not in CAUSES:
        return None
    call = Call.of(example)
    with_dtype = cause == "dtype"
    verdict = consistent(student, ref, call, with_dtype)
    if verdict is None:
        return None
    culprits = differing_parts(ref, verdict, with_dtype)
    if not culprits or not consistent_at_telling(student, ref, call.function):
        return None
    try:
        work_done.require_work(student, ref, call.function, *verdict.built_from)
    except GradingFailure:
        return None
    return {"function": call.function, "via": verdict.via, "built_from": verdict.built_from,
            "culprits": list(culprits), "first": next(iter(culprits.values()))}   # where, difference


def annotate(metadata, failure, student, ref):
    """Add the `carried_forward` entry of `failure` to a test's metadata (conftest.py).

    Judging fails safe: an error here leaves the grade as it was and is kept
    in the metadata, for the grader's own tests."""
    evidence = getattr(failure, "evidence", None)
    if evidence is None or student is None or ref is None:
        return
    try:
        entry = judge(student, ref, evidence.example, getattr(failure, "cause", "value"))
    except GradingFailure:   # a part crashed, timed out, or returned nothing usable: no credit kept
        return
    except Exception as error:   # noqa: BLE001
        metadata["carried_forward_error"] = f"{type(error).__name__}: {error}"[:2000]
        return
    if entry is not None:
        metadata["carried_forward"] = entry
