"""Part 8: text as a sequence, and how far gradients reach back through time.

encode and embed against the reference on drawn texts and sizes; each
*_gradient_norms function twice, against the reference and against the
norms of the dX that the student's own forward and backward passes give (so
a mistake in a backward pass costs its own part, and here only the
agreement with the reference); and the lecture's lesson as properties of the
student's code: vanishing and exploding gradients in a simple RNN, gated
cells that carry the gradient back over 60 words, word order that changes
the RNN's state but not the bag of embeddings.
"""
import re

import numpy as np
import pytest
from hypothesis import example, given, strategies as st

from autograder import contract
from autograder.failures import GradingFailure
from autograder.suite import lessons, plots
from autograder.suite.checks import (as_float64, assert_close, assert_unmodified, describe, expect_array,
                                     expect_dtype, judged_at, outputs)
from autograder.suite.diagnosis import call_example, observing
from autograder.suite.inputs import TELLING, Case, cases
from autograder.suite.work_done import NORMS, require_work   # NORMS: each norms function's problem

SEQUENCES = tuple(f for f in contract.FUNCTIONS if contract.module_of(f) == "sequences")
PASSES = {"rnn_gradient_norms": ("rnn_forward", "rnn_backward"),
          "lstm_gradient_norms": ("lstm_forward", "lstm_backward"),
          "gru_gradient_norms": ("gru_forward", "gru_backward")}
# Relative slack of the per-step bounds of the RNN's properties, by the dtype
# the function returned (float32 norms carry about 1e-6 of rounding per step).
RATIO_SLACK = {"float64": 1e-6, "float32": 1e-3}
# The word-order property: the two texts' last hidden states must differ by at
# least this share of what they differ by in the reference (about 0.3 there).
ORDER_SHARE = 0.1
# Sizes of the drawn RNNs for the vanishing / exploding properties: N, T, H,
# D − H, seed (D ≥ H, so that W_xh can have orthonormal columns).
SCALED_SIZES = st.tuples(st.integers(1, 3), st.integers(2, 12), st.integers(1, 4), st.integers(0, 2),
                         st.integers(0, 2**16))
LESSON_SEED = 5   # of the long gated nets (checked once: 60 steps)
WORD_ORDER_CASE = Case(N=1, T=5, D=4, H=3, seed=17)


# --- encode -----------------------------------------------------------------

def expect_ids(value, text):
    """encode's result as a 1-d array of numbers (any integer or float dtype:
    that it is int64 is the dtype test's business)."""
    if not isinstance(value, np.ndarray):
        raise GradingFailure(f"encode: should return a NumPy array of token ids for {text!r}; got {describe(value)}",
                             cause="type")
    if value.dtype.kind not in "iuf":
        raise GradingFailure(f"encode: the ids have dtype {value.dtype}; token ids are integers (int64)",
                             cause="dtype")
    if value.ndim != 1:
        raise GradingFailure(f"encode: the ids have shape {value.shape} for {text!r}; expected (T,), one id per "
                             f"token", cause="shape")
    return value


def ids_of(words, vocab):
    return [vocab.get(word, vocab["<unk>"]) for word in words]


# Likely mistakes of encode: how each would split the text.
ENCODE_MISTAKES = (
    (lambda text: text.lower().split(),
     "it looks like the text was split on whitespace: punctuation then sticks to the words (\"man.\" is not "
     "\"man\"); take the runs of a-z, 0-9 and ' instead"),
    (lambda text: lessons.TOKEN.findall(text),
     "it looks like the text was not lowercased first: \"A\" and \"The\" must become \"a\" and \"the\""),
    (lambda text: [w.lower() for w in re.findall(r"[A-Za-z0-9']+", text)],
     "it looks like the text was lowercased after splitting it, with ASCII letters only: lowercase first "
     "(text.lower()), then take the runs of a-z, 0-9 and '"),
    (lambda text: re.findall(r"[\w']+", text.lower()),
     "it looks like \\w was used: it also matches letters such as é or ß, digits such as ٣ and the "
     "underscore; a token is a run of a-z, 0-9 and ' only"),
    (lambda text: re.findall(r"[a-z0-9]+", text.lower()),
     "the apostrophe belongs to the tokens: \"don't\" is one token, not \"don\" and \"t\""),
)


def encode_mistake(text, vocab, got, expected):
    """A sentence naming the likely mistake behind `got`, or ""."""
    def same(ids):
        return len(ids) == got.shape[0] and np.array_equal(np.asarray(ids, dtype=np.float64), got)
    unknown = vocab["<unk>"]
    if unknown in expected and same([i for i, word in zip(expected, lessons.tokens(text)) if word in vocab]):
        return " Likely mistake: unknown words were dropped; each one must map to vocab[\"<unk>\"]."
    for split, why in ENCODE_MISTAKES:
        if same(ids_of(split(text), vocab)):
            return f" Likely mistake: {why}."
    return ""


def assert_ids_match(got, expected, text, vocab):
    got = expect_ids(got, text)
    words = lessons.tokens(text)
    shown = ", ".join(repr(w) for w in words[:12]) + (", …" if len(words) > 12 else "")
    if got.shape != expected.shape:
        raise GradingFailure(f"encode: returned {got.shape[0]} ids for {text!r}; expected {len(words)}, one per "
                             f"token ({shown or 'none'}).{encode_mistake(text, vocab, got, expected)}")
    wrong = np.flatnonzero(got != expected)
    if wrong.size:
        i = int(wrong[0])
        unknown = " (vocab[\"<unk>\"]: the token is not in vocab)" if words[i] not in vocab else ""
        raise GradingFailure(f"encode: the id of token {i} ({words[i]!r}) of {text!r} is {got[i]:g}; expected "
                             f"{expected[i]}{unknown} ({wrong.size} of {len(words)} ids differ; the tokens are "
                             f"{shown}).{encode_mistake(text, vocab, got, expected)}")


@given(drawn=lessons.texts_and_vocabs())
@example(drawn=lessons.ENCODE_EXAMPLES[0])
@example(drawn=lessons.ENCODE_EXAMPLES[1])
@example(drawn=lessons.ENCODE_EXAMPLES[2])
@example(drawn=lessons.ENCODE_EXAMPLES[3])
@example(drawn=lessons.ENCODE_EXAMPLES[4])
@example(drawn=lessons.ENCODE_EXAMPLES[5])
def test_encode_matches_reference(student, ref, drawn):
    """encode: the token ids of a text (unicode, punctuation, apostrophes, digits, unknown words) match the reference"""
    text, pairs = drawn
    vocab = dict(pairs)
    with observing(call_example("encode", [text, vocab])) as seen:
        assert_ids_match(seen(student.call("encode", text, dict(vocab))).value, ref.encode(text, vocab), text, vocab)


# --- embed ------------------------------------------------------------------

@given(sizes=st.tuples(st.integers(1, 8), st.integers(0, 6), st.integers(1, 5), st.integers(0, 2**16)))
@example(sizes=(6, 9, 4, 7))    # V, T, D, seed: V ≠ T ≠ D, repeated ids
@example(sizes=(4, 0, 3, 1))    # no token at all
def test_embed_matches_reference(student, ref, sizes):
    """embed: X[0, t] = E[ids[t]], of shape (1, T, D), matches the reference"""
    V, T, D, seed = sizes
    ids, E = lessons.token_ids(V, T, seed), lessons.embedding(V, D, seed)
    with observing(call_example("embed", [ids, E])) as seen:
        assert_close(seen(student.call("embed", ids, E)).value, ref.embed(ids, E), "embed", "X")


# --- the gradient norms against the reference ------------------------------

def step_norms(dX):
    """(T,) float64: the norm of dX[:, t] over its N·D entries. dX: (N, T, D)."""
    return np.sqrt(np.sum(np.square(np.asarray(dX, np.float64)), axis=(0, 2)))


def last_step_only(shape, dtype):
    """dH (N, T, H) of L = Σ H[:, T−1]."""
    dH = np.zeros(shape, dtype=dtype)
    dH[:, -1] = 1
    return dH


def reference_dX(ref, function, args, dH_at):
    """The reference's dX for `function`'s passes on float64 copies of `args`,
    with dH = dH_at(shape of H)."""
    forward, backward = PASSES[function]
    H, cache = getattr(ref, forward)(*as_float64(args))
    return getattr(ref, backward)(dH_at(H.shape), cache)[0]


def norms_mistake(got, expected, every_step=None):
    """A sentence naming the likely mistake behind norms `got`, or ""."""
    def like(other):
        return other is not None and np.allclose(got, other, rtol=1e-5, atol=1e-12 * (1 + np.abs(other).max()))
    if got.shape[0] > 1 and like(expected[::-1]):
        return " Likely mistake: g is reversed in time; g[t] belongs to X[:, t], the input of step t."
    if like(expected ** 2):
        return " Likely mistake: these are squared norms; take the square root of the sum of squares."
    if every_step is not None and like(every_step):
        return (" Likely mistake: the loss was put on every step (dH all ones); L is the sum of the last "
                "step's hidden state only: dH is zero except dH[:, T−1] = 1.")
    if got.shape[0] > 1 and got[-1] != 0 and not np.any(got[:-1]) and np.any(expected[:-1]):
        return (" Likely mistake: no gradient reaches the steps before the last: use full BPTT (no truncate), "
                "carrying the gradient from step t back to step t−1.")
    return ""


def assert_norms_close(got, expected, function, dtype, against, mistake=lambda got: ""):
    """Fail, naming the first time step where norms `got` (T,) differ from `expected`."""
    T = expected.shape[0]
    got = expect_array(got, function, "g", (T,))
    tol = judged_at(dtype, got.dtype)
    close = np.isclose(got, expected, **tol)
    if close.all():
        return
    t = int(np.flatnonzero(~close)[0])
    with beside(function, got, lambda: expected, against.removeprefix("the ")):
        raise GradingFailure(f"{function}: g[{t}] (the gradient's norm at word / time step t={t} of T={T}) is "
                             f"{got[t]:.6g}; expected {expected[t]:.6g} from {against} ({int((~close).sum())} of "
                             f"{T} steps differ).{mistake(got)}")


def beside(function, g, other, label="reference"):
    """For a failure inside: the plot of your norms g beside other() (called only then)."""
    return plots.on_failure(lambda: [plots.curves(f"{function}: the gradient's norm g[t] at each step",
                                                  {"yours": g, label: other()}, y_label="g[t]")])


def norms_match_reference(student, ref, function, case):
    args = NORMS[function](case).args()
    expected = getattr(ref, function)(*as_float64(args))
    every_step = lambda: step_norms(reference_dX(ref, function, args, np.ones))
    with observing(call_example(function, args)) as seen:
        assert_norms_close(seen(student.call(function, *args)).value, expected, function, case.dtype, "the reference",
                           lambda got: norms_mistake(got, expected, every_step()))


@given(case=cases())
@example(case=TELLING)
def test_rnn_gradient_norms_matches_reference(student, ref, case):
    """rnn_gradient_norms: g[t] = ‖∂L/∂X[:, t]‖, L the sum of the last hidden state, matches the reference"""
    norms_match_reference(student, ref, "rnn_gradient_norms", case)


@given(case=cases())
@example(case=TELLING)
def test_lstm_gradient_norms_matches_reference(student, ref, case):
    """lstm_gradient_norms: g[t] = ‖∂L/∂X[:, t]‖, L the sum of the last hidden state, matches the reference"""
    norms_match_reference(student, ref, "lstm_gradient_norms", case)


@given(case=cases())
@example(case=TELLING)
def test_gru_gradient_norms_matches_reference(student, ref, case):
    """gru_gradient_norms: g[t] = ‖∂L/∂X[:, t]‖, L the sum of the last hidden state, matches the reference"""
    norms_match_reference(student, ref, "gru_gradient_norms", case)


# --- the gradient norms against the student's own passes -------------------

def own_norms(student, function, problem):
    """The norms of the dX that the student's own forward and backward give
    for L = Σ H[:, T−1] (float64), computed here from their outputs."""
    forward, backward = PASSES[function]
    result = outputs(student.call(forward, *problem.args()), forward)
    H = expect_array(result[0], forward, "H", problem.upstream[0].shape)
    cache = result[contract.returns(forward).index("cache")]
    dX = outputs(student.call(backward, last_step_only(H.shape, problem.dtype), cache), backward)[0]
    return step_norms(expect_array(dX, backward, "dX", problem.blocks["X"].shape))


@pytest.mark.parametrize("function", NORMS)
@given(case=cases())
@example(case=TELLING)
def test_gradient_norms_agree_with_your_passes(student, ref, function, case):
    """{function}: g is the norm of the dX that your own forward and backward give (kept when those are wrong)"""
    require_work(student, ref, function)
    problem = NORMS[function](case)
    forward, backward = PASSES[function]
    seen = observing(call_example(function, problem.args()))
    with seen:
        got = seen(student.call(function, *problem.args())).value
        own = own_norms(student, function, problem)

    def mistake(got):
        reference = getattr(ref, function)(*as_float64(problem.args()))
        if np.allclose(own, reference, **judged_at(case.dtype, "float64")):
            where = f" Your {forward} and {backward} agree with the reference here: the mistake is in {function}."
        else:
            where = f" (Your {forward} or {backward} differs from the reference too: see its own tests.)"
        return norms_mistake(got, own) + where

    with seen:
        assert_norms_close(got, own, function, case.dtype, f"the dX of your own {forward} and {backward}", mistake)


# --- the lesson: how far gradients reach -------------------------------------

def norms_of(student, function, args, T, seen):
    """The student's norms (T,) for `args`, recorded by the observing context `seen`."""
    return expect_array(seen(student.call(function, *args)).value, function, "g", (T,))


@given(sizes=SCALED_SIZES)
@example(sizes=(2, 12, 3, 2, 5))
def test_rnn_gradients_vanish_with_small_recurrent_weights(student, ref, sizes):
    """rnn_gradient_norms: with ‖W_hh‖ = 0.5 the norms fall toward the start, by at least ‖W_hh‖ × the largest tanh′ per step"""
    require_work(student, ref, "rnn_gradient_norms")
    N, T, H, extra, seed = sizes
    args = lessons.scaled_rnn(N, T, H, H + extra, seed, lessons.VANISHING_SCALE, 1.0)
    with observing(call_example("rnn_gradient_norms", args)) as seen:
        g = norms_of(student, "rnn_gradient_norms", args, T, seen)
        _, high = lessons.step_ratio_bounds(ref.rnn_forward(*args)[0], lessons.VANISHING_SCALE)
        assert_vanishes(g, high)


def assert_vanishes(g, high):
    """Fail unless norms g (T,) shrink from each step to the one before by at most `high` (T,)."""
    slack = RATIO_SLACK[g.dtype.name]
    for t in reversed(range(g.shape[0] - 1)):
        if g[t] > high[t] * g[t + 1] * (1 + slack):
            raise GradingFailure(
                f"rnn_gradient_norms: with small recurrent weights (‖W_hh‖ = {lessons.VANISHING_SCALE}) the "
                f"gradient must shrink at every step back, at least by ‖W_hh‖ × the largest tanh′ of step t "
                f"({high[t]:.3g}); from step t={t + 1} to t={t} it went from {g[t + 1]:.4g} to {g[t]:.4g} "
                f"(× {g[t] / g[t + 1] if g[t + 1] else np.inf:.3g}).{norms_mistake(g, g[::-1])}")


@given(sizes=SCALED_SIZES)
@example(sizes=(2, 12, 3, 2, 5))
def test_rnn_gradients_explode_with_large_recurrent_weights(student, ref, sizes):
    """rnn_gradient_norms: with ‖W_hh‖ = 1.5 and h near 0 the norms grow toward the start, by ‖W_hh‖ × the smallest tanh′ per step"""
    require_work(student, ref, "rnn_gradient_norms")
    N, T, H, extra, seed = sizes
    args = lessons.scaled_rnn(N, T, H, H + extra, seed, lessons.EXPLODING_SCALE, lessons.EXPLODING_INPUT)
    with observing(call_example("rnn_gradient_norms", args)) as seen:
        g = norms_of(student, "rnn_gradient_norms", args, T, seen)
        low, _ = lessons.step_ratio_bounds(ref.rnn_forward(*args)[0], lessons.EXPLODING_SCALE)
        assert_explodes(g, low)


def assert_explodes(g, low):
    """Fail unless norms g (T,) grow from each step to the one before by at least `low` (T,)."""
    if not g[-1] > 0:
        raise GradingFailure(f"rnn_gradient_norms: g[T−1] = {g[-1]:.4g}; the last hidden state depends on the "
                             f"last input, so its gradient there is not 0")
    slack = RATIO_SLACK[g.dtype.name]
    for t in reversed(range(g.shape[0] - 1)):
        if g[t] < low[t] * g[t + 1] * (1 - slack):
            raise GradingFailure(
                f"rnn_gradient_norms: with large recurrent weights (‖W_hh‖ = {lessons.EXPLODING_SCALE}) and "
                f"states near 0 the gradient must grow at every step back, at least by ‖W_hh‖ × the smallest "
                f"tanh′ of step t ({low[t]:.3g}); from step t={t + 1} to t={t} it went from {g[t + 1]:.4g} to "
                f"{g[t]:.4g}.{norms_mistake(g, g[::-1])}")


def assert_reaches_back(g, function, gate):
    T, words = g.shape[0], lessons.REACH_WORDS
    silent = np.flatnonzero(g[:-1] == 0)
    if silent.size:
        raise GradingFailure(f"{function}: g[t] = 0 at {silent.size} of the first {T - 1} steps (first t={silent[0]}):"
                             f" no gradient reaches them. With the {gate} near 1 it must reach every word.")
    reach = lessons.reach(g)
    if not 1 / lessons.REACH_FACTOR <= reach <= lessons.REACH_FACTOR:
        raise GradingFailure(
            f"{function}: with the {gate} held near 1 the gradient should reach back over all {T} words: the "
            f"norms of the first {words} words should be within a factor {lessons.REACH_FACTOR:g} of those of the "
            f"{words} words before the last (geometric means); they are {reach:.3g} times them (a simple RNN "
            f"gives about 1e-20).")


def test_lstm_gradients_reach_back_with_forget_gate_open(student, ref):
    """lstm_gradient_norms: with the forget gate held near 1 the first words' norms stay within a factor 10 of the last words' over 60 steps"""
    require_work(student, ref, "lstm_gradient_norms")
    args = lessons.gated("lstm", LESSON_SEED)
    with observing(call_example("lstm_gradient_norms", args)) as seen:
        assert_reaches_back(norms_of(student, "lstm_gradient_norms", args, lessons.LONG_T, seen),
                            "lstm_gradient_norms", "forget gate (b_f = 6, so F ≈ 0.998)")


def test_gru_gradients_reach_back_with_update_gate_near_one(student, ref):
    """gru_gradient_norms: with the update gate held near 1 the first words' norms stay within a factor 10 of the last words' over 60 steps"""
    require_work(student, ref, "gru_gradient_norms")
    args = lessons.gated("gru", LESSON_SEED)
    with observing(call_example("gru_gradient_norms", args)) as seen:
        assert_reaches_back(norms_of(student, "gru_gradient_norms", args, lessons.LONG_T, seen),
                            "gru_gradient_norms", "update gate (b_z = 6, so Z ≈ 0.998: h mostly keeps h_prev)")


def test_word_order_changes_rnn_state(student, ref):
    """encode, embed, rnn_forward: "a dog bit the man" and "the man bit a dog" have the same bag of embeddings but end in different RNN states"""
    require_work(student, ref, "encode", "embed", "rnn_forward")
    vocab, case = dict(lessons.BASIC_VOCAB), WORD_ORDER_CASE
    E = lessons.embedding(max(vocab.values()) + 1, case.D, case.seed)
    h0, params = np.zeros((1, case.H)), case.rnn_params()
    for texts in lessons.WORD_ORDER_PAIRS:
        ids = [expect_ids(student.call("encode", text, dict(vocab)).value, text) for text in texts]
        if [len(i) for i in ids] != [case.T] * 2 or sorted(ids[0].tolist()) != sorted(ids[1].tolist()):
            raise GradingFailure(f"encode: {texts[0]!r} and {texts[1]!r} hold the same {case.T} words: their ids "
                                 f"must be the same {case.T} ids in another order; got {ids[0].tolist()} and "
                                 f"{ids[1].tolist()}")
        ids = [i.astype(np.int64) for i in ids]
        X = [expect_array(student.call("embed", i, E).value, "embed", "X", (1, case.T, case.D)) for i in ids]
        bag_gap = float(np.abs(X[0].sum(axis=1) - X[1].sum(axis=1)).max())
        tol = judged_at("float64", X[0].dtype)
        if bag_gap > tol["atol"] + tol["rtol"] * float(np.abs(X[0].sum(axis=1)).max()):
            raise GradingFailure(f"embed: {texts[0]!r} and {texts[1]!r} hold the same words, so the sums over time "
                                 f"of their embeddings (their bags of words) must be equal; they differ by "
                                 f"{bag_gap:.3g}. X[0, t] must be the row E[ids[t]] and nothing else.")
        last = [expect_array(outputs(student.call("rnn_forward", x, h0, params), "rnn_forward")[0],
                             "rnn_forward", "H", (1, case.T, case.H))[:, -1] for x in X]
        reference = [ref.rnn_forward(E[i][None], h0, params)[0][:, -1] for i in ids]
        gap, reference_gap = (float(np.linalg.norm(a - b)) for a, b in (last, reference))
        if not gap >= ORDER_SHARE * reference_gap:
            raise GradingFailure(
                f"rnn_forward: {texts[0]!r} and {texts[1]!r} hold the same words in another order, and end in "
                f"almost the same hidden state (they differ by {gap:.3g}; the reference's by {reference_gap:.3g}). "
                f"The state after the last word must depend on the earlier words and their order: carry h from "
                f"each step into the next.")


# --- rules --------------------------------------------------------------------

def test_sequences_keep_dtype(student, ref):
    """encode returns int64 ids (also for a text without tokens); embed and the norms keep E's and X's dtype (float64, float32)"""
    require_work(student, ref, *SEQUENCES)
    vocab = dict(lessons.BASIC_VOCAB)
    for text in (lessons.TELLING_TEXTS[0], ""):
        with observing(call_example("encode", [text, vocab])) as seen:
            ids = seen(student.call("encode", text, dict(vocab))).value
            if isinstance(ids, np.ndarray) and ids.dtype != np.int64:   # what else is wrong: the value tests say
                raise GradingFailure(f"encode: the ids of {text!r} have dtype {ids.dtype}; expected int64 (an "
                                     f"empty np.array([]) is float64: give dtype=np.int64)", cause="dtype")
    ids = lessons.token_ids(6, TELLING.T, TELLING.seed)
    for dtype in ("float64", "float32"):
        E = lessons.embedding(6, TELLING.D, TELLING.seed, dtype)
        with observing(call_example("embed", [ids, E])) as seen:
            expect_dtype(seen(student.call("embed", ids, E)).value, "embed", "X", dtype)
        case = TELLING.as_dtype(dtype)
        for function, make_problem in NORMS.items():
            args = make_problem(case).args()
            with observing(call_example(function, args)) as seen:
                expect_dtype(seen(student.call(function, *args)).value, function, "g", dtype)


def test_sequences_arguments_unmodified(student, ref):
    """encode, embed and the norms leave their arguments unchanged (vocab, ids, E, X, the states, params)"""
    require_work(student, ref, *SEQUENCES)
    ids = lessons.token_ids(6, TELLING.T, TELLING.seed)
    calls = [("encode", [lessons.TELLING_TEXTS[0], dict(lessons.BASIC_VOCAB)]),
             ("embed", [ids, lessons.embedding(6, TELLING.D, TELLING.seed)])]
    calls += [(function, make_problem(TELLING).args()) for function, make_problem in NORMS.items()]
    for function, args in calls:
        with observing(call_example(function, args)) as seen:
            assert_unmodified(seen(student.call(function, *args, watch=True)), function)
