"""Points only for work done: a property or self-consistency test gives credit
only to functions that compute their outputs from their inputs.

A property (arguments left unmodified, batch rows independent, values in
range, a backward that agrees with itself) holds for code that computes
nothing: zeros, a constant, random values, an input passed through. Before
such a test gives credit, it calls `require_work` on the functions it judges.
Each is judged once per submission, on a telling input (TELLING's sizes), by
three rules:

1. deterministic: the same inputs twice give the same outputs;
2. something computed: at least one output is computed from the inputs, that
   is, it is not one of the inputs, unchanged (or repeated, as h0 at every
   step), and it changes when the inputs change (all of them moved at once)
   by at least RESPONSE_RATIO of the reference's change.

encode, whose input is a text, is judged on two texts with as many tokens but
other ids; embed on ids and word vectors that both move. A backward pass is
judged on a cache of its own for each of the two calls on the same inputs,
its inputs moved being the upstream gradients (on which every output of a
backward depends). A gradient check
judges the forward: the backward of a forward that computes nothing agrees
with it trivially. A function with a genuine mistake (an input it ignores, a
wrong formula, even an output left at zero) still computes something, and
keeps these tests' credit.
These calls are the grader's, not the test's: they do not count among the
functions a test is tagged with.
"""
import functools
import itertools
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder import contract
from autograder.failures import GradingFailure
from autograder.suite import lessons, problems
from autograder.suite.checks import as_float64, describe, outputs, tolerance
from autograder.suite.gradcheck import block_paths
from autograder.suite.inputs import TELLING, gradient_dict

RESPONSE_RATIO = 1e-3      # of the reference's change: far below any real computation's
SAME_RTOL = 1e-9           # two calls on the same inputs agree to this (one BLAS thread: exactly)
CHANGE_RTOL = 1e-9         # a change of the reference's output below this is no dependence
NUDGE = 0.3                # inputs are moved by this × their root mean square (at least 0.1)

_VERDICTS = weakref.WeakKeyDictionary()   # StudentCode -> {function: None (works) or a GradingFailure}


@dataclass
class Probe:
    """One function on its telling input: the arguments as named blocks."""
    function: str
    blocks: dict                       # name -> array
    build_args: Callable               # blocks -> the positional arguments
    move: Callable = None              # (blocks, rng) -> moved blocks; default: every block nudged


def require_work(student, ref, *functions):
    """Fail (cause "trivial") unless each of `functions` computes something (see the module).

    The test is then tagged with each of them, however the verdict was
    reached (judged now, or remembered from an earlier test)."""
    verdicts = _VERDICTS.setdefault(student, {})
    for function in functions:
        if function not in verdicts:
            called = list(student.called)
            try:
                verdicts[function] = judge(student, ref, function)
            except GradingFailure as failure:  # it could not even be called: the same failure each time
                verdicts[function] = failure
            finally:
                student.called[:] = called
        if function not in student.called:
            student.called.append(function)
        if verdicts[function] is not None:
            failure = verdicts[function]
            raise type(failure)(str(failure), failure.cause)


def judge(student, ref, function):
    """None if `function` computes something, else a GradingFailure saying why not.

    Code that agrees with the reference at the telling input computes
    something: one run settles it. Otherwise the three rules decide."""
    told = telling(ref, function)
    if agrees(told.student_output(student), told.expected):
        return None
    base, again, moved = told.student_outputs(student)
    return (nondeterministic(function, base, again, told.expected)
            or nothing_computed(function, base, moved, told.expected, told.expected_moved, told.inputs))


def agrees(got, expected):
    """Whether every output agrees with the reference's, at float32's tolerance
    (the dtype is not the question here)."""
    return set(got) == set(expected) and all(
        got[label].shape == value.shape and np.allclose(got[label], value, **tolerance("float32"))
        for label, value in expected.items())


@dataclass
class Telling:
    """One function's telling input, the same input moved, and what the
    reference returns for both (the same for every submission: computed
    once, before a batch forks, by `precompute`)."""
    function: str
    inputs: dict               # name -> array: what an output may echo
    expected: dict             # label -> the reference's output at the input
    expected_moved: dict       # label -> the reference's output at the moved input
    student_output: Callable   # student -> its flat outputs at the input
    student_outputs: Callable  # student -> its flat outputs at the input, again, and at the moved input


def precompute(ref):
    """The reference's side of every function's verdict, now (see Telling)."""
    for function in contract.FUNCTIONS:
        telling(ref, function)


@functools.cache
def telling(ref, function):
    pair = PAIRS.get(function)
    if pair is not None and pair(TELLING).backward == function:
        return backward_telling(ref, pair(TELLING))
    if function == "encode":
        return encode_telling(ref)
    return forward_telling(ref, forward_probe(function))


def forward_telling(ref, probe):
    """A function of `probe.blocks`: the student's three runs in one round trip."""
    paths = block_paths(probe.build_args, probe.blocks)
    rng = np.random.default_rng(list(probe.function.encode()))
    moved = (probe.move(probe.blocks, rng) if probe.move is not None
             else {name: nudged(block, rng) for name, block in probe.blocks.items()})
    expected = [flat_outputs(getattr(ref, probe.function)(*as_float64(probe.build_args(blocks))), probe.function)
                for blocks in (probe.blocks, moved)]

    def student_output(student):
        return flat_outputs(student.call(probe.function, *probe.build_args(probe.blocks)).value, probe.function)

    def student_outputs(student):
        results = student.call_many(probe.function, probe.build_args(probe.blocks),
                                    [[], [], [(paths[name], block) for name, block in moved.items()]])
        return [flat_outputs(result, probe.function) for result in results]
    return Telling(probe.function, probe.blocks, *expected, student_output, student_outputs)


def backward_telling(ref, problem):
    """A backward: its outputs at the telling input, again on a cache of its
    own (a backward may consume its cache), and with the upstream gradients
    moved, which every output of a backward depends on: two forward calls,
    then the backward's three calls in one round trip."""
    rng = np.random.default_rng(list(problem.backward.encode()))
    moved_upstream = [nudged(G, rng) for G in problem.upstream]

    def reference_run(upstream):
        cache = problems.reference_outputs(ref, problem.forward, problem.args())[cache_index(problem.forward)]
        return flat_outputs(getattr(ref, problem.backward)(*as_float64(upstream), cache), problem.backward)

    def student_cache(student):
        return outputs(student.call(problem.forward, *problem.args()), problem.forward)[cache_index(problem.forward)]

    def student_output(student):
        return flat_outputs(student.call(problem.backward, *problem.upstream, student_cache(student)).value,
                            problem.backward)

    def student_outputs(student):
        caches = [student_cache(student) for _ in range(2)]
        at = (len(problem.upstream),)   # where the cache goes in the backward's arguments
        variants = [[(at, caches[0])], [(at, caches[1])],
                    [(at, caches[0])] + [((k,), G) for k, G in enumerate(moved_upstream)]]
        results = student.call_many(problem.backward, [*problem.upstream, caches[0]], variants)
        return [flat_outputs(result, problem.backward) for result in results]

    inputs = {**problem.blocks, **dict(zip(problem.upstream_names, problem.upstream))}
    return Telling(problem.backward, inputs, reference_run(problem.upstream), reference_run(moved_upstream),
                   student_output, student_outputs)


def encode_telling(ref):
    """encode, whose input is a text: two texts with as many tokens but
    different ids (so that only computed ids differ)."""
    vocab = lessons.TELLING_VOCAB
    text, other = lessons.TELLING_TEXTS[:2]

    def student_output(student):
        return flat_outputs(student.call("encode", text, dict(vocab)).value, "encode")
    return Telling("encode", {}, flat_outputs(ref.encode(text, vocab), "encode"),
                   flat_outputs(ref.encode(other, vocab), "encode"), student_output,
                   lambda student: [student_output(student), student_output(student),
                                    flat_outputs(student.call("encode", other, dict(vocab)).value, "encode")])


def cache_index(forward):
    return contract.returns(forward).index("cache")


# --- the three rules --------------------------------------------------------

def nondeterministic(function, first, second, expected):
    """Also fails outputs that are not the reference's (a list where an array belongs)."""
    if set(first) != set(expected) or set(second) != set(expected):
        return GradingFailure(f"{function} returned {', '.join(first) or 'nothing'}; expected "
                              f"{', '.join(expected)}", cause="type")
    for label, a in first.items():
        b = second[label]
        if a.shape != b.shape or np.linalg.norm(a - b) > SAME_RTOL * (np.linalg.norm(a) + np.linalg.norm(b)):
            return GradingFailure(
                f"{function}: called twice on the same inputs, it returned different values of {label} "
                f"(random values?).", cause="trivial")
    return None


def nothing_computed(function, base, moved, expected_base, expected_moved, inputs):
    """A failure if no output is computed from the inputs (see the module), saying why for each."""
    why = {}
    for label, value in base.items():
        echoed = echo_of(value, inputs)
        if echoed:
            why[label] = f"{label} is its input {echoed}, unchanged"
            continue
        change = np.linalg.norm(expected_moved[label] - expected_base[label])
        if change <= CHANGE_RTOL * (np.linalg.norm(expected_base[label]) + 1e-300):
            continue  # the reference's does not change either: nothing to learn from this output
        other = moved.get(label)
        yours = np.linalg.norm(other - value) if other is not None and other.shape == value.shape else np.inf
        if yours >= RESPONSE_RATIO * change:
            return None
        why[label] = f"{label} does not change when its inputs change (by {yours:.2g}; the reference's by {change:.3g})"
    return GradingFailure(f"{function} computes none of its outputs from its inputs: "
                          f"{'; '.join(list(why.values())[:4])}.", cause="trivial")


def echo_of(value, inputs):
    """The name of the input `value` is, unchanged, or None. Unchanged includes
    repeated along new axes (h0 at every step) and one step of a sequence (dH[:, 0])."""
    for name, block in inputs.items():
        if any(np.allclose(value, view, rtol=1e-12, atol=1e-300) for view in views_of(block, value.shape)):
            return name
    return None


def views_of(block, shape):
    """`block` as an array of `shape`, every way that moves no number: itself,
    broadcast along new axes, or one index of one of its axes."""
    block = np.asarray(block)
    extra = len(shape) - block.ndim
    if extra == -1:
        for axis in range(block.ndim):
            if block.shape[:axis] + block.shape[axis + 1:] == tuple(shape):
                yield from (np.take(block, i, axis=axis) for i in range(block.shape[axis]))
    if extra < 0:
        return
    for axes in itertools.combinations(range(len(shape)), extra):
        expanded = np.expand_dims(block, axes) if axes else block
        if all(a in (1, b) for a, b in zip(expanded.shape, shape)):
            yield np.broadcast_to(expanded, shape)


# --- inputs and outputs -------------------------------------------------------

def nudged(block, rng):
    """`block` moved by NUDGE times its root mean square (at least 0.1), in its dtype."""
    size = NUDGE * max(float(np.sqrt(np.mean(np.square(block)))), 0.1) if block.size else 0.0
    return (block + size * rng.standard_normal(block.shape)).astype(block.dtype)


def flat_outputs(result, function):
    """Label -> float64 array of every output but caches ('h', "grads['W_xh']", ...).

    Anything that is not an array fails (cause "type"): there is nothing to judge."""
    values = result if isinstance(result, tuple) and len(contract.returns(function)) > 1 else (result,)
    flat = {}

    def walk(value, label):
        if isinstance(value, np.ndarray):
            flat[label] = value.astype(np.float64, copy=False)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{label}[{key!r}]")
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, f"{label}[{i}]")
        else:
            raise GradingFailure(f"{function}: {label} should be an array; got {describe(value)}", cause="type")

    names = ["its result"] if len(contract.returns(function)) == 1 else contract.returns(function)
    if len(values) != len(names):
        raise GradingFailure(f"{function} must return a tuple ({', '.join(names)}); it returned "
                             f"{describe(result)}", cause="type")
    for name, value in zip(names, values):
        if name != "cache":
            walk(value, name)
    return flat


# --- the telling input of every function --------------------------------------

PAIRS = {}   # function (forward or backward) -> its problem builder
for _make in (problems.rnn_step, problems.rnn_sequence, problems.lstm_step, problems.lstm_sequence,
              problems.bilstm, problems.stacked, problems.gru_step, problems.gru_sequence):
    _problem = _make(TELLING)
    PAIRS[_problem.forward] = PAIRS[_problem.backward] = _make


# The gradient norms of Part 8 and the sequence problem whose arguments they take.
NORMS = {"rnn_gradient_norms": problems.rnn_sequence, "lstm_gradient_norms": problems.lstm_sequence,
         "gru_gradient_norms": problems.gru_sequence}


def forward_probe(function):
    """The Probe of a function that is not a backward pass."""
    case = TELLING
    if function in PAIRS:
        problem = PAIRS[function](case)
        return Probe(function, problem.blocks, problem.build_args)
    if contract.module_of(function) == "activations":
        z = np.linspace(-3, 3, 12).reshape(3, 4) + case.normal(3, 4, scale=0.1)
        return Probe(function, {"z": z}, lambda b: [b["z"]])
    if function == "clip_gradients":  # a norm above max_norm: clipping happens
        return Probe(function, gradient_dict(1, 10.0), lambda b: [dict(b), 1.0])
    if function == "embed":  # V ≠ T, repeated ids; moved: other ids and other vectors
        blocks = {"ids": np.array([3, 0, 5, 3], dtype=np.int64), "E": lessons.embedding(6, case.D, case.seed)}
        return Probe(function, blocks, lambda b: [b["ids"], b["E"]],
                     lambda b, rng: {"ids": (b["ids"] + 1 + rng.integers(0, 4, b["ids"].shape)) % 6,
                                     "E": nudged(b["E"], rng)})
    if function in NORMS:  # the arguments of the sequence pass they run
        problem = NORMS[function](case)
        return Probe(function, problem.blocks, problem.build_args)
    names = {"cell_state": ("F", "I", "C_tilde", "c_prev"), "hidden_state": ("O", "c")}.get(function)
    if names is not None:
        args = case.cell_state_args() if function == "cell_state" else case.hidden_state_args()
        return Probe(function, dict(zip(names, args)), lambda b: [b[name] for name in names])
    x, h_prev, params = case.gate_args()  # an LSTM gate
    return Probe(function, {"x": x, "h_prev": h_prev, **params},
                 lambda b: [b["x"], b["h_prev"], problems.pick(b, contract.LSTM_KEYS)])
