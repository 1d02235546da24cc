"""Is every backward pass of the reference the gradient of its forward pass?

Each check reduces the outputs to L = Σ_k ⟨G_k, out_k⟩ with Gaussian
cotangents G_k, then compares every block the backward pass returns
(inputs, initial states, every parameter) with full central differences of
L in float64. Run with -s to see the largest error measured: about 1e-10
for one layer, 5e-8 for the three-layer stack, whose bottom layer's
gradients are 1000× smaller, so that rounding in the differences weighs more.
"""
import numpy as np
import pytest

import gru
import lstm
import rnn
from reference_harness import (
    FD_TOLERANCE,
    block_error,
    block_errors,
    gaussian,
    gru_params,
    lstm_params,
    numerical_gradients,
    pairing,
    prefixed,
    rnn_params,
)

N, T, D, H = 3, 5, 4, 5          # N ≥ 2, T ≥ 3, D ≠ H
T_TRUNCATED = 7                  # long enough for chunks of 2 and 3 to leave a remainder
H_BACKWARD = 3                   # the backward LSTM of the bidirectional one: ≠ H
STACK_SIZES = (5, 3, 4)          # hidden sizes of a three-layer stack over D = 4
SEEDS = (0, 1)

WORST = {}  # test name -> largest block error it measured


@pytest.fixture(scope="module", autouse=True)
def report_worst_errors():
    """Print the largest block error of every check at the end of the module (-s)."""
    yield
    if WORST:
        width = max(map(len, WORST))
        print(f"\nlargest block error against central differences (h = 1e-5, float64, tolerance {FD_TOLERANCE:g}):")
        for name, error in sorted(WORST.items()):
            print(f"  {name:<{width}}  {error:.2e}")


def assert_gradients_match(request, analytic, loss, blocks):
    """Every block of `analytic` is within FD_TOLERANCE of central differences of loss()."""
    errors = block_errors(analytic, numerical_gradients(loss, blocks))
    WORST[request.node.name] = max(max(errors.values()), WORST.get(request.node.name, 0.0))
    failing = {name: f"{error:.1e}" for name, error in errors.items() if not error <= FD_TOLERANCE}
    assert not failing, f"block errors over {FD_TOLERANCE:g}: {failing}"


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_step_backward_is_the_gradient_of_rnn_step_forward(request, seed):
    rng = np.random.default_rng(seed)
    x, h_prev, params = gaussian(rng, (N, D)), gaussian(rng, (N, H), scale=0.5), rnn_params(rng, D, H)
    G = gaussian(rng, (N, H))
    h, cache = rnn.rnn_step_forward(x, h_prev, params)
    dx, dh_prev, grads = rnn.rnn_step_backward(G, cache)
    assert_gradients_match(
        request, {"x": dx, "h_prev": dh_prev, **grads},
        lambda: pairing([G], [rnn.rnn_step_forward(x, h_prev, params)[0]]),
        {"x": x, "h_prev": h_prev, **params},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_rnn_backward_is_the_gradient_of_rnn_forward(request, seed):
    rng = np.random.default_rng(seed)
    X, h0, params = gaussian(rng, (N, T, D)), gaussian(rng, (N, H), scale=0.5), rnn_params(rng, D, H)
    G = gaussian(rng, (N, T, H))
    _, cache = rnn.rnn_forward(X, h0, params)
    dX, dh0, grads = rnn.rnn_backward(G, cache)
    assert_gradients_match(
        request, {"X": dX, "h0": dh0, **grads},
        lambda: pairing([G], [rnn.rnn_forward(X, h0, params)[0]]),
        {"X": X, "h0": h0, **params},
    )


def truncated_numerical_gradients(X, h0, params, G, k):
    """Σ over chunks of central differences of the chunk's loss, its starting state frozen.

    Chunk c covers steps ck .. ck + k − 1 and starts from h0 (c = 0) or from
    the unperturbed h_{ck−1}, a constant: no gradient crosses a boundary.
    """
    H_full, _ = rnn.rnn_forward(X, h0, params)
    blocks = {"X": X, "h0": h0, **params}
    total = {name: np.zeros(array.shape) for name, array in blocks.items()}
    for start in range(0, X.shape[1], k):
        stop = min(start + k, X.shape[1])
        frozen = None if start == 0 else H_full[:, start - 1].copy()

        def chunk_loss():
            state = h0 if frozen is None else frozen
            return pairing([G[:, start:stop]], [rnn.rnn_forward(X[:, start:stop], state, params)[0]])

        for name, gradient in numerical_gradients(chunk_loss, blocks).items():
            total[name] += gradient
    return total


@pytest.mark.parametrize("k", [1, 2, 3, 6])
@pytest.mark.parametrize("seed", SEEDS)
def test_truncated_rnn_backward_is_the_sum_of_the_chunks_gradients(request, seed, k):
    rng = np.random.default_rng(seed)
    X, h0, params = gaussian(rng, (N, T_TRUNCATED, D)), gaussian(rng, (N, H), scale=0.5), rnn_params(rng, D, H)
    G = gaussian(rng, (N, T_TRUNCATED, H))
    _, cache = rnn.rnn_forward(X, h0, params)
    dX, dh0, grads = rnn.rnn_backward(G, cache, truncate=k)
    numerical = truncated_numerical_gradients(X, h0, params, G, k)
    errors = block_errors({"X": dX, "h0": dh0, **grads}, numerical)
    WORST[request.node.name] = max(errors.values())
    failing = {name: f"{error:.1e}" for name, error in errors.items() if not error <= FD_TOLERANCE}
    assert not failing, f"block errors over {FD_TOLERANCE:g}: {failing}"


def test_truncated_rnn_backward_differs_from_full_bptt():
    """Does truncation change anything at all (else the test above proves little)?"""
    rng = np.random.default_rng(0)
    X, h0, params = gaussian(rng, (N, T_TRUNCATED, D)), gaussian(rng, (N, H)), rnn_params(rng, D, H)
    G = gaussian(rng, (N, T_TRUNCATED, H))
    _, cache = rnn.rnn_forward(X, h0, params)
    _, _, full = rnn.rnn_backward(G, cache)
    _, _, truncated = rnn.rnn_backward(G, cache, truncate=2)
    assert block_error(full["W_hh"], truncated["W_hh"]) > 1e-3


@pytest.mark.parametrize("k", [T_TRUNCATED, T_TRUNCATED + 1, 100])
def test_truncate_at_least_T_is_exactly_full_bptt(k):
    rng = np.random.default_rng(2)
    X, h0, params = gaussian(rng, (N, T_TRUNCATED, D)), gaussian(rng, (N, H)), rnn_params(rng, D, H)
    G = gaussian(rng, (N, T_TRUNCATED, H))
    _, cache = rnn.rnn_forward(X, h0, params)
    dX, dh0, grads = rnn.rnn_backward(G, cache, truncate=k)
    dX_full, dh0_full, grads_full = rnn.rnn_backward(G, cache, truncate=None)
    np.testing.assert_array_equal(dX, dX_full)
    np.testing.assert_array_equal(dh0, dh0_full)
    for name in grads_full:
        np.testing.assert_array_equal(grads[name], grads_full[name], err_msg=name)


def test_truncate_none_is_the_default_full_bptt():
    rng = np.random.default_rng(3)
    X, h0, params = gaussian(rng, (N, T, D)), gaussian(rng, (N, H)), rnn_params(rng, D, H)
    G = gaussian(rng, (N, T, H))
    _, cache = rnn.rnn_forward(X, h0, params)
    default, explicit = rnn.rnn_backward(G, cache), rnn.rnn_backward(G, cache, truncate=None)
    np.testing.assert_array_equal(default[0], explicit[0])
    np.testing.assert_array_equal(default[1], explicit[1])
    for name in default[2]:
        np.testing.assert_array_equal(default[2][name], explicit[2][name], err_msg=name)


@pytest.mark.parametrize("k", [0, -1])
def test_truncate_below_one_is_refused(k):
    rng = np.random.default_rng(4)
    _, cache = rnn.rnn_forward(gaussian(rng, (N, T, D)), gaussian(rng, (N, H)), rnn_params(rng, D, H))
    with pytest.raises(ValueError, match="truncate"):
        rnn.rnn_backward(gaussian(rng, (N, T, H)), cache, truncate=k)


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_step_backward_is_the_gradient_of_lstm_step_forward_through_h_and_c(request, seed):
    rng = np.random.default_rng(seed)
    x, h_prev, c_prev = gaussian(rng, (N, D)), gaussian(rng, (N, H), scale=0.5), gaussian(rng, (N, H))
    params = lstm_params(rng, D, H)
    G_h, G_c = gaussian(rng, (N, H)), gaussian(rng, (N, H))
    _, _, cache = lstm.lstm_step_forward(x, h_prev, c_prev, params)
    dx, dh_prev, dc_prev, grads = lstm.lstm_step_backward(G_h, G_c, cache)
    assert_gradients_match(
        request, {"x": dx, "h_prev": dh_prev, "c_prev": dc_prev, **grads},
        lambda: pairing([G_h, G_c], lstm.lstm_step_forward(x, h_prev, c_prev, params)[:2]),
        {"x": x, "h_prev": h_prev, "c_prev": c_prev, **params},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_lstm_backward_is_the_gradient_of_lstm_forward(request, seed):
    rng = np.random.default_rng(seed)
    X, h0, c0 = gaussian(rng, (N, T, D)), gaussian(rng, (N, H), scale=0.5), gaussian(rng, (N, H))
    params = lstm_params(rng, D, H)
    G = gaussian(rng, (N, T, H))
    _, cache = lstm.lstm_forward(X, h0, c0, params)
    dX, dh0, dc0, grads = lstm.lstm_backward(G, cache)
    assert_gradients_match(
        request, {"X": dX, "h0": dh0, "c0": dc0, **grads},
        lambda: pairing([G], [lstm.lstm_forward(X, h0, c0, params)[0]]),
        {"X": X, "h0": h0, "c0": c0, **params},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_bilstm_backward_is_the_gradient_of_bilstm_forward(request, seed):
    rng = np.random.default_rng(seed)
    X = gaussian(rng, (N, T, D))
    params_fwd, params_bwd = lstm_params(rng, D, H), lstm_params(rng, D, H_BACKWARD)
    G = gaussian(rng, (N, T, H + H_BACKWARD))
    _, cache = lstm.bilstm_forward(X, params_fwd, params_bwd)
    dX, grads_fwd, grads_bwd = lstm.bilstm_backward(G, cache)
    assert_gradients_match(
        request, {"X": dX, **prefixed("fwd.", grads_fwd), **prefixed("bwd.", grads_bwd)},
        lambda: pairing([G], [lstm.bilstm_forward(X, params_fwd, params_bwd)[0]]),
        {"X": X, **prefixed("fwd.", params_fwd), **prefixed("bwd.", params_bwd)},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_stacked_lstm_backward_is_the_gradient_of_stacked_lstm_forward(request, seed):
    rng = np.random.default_rng(seed)
    X = gaussian(rng, (N, T, D))
    inputs = (D,) + STACK_SIZES[:-1]
    layers = [lstm_params(rng, d, h) for d, h in zip(inputs, STACK_SIZES)]
    G = gaussian(rng, (N, T, STACK_SIZES[-1]))
    _, cache = lstm.stacked_lstm_forward(X, layers)
    dX, grads = lstm.stacked_lstm_backward(G, cache)
    assert len(grads) == len(layers)
    analytic, blocks = {"X": dX}, {"X": X}
    for l, (layer, layer_grads) in enumerate(zip(layers, grads)):
        analytic |= prefixed(f"layer{l}.", layer_grads)
        blocks |= prefixed(f"layer{l}.", layer)
    assert_gradients_match(request, analytic, lambda: pairing([G], [lstm.stacked_lstm_forward(X, layers)[0]]), blocks)


@pytest.mark.parametrize("seed", SEEDS)
def test_gru_step_backward_is_the_gradient_of_gru_step_forward(request, seed):
    rng = np.random.default_rng(seed)
    x, h_prev, params = gaussian(rng, (N, D)), gaussian(rng, (N, H), scale=0.5), gru_params(rng, D, H)
    G = gaussian(rng, (N, H))
    _, cache = gru.gru_step_forward(x, h_prev, params)
    dx, dh_prev, grads = gru.gru_step_backward(G, cache)
    assert_gradients_match(
        request, {"x": dx, "h_prev": dh_prev, **grads},
        lambda: pairing([G], [gru.gru_step_forward(x, h_prev, params)[0]]),
        {"x": x, "h_prev": h_prev, **params},
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_gru_backward_is_the_gradient_of_gru_forward(request, seed):
    rng = np.random.default_rng(seed)
    X, h0, params = gaussian(rng, (N, T, D)), gaussian(rng, (N, H), scale=0.5), gru_params(rng, D, H)
    G = gaussian(rng, (N, T, H))
    _, cache = gru.gru_forward(X, h0, params)
    dX, dh0, grads = gru.gru_backward(G, cache)
    assert_gradients_match(
        request, {"X": dX, "h0": dh0, **grads},
        lambda: pairing([G], [gru.gru_forward(X, h0, params)[0]]),
        {"X": X, "h0": h0, **params},
    )


def test_the_tolerance_flags_one_entry_off_by_1e_minus_4_of_the_largest():
    """Is FD_TOLERANCE tight enough to catch a small, local gradient bug?"""
    rng = np.random.default_rng(5)
    X, h0, c0, params = gaussian(rng, (N, T, D)), gaussian(rng, (N, H)), gaussian(rng, (N, H)), lstm_params(rng, D, H)
    _, cache = lstm.lstm_forward(X, h0, c0, params)
    grads = lstm.lstm_backward(gaussian(rng, (N, T, H)), cache)[3]
    wrong = grads["W_hf"].copy()
    wrong[1, 2] += 1e-4 * np.abs(wrong).max()
    assert block_error(wrong, grads["W_hf"]) > FD_TOLERANCE
