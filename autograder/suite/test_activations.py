"""Part 1: sigmoid, tanh and their derivatives."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from autograder.failures import GradingFailure
from autograder.suite.diagnosis import call_example, observing
from autograder.suite.checks import assert_close, expect_array, expect_dtype
from autograder.suite.work_done import require_work

ACTIVATIONS = ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime")

# Any shape, values where all four functions are far from saturation and
# where they saturate.
Z = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
               elements=st.floats(-40, 40, allow_subnormal=False))
# Where naive formulas overflow: e^710 is inf in float64, e^89 in float32.
EXTREME_64 = np.array([-1e4, -1000.0, -710.0, -709.0, -40.0, 0.0, 40.0, 709.0, 710.0, 1000.0, 1e4])
EXTREME_32 = np.array([-1e4, -100.0, -89.0, -88.0, -20.0, 0.0, 20.0, 88.0, 89.0, 100.0, 1e4], np.float32)


def student_value(student, function, z, seen=lambda returned: returned):
    out = seen(student.call(function, z)).value
    return expect_array(out, function, "its result", z.shape)


def check_matches(student, ref, function, z):
    with observing(call_example(function, [z])) as seen:
        assert_close(student_value(student, function, z, seen), getattr(ref, function)(z), function, "the result")


@given(z=Z)
def test_sigmoid_matches_reference(student, ref, z):
    """sigmoid matches σ(z) = 1 / (1 + e^(−z))"""
    check_matches(student, ref, "sigmoid", z)


@given(z=Z)
def test_sigmoid_prime_matches_reference(student, ref, z):
    """sigmoid_prime matches σ(z)(1 − σ(z)), taken at the pre-activation z"""
    check_matches(student, ref, "sigmoid_prime", z)


@given(z=Z)
def test_tanh_matches_reference(student, ref, z):
    """tanh matches tanh(z)"""
    check_matches(student, ref, "tanh", z)


@given(z=Z)
def test_tanh_prime_matches_reference(student, ref, z):
    """tanh_prime matches 1 − tanh(z)², taken at the pre-activation z"""
    check_matches(student, ref, "tanh_prime", z)


@pytest.mark.parametrize("function", ACTIVATIONS)
def test_activations_stable_at_extreme_inputs(student, ref, function):
    """activations are finite and exact at |z| up to 1e4, in float64 and float32"""
    for z in (EXTREME_64, EXTREME_32):
        with observing(call_example(function, [z])) as seen:
            returned = seen(student.call(function, z))
            got = expect_array(returned.value, function, f"its result at z = {z.tolist()} ({z.dtype})", z.shape)
            try:
                assert_close(got, getattr(ref, function)(z.astype(np.float64)), function,
                             f"the result at extreme z ({z.dtype})", z.dtype)
            except GradingFailure as failure:
                hint = f" Warnings raised: {'; '.join(returned.warnings)}." if returned.warnings else ""
                raise GradingFailure(f"{failure}.{hint}") from None


# float32 at every number of dimensions (a fixed-dtype array slips in most
# easily there), float64 once.
DTYPES_AND_SHAPES = [(np.float32, shape) for shape in [(), (7,), (2, 3), (2, 3, 4)]] + [(np.float64, (2, 3, 4))]


@pytest.mark.parametrize("function", ACTIVATIONS)
def test_activations_keep_dtype_and_shape(student, ref, function):
    """activations return the input's dtype (float64 and float32) and shape, for 0-d to 3-d arrays"""
    for dtype, shape in DTYPES_AND_SHAPES:
        z = np.linspace(-3, 3, int(np.prod(shape))).reshape(shape).astype(dtype)
        with observing(call_example(function, [z])) as seen:
            got = student_value(student, function, z, seen)
            expect_dtype(got, function, f"the result for a {np.dtype(dtype)} array of shape {shape}", dtype)
            assert_close(got, getattr(ref, function)(z.astype(np.float64)), function,
                         f"the result for a {np.dtype(dtype)} array of shape {shape}", dtype)


# How exactly each identity must hold, by the dtype the function returns
# (values are judged at its precision): both sides are a few roundings apart.
SYMMETRY_TOLERANCE = {"float64": {"rtol": 1e-9, "atol": 1e-12}, "float32": {"rtol": 1e-5, "atol": 1e-6}}
# Each function's identity: (z -> left side, z -> right side, the identity), from its own values.
SYMMETRIES = {
    "sigmoid": (lambda value, z: value(-z), lambda value, z: 1 - value(z), "σ(−z) = 1 − σ(z)"),
    "tanh": (lambda value, z: value(-z), lambda value, z: -value(z), "tanh(−z) = −tanh(z)"),
    "sigmoid_prime": (lambda value, z: value(-z), lambda value, z: value(z), "σ'(−z) = σ'(z)"),
    "tanh_prime": (lambda value, z: value(-z), lambda value, z: value(z), "tanh'(−z) = tanh'(z)"),
}
# Where the identities are checked: from far in saturation to zero, densely
# near zero, where the functions bend (an identity holds everywhere or fails
# on most of these).
SYMMETRY_Z = np.concatenate([-np.geomspace(40, 1e-3, 60), [0.0], np.geomspace(1e-3, 40, 60)]).reshape(11, 11)


@pytest.mark.parametrize("function", ACTIVATIONS)
def test_activation_symmetries(student, ref, function):
    """keeps its symmetry (σ(−z) = 1 − σ(z); tanh odd; σ' and tanh' even)"""
    require_work(student, ref, function)
    value = lambda at: student_value(student, function, at)
    left_of, right_of, identity = SYMMETRIES[function]
    z = SYMMETRY_Z
    left, right = left_of(value, z), right_of(value, z)
    if not np.allclose(left, right, **SYMMETRY_TOLERANCE[np.result_type(left, right).name]):
        index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(left - right)), left.shape))
        raise GradingFailure(f"{function}: {identity} does not hold at z = {z[index]:.6g}: "
                             f"{left[index]:.6g} vs {right[index]:.6g}")
