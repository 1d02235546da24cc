"""Part 6: bidirectional and stacked LSTMs."""
import dataclasses

import pytest
from hypothesis import Phase, example, given, settings

from autograder.suite import problems
from autograder.suite.inputs import TELLING, TINY, cases
from autograder.suite.work_done import require_work

SMALL = cases(N=(1, 3), T=(1, 4), D=(1, 4), H=(1, 3))
# The bidirectional LSTM's two directions have sizes H_f = H and H_b = H2,
# drawn independently; the telling examples take H_b < H_f, H_b = H_f and H_b > H_f.
BIDIRECTIONAL = cases(N=(1, 3), T=(1, 4), D=(1, 4), H=(1, 3), H2=(1, 3))
TELLING_BI = [dataclasses.replace(TELLING, H2=TELLING.H + d) for d in (-1, 0, 1)]
# The gradient checks of the two variants run on TINY alone: it is already
# too large for a full check (they are checked along random directions, as a
# drawn case would be), and every pass they are built from has its own
# checks on drawn cases. A drawn case would double the forward evaluations,
# the grading suite's largest cost.
TINY_ONLY = settings(phases=[Phase.explicit])


@given(case=BIDIRECTIONAL)
@example(case=TELLING_BI[0])
@example(case=TELLING_BI[1])
@example(case=TELLING_BI[2])
def test_bilstm_forward_matches_reference(student, ref, case):
    """bilstm_forward: both directions, aligned in time, match the reference"""
    problems.forward_matches_reference(student, ref, problems.bilstm(case))


@TINY_ONLY
@given(case=SMALL)
@example(case=TINY)
def test_bilstm_backward_gradient_check(student, ref, case):
    """bilstm_backward: gradients agree with finite differences of your bilstm_forward"""
    problem = problems.bilstm(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=BIDIRECTIONAL)
@example(case=TELLING_BI[0])
@example(case=TELLING_BI[1])
@example(case=TELLING_BI[2])
def test_bilstm_backward_matches_reference(student, ref, case):
    """bilstm_backward: dX, grads_fwd and grads_bwd match the reference"""
    problems.backward_matches_reference(student, ref, problems.bilstm(case))


@given(case=SMALL)
@example(case=TELLING)
def test_stacked_lstm_forward_matches_reference(student, ref, case):
    """stacked_lstm_forward: the top layer's states match the reference"""
    problems.forward_matches_reference(student, ref, problems.stacked(case))


@TINY_ONLY
@given(case=SMALL)
@example(case=TINY)
def test_stacked_lstm_backward_gradient_check(student, ref, case):
    """stacked_lstm_backward: gradients agree with finite differences of your stacked_lstm_forward"""
    problem = problems.stacked(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=SMALL)
@example(case=TELLING)
def test_stacked_lstm_backward_matches_reference(student, ref, case):
    """stacked_lstm_backward: dX and every layer's grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.stacked(case))


VARIANTS = {"bilstm_forward": problems.bilstm, "stacked_lstm_forward": problems.stacked}


@pytest.mark.parametrize("forward", VARIANTS)
def test_lstm_variants_keep_dtype(student, ref, forward):
    """{function} and its backward return the input's dtype (float64, float32), float32 to float32 accuracy"""
    problems.keeps_dtype(student, ref, VARIANTS[forward], TELLING)


@pytest.mark.parametrize("forward", VARIANTS)
def test_lstm_variants_stable_at_extreme_inputs(student, ref, forward):
    """matches the reference where pre-activations are in the thousands"""
    problems.forward_matches_reference(student, ref, problems.at_extreme_inputs(VARIANTS[forward](TELLING)))
