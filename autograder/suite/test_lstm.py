"""Part 5: the LSTM step and sequence passes, forward and backward."""
import pytest
from hypothesis import example, given, settings

from autograder.suite import problems
from autograder.suite.inputs import TELLING, TINY, cases
from autograder.suite.work_done import require_work

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_lstm_step_forward_matches_reference(student, ref, case):
    """lstm_step_forward: h and c match the reference"""
    problems.forward_matches_reference(student, ref, problems.lstm_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_lstm_step_backward_gradient_check(student, ref, case):
    """lstm_step_backward: gradients agree with finite differences of your lstm_step_forward"""
    problem = problems.lstm_step(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


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
def test_lstm_backward_gradient_check(student, ref, case):
    """lstm_backward: gradients agree with finite differences of your lstm_forward"""
    problem = problems.lstm_sequence(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_lstm_backward_matches_reference(student, ref, case):
    """lstm_backward: dX, dh0, dc0 and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.lstm_sequence(case))


# The LSTM's forward functions and the problem each is checked on.
LSTM = {"lstm_step_forward": problems.lstm_step, "lstm_forward": problems.lstm_sequence}


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_keeps_dtype(student, ref, forward):
    """{function} and its backward return the input's dtype (float64, float32), float32 to float32 accuracy"""
    problems.keeps_dtype(student, ref, LSTM[forward], TELLING)


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_stable_at_extreme_inputs(student, ref, forward):
    """matches the reference where pre-activations are in the thousands: |h| ≤ 1, finite"""
    problems.forward_matches_reference(student, ref, problems.at_extreme_inputs(LSTM[forward](TELLING)))


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_batch_rows_independent(student, ref, forward):
    """each batch row's states depend only on that row's inputs"""
    require_work(student, ref, forward)
    problems.batch_rows_independent(student, ref, LSTM[forward](TELLING))


@pytest.mark.parametrize("forward", LSTM)
def test_lstm_arguments_unmodified(student, ref, forward):
    """{function} and its backward leave their arguments unchanged (arrays, params, upstream gradients)"""
    problem = LSTM[forward](TELLING)
    require_work(student, ref, problem.forward, problem.backward)
    problems.arguments_unmodified(student, problem)
