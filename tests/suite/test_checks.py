"""The suite's checks (suite/checks.py): what they refuse before comparing,
and feedback that names the function, the output, where, got and expected."""
import re

import numpy as np
import pytest

from autograder.failures import GradingFailure
from autograder.sandbox.outside.student_code import Foreign
from autograder.suite import checks


@pytest.mark.parametrize("value, words", [
    ([np.zeros(3)], "a list of 1 values"),
    (None, "None"),
    (Foreign("a Python float (2.5)"), "a Python float (2.5)"),
])
def test_expect_array_names_what_came_instead(value, words):
    with pytest.raises(GradingFailure, match=re.escape(words)):
        checks.expect_array(value, "rnn_forward", "H", (2, 3))


# ---------------------------------------------------------------- checks' feedback

def test_assert_close_names_index_time_step_got_and_expected():
    """Does a mismatch in a sequence say where (batch row, time step), what came and what was expected?"""
    expected = np.zeros((2, 5, 3))
    got = expected.copy()
    got[1, 3, 2] = 0.75
    with pytest.raises(GradingFailure) as failure:
        checks.assert_close(got, expected, "rnn_forward", "H")
    message = str(failure.value)
    assert "rnn_forward" in message and "(1, 3, 2)" in message
    assert "time step t=3" in message and "batch row 1" in message
    assert "got 0.75" in message and "expected 0" in message
    assert "1 of 30 entries differ" in message


def test_assert_all_close_names_the_gradient():
    expected = {"W_xh": np.ones((2, 2)), "b_h": np.ones(2)}
    got = {"W_xh": np.ones((2, 2)), "b_h": np.array([1.0, 0.5])}
    with pytest.raises(GradingFailure, match=r"dW_xh|db_h") as failure:
        checks.assert_all_close(got, expected, "rnn_step_backward", "grads")
    assert "db_h" in str(failure.value) and "(1,)" in str(failure.value) and "got 0.5" in str(failure.value)
    with pytest.raises(GradingFailure, match=r"missing \['b_h'\]"):
        checks.assert_all_close({"W_xh": np.ones((2, 2))}, expected, "rnn_step_backward", "grads")


@pytest.mark.parametrize("got, words", [
    (np.zeros((2, 4)), "has shape (2, 4), expected (2, 3)"),
    (np.zeros((2, 3), np.int64), "dtype int64; it should be the input's floating dtype"),
    (np.array([[0, np.nan, 0], [0, 0, np.inf]]), "2 non-finite entries (first at index (0, 1)"),
])
def test_assert_close_validates_before_comparing(got, words):
    with pytest.raises(GradingFailure, match=re.escape(words)):
        checks.assert_close(got, np.zeros((2, 3)), "cell_state", "C")


def test_assert_close_accepts_float32_within_tolerance():
    expected = np.linspace(-1, 1, 12).reshape(3, 4)
    checks.assert_close((expected * (1 + 1e-5)).astype(np.float32), expected, "tanh", "out", np.float32)
    with pytest.raises(GradingFailure):
        checks.assert_close(expected * (1 + 1e-5), expected, "tanh", "out")


def test_values_are_judged_at_the_precision_of_the_dtype_returned():
    """Does float32 returned for float64 inputs get float32's tolerance (its dtype is the dtype tests'
    business), while float64 returned is still held to float64's?"""
    expected = np.linspace(-1, 1, 12).reshape(3, 4)
    checks.assert_close((expected * (1 + 1e-5)).astype(np.float32), expected, "tanh", "out", np.float64)
    with pytest.raises(GradingFailure):
        checks.assert_close((expected * (1 + 1e-3)).astype(np.float32), expected, "tanh", "out", np.float64)
    with pytest.raises(GradingFailure):
        checks.assert_close(expected * (1 + 1e-5), expected, "tanh", "out", np.float64)


def test_expect_dtype_fails_with_the_cause_dtype():
    """Do the dtype tests name the output, both dtypes, and give the failure the cause "dtype"?"""
    grads = {"W_xh": np.zeros((2, 2)), "b_h": np.zeros(2, np.float32)}
    checks.expect_dtype(grads["W_xh"], "rnn_step_backward", "dx", "float64")
    with pytest.raises(GradingFailure, match=re.escape("db_h has dtype float32, expected float64")) as failure:
        checks.expect_dtype(grads, "rnn_step_backward", "grads", "float64")
    assert failure.value.cause == "dtype"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_assert_close_passes_exactly_where_numpys_isclose_does(dtype):
    """Its fast path must agree with np.isclose at the tolerance's edge, both ways."""
    rng = np.random.default_rng(5)
    tol = checks.tolerance(dtype)
    for _ in range(400):
        expected = rng.standard_normal((3, 4)) * 10.0 ** rng.integers(-12, 3)
        bound = tol["atol"] + tol["rtol"] * np.abs(expected)
        got = (expected + bound * rng.uniform(-1.02, 1.02, expected.shape)).astype(dtype)
        should_pass = bool(np.isclose(got, expected, **tol).all())
        try:
            checks.assert_close(got, expected, "tanh", "out", dtype)
            passed = True
        except GradingFailure:
            passed = False
        assert passed == should_pass
