"""Part 4: the LSTM gate equations, the cell state and the hidden state."""
import numpy as np
import pytest
from hypothesis import example, given

from autograder.proxy import GradingFailure
from autograder.suite.checks import as_float64, assert_close, assert_unmodified, expect_array
from autograder.suite.inputs import TELLING, TELLING_32, cases

GATES = ("forget_gate", "input_gate", "input_node", "output_gate")
# (lowest, highest) value each gate can take.
GATE_RANGE = {"forget_gate": (0, 1), "input_gate": (0, 1), "input_node": (-1, 1), "output_gate": (0, 1)}


def gate_inputs(case):
    return [case.x(), case.state(), case.lstm_params()]


def combine_inputs(case):
    """Arguments of cell_state (F, I, C̃, c_prev) and hidden_state (O, c)."""
    rng = case.rng(8)
    gate = lambda: rng.uniform(0.05, 0.95, (case.N, case.H)).astype(case.dtype)
    node = lambda: rng.uniform(-0.95, 0.95, (case.N, case.H)).astype(case.dtype)
    return {"cell_state": [gate(), gate(), node(), case.state()], "hidden_state": [gate(), case.state() * 2]}


def check_gate(student, ref, function, args, dtype):
    got = student.call(function, *args).value
    assert_close(got, getattr(ref, function)(*as_float64(args)), function, "the result", dtype)


@pytest.mark.parametrize("gate", GATES)
@given(case=cases())
@example(case=TELLING)
def test_lstm_gate_matches_reference(student, ref, gate, case):
    """matches its slide equation (its own weights W_x?, W_h? and bias b_?)"""
    check_gate(student, ref, gate, gate_inputs(case), case.dtype)


@given(case=cases())
@example(case=TELLING)
def test_cell_state_matches_reference(student, ref, case):
    """cell_state: C = F ⊙ c_prev + I ⊙ C̃ matches the reference"""
    check_gate(student, ref, "cell_state", combine_inputs(case)["cell_state"], case.dtype)


@given(case=cases())
@example(case=TELLING)
def test_hidden_state_matches_reference(student, ref, case):
    """hidden_state: H = O ⊙ tanh(c) matches the reference"""
    check_gate(student, ref, "hidden_state", combine_inputs(case)["hidden_state"], case.dtype)


@pytest.mark.parametrize("gate", GATES)
def test_lstm_gate_in_range_at_extreme_inputs(student, gate):
    """stays finite and within its range when the pre-activations are huge"""
    case = TELLING
    x, h_prev, params = case.x() * 1e3, case.state() * 1e3, case.lstm_params()
    value = expect_array(student.call(gate, x, h_prev, params).value, gate, "the result", (case.N, case.H), case.dtype)
    low, high = GATE_RANGE[gate]
    if value.min() < low or value.max() > high:
        raise GradingFailure(f"{gate}: values must lie in [{low}, {high}]; got one at {value.min() if value.min() < low else value.max():.6g}")


def inputs_of(function, case):
    return gate_inputs(case) if function in GATES else combine_inputs(case)[function]


@pytest.mark.parametrize("function", GATES + ("cell_state", "hidden_state"))
def test_lstm_gates_float32(student, ref, function):
    """float32 in, float32 out, float32 accuracy"""
    check_gate(student, ref, function, inputs_of(function, TELLING_32), "float32")


@pytest.mark.parametrize("function", GATES + ("cell_state", "hidden_state"))
def test_lstm_gates_arguments_unmodified(student, function):
    """leaves its arguments unchanged"""
    assert_unmodified(student.call(function, *inputs_of(function, TELLING), watch=True), function)
