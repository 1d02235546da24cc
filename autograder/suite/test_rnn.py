"""Part 2: the simple RNN, one step and a whole sequence."""
import pytest
from hypothesis import example, given, settings

from autograder.suite import problems
from autograder.suite.inputs import TELLING, TINY, cases
from autograder.suite.work_done import require_work

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_rnn_step_forward_matches_reference(student, ref, case):
    """rnn_step_forward: h = tanh(x W_xh + h_prev W_hh + b_h) matches the reference"""
    problems.forward_matches_reference(student, ref, problems.rnn_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_rnn_step_backward_gradient_check(student, ref, case):
    """rnn_step_backward: gradients agree with finite differences of your rnn_step_forward"""
    problem = problems.rnn_step(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


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
def test_rnn_keeps_dtype(student, ref, forward):
    """{function} and its backward return the input's dtype (float64, float32), float32 to float32 accuracy"""
    problems.keeps_dtype(student, ref, RNN[forward], TELLING)


@pytest.mark.parametrize("forward", RNN)
def test_rnn_stable_at_extreme_inputs(student, ref, forward):
    """matches the reference where pre-activations are in the thousands"""
    problems.forward_matches_reference(student, ref, problems.at_extreme_inputs(RNN[forward](TELLING)))


@pytest.mark.parametrize("forward", RNN)
def test_rnn_batch_rows_independent(student, ref, forward):
    """each batch row's hidden states depend only on that row's inputs"""
    require_work(student, ref, forward)
    problems.batch_rows_independent(student, ref, RNN[forward](TELLING))


@pytest.mark.parametrize("forward", RNN)
def test_rnn_arguments_unmodified(student, ref, forward):
    """{function} and its backward leave their arguments unchanged (arrays, params, upstream gradients)"""
    problem = RNN[forward](TELLING)
    require_work(student, ref, problem.forward, problem.backward)
    problems.arguments_unmodified(student, problem)
