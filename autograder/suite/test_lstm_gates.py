"""Part 4: the LSTM gate equations, the cell state and the hidden state."""
import pytest
from hypothesis import example, given

from autograder.suite.checks import as_float64, assert_close, assert_unmodified, expect_dtype
from autograder.suite.diagnosis import call_example, observing
from autograder.suite.inputs import TELLING, cases
from autograder.suite.work_done import require_work

GATES = ("forget_gate", "input_gate", "input_node", "output_gate")
FUNCTIONS = GATES + ("cell_state", "hidden_state")
EXTREME = 1e3   # inputs this large give pre-activations in the thousands: e^z overflows


def inputs_of(function, case):
    if function in GATES:
        return case.gate_args()
    return case.cell_state_args() if function == "cell_state" else case.hidden_state_args()


def check_gate(student, ref, function, args, dtype, seen=None):
    """The student's result on `args`, failing unless it matches the reference
    (seen: the observing context to record it in, if not a new one)."""
    seen = seen or observing(call_example(function, args))
    with seen:
        got = seen(student.call(function, *args)).value
        assert_close(got, getattr(ref, function)(*as_float64(args)), function, "the result", dtype)
    return got


@pytest.mark.parametrize("gate", GATES)
@given(case=cases())
@example(case=TELLING)
def test_lstm_gate_matches_reference(student, ref, gate, case):
    """matches its slide equation (its own weights W_x?, W_h? and bias b_?)"""
    check_gate(student, ref, gate, case.gate_args(), case.dtype)


@given(case=cases())
@example(case=TELLING)
def test_cell_state_matches_reference(student, ref, case):
    """cell_state: C = F ⊙ c_prev + I ⊙ C̃ matches the reference"""
    check_gate(student, ref, "cell_state", case.cell_state_args(), case.dtype)


@given(case=cases())
@example(case=TELLING)
def test_hidden_state_matches_reference(student, ref, case):
    """hidden_state: H = O ⊙ tanh(c) matches the reference"""
    check_gate(student, ref, "hidden_state", case.hidden_state_args(), case.dtype)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lstm_gates_stable_at_extreme_inputs(student, ref, function):
    """matches the reference, finite and in range, where pre-activations are in the thousands"""
    args = inputs_of(function, TELLING)
    if function in GATES:   # huge x and h_prev
        args = [args[0] * EXTREME, args[1] * EXTREME, args[2]]
    else:                   # a huge cell state (c_prev, or c)
        args = args[:-1] + [args[-1] * EXTREME]
    check_gate(student, ref, function, args, TELLING.dtype)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lstm_gates_keep_dtype(student, ref, function):
    """returns the input's dtype (float64, float32), float32 to float32 accuracy"""
    for case in (TELLING, TELLING.as_dtype("float32")):
        args = inputs_of(function, case)
        with observing(call_example(function, args)) as seen:
            expect_dtype(check_gate(student, ref, function, args, case.dtype, seen), function, "the result",
                         case.dtype)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_lstm_gates_arguments_unmodified(student, ref, function):
    """leaves its arguments unchanged"""
    require_work(student, ref, function)
    args = inputs_of(function, TELLING)
    with observing(call_example(function, args)) as seen:
        assert_unmodified(seen(student.call(function, *args, watch=True)), function)
