"""Properties of the reference that hold for every input, checked with Hypothesis.

Mathematical identities of the activations, bounds on gates and states,
batch rows that never mix, sums (not means) over the batch, the contract's
shapes and dtypes (float32 stays float32), arguments left unmodified,
sequence functions that agree with their step functions, and gradient
clipping. Every problem is non-degenerate: N ≥ 2, D ≠ H, T ≥ 3.
"""
import copy
import math
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st

import activations
import gru
import lstm
import rnn
import sequences
from reference_harness import (
    DTYPES,
    FLOAT_DTYPES,
    PROFILE,
    SEEDS,
    SHAPES,
    Shapes,
    gaussian,
    gru_params,
    lstm_params,
    rnn_params,
)

ACTIVATIONS = (activations.sigmoid, activations.sigmoid_prime, activations.tanh, activations.tanh_prime)
SMALL_ARRAY_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6)
# Values that overflow a naive e^(−z) (float64 past 709.78, float32 past 88.72).
HUGE = [(np.float64, 1e4), (np.float64, 710.0), (np.float64, 1.7e308), (np.float32, 100.0), (np.float32, 3e38)]


def float_arrays(dtype, shape, bound):
    """Arrays of `dtype` and `shape` with finite elements in [−bound, bound]."""
    width = 8 * np.dtype(dtype).itemsize
    return hnp.arrays(dtype, shape, elements=st.floats(-bound, bound, width=width))


def eps(dtype):
    return float(np.finfo(dtype).eps)


# ------------------------------------------------------------- activations


@PROFILE
@given(dtype=FLOAT_DTYPES, data=st.data())
def test_sigmoid_of_minus_z_is_one_minus_sigmoid_of_z(dtype, data):
    z = data.draw(float_arrays(dtype, SMALL_ARRAY_SHAPES, 60.0), label="z")
    np.testing.assert_allclose(activations.sigmoid(-z), 1 - activations.sigmoid(z), rtol=0, atol=2 * eps(dtype))


@PROFILE
@given(dtype=FLOAT_DTYPES, data=st.data())
def test_tanh_is_odd(dtype, data):
    z = data.draw(float_arrays(dtype, SMALL_ARRAY_SHAPES, 60.0), label="z")
    np.testing.assert_allclose(activations.tanh(-z), -activations.tanh(z), rtol=0, atol=eps(dtype))


@PROFILE
@given(z=float_arrays(np.float64, SMALL_ARRAY_SHAPES, 20.0))
def test_sigmoid_prime_and_tanh_prime_match_central_differences(z):
    h = 1e-5  # central-difference error about h²|f'''|/6 + ε/h ≈ 3e-11
    for f, f_prime in ((activations.sigmoid, activations.sigmoid_prime), (activations.tanh, activations.tanh_prime)):
        numerical = (f(z + h) - f(z - h)) / (2 * h)
        np.testing.assert_allclose(f_prime(z), numerical, rtol=0, atol=1e-9, err_msg=f.__name__)


@pytest.mark.parametrize("dtype, value", HUGE)
def test_activations_are_finite_correct_and_silent_at_huge_inputs(dtype, value):
    z = np.array([-value, value, 0.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning (overflow, invalid) fails the test
        outputs = {f.__name__: f(z) for f in ACTIVATIONS}
    expected = {"sigmoid": [0, 1, 0.5], "sigmoid_prime": [0, 0, 0.25], "tanh": [-1, 1, 0], "tanh_prime": [0, 0, 1]}
    for name, output in outputs.items():
        assert output.dtype == dtype, name
        np.testing.assert_allclose(output, np.array(expected[name], dtype=dtype), rtol=0, atol=eps(dtype), err_msg=name)


@pytest.mark.parametrize("dtype, scale", [(np.float64, 1e4), (np.float64, 710.0), (np.float32, 100.0)])
def test_layers_are_finite_and_silent_for_huge_inputs(dtype, scale):
    """Pre-activations far past e^z's overflow give finite states and gradients, no warning."""
    s = Shapes(N=3, T=4, D=4, H=5)
    rng = np.random.default_rng(0)
    X, h0, c0 = gaussian(rng, (s.N, s.T, s.D), dtype, scale), gaussian(rng, (s.N, s.H), dtype), gaussian(rng, (s.N, s.H), dtype)
    dH = gaussian(rng, (s.N, s.T, s.H), dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = {
            "rnn": rnn.rnn_backward(dH, rnn.rnn_forward(X, h0, rnn_params(rng, s.D, s.H, dtype))[1]),
            "lstm": lstm.lstm_backward(dH, lstm.lstm_forward(X, h0, c0, lstm_params(rng, s.D, s.H, dtype))[1]),
            "gru": gru.gru_backward(dH, gru.gru_forward(X, h0, gru_params(rng, s.D, s.H, dtype))[1]),
            "lstm gates": [f(X[:, 0], h0, lstm_params(rng, s.D, s.H, dtype))
                           for f in (lstm.forget_gate, lstm.input_gate, lstm.input_node, lstm.output_gate)],
        }
    for name, arrays in results.items():
        for array in leaves(arrays):
            assert np.all(np.isfinite(array)), name
            assert array.dtype == dtype, name


# ------------------------------------------------------- gates and states


@PROFILE
@given(shapes=SHAPES, dtype=FLOAT_DTYPES, seed=SEEDS, data=st.data())
def test_gates_lie_in_the_unit_interval_and_the_input_node_in_minus_one_one(shapes, dtype, seed, data):
    x = data.draw(float_arrays(dtype, (shapes.N, shapes.D), 1e4), label="x")
    h_prev = data.draw(float_arrays(dtype, (shapes.N, shapes.H), 1e4), label="h_prev")
    params = lstm_params(np.random.default_rng(seed), shapes.D, shapes.H, dtype, scale=3.0)
    for gate in (lstm.forget_gate, lstm.input_gate, lstm.output_gate):
        value = gate(x, h_prev, params)
        assert np.all((0 <= value) & (value <= 1)), gate.__name__
    C_tilde = lstm.input_node(x, h_prev, params)
    assert np.all((-1 <= C_tilde) & (C_tilde <= 1))


@PROFILE
@given(shapes=SHAPES, dtype=FLOAT_DTYPES, seed=SEEDS, scale=st.floats(0.1, 10.0), data=st.data())
def test_lstm_hidden_states_never_exceed_one_in_magnitude(shapes, dtype, seed, scale, data):
    rng = np.random.default_rng(seed)
    X = data.draw(float_arrays(dtype, (shapes.N, shapes.T, shapes.D), 100.0), label="X")
    c0 = data.draw(float_arrays(dtype, (shapes.N, shapes.H), 100.0), label="c0")
    H, _ = lstm.lstm_forward(X, gaussian(rng, (shapes.N, shapes.H), dtype), c0, lstm_params(rng, shapes.D, shapes.H, dtype, scale))
    assert np.all(np.abs(H) <= 1)


@PROFILE
@given(shapes=SHAPES, dtype=FLOAT_DTYPES, seed=SEEDS, data=st.data())
def test_gru_state_lies_between_the_previous_state_and_the_candidate(shapes, dtype, seed, data):
    """h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ with Z in [0, 1] is a convex combination, elementwise."""
    x = data.draw(float_arrays(dtype, (shapes.N, shapes.D), 3.0), label="x")
    h_prev = data.draw(float_arrays(dtype, (shapes.N, shapes.H), 3.0), label="h_prev")
    p = gru_params(np.random.default_rng(seed), shapes.D, shapes.H, dtype)
    h, _ = gru.gru_step_forward(x, h_prev, p)
    R = activations.sigmoid(x @ p["W_xr"] + p["b_r"] + h_prev @ p["W_hr"])
    H_tilde = activations.tanh(x @ p["W_xh"] + p["b_h"] + (R * h_prev) @ p["W_hh"])
    slack = 64 * eps(dtype) * (1 + np.abs(h_prev))  # rounding, and H̃ recomputed here in another order
    note(f"h={h}\nh_prev={h_prev}\nH_tilde={H_tilde}")
    assert np.all(np.minimum(h_prev, H_tilde) - slack <= h)
    assert np.all(h <= np.maximum(h_prev, H_tilde) + slack)


# ------------------------------------------------------- the batch dimension


def problem(shapes, dtype, seed):
    """Batch arrays (every one with N rows) and the parameters for every layer kind."""
    s, rng = shapes, np.random.default_rng(seed)
    batch = {
        "x": gaussian(rng, (s.N, s.D), dtype), "h": gaussian(rng, (s.N, s.H), dtype, 0.5),
        "c": gaussian(rng, (s.N, s.H), dtype), "dh": gaussian(rng, (s.N, s.H), dtype),
        "dc": gaussian(rng, (s.N, s.H), dtype), "X": gaussian(rng, (s.N, s.T, s.D), dtype),
        "dH": gaussian(rng, (s.N, s.T, s.H), dtype), "dH_bi": gaussian(rng, (s.N, s.T, 2 * s.H + 1), dtype),
    }
    params = {
        "rnn": rnn_params(rng, s.D, s.H, dtype), "lstm": lstm_params(rng, s.D, s.H, dtype),
        "lstm_bwd": lstm_params(rng, s.D, s.H + 1, dtype), "gru": gru_params(rng, s.D, s.H, dtype),
        "stack": [lstm_params(rng, s.D, s.H + 1, dtype), lstm_params(rng, s.H + 1, s.H, dtype)],
    }
    return batch, params


# A pipeline runs a forward and a backward pass on the batch arrays and
# returns (outputs with a row per batch row, parameter gradients).


def rnn_step_pipeline(b, p):
    h, cache = rnn.rnn_step_forward(b["x"], b["h"], p["rnn"])
    dx, dh_prev, grads = rnn.rnn_step_backward(b["dh"], cache)
    return [h, dx, dh_prev], grads


def rnn_pipeline(b, p, truncate=None):
    H, cache = rnn.rnn_forward(b["X"], b["h"], p["rnn"])
    dX, dh0, grads = rnn.rnn_backward(b["dH"], cache, truncate)
    return [H, dX, dh0], grads


def lstm_step_pipeline(b, p):
    h, c, cache = lstm.lstm_step_forward(b["x"], b["h"], b["c"], p["lstm"])
    dx, dh_prev, dc_prev, grads = lstm.lstm_step_backward(b["dh"], b["dc"], cache)
    return [h, c, dx, dh_prev, dc_prev], grads


def lstm_pipeline(b, p):
    H, cache = lstm.lstm_forward(b["X"], b["h"], b["c"], p["lstm"])
    dX, dh0, dc0, grads = lstm.lstm_backward(b["dH"], cache)
    return [H, dX, dh0, dc0], grads


def bilstm_pipeline(b, p):
    H, cache = lstm.bilstm_forward(b["X"], p["lstm"], p["lstm_bwd"])
    dX, grads_fwd, grads_bwd = lstm.bilstm_backward(b["dH_bi"], cache)
    return [H, dX], [grads_fwd, grads_bwd]


def stacked_lstm_pipeline(b, p):
    H, cache = lstm.stacked_lstm_forward(b["X"], p["stack"])
    dX, grads = lstm.stacked_lstm_backward(b["dH"], cache)
    return [H, dX], grads


def gru_step_pipeline(b, p):
    h, cache = gru.gru_step_forward(b["x"], b["h"], p["gru"])
    dx, dh_prev, grads = gru.gru_step_backward(b["dh"], cache)
    return [h, dx, dh_prev], grads


def gru_pipeline(b, p):
    H, cache = gru.gru_forward(b["X"], b["h"], p["gru"])
    dX, dh0, grads = gru.gru_backward(b["dH"], cache)
    return [H, dX, dh0], grads


PIPELINES = {
    "rnn_step": rnn_step_pipeline,
    "rnn": rnn_pipeline,
    "rnn truncated": lambda b, p: rnn_pipeline(b, p, truncate=2),
    "lstm_step": lstm_step_pipeline,
    "lstm": lstm_pipeline,
    "bilstm": bilstm_pipeline,
    "stacked_lstm": stacked_lstm_pipeline,
    "gru_step": gru_step_pipeline,
    "gru": gru_pipeline,
}


def leaves(tree):
    """Every array in a nest of tuples, lists and dicts, in a fixed order."""
    if isinstance(tree, dict):
        return [a for key in sorted(tree) for a in leaves(tree[key])]
    if isinstance(tree, (list, tuple)):
        return [a for item in tree for a in leaves(item)]
    return [tree]


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
@settings(PROFILE, max_examples=8)
@given(shapes=SHAPES, seed=SEEDS, row=st.integers(0, 3))
def test_each_batch_row_depends_only_on_the_same_row_of_the_inputs(pipeline, shapes, seed, row):
    row %= shapes.N
    batch, params = problem(shapes, np.float64, seed)
    rows_before, _ = PIPELINES[pipeline](batch, params)
    others = np.arange(shapes.N) != row
    changed = {name: np.where(others.reshape((-1,) + (1,) * (a.ndim - 1)), a + 1.5, a) for name, a in batch.items()}
    rows_after, _ = PIPELINES[pipeline](changed, params)
    for k, (before, after) in enumerate(zip(rows_before, rows_after)):
        np.testing.assert_array_equal(before[row], after[row], err_msg=f"output {k}, row {row}")


@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
@settings(PROFILE, max_examples=8)
@given(shapes=SHAPES, seed=SEEDS)
def test_parameter_gradients_are_sums_not_means_over_the_batch(pipeline, shapes, seed):
    batch, params = problem(shapes, np.float64, seed)
    _, together = PIPELINES[pipeline](batch, params)
    separately = [PIPELINES[pipeline]({k: a[i:i + 1] for k, a in batch.items()}, params)[1] for i in range(shapes.N)]
    for k, total in enumerate(leaves(together)):
        np.testing.assert_allclose(total, sum(leaves(g)[k] for g in separately), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------ the contract's shapes


def contract_calls(shapes, dtype, seed):
    """name -> (function, args, expected): one call of every contract function.

    expected lists one entry per returned value: a shape, a dict of shapes
    (grads), a list of such dicts (grads per layer), or None (a cache).
    """
    s, rng = shapes, np.random.default_rng(seed)
    N, T, D, H = s.N, s.T, s.D, s.H
    batch, p = problem(shapes, dtype, seed)
    x, h, c, dh, dc, X, dH = (batch[k] for k in ("x", "h", "c", "dh", "dc", "X", "dH"))
    z = gaussian(rng, (N, T, H), dtype, 5.0)
    gate_values = [lstm.forget_gate(x, h, p["lstm"]), lstm.input_gate(x, h, p["lstm"]),
                   lstm.input_node(x, h, p["lstm"]), lstm.output_gate(x, h, p["lstm"])]

    def shapes_of(params):
        return {key: value.shape for key, value in params.items()}

    calls = {f.__name__: (f, (z,), [z.shape]) for f in ACTIVATIONS}
    calls |= {
        "rnn_step_forward": (rnn.rnn_step_forward, (x, h, p["rnn"]), [(N, H), None]),
        "rnn_step_backward": (rnn.rnn_step_backward, (dh, rnn.rnn_step_forward(x, h, p["rnn"])[1]),
                              [(N, D), (N, H), shapes_of(p["rnn"])]),
        "rnn_forward": (rnn.rnn_forward, (X, h, p["rnn"]), [(N, T, H), None]),
        "rnn_backward": (rnn.rnn_backward, (dH, rnn.rnn_forward(X, h, p["rnn"])[1]),
                         [(N, T, D), (N, H), shapes_of(p["rnn"])]),
        "rnn_backward truncated": (rnn.rnn_backward, (dH, rnn.rnn_forward(X, h, p["rnn"])[1], 2),
                                   [(N, T, D), (N, H), shapes_of(p["rnn"])]),
        "clip_gradients clipping": (rnn.clip_gradients, (p["rnn"], 0.1), [shapes_of(p["rnn"])]),
        "clip_gradients not clipping": (rnn.clip_gradients, (p["rnn"], 1e6), [shapes_of(p["rnn"])]),
    }
    calls |= {f.__name__: (f, (x, h, p["lstm"]), [(N, H)])
              for f in (lstm.forget_gate, lstm.input_gate, lstm.input_node, lstm.output_gate)}
    calls |= {
        "cell_state": (lstm.cell_state, (gate_values[0], gate_values[1], gate_values[2], c), [(N, H)]),
        "hidden_state": (lstm.hidden_state, (gate_values[3], c), [(N, H)]),
        "lstm_step_forward": (lstm.lstm_step_forward, (x, h, c, p["lstm"]), [(N, H), (N, H), None]),
        "lstm_step_backward": (lstm.lstm_step_backward, (dh, dc, lstm.lstm_step_forward(x, h, c, p["lstm"])[2]),
                               [(N, D), (N, H), (N, H), shapes_of(p["lstm"])]),
        "lstm_forward": (lstm.lstm_forward, (X, h, c, p["lstm"]), [(N, T, H), None]),
        "lstm_backward": (lstm.lstm_backward, (dH, lstm.lstm_forward(X, h, c, p["lstm"])[1]),
                          [(N, T, D), (N, H), (N, H), shapes_of(p["lstm"])]),
        "bilstm_forward": (lstm.bilstm_forward, (X, p["lstm"], p["lstm_bwd"]), [(N, T, 2 * H + 1), None]),
        "bilstm_backward": (lstm.bilstm_backward, (batch["dH_bi"], lstm.bilstm_forward(X, p["lstm"], p["lstm_bwd"])[1]),
                            [(N, T, D), shapes_of(p["lstm"]), shapes_of(p["lstm_bwd"])]),
        "stacked_lstm_forward": (lstm.stacked_lstm_forward, (X, p["stack"]), [(N, T, H), None]),
        "stacked_lstm_backward": (lstm.stacked_lstm_backward, (dH, lstm.stacked_lstm_forward(X, p["stack"])[1]),
                                  [(N, T, D), [shapes_of(layer) for layer in p["stack"]]]),
        "gru_step_forward": (gru.gru_step_forward, (x, h, p["gru"]), [(N, H), None]),
        "gru_step_backward": (gru.gru_step_backward, (dh, gru.gru_step_forward(x, h, p["gru"])[1]),
                              [(N, D), (N, H), shapes_of(p["gru"])]),
        "gru_forward": (gru.gru_forward, (X, h, p["gru"]), [(N, T, H), None]),
        "gru_backward": (gru.gru_backward, (dH, gru.gru_forward(X, h, p["gru"])[1]),
                         [(N, T, D), (N, H), shapes_of(p["gru"])]),
        "embed": (sequences.embed, (rng.integers(0, H, T + 2), gaussian(rng, (H, D), dtype)), [(1, T + 2, D)]),
        "rnn_gradient_norms": (sequences.rnn_gradient_norms, (X, h, p["rnn"]), [(T,)]),
        "lstm_gradient_norms": (sequences.lstm_gradient_norms, (X, h, c, p["lstm"]), [(T,)]),
        "gru_gradient_norms": (sequences.gru_gradient_norms, (X, h, p["gru"]), [(T,)]),
    }
    return calls


CONTRACT_FUNCTIONS = sorted(contract_calls(Shapes(2, 3, 2, 3), np.float64, 0))


def assert_structure(output, expected, dtype, where):
    """`output` has exactly the shapes (and keys) of `expected`, every array of `dtype`."""
    if expected is None:
        return  # a cache: opaque by contract
    if isinstance(expected, dict):
        assert isinstance(output, dict) and set(output) == set(expected), f"{where}: keys {sorted(output)}"
        for key in expected:
            assert_structure(output[key], expected[key], dtype, f"{where}[{key!r}]")
    elif isinstance(expected, list):
        assert isinstance(output, list) and len(output) == len(expected), f"{where}: {type(output).__name__}"
        for i, (item, spec) in enumerate(zip(output, expected)):
            assert_structure(item, spec, dtype, f"{where}[{i}]")
    else:
        assert isinstance(output, np.ndarray), f"{where}: {type(output).__name__}, not an ndarray"
        assert output.shape == expected, f"{where}: shape {output.shape}, expected {expected}"
        assert output.dtype == dtype, f"{where}: dtype {output.dtype}, expected {np.dtype(dtype)}"


def as_outputs(result, expected):
    """The returned values as a list: a bare array counts as one value."""
    return list(result) if len(expected) > 1 else [result]


@pytest.mark.parametrize("name", CONTRACT_FUNCTIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@settings(PROFILE, max_examples=5)
@given(shapes=SHAPES, seed=SEEDS)
def test_every_function_returns_the_documented_shapes_in_the_inputs_dtype(name, dtype, shapes, seed):
    function, args, expected = contract_calls(shapes, dtype, seed)[name]
    outputs = as_outputs(function(*args), expected)
    assert len(outputs) == len(expected), f"{name} returned {len(outputs)} values, expected {len(expected)}"
    for i, (output, spec) in enumerate(zip(outputs, expected)):
        assert_structure(output, spec, dtype, f"{name} value {i}")


def assert_same(before, after, where):
    """`after` equals the snapshot `before`: same structure, arrays equal and of the same dtype."""
    if isinstance(before, np.ndarray):
        assert after.dtype == before.dtype, where
        np.testing.assert_array_equal(after, before, err_msg=where)
    elif isinstance(before, dict):
        assert set(after) == set(before), where
        for key in before:
            assert_same(before[key], after[key], f"{where}[{key!r}]")
    elif isinstance(before, (list, tuple)):
        assert len(after) == len(before), where
        for i, (b, a) in enumerate(zip(before, after)):
            assert_same(b, a, f"{where}[{i}]")
    else:
        assert after == before, where


def read_only(tree):
    """Mark every array in a nest of tuples, lists and dicts read-only."""
    for array in leaves(tree):
        if isinstance(array, np.ndarray):
            array.flags.writeable = False


@pytest.mark.parametrize("name", CONTRACT_FUNCTIONS)
@settings(PROFILE, max_examples=5)
@given(shapes=SHAPES, seed=SEEDS)
def test_every_function_leaves_its_arguments_and_caches_unmodified(name, shapes, seed):
    """Arrays, dicts and caches are equal afterwards; read-only arguments raise nothing;
    a second call (a backward pass reusing its cache) returns the same values."""
    function, args, expected = contract_calls(shapes, np.float64, seed)[name]
    snapshot = copy.deepcopy(args)
    read_only(args)
    first = as_outputs(function(*args), expected)
    assert_same(snapshot, args, f"{name} arguments")
    second = as_outputs(function(*args), expected)
    for i, spec in enumerate(expected):
        if spec is not None:
            assert_same(first[i], second[i], f"{name} value {i} on the second call")


# ------------------------------------------- sequences built from their steps


@PROFILE
@given(shapes=SHAPES, seed=SEEDS)
def test_lstm_step_forward_is_the_slides_gate_functions_composed(shapes, seed):
    batch, p = problem(shapes, np.float64, seed)
    x, h_prev, c_prev = batch["x"], batch["h"], batch["c"]
    h, c, _ = lstm.lstm_step_forward(x, h_prev, c_prev, p["lstm"])
    F, I = lstm.forget_gate(x, h_prev, p["lstm"]), lstm.input_gate(x, h_prev, p["lstm"])
    C_tilde, O = lstm.input_node(x, h_prev, p["lstm"]), lstm.output_gate(x, h_prev, p["lstm"])
    c_expected = lstm.cell_state(F, I, C_tilde, c_prev)
    np.testing.assert_allclose(c, c_expected, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(h, lstm.hidden_state(O, c_expected), rtol=1e-13, atol=1e-14)


def chained_rnn_steps(b, p):
    """rnn_pipeline's outputs from rnn_step_forward / rnn_step_backward chained through time."""
    T = b["X"].shape[1]
    h, caches, H = b["h"], [], []
    for t in range(T):
        h, cache = rnn.rnn_step_forward(b["X"][:, t], h, p["rnn"])
        caches.append(cache)
        H.append(h)
    dh, dX, grads = np.zeros_like(h), [None] * T, []
    for t in reversed(range(T)):
        dX[t], dh, step_grads = rnn.rnn_step_backward(b["dH"][:, t] + dh, caches[t])
        grads.append(step_grads)
    return [np.stack(H, axis=1), np.stack(dX, axis=1), dh], summed(grads)


def chained_lstm_steps(b, p):
    """lstm_pipeline's outputs from lstm_step_forward / lstm_step_backward chained through time."""
    T = b["X"].shape[1]
    h, c, caches, H = b["h"], b["c"], [], []
    for t in range(T):
        h, c, cache = lstm.lstm_step_forward(b["X"][:, t], h, c, p["lstm"])
        caches.append(cache)
        H.append(h)
    dh, dc, dX, grads = np.zeros_like(h), np.zeros_like(c), [None] * T, []
    for t in reversed(range(T)):
        dX[t], dh, dc, step_grads = lstm.lstm_step_backward(b["dH"][:, t] + dh, dc, caches[t])
        grads.append(step_grads)
    return [np.stack(H, axis=1), np.stack(dX, axis=1), dh, dc], summed(grads)


def chained_gru_steps(b, p):
    """gru_pipeline's outputs from gru_step_forward / gru_step_backward chained through time."""
    T = b["X"].shape[1]
    h, caches, H = b["h"], [], []
    for t in range(T):
        h, cache = gru.gru_step_forward(b["X"][:, t], h, p["gru"])
        caches.append(cache)
        H.append(h)
    dh, dX, grads = np.zeros_like(h), [None] * T, []
    for t in reversed(range(T)):
        dX[t], dh, step_grads = gru.gru_step_backward(b["dH"][:, t] + dh, caches[t])
        grads.append(step_grads)
    return [np.stack(H, axis=1), np.stack(dX, axis=1), dh], summed(grads)


def summed(grads):
    """The sum of a list of gradient dicts with the same keys."""
    return {key: sum(g[key] for g in grads) for key in grads[0]}


STEP_CHAINS = {"rnn": chained_rnn_steps, "lstm": chained_lstm_steps, "gru": chained_gru_steps}


@pytest.mark.parametrize("kind", sorted(STEP_CHAINS))
@settings(PROFILE, max_examples=10)
@given(shapes=SHAPES, seed=SEEDS)
def test_sequence_passes_equal_their_step_functions_chained_through_time(kind, shapes, seed):
    batch, p = problem(shapes, np.float64, seed)
    outputs, grads = PIPELINES[kind](batch, p)
    outputs_chained, grads_chained = STEP_CHAINS[kind](batch, p)
    for i, (a, b) in enumerate(zip(outputs, outputs_chained, strict=True)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13, err_msg=f"output {i}")
    assert set(grads) == set(grads_chained)
    for key in grads:
        np.testing.assert_allclose(grads[key], grads_chained[key], rtol=1e-12, atol=1e-13, err_msg=key)


@PROFILE
@given(shapes=SHAPES, seed=SEEDS)
def test_bilstm_is_a_forward_lstm_beside_a_time_reversed_one(shapes, seed):
    """H[:, t, H_f:] has read X[:, T−1], …, X[:, t]: at t = T−1 only the last input."""
    batch, p = problem(shapes, np.float64, seed)
    X, N, H_f, H_b = batch["X"], shapes.N, shapes.H, shapes.H + 1
    H, _ = lstm.bilstm_forward(X, p["lstm"], p["lstm_bwd"])
    H_fwd, _ = lstm.lstm_forward(X, np.zeros((N, H_f)), np.zeros((N, H_f)), p["lstm"])
    H_rev, _ = lstm.lstm_forward(X[:, ::-1], np.zeros((N, H_b)), np.zeros((N, H_b)), p["lstm_bwd"])
    np.testing.assert_allclose(H[..., :H_f], H_fwd, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(H[..., H_f:], H_rev[:, ::-1], rtol=1e-13, atol=1e-14)
    last, _, _ = lstm.lstm_step_forward(X[:, -1], np.zeros((N, H_b)), np.zeros((N, H_b)), p["lstm_bwd"])
    np.testing.assert_allclose(H[:, -1, H_f:], last, rtol=1e-13, atol=1e-14)


@PROFILE
@given(shapes=SHAPES, seed=SEEDS)
def test_a_one_layer_stack_is_an_lstm_from_zero_states(shapes, seed):
    batch, p = problem(shapes, np.float64, seed)
    zeros = np.zeros((shapes.N, shapes.H))
    H, cache = lstm.stacked_lstm_forward(batch["X"], [p["lstm"]])
    H_single, cache_single = lstm.lstm_forward(batch["X"], zeros, zeros, p["lstm"])
    np.testing.assert_array_equal(H, H_single)
    dX, (grads,) = lstm.stacked_lstm_backward(batch["dH"], cache)
    dX_single, _, _, grads_single = lstm.lstm_backward(batch["dH"], cache_single)
    np.testing.assert_array_equal(dX, dX_single)
    for key in grads_single:
        np.testing.assert_array_equal(grads[key], grads_single[key], err_msg=key)


# ------------------------------------------------------ truncated BPTT


@PROFILE
@given(shapes=SHAPES, dtype=FLOAT_DTYPES, seed=SEEDS, beyond=st.integers(0, 5))
def test_truncated_bptt_equals_full_bptt_when_k_is_at_least_T(shapes, dtype, seed, beyond):
    batch, p = problem(shapes, dtype, seed)
    _, cache = rnn.rnn_forward(batch["X"], batch["h"], p["rnn"])
    truncated, full = rnn.rnn_backward(batch["dH"], cache, shapes.T + beyond), rnn.rnn_backward(batch["dH"], cache)
    for a, b in zip(leaves(truncated), leaves(full)):
        np.testing.assert_array_equal(a, b)


# --------------------------------------------------------- gradient clipping


GRADIENT_DICTS = FLOAT_DTYPES.flatmap(lambda dtype: st.dictionaries(
    st.sampled_from(["W_xh", "W_hh", "b_h", "W_xf", "b_f"]),
    float_arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), 1e3),
    min_size=1, max_size=4))
MAX_NORMS = st.floats(1e-3, 1e4)


def global_norm(grads):
    return math.sqrt(sum(float(np.sum(np.asarray(g, np.float64) ** 2)) for g in grads.values()))


@PROFILE
@given(grads=GRADIENT_DICTS, max_norm=MAX_NORMS)
def test_clip_gradients_never_increases_the_global_norm_nor_exceeds_max_norm(grads, max_norm):
    tolerance = 4 * eps(next(iter(grads.values())).dtype)
    norm, clipped_norm = global_norm(grads), global_norm(rnn.clip_gradients(grads, max_norm))
    assert clipped_norm <= norm * (1 + tolerance)
    assert clipped_norm <= max_norm * (1 + tolerance)


@PROFILE
@given(grads=GRADIENT_DICTS, max_norm=MAX_NORMS)
def test_clip_gradients_keeps_the_direction(grads, max_norm):
    """Every array is scaled by one common factor in (0, 1]."""
    clipped = rnn.clip_gradients(grads, max_norm)
    norm = global_norm(grads)
    scale = 1.0 if norm == 0 else global_norm(clipped) / norm
    assert 0 < scale <= 1 + 1e-6
    dtype = next(iter(grads.values())).dtype
    for key, g in grads.items():
        np.testing.assert_allclose(clipped[key], g * scale, rtol=8 * eps(dtype), atol=8 * eps(dtype) * max(norm, 1.0), err_msg=key)


@PROFILE
@given(grads=GRADIENT_DICTS, max_norm=MAX_NORMS)
def test_clip_gradients_leaves_gradients_within_max_norm_untouched(grads, max_norm):
    if global_norm(grads) > max_norm:
        max_norm = 2 * global_norm(grads) + 1  # same gradients, a threshold above their norm
    clipped = rnn.clip_gradients(grads, max_norm)
    for key, g in grads.items():
        np.testing.assert_array_equal(clipped[key], g, err_msg=key)


@PROFILE
@given(grads=GRADIENT_DICTS, max_norm=MAX_NORMS)
def test_clip_gradients_returns_a_new_dict_of_new_arrays_of_the_same_dtypes(grads, max_norm):
    snapshot = copy.deepcopy(grads)
    clipped = rnn.clip_gradients(grads, max_norm)
    assert clipped is not grads and set(clipped) == set(grads)
    for key, g in grads.items():
        assert clipped[key].dtype == g.dtype and clipped[key].shape == g.shape, key
        assert not np.shares_memory(clipped[key], g), key
        np.testing.assert_array_equal(g, snapshot[key], err_msg=key)
