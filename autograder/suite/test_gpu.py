"""GPU parity (counted only with --gpu): every contract function on device arrays.

Each function runs three ways on the same inputs, in float64 and float32: in
the GPU worker on device arrays (CuPy, or the stand-in of devices/standin.py),
in the ordinary worker on NumPy arrays, and in the reference. The device run
must give back device arrays (nothing may leave the device), must not pull
values to the host one by one, and must agree with the student's own NumPy
result and with the reference within tolerances measured for GPU arithmetic.
A backward function gets the cache of its own forward's device run.

Without --gpu, or with no device to run on, every test here is skipped (and
the report gives it 0 of 0 points). The `device_student` and `device`
fixtures are the suite's conftest's.
"""
import re

import numpy as np
import pytest

from autograder import contract
from autograder.failures import GradingFailure, StudentCallFailed
from autograder.sandbox.outside.student_code import LEFT_DEVICE, Foreign
from autograder.suite import lessons, problems
from autograder.suite.checks import (as_float64, describe, expect_array, expect_dtype, grad_name, outputs,
                                     relative_error)
from autograder.suite.inputs import Case
from autograder.suite.work_done import NORMS

DTYPES = ("float64", "float32")
# Sizes at which a Python loop over the entries of one step's state (N·H = 28)
# or of the gradients (clip_gradients: 98 entries) costs far more host
# synchronisations than SYNCS_ALLOWED, while legitimate code (a float() per
# gradient array, one `if norm > max_norm`) stays well below it.
GPU_CASE = Case(N=4, T=5, D=6, H=7, seed=29)
SYNCS_ALLOWED = 16

# How far a device run may be from the student's own NumPy run and from the
# reference. Measured on the reference solution with the stand-in device at
# AUTOGRADER_DEVICE=standin:ulps=2 (GPU-sized rounding differences: 2 ulps on
# every transcendental function, reordering error on every sum and matrix
# product), worst entry over all the functions and 20 seeds, as the rtol needed
# with atol in the ratio below: float64 1.03e-12, float32 1.08e-4 (rnn_backward:
# 1 − h² near saturation amplifies the last bits of tanh), both linear in the
# ulps. Chosen >= 10x above (tests/suite/test_gpu_parity.py re-measures; docs/instructors.md).
SELF_TOLERANCE = {"float64": {"rtol": 1e-10, "atol": 1e-12},
                  "float32": {"rtol": 2e-3, "atol": 2e-4}}
# Against the float64 reference: the CPU tests' float64 tolerance (device
# noise is 1e5x below it); float32 as above (NumPy's own float32 error,
# 1e-5, is 10x below the device's).
REFERENCE_TOLERANCE = {"float64": {"rtol": 1e-7, "atol": 1e-9},
                       "float32": {"rtol": 2e-3, "atol": 2e-4}}

BACKWARDS = {"rnn_step_backward": problems.rnn_step, "rnn_backward": problems.rnn_sequence,
             "lstm_step_backward": problems.lstm_step, "lstm_backward": problems.lstm_sequence,
             "bilstm_backward": problems.bilstm, "stacked_lstm_backward": problems.stacked,
             "gru_step_backward": problems.gru_step, "gru_backward": problems.gru_sequence}
FORWARD_PROBLEMS = {problem(GPU_CASE).forward: problem for problem in BACKWARDS.values()}
FORWARD_PROBLEMS.update(NORMS)   # the gradient norms take their sequence pass's arguments
# encode reads a text and returns NumPy ids by contract: nothing of it runs on a device.
HOST_ONLY = ("encode",)
FORWARDS = tuple(f for f in contract.FUNCTIONS if f not in BACKWARDS and f not in HOST_ONLY)

# Likely causes, for the feedback.
CREATED = ("it created an array with numpy instead of the input's array module (np.zeros(shape)?); "
           "use np.zeros_like(x), or xp = array_module(x) and xp.zeros(shape, dtype=x.dtype)")
CONVERTED = "it converted a device array to a NumPy array (np.asarray / np.array?); keep the input's arrays"
TO_HOST = "it copied a device array to the host (.get() / asnumpy?)"
LISTS = "it went through Python lists (.tolist()); compute with whole-array operations"
CREATED_OR_CONVERTED = ("it mixes NumPy and device arrays: it created an array with numpy instead of the input's "
                        "array module (np.zeros(shape)?) or converted one with np.asarray / .get() / .tolist()")
CONVERSION = re.compile(r"\b(asarray|asanyarray|array|ascontiguousarray)\(")
MIXING_ERRORS = ("Implicit conversion to a NumPy array", "Unsupported type <class 'numpy.ndarray'>",
                 "numpy.ndarray")


def arrays_of(device):
    """How the feedback names the device's arrays."""
    return "CuPy arrays" if device is not None and device.name == "cupy" else "device arrays"


@pytest.mark.parametrize("function", FORWARDS)
def test_gpu_outputs_match(device_student, device, student, ref, function):
    """on device arrays: stays on the device and matches your NumPy result and the reference"""
    for dtype in DTYPES:
        args = forward_arguments(function, GPU_CASE.as_dtype(dtype))
        own = outputs(student.call(function, *args), function)
        on_device = device_call(device_student, device, function, args)
        expected = problems.reference_outputs(ref, function, args)
        check_parity(function, on_device, own, expected, dtype, arrays_of(device))


@pytest.mark.parametrize("function", tuple(BACKWARDS))
def test_gpu_gradients_match(device_student, device, student, ref, function):
    """on device arrays (cache from the device forward): gradients stay on the device and match"""
    for dtype in DTYPES:
        problem = BACKWARDS[function](GPU_CASE.as_dtype(dtype))
        at = contract.returns(problem.forward).index("cache")
        own_cache = outputs(student.call(problem.forward, *problem.args()), problem.forward)[at]
        own = outputs(student.call(function, *problem.upstream, own_cache, **problem.backward_kwargs), function)
        device_forward = device_call(device_student, device, problem.forward, problem.args(), for_backward=function)
        device_cache = outputs(device_forward, problem.forward)[at]
        on_device = device_call(device_student, device, function, [*problem.upstream, device_cache],
                                problem.backward_kwargs)
        ref_cache = problems.reference_outputs(ref, problem.forward, problem.args())[at]
        expected = getattr(ref, function)(*as_float64(problem.upstream), ref_cache, **problem.backward_kwargs)
        check_parity(function, on_device, own, expected, dtype, arrays_of(device))


# --- inputs ---------------------------------------------------------------

def forward_arguments(function, case):
    """The positional arguments of a non-backward contract function."""
    if function in FORWARD_PROBLEMS:
        return FORWARD_PROBLEMS[function](case).args()
    rng = case.rng(9)
    sample = lambda low, high: rng.uniform(low, high, (case.N, case.H)).astype(case.dtype)
    if function in ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime"):
        return [case.normal(case.N + 1, case.H + 1, scale=3.0)]
    if function in ("forget_gate", "input_gate", "input_node", "output_gate"):
        return [case.x(), case.state(), case.lstm_params()]
    if function == "cell_state":
        return [sample(0.05, 0.95), sample(0.05, 0.95), sample(-0.95, 0.95), case.state()]
    if function == "hidden_state":
        return [sample(0.05, 0.95), case.state() * 2]
    if function == "clip_gradients":  # norm ≈ 50: clipping happens
        return [{k: v * 10 for k, v in case.rnn_params().items()}, 1.0]
    if function == "embed":  # ids with repeats (T > V), int64 on the device too
        return [lessons.token_ids(case.T - 1, case.T, case.seed), lessons.embedding(case.T - 1, case.D, case.seed,
                                                                                      case.dtype)]
    raise KeyError(f"no GPU inputs for {function}")


# --- the device run -------------------------------------------------------

def device_call(device_student, device, function, args, kwargs=None, for_backward=None):
    """Call `function` on device arrays; a failure there (not on NumPy) says so, with the likely cause.

    for_backward: the call only makes that backward's cache; its outputs are
    left to the forward's own GPU test.
    """
    try:
        returned = device_student.call(function, *args, on_device=True, **(kwargs or {}))
    except StudentCallFailed as failure:
        message = str(failure)
        cause = (CREATED_OR_CONVERTED if any(m in message for m in MIXING_ERRORS) else
                 "it uses something the array module of its input lacks: create and compute arrays "
                 "with the input's module (xp = array_module(x)), not numpy")
        what = f"{function} (run for the cache of {for_backward})" if for_backward else function
        caveat = getattr(device, "caveat", "")
        raise GradingFailure(f"{what} works on NumPy arrays but failed on {arrays_of(device)}: {message}\n"
                             f"Likely cause: {cause}." + (f"\nNote: {caveat}." if caveat else "")) from None
    if for_backward is None:
        check_on_device(function, returned, arrays_of(device))
    return returned


def check_on_device(function, returned, arrays):
    """Every array output is a device array, nothing went through the host on the
    way, and the call did not read scalars off the device in a loop."""
    names = contract.returns(function)
    left = [path for name, value in zip(names, outputs(returned, function)) if name != "cache"
            for path in left_device(value, name)]
    stats = returned.device or {}   # CuPy keeps none: only the result types count there
    where = f" (first at {stats['first_leak']})" if stats.get("first_leak") else ""
    if left:
        raise GradingFailure(
            f"{function} returned {', '.join(left[:4])}{' and more' if len(left) > 4 else ''} as NumPy arrays "
            f"for {arrays}: the result left the device{where}.\nLikely cause: {likely_cause(returned.device)}.")
    if stats.get("leaks"):
        raise GradingFailure(
            f"{function} copied data off the device during the call{where}, although its results are device "
            f"arrays.\nLikely cause: {likely_cause(stats)}.")
    if stats.get("syncs", 0) > SYNCS_ALLOWED:
        kinds = ", ".join(f"{count} × {kind}" for kind, count in sorted(stats["sync_kinds"].items()))
        raise GradingFailure(
            f"{function} read values from the device one at a time, {stats['syncs']} times in one call "
            f"({kinds}; at most {SYNCS_ALLOWED} expected).\nLikely cause: a float from .item() / float() in a "
            f"loop over entries; on a GPU each one waits for the device. Compute with whole-array operations "
            f"of the input's array module instead.")


def left_device(value, path):
    """Paths of plain NumPy arrays (Foreign(LEFT_DEVICE)) in a decoded result."""
    if isinstance(value, Foreign) and value.description == LEFT_DEVICE:
        return [path]
    if isinstance(value, dict):
        return [p for key, v in value.items() for p in left_device(v, grad_name(path, key))]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in left_device(v, f"{path}[{i}]")]
    return []


def likely_cause(stats):
    """The likeliest way data left the device, from the device's stats (None: CuPy's, not kept)."""
    if stats is None:
        return CREATED_OR_CONVERTED
    kind = stats.get("first_leak_kind", "")
    if kind == "tolist":
        return LISTS
    if kind == "get":
        return TO_HOST
    if kind == "__array__" and CONVERSION.search(stats.get("first_leak", "")):
        return CONVERTED
    return CREATED


# --- comparisons ----------------------------------------------------------

def check_parity(function, on_device, own, expected, dtype, arrays):
    """Device outputs against the student's NumPy outputs, then against the reference."""
    for name, d, o, e in zip(contract.returns(function), outputs(on_device, function), own, expected):
        if name == "cache":
            continue
        agree(d, o, function, name, dtype, SELF_TOLERANCE[dtype], "your own result on NumPy arrays", arrays)
        agree(d, e, function, name, dtype, REFERENCE_TOLERANCE[dtype], "the reference", arrays,
              note=" (your NumPy result differs from it too: see the CPU tests)" if not close_tree(o, e, dtype) else "")


def agree(got, expected, function, output, dtype, tol, against, arrays, note=""):
    """Fail, naming the place, where the device's `got` is not close to `expected`."""
    if isinstance(expected, dict):
        if not isinstance(got, dict) or sorted(got) != sorted(expected):
            raise GradingFailure(f"{function}: {output} on {arrays} should be a dict with keys "
                                 f"{sorted(expected)}; got {describe(got)}")
        for key in expected:
            agree(got[key], expected[key], function, grad_name(output, key), dtype, tol, against, arrays, note)
        return
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            raise GradingFailure(f"{function}: {output} on {arrays} should be a list of "
                                 f"{len(expected)}; got {describe(got)}")
        for i, (g, e) in enumerate(zip(got, expected)):
            agree(g, e, function, f"{output}[{i}]", dtype, tol, against, arrays, note)
        return
    if not isinstance(expected, np.ndarray):
        return  # the NumPy run already returned something odd: the CPU tests say what
    got = expect_array(got, function, f"{output} on {arrays}", expected.shape)
    expect_dtype(got, function, f"{output} on {arrays}", dtype)
    expected = expected.astype(np.float64)
    close = np.isclose(got.astype(np.float64), expected, **tol)
    if close.all():
        return
    error = np.abs(got.astype(np.float64) - expected)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(np.where(close, 0, error)), error.shape))
    raise GradingFailure(
        f"{function}: {output} on {arrays} ({dtype}) differs from {against}{note} at index {index}: "
        f"got {got[index]:.8g}, expected {expected[index]:.8g} ({int((~close).sum())} of {close.size} entries "
        f"differ; relative error {relative_error(got, expected):.1e}).")


def close_tree(got, expected, dtype):
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(close_tree(got.get(k), v, dtype) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(close_tree(g, e, dtype) for g, e in zip(got, expected)))
    return (isinstance(got, np.ndarray) and got.shape == expected.shape
            and bool(np.allclose(got, expected, **REFERENCE_TOLERANCE[dtype])))
