"""Checks on what a student's function returned, each failing with feedback a
student can act on: which function, which output, where, got vs expected.

Nothing here trusts the value it is given: it may be a `Foreign` description,
the wrong shape or dtype, or hold nan. Arrays are validated before any
comparison, and comparisons run here, in the grader, never in the worker.
"""
import functools

import numpy as np

from autograder import contract
from autograder.failures import GradingFailure
from autograder.sandbox.outside.student_code import Foreign

# Agreement with the reference. Correct float64 code, however written, lands
# within ~1e-13 of it; float32 code within ~1e-6 of the float64 answer.
TOLERANCE = {"float64": {"rtol": 1e-7, "atol": 1e-9},
             "float32": {"rtol": 2e-4, "atol": 2e-5}}


FLOAT_DTYPES = frozenset(map(np.dtype, TOLERANCE))   # a set of dtypes: no Python-level dtype.name per check


@functools.cache
def tolerance(dtype):
    return TOLERANCE[np.dtype(dtype).name]


def outputs(returned, function):
    """The returned values as a tuple of the contract's length."""
    value = returned.value
    names = contract.returns(function)
    if len(names) == 1:
        return (value,)
    if not isinstance(value, tuple) or len(value) != len(names):
        raise GradingFailure(
            f"{function} must return a tuple ({', '.join(names)}); it returned {describe(value)}", cause="type")
    return value


def describe(value):
    if isinstance(value, Foreign):
        return value.description
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} values"
    if isinstance(value, list):
        return f"a list of {len(value)} values"
    if isinstance(value, dict):
        return f"a dict with keys {sorted(value)}"
    return "None" if value is None else type(value).__name__


def expect_array(value, function, output, shape):
    """`value` as a float32 or float64 ndarray of exactly `shape`, all finite.

    The dtype is not held against a value test: which float dtype a function
    returns is the dtype tests' business (`expect_dtype`), and values are
    judged at the precision of the dtype returned (`assert_close`).
    """
    where = f"{function}: {output}"
    if not isinstance(value, np.ndarray):
        raise GradingFailure(f"{where} should be a NumPy array of shape {tuple(shape)}; got {describe(value)}",
                             cause="type")
    if value.shape != tuple(shape):
        raise GradingFailure(f"{where} has shape {value.shape}, expected {tuple(shape)}. "
                             f"Check which axes you sum or reshape over.", cause="shape")
    if value.dtype not in FLOAT_DTYPES:
        raise GradingFailure(f"{where} has dtype {value.dtype}; it should be the input's floating dtype "
                             f"(float64 or float32)", cause="dtype")
    finite = np.isfinite(value)
    if not finite.all():
        bad = ~finite
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GradingFailure(f"{where} holds {int(bad.sum())} non-finite entries (first at index {index}: "
                             f"{value[index]}). Check for overflow: e.g. exp of a large number.")
    return value


def expect_dtype(value, function, output, dtype):
    """The dtype tests: `value` (an array, or a dict or list of them) has exactly `dtype`."""
    if isinstance(value, dict):
        for key, item in value.items():
            expect_dtype(item, function, grad_name(output, key), dtype)
    elif isinstance(value, (list, tuple)):
        for layer, item in enumerate(value):
            expect_dtype(item, function, f"{output}[{layer}]", dtype)
    elif isinstance(value, np.ndarray) and value.dtype != np.dtype(dtype):
        raise GradingFailure(f"{function}: {output} has dtype {value.dtype}, expected {np.dtype(dtype)} (the "
                             f"input's). Create arrays with *_like or dtype=x.dtype, never a bare np.zeros(shape), "
                             f"and never cast to a fixed dtype.", cause="dtype")


def expect_grads(value, function, output, expected):
    """`value` as a dict with exactly `expected`'s keys and shapes (see expect_array)."""
    if not isinstance(value, dict):
        raise GradingFailure(f"{function}: {output} should be a dict of arrays; got {describe(value)}",
                             cause="type")
    missing, extra = sorted(set(expected) - set(value)), sorted(set(value) - set(expected))
    if missing or extra:
        raise GradingFailure(f"{function}: {output} must have exactly the params' keys; "
                             f"missing {missing}, unexpected {extra}", cause="type")
    return {key: expect_array(value[key], function, grad_name(output, key), ref.shape)
            for key, ref in expected.items()}


@functools.cache
def judged_at(inputs_dtype, returned_dtype):
    """The tolerance of the coarser of two float dtypes: values are judged at it."""
    coarser = max(np.dtype(inputs_dtype), np.dtype(returned_dtype), key=lambda d: np.finfo(d).eps)
    return tolerance(coarser)


def assert_close(got, expected, function, output, dtype=None):
    """Fail with the location of the largest disagreement if not allclose.

    dtype: the inputs' dtype (default: expected's). The tolerance is that of
    the coarser of it and the dtype `got` has: float64 code is held to float64
    accuracy, and code that returns float32 to float32 accuracy (its dtype
    costs it the dtype tests, not this one).
    """
    got = expect_array(got, function, output, expected.shape)
    tol = judged_at(dtype or expected.dtype, got.dtype)
    expected = np.asarray(expected, dtype=np.float64)
    # np.isclose's test for finite values, without its overhead (the common case: all close)
    if (np.abs(got - expected) <= tol["atol"] + tol["rtol"] * np.abs(expected)).all():
        return
    close = np.isclose(got, expected, **tol)
    if close.all():
        return
    error = np.abs(got.astype(np.float64) - expected)
    index = np.unravel_index(np.argmax(np.where(close, 0, error)), error.shape)
    index = tuple(int(i) for i in index)
    raise GradingFailure(
        f"{function}: {output} differs from the expected values at index {index}{step_of(output, index)}: "
        f"got {got[index]:.6g}, expected {expected[index]:.6g} "
        f"({int((~close).sum())} of {close.size} entries differ; relative error "
        f"{relative_error(got, expected):.1e})")


def assert_all_close(got, expected, function, output, dtype=None):
    """assert_close over an array, a dict (gradients) or a list of dicts (stacked layers).

    dtype: the inputs' dtype (the reference's results may be float64).
    """
    if isinstance(expected, dict):
        got = expect_grads(got, function, output, expected)
        for key in expected:
            assert_close(got[key], expected[key], function, grad_name(output, key), dtype)
    elif isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            raise GradingFailure(f"{function}: {output} should be a list of {len(expected)} dicts; "
                                 f"got {describe(got)}", cause="type")
        for layer, (g, e) in enumerate(zip(got, expected)):
            assert_all_close(g, e, function, f"{output}[{layer}]", dtype)
    else:
        assert_close(got, expected, function, output, dtype)


def grad_name(output, key):
    """'grads', 'W_hf' -> 'dW_hf' (the name the slides use); else "grads_fwd['W_hf']"."""
    if output == "grads":
        return "d" + key
    return f"{output}[{key!r}]"


def step_of(output, index):
    """' (time step t=2)' for sequence arrays of shape (N, T, ...)."""
    if output.lstrip("d").startswith(("H", "X")) and len(index) == 3:
        return f" (batch row {index[0]}, time step t={index[1]})"
    return ""


def relative_error(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def assert_unmodified(returned, function):
    """The worker reports arguments whose contents changed during the call."""
    if returned.mutated:
        raise GradingFailure(f"{function} modified its arguments in place: {', '.join(returned.mutated)}. "
                             f"Work on copies (e.g. x = x + y, not x += y) and never change params or the upstream "
                             f"gradient.", cause="mutation")


def as_float64(tree):
    """A copy of arrays / dicts / lists of arrays in float64; texts and integer
    arrays (token ids) are left as they are."""
    if isinstance(tree, dict):
        return {k: as_float64(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [as_float64(v) for v in tree]
    if isinstance(tree, str) or (isinstance(tree, np.ndarray) and tree.dtype.kind in "iu"):
        return tree
    return np.asarray(tree, dtype=np.float64)
