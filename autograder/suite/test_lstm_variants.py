"""Part 6: bidirectional and stacked LSTMs."""
import pytest
from hypothesis import Phase, example, given, settings

from autograder.suite import problems
from autograder.suite.inputs import TELLING, TELLING_32, TINY, cases

SMALL = cases(N=(1, 3), T=(1, 4), D=(1, 4), H=(1, 3))
# The gradient checks of the two variants run on TINY alone: it is already
# too large for a full check (they are checked along random directions, as a
# drawn case would be), and every pass they are built from has its own
# checks on drawn cases. A drawn case would double the forward evaluations,
# the grading suite's largest cost.
TINY_ONLY = settings(phases=[Phase.explicit])


@given(case=SMALL)
@example(case=TELLING)
def test_bilstm_forward_matches_reference(student, ref, case):
    """bilstm_forward: both directions, aligned in time, match the reference"""
    problems.forward_matches_reference(student, ref, problems.bilstm(case))


@TINY_ONLY
@given(case=SMALL)
@example(case=TINY)
def test_bilstm_backward_gradient_check(student, case):
    """bilstm_backward: gradients agree with finite differences of your bilstm_forward"""
    problems.backward_gradient_check(student, problems.bilstm(case), tiny=case == TINY)


@given(case=SMALL)
@example(case=TELLING)
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
def test_stacked_lstm_backward_gradient_check(student, case):
    """stacked_lstm_backward: gradients agree with finite differences of your stacked_lstm_forward"""
    problems.backward_gradient_check(student, problems.stacked(case), tiny=case == TINY)


@given(case=SMALL)
@example(case=TELLING)
def test_stacked_lstm_backward_matches_reference(student, ref, case):
    """stacked_lstm_backward: dX and every layer's grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.stacked(case))


VARIANTS = {"bilstm_forward": problems.bilstm, "stacked_lstm_forward": problems.stacked}


@pytest.mark.parametrize("forward", VARIANTS)
def test_lstm_variants_float32(student, ref, forward):
    """float32 in, float32 out, forward and backward, of float32 accuracy"""
    problems.float32_matches_reference(student, ref, VARIANTS[forward](TELLING_32))
