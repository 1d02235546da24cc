"""Part 2: the simple RNN, one step and a whole sequence."""
from hypothesis import example, given, settings

from autograder.suite import problems
from autograder.suite.checks import assert_unmodified
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
@example(case=TELLING)
def test_rnn_step_backward_gradient_check(student, case):
    """rnn_step_backward: gradients agree with finite differences of your rnn_step_forward"""
    problems.backward_gradient_check(student, problems.rnn_step(case))


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


def test_rnn_float32(student, ref):
    """RNN: float32 inputs give float32 outputs and gradients of float32 accuracy"""
    for problem in (problems.rnn_step(TELLING_32), problems.rnn_sequence(TELLING_32)):
        problems.forward_matches_reference(student, ref, problem)
        problems.backward_matches_reference(student, ref, problem)


def test_rnn_batch_rows_independent(student, ref):
    """RNN: each batch row's hidden states depend only on that row's inputs"""
    for problem in (problems.rnn_step(TELLING), problems.rnn_sequence(TELLING)):
        problems.batch_rows_independent(student, ref, problem)


def test_rnn_arguments_unmodified(student):
    """RNN: no function changes its arguments (arrays or the params dict)"""
    for problem in (problems.rnn_step(TELLING), problems.rnn_sequence(TELLING)):
        forward = student.call(problem.forward, *problem.args(), watch=True)
        assert_unmodified(forward, problem.forward)
        cache = problems.outputs(forward, problem.forward)[1]
        assert_unmodified(student.call(problem.backward, *problem.upstream, cache, watch=True), problem.backward)
