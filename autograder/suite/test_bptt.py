"""Part 3: backpropagation through time, truncation and gradient clipping."""
import numpy as np
from hypothesis import example, given, settings, strategies as st

from autograder.failures import GradingFailure
from autograder.suite import problems
from autograder.suite.checks import (assert_all_close, assert_unmodified, expect_array, expect_dtype, expect_grads,
                                     outputs)
from autograder.suite.diagnosis import backward_example, call_example, observing
from autograder.suite.inputs import TELLING, TINY, Case, cases, gradient_dict
from autograder.suite.work_done import require_work

GRADIENT_EXAMPLES = 1
LONG = cases(T=(5, 8))
TRUNCATION = st.integers(1, 4)


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_rnn_backward_gradient_check(student, ref, case):
    """rnn_backward: gradients agree with finite differences of your rnn_forward"""
    problem = problems.rnn_sequence(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_rnn_backward_matches_reference(student, ref, case):
    """rnn_backward: dX, dh0 and grads match the reference (full BPTT)"""
    problems.backward_matches_reference(student, ref, problems.rnn_sequence(case))


def test_rnn_backward_reaches_every_step(student, ref):
    """rnn_backward: a loss on the last step alone reaches dh0 and every earlier dX[:, t]"""
    require_work(student, ref, "rnn_backward")
    problem = problems.rnn_sequence(Case(N=2, T=6, D=3, H=4, seed=3))
    cache = problems.student_cache(student, problem)
    dH = np.zeros_like(problem.upstream[0])
    dH[:, -1] = problem.upstream[0][:, -1]
    with observing(backward_example(problem, [dH])) as seen:
        dX, dh0, _ = outputs(seen(student.call("rnn_backward", dH, cache)), "rnn_backward")
        dX = expect_array(dX, "rnn_backward", "dX", problem.blocks["X"].shape)
        dh0 = expect_array(dh0, "rnn_backward", "dh0", problem.blocks["h0"].shape)
        silent = [t for t in range(dH.shape[1]) if not np.any(dX[:, t])]
        if silent or not np.any(dh0):
            where = f"dX[:, t] for t = {silent}" if silent else "dh0"
            raise GradingFailure(f"rnn_backward: with ∂L/∂h only at the last step, {where} is zero: the gradient "
                                 f"does not flow back through time. Carry dh_prev from step t into step t−1.")


@given(case=LONG, k=TRUNCATION)
@example(case=Case(N=2, T=7, D=3, H=4, seed=5), k=3)
def test_rnn_backward_truncation_matches_reference(student, ref, case, k):
    """rnn_backward: truncate=k cuts the gradient exactly at steps k, 2k, … like the reference"""
    problems.backward_matches_reference(student, ref, problems.rnn_sequence(case, truncate=k))


@given(case=cases(T=(1, 5)))
@example(case=TELLING)
def test_rnn_backward_truncation_at_or_above_T_is_full(student, ref, case):
    """rnn_backward: truncate=k with k ≥ T gives exactly full BPTT"""
    require_work(student, ref, "rnn_backward")
    problem = problems.rnn_sequence(case)
    cache = problems.student_cache(student, problem)
    full = outputs(student.call("rnn_backward", *problem.upstream, cache), "rnn_backward")
    for k in (case.T, case.T + 3):
        cut = outputs(student.call("rnn_backward", *problem.upstream, cache, truncate=k), "rnn_backward")
        for name, a, b in zip(("dX", "dh0", "grads"), full, cut):
            expected = problem.analytic(full)
            if name == "grads":
                assert_all_close(b, {key: expected[key] for key in problem.blocks if key.startswith(("W", "b"))},
                                 "rnn_backward", f"grads with truncate={k}")
            else:
                assert_all_close(b, expected[name[1:]], "rnn_backward", f"{name} with truncate={k}")


# Gradients of every size, exploding ones included: squared, 1e20 overflows
# float32 (past 1.8e19) and 1e160 overflows float64 (past 1.3e154), the very
# case clipping is for.
SCALES = [(scale, "float64") for scale in (0.1, 1.0, 10.0, 1e160)] + \
    [(scale, "float32") for scale in (0.1, 1.0, 10.0, 1e20)]
GRADS = st.builds(lambda seed, scaled: (seed, *scaled), st.integers(0, 2**16), st.sampled_from(SCALES))


def global_norm(grads):
    """The global L2 norm, without overflow (each array scaled by the largest entry first)."""
    arrays = [np.asarray(g, np.float64) for g in grads.values()]
    largest = max((float(np.abs(a).max()) for a in arrays if a.size), default=0.0)
    if largest == 0.0:
        return 0.0
    return largest * float(np.sqrt(sum(np.sum((a / largest) ** 2) for a in arrays)))


@given(drawn=GRADS, max_norm=st.sampled_from([0.5, 1.0, 5.0, 50.0]))
@example(drawn=(3, 1e20, "float32"), max_norm=5.0)
@example(drawn=(4, 1e160, "float64"), max_norm=5.0)
def test_clip_gradients_matches_reference(student, ref, drawn, max_norm):
    """clip_gradients: scales by max_norm / global norm exactly when the norm exceeds max_norm, even exploding ones"""
    grads = gradient_dict(*drawn)
    with observing(call_example("clip_gradients", [grads, max_norm])) as seen:
        clipped = seen(student.call("clip_gradients", grads, max_norm)).value
        assert_all_close(clipped, ref.clip_gradients(grads, max_norm), "clip_gradients",
                         f"the result (global norm {global_norm(grads):.4g}, max_norm {max_norm})", drawn[2])


def test_clip_gradients_properties(student, ref):
    """clip_gradients: never raises the norm, keeps direction and dtype, returns a new dict"""
    require_work(student, ref, "clip_gradients")
    for seed, scale, max_norm, dtype in [(1, 10.0, 1.0, "float64"), (2, 0.01, 1.0, "float64"),
                                         (3, 10.0, 2.0, "float32")]:
        grads = gradient_dict(seed, scale, dtype)
        with observing(call_example("clip_gradients", [grads, max_norm])) as seen:
            clip_properties_hold(seen(student.call("clip_gradients", grads, max_norm, watch=True)), grads, max_norm,
                                 dtype)


def clip_properties_hold(returned, grads, max_norm, dtype):
    """What test_clip_gradients_properties asks of one call's result."""
    assert_unmodified(returned, "clip_gradients")
    clipped = expect_grads(returned.value, "clip_gradients", "the result", grads)
    expect_dtype(clipped, "clip_gradients", "the result", dtype)
    norm_before, norm_after = global_norm(grads), global_norm(clipped)
    if norm_after > max(max_norm, norm_before) * (1 + 1e-6):
        raise GradingFailure(f"clip_gradients: the global norm went from {norm_before:.4g} to {norm_after:.4g} "
                             f"with max_norm {max_norm}")
    flat = np.concatenate([np.ravel(grads[k]) for k in grads]).astype(np.float64)
    flat_clipped = np.concatenate([np.ravel(clipped[k]) for k in grads]).astype(np.float64)
    cosine = flat @ flat_clipped / (np.linalg.norm(flat) * np.linalg.norm(flat_clipped) or 1.0)
    if cosine < 1 - 1e-5:
        raise GradingFailure("clip_gradients: the clipped gradients point in another direction "
                             f"(cosine {cosine:.6f}): scale every array by the same factor, "
                             "computed from the norm over all arrays together")
    if norm_before <= max_norm and not np.allclose(flat, flat_clipped, rtol=1e-6, atol=0):
        raise GradingFailure(f"clip_gradients: gradients of norm {norm_before:.4g} ≤ max_norm {max_norm} "
                             f"were changed; leave them as they are")
