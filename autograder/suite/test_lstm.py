"""Part 5: the LSTM step and sequence passes, forward and backward."""
import numpy as np
import pytest
from hypothesis import example, given, settings

from autograder.proxy import GradingFailure
from autograder.suite import problems
from autograder.suite.checks import expect_array, outputs
from autograder.suite.inputs import TELLING, TELLING_32, TINY, Case, cases

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_lstm_step_forward_matches_reference(student, ref, case):
    """lstm_step_forward: h and c match the reference"""
    problems.forward_matches_reference(student, ref, problems.lstm_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_lstm_step_backward_gradient_check(student, case):
    """lstm_step_backward: gradients agree with finite differences of your lstm_step_forward"""
    problems.backward_gradient_check(student, problems.lstm_step(case), tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_lstm_step_backward_matches_reference(student, ref, case):
    """lstm_step_backward: dx, dh_prev, dc_prev and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.lstm_step(case))


@given(case=cases())
@example(case=TELLING)
def test_lstm_forward_matches_reference(student, ref, case):
    """lstm_forward: every hidden state H[:, t] matches the reference"""
    problems.forward_matches_reference(student, ref, problems.lstm_sequence(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_lstm_backward_gradient_check(student, case):
    """lstm_backward: gradients agree with finite differences of your lstm_forward"""
    problems.backward_gradient_check(student, problems.lstm_sequence(case), tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_lstm_backward_matches_reference(student, ref, case):
    """lstm_backward: dX, dh0, dc0 and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.lstm_sequence(case))


# The LSTM's forward functions and the problem each is checked on.
LSTM = {"lstm_step_forward": problems.lstm_step, "lstm_forward": problems.lstm_sequence}


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_float32(student, ref, forward):
    """float32 inputs give float32 outputs and gradients, forward and backward, of float32 accuracy"""
    problems.float32_matches_reference(student, ref, LSTM[forward](TELLING_32))


def test_lstm_hidden_state_bounded(student):
    """lstm_forward: |h| ≤ 1 and finite, even with huge inputs and weights"""
    case = Case(N=3, T=6, D=4, H=5, seed=13)
    params = {k: v * 40 for k, v in case.lstm_params().items()}
    H = outputs(student.call("lstm_forward", case.X() * 100, case.state(), case.state(salt=5), params), "lstm_forward")[0]
    H = expect_array(H, "lstm_forward", "H", (case.N, case.T, case.H), case.dtype)
    if np.abs(H).max() > 1:
        index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(H)), H.shape))
        raise GradingFailure(f"lstm_forward: |H| must stay ≤ 1 (H = O ⊙ tanh(c)); H{list(index)} = {H[index]:.6g}")


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_batch_rows_independent(student, ref, forward):
    """each batch row's states depend only on that row's inputs"""
    problems.batch_rows_independent(student, ref, LSTM[forward](TELLING))


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_arguments_unmodified(student, forward):
    """neither it nor its backward changes its arguments (arrays, params, upstream gradients)"""
    problems.arguments_unmodified(student, LSTM[forward](TELLING))
