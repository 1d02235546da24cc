"""Part 7: the GRU (the slides' convention), one step and a whole sequence."""
import numpy as np
import pytest
from hypothesis import example, given, settings

from autograder.proxy import GradingFailure
from autograder.suite import problems
from autograder.suite.checks import expect_array, outputs
from autograder.suite.inputs import TELLING, TELLING_32, TINY, cases

GRADIENT_EXAMPLES = 1


@given(case=cases())
@example(case=TELLING)
def test_gru_step_forward_matches_reference(student, ref, case):
    """gru_step_forward: h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ matches the reference"""
    problems.forward_matches_reference(student, ref, problems.gru_step(case))


@settings(max_examples=GRADIENT_EXAMPLES)
@given(case=cases())
@example(case=TINY)
def test_gru_step_backward_gradient_check(student, case):
    """gru_step_backward: gradients agree with finite differences of your gru_step_forward"""
    problems.backward_gradient_check(student, problems.gru_step(case), tiny=case == TINY)


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
def test_gru_backward_gradient_check(student, case):
    """gru_backward: gradients agree with finite differences of your gru_forward"""
    problems.backward_gradient_check(student, problems.gru_sequence(case), tiny=case == TINY)


@given(case=cases())
@example(case=TELLING)
def test_gru_backward_matches_reference(student, ref, case):
    """gru_backward: dX, dh0 and grads match the reference"""
    problems.backward_matches_reference(student, ref, problems.gru_sequence(case))


# The GRU's forward functions and the problem each is checked on.
GRU = {"gru_step_forward": problems.gru_step, "gru_forward": problems.gru_sequence}


@pytest.mark.parametrize("forward", GRU)
def test_gru_properties(student, ref, forward):
    """float32 kept, batch rows independent, arguments unchanged, forward and backward"""
    problems.float32_matches_reference(student, ref, GRU[forward](TELLING_32))
    problems.batch_rows_independent(student, ref, GRU[forward](TELLING))
    problems.arguments_unmodified(student, GRU[forward](TELLING))


def test_gru_state_between_h_prev_and_candidate(student):
    """gru_step_forward: h lies between h_prev and H̃ ∈ (−1, 1) elementwise"""
    problem = problems.gru_step(TELLING)
    h = expect_array(outputs(student.call("gru_step_forward", *problem.args()), "gru_step_forward")[0],
                     "gru_step_forward", "h", (TELLING.N, TELLING.H), TELLING.dtype)
    h_prev = problem.blocks["h_prev"]
    # h is a convex combination of h_prev and H̃ ∈ (−1, 1).
    low, high = np.minimum(h_prev, -1), np.maximum(h_prev, 1)
    if (h < low - 1e-12).any() or (h > high + 1e-12).any():
        raise GradingFailure("gru_step_forward: h must lie between h_prev and H̃ ∈ (−1, 1), since "
                             "h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ with Z ∈ (0, 1)")
