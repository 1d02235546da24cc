"""Part 7: the GRU (the slides' convention), one step and a whole sequence."""
import numpy as np
import pytest
from hypothesis import example, given, settings

from autograder.failures import GradingFailure
from autograder.suite import problems
from autograder.suite.checks import expect_array, outputs
from autograder.suite.diagnosis import forward_example, observing
from autograder.suite.inputs import TELLING, TINY, cases
from autograder.suite.work_done import require_work

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_gru_step_forward_matches_reference(student, ref, case):
    """gru_step_forward: h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ matches the reference"""
    problems.forward_matches_reference(student, ref, problems.gru_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_gru_step_backward_gradient_check(student, ref, case):
    """gru_step_backward: gradients agree with finite differences of your gru_step_forward"""
    problem = problems.gru_step(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_gru_step_backward_matches_reference(student, ref, case):
    """gru_step_backward: dx, dh_prev and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.gru_step(case))


@given(case=cases())
@example(case=TELLING)
def test_gru_forward_matches_reference(student, ref, case):
    """gru_forward: every hidden state H[:, t] matches the reference"""
    problems.forward_matches_reference(student, ref, problems.gru_sequence(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_gru_backward_gradient_check(student, ref, case):
    """gru_backward: gradients agree with finite differences of your gru_forward"""
    problem = problems.gru_sequence(case)
    require_work(student, ref, problem.forward)
    problems.backward_gradient_check(student, problem, tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_gru_backward_matches_reference(student, ref, case):
    """gru_backward: dX, dh0 and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.gru_sequence(case))


# The GRU's forward functions and the problem each is checked on.
GRU = {"gru_step_forward": problems.gru_step, "gru_forward": problems.gru_sequence}


@pytest.mark.parametrize("forward", GRU)
def test_gru_properties(student, ref, forward):
    """{function} and its backward keep the input's dtype, never mix batch rows, leave their arguments unchanged"""
    problem = GRU[forward](TELLING)
    problems.keeps_dtype(student, ref, GRU[forward], TELLING)
    require_work(student, ref, problem.forward, problem.backward)
    problems.batch_rows_independent(student, ref, problem)
    problems.arguments_unmodified(student, problem)


@pytest.mark.parametrize("forward", GRU)
def test_gru_stable_at_extreme_inputs(student, ref, forward):
    """matches the reference where pre-activations are in the thousands"""
    problems.forward_matches_reference(student, ref, problems.at_extreme_inputs(GRU[forward](TELLING)))


def test_gru_state_between_h_prev_and_candidate(student, ref):
    """gru_step_forward: h lies between h_prev and H̃ ∈ (−1, 1) elementwise"""
    require_work(student, ref, "gru_step_forward")
    problem = problems.gru_step(TELLING)
    with observing(forward_example(problem)) as seen:
        h = expect_array(outputs(seen(student.call("gru_step_forward", *problem.args())), "gru_step_forward")[0],
                         "gru_step_forward", "h", (TELLING.N, TELLING.H))
        h_prev = problem.blocks["h_prev"]
        # h is a convex combination of h_prev and H̃ ∈ (−1, 1).
        low, high = np.minimum(h_prev, -1), np.maximum(h_prev, 1)
        if (h < low - 1e-12).any() or (h > high + 1e-12).any():
            raise GradingFailure("gru_step_forward: h must lie between h_prev and H̃ ∈ (−1, 1), since "
                                 "h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ with Z ∈ (0, 1)")
