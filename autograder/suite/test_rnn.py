"""Part 2: the simple RNN, one step and a whole sequence."""
import pytest
from hypothesis import example, given, settings

from autograder.suite import problems
from autograder.suite.inputs import TELLING, TELLING_32, TINY, cases

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_rnn_step_forward_matches_reference(student, ref, case):
    """rnn_step_forward: h = tanh(x W_xh + h_prev W_hh + b_h) matches the reference"""
    problems.forward_matches_reference(student, ref, problems.rnn_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_rnn_step_backward_gradient_check(student, case):
    """rnn_step_backward: gradients agree with finite differences of your rnn_step_forward"""
    problems.backward_gradient_check(student, problems.rnn_step(case), tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_rnn_step_backward_matches_reference(student, ref, case):
    """rnn_step_backward: dx, dh_prev and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.rnn_step(case))


@given(case=cases())
@example(case=TELLING)
def test_rnn_forward_matches_reference(student, ref, case):
    """rnn_forward: every hidden state H[:, t] matches the reference"""
    problems.forward_matches_reference(student, ref, problems.rnn_sequence(case))


# The RNN's forward functions and the problem each is checked on.
RNN = {"rnn_step_forward": problems.rnn_step, "rnn_forward": problems.rnn_sequence}


@pytest.mark.parametrize("forward", RNN)
def test_rnn_float32(student, ref, forward):
    """float32 inputs give float32 outputs and gradients, forward and backward, of float32 accuracy"""
    problems.float32_matches_reference(student, ref, RNN[forward](TELLING_32))


@pytest.mark.parametrize("forward", RNN)
def test_rnn_batch_rows_independent(student, ref, forward):
    """each batch row's hidden states depend only on that row's inputs"""
    problems.batch_rows_independent(student, ref, RNN[forward](TELLING))


@pytest.mark.parametrize("forward", RNN)
def test_rnn_arguments_unmodified(student, forward):
    """neither it nor its backward changes its arguments (arrays or the params dict)"""
    problems.arguments_unmodified(student, RNN[forward](TELLING))
