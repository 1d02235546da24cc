"""Does the reference compute what PyTorch computes, forward and backward?

PyTorch (CPU) is an independent implementation of the same layers: nn.RNN,
nn.LSTM (also bidirectional and two-layer), nn.RNNCell and nn.LSTMCell are
loaded with the reference's weights; the GRU, whose nn.GRU convention differs
from the slides', is the slides' equations written in torch and
differentiated by autograd. The gradient norms of sequences.py are torch's
autograd of the last hidden state's sum, one norm of ∂L/∂X[:, t] per step,
and embed is torch's embedding lookup. Both sides run in the same dtype,
float64 and float32. Run with -s to see the largest error measured against torch.
"""
import numpy as np
import pytest

import activations
import gru
import lstm
import rnn
import sequences
from reference_harness import block_error, gaussian, gru_params, lstm_params, rnn_params

torch = pytest.importorskip(
    "torch", reason="PyTorch is an optional test dependency (pip install -e '.[torch]'); "
                    "without it the reference is not compared with torch")

TORCH_DTYPE = {np.float64: torch.float64, np.float32: torch.float32}
# Largest block-normalised error ||ours − torch|| / (||ours|| + ||torch||)
# accepted per dtype. Measured on these shapes: at most 5e-16 in float64 and
# 3e-7 in float32 (rounding only: torch sums in another order, and runs the
# float32 LSTM through oneDNN); the bounds leave about 70-200× of margin.
TOLERANCE = {np.float64: 1e-13, np.float32: 2e-5}
# Problems of two sizes, each non-degenerate: (N, T, D, H).
SIZES = [(3, 6, 4, 5), (8, 20, 16, 12)]
DTYPES = [np.float64, np.float32]
# torch stacks LSTM gates as i, f, g, o; g is the slides' input node C̃ (our "c").
TORCH_LSTM_GATES = ("i", "f", "c", "o")

LARGEST = {}  # dtype name -> (largest error, where)


@pytest.fixture(scope="module", autouse=True)
def report_largest_errors():
    """Print the largest error against torch per dtype at the end of the module (-s)."""
    yield
    print("\nlargest block-normalised error of the reference against PyTorch CPU:")
    for dtype, (error, where) in sorted(LARGEST.items()):
        print(f"  {dtype}: {error:.2e} ({where}); tolerance {TOLERANCE[np.dtype(dtype).type]:g}")


def assert_matches_torch(ours, theirs, dtype, where):
    """Every named array of `ours` has `dtype` and is within TOLERANCE of torch's."""
    assert set(ours) == set(theirs), f"{sorted(ours)} != {sorted(theirs)}"
    for name, array in ours.items():
        assert array.dtype == dtype, f"{where}: {name} is {array.dtype}, not {np.dtype(dtype)}"
        error = block_error(array, theirs[name])
        key = np.dtype(dtype).name
        if error > LARGEST.get(key, (-1.0, ""))[0]:
            LARGEST[key] = (error, f"{where}: {name}")
        assert error <= TOLERANCE[dtype], f"{where}: {name} differs from torch by {error:.1e}"


def leaf(array):
    """A torch leaf tensor holding a copy of `array`, recording its gradient."""
    return torch.tensor(array).requires_grad_()


def numpy_of(tensor):
    return tensor.detach().numpy()


def torch_pairing(G, out):
    """L = ⟨G, out⟩ in torch: backpropagating it feeds G in as the output gradient."""
    return (torch.from_numpy(G) * out).sum()


def problem(seed, size, dtype):
    """(rng, N, T, D, H, X, h0, c0, G) of the given size, X and states in `dtype`."""
    N, T, D, H = size
    rng = np.random.default_rng(seed)
    return (rng, N, T, D, H, gaussian(rng, (N, T, D), dtype), gaussian(rng, (N, H), dtype, 0.5),
            gaussian(rng, (N, H), dtype), gaussian(rng, (N, T, H), dtype))


# ----------------------------------------------------------------- loading


def load_rnn(module, params, suffix=""):
    """Copy W_xh, W_hh, b_h into nn.RNN / nn.RNNCell: weights transposed, bias_hh = 0."""
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(torch.from_numpy(params["W_xh"].T.copy()))
        getattr(module, "weight_hh" + suffix).copy_(torch.from_numpy(params["W_hh"].T.copy()))
        getattr(module, "bias_ih" + suffix).copy_(torch.from_numpy(params["b_h"]))
        getattr(module, "bias_hh" + suffix).zero_()


def rnn_grads(module, suffix=""):
    """The reference's grads dict from an nn.RNN's parameter gradients."""
    return {"W_xh": numpy_of(getattr(module, "weight_ih" + suffix).grad).T,
            "W_hh": numpy_of(getattr(module, "weight_hh" + suffix).grad).T,
            "b_h": numpy_of(getattr(module, "bias_ih" + suffix).grad)}


def load_lstm(module, params, suffix=""):
    """Copy an LSTM params dict into nn.LSTM / nn.LSTMCell.

    weight_ih (4H, D) stacks W_xi.T, W_xf.T, W_xc.T, W_xo.T; weight_hh
    likewise; bias_ih is our b in that order and bias_hh is zero.
    """
    def stacked(kind):
        return torch.from_numpy(np.concatenate([params[kind + g].T for g in TORCH_LSTM_GATES]))
    with torch.no_grad():
        getattr(module, "weight_ih" + suffix).copy_(stacked("W_x"))
        getattr(module, "weight_hh" + suffix).copy_(stacked("W_h"))
        getattr(module, "bias_ih" + suffix).copy_(torch.from_numpy(np.concatenate([params["b_" + g] for g in TORCH_LSTM_GATES])))
        getattr(module, "bias_hh" + suffix).zero_()


def lstm_grads(module, H, suffix=""):
    """The reference's grads dict from nn.LSTM's parameter gradients (bias_hh's equals bias_ih's)."""
    weight_ih = numpy_of(getattr(module, "weight_ih" + suffix).grad)
    weight_hh = numpy_of(getattr(module, "weight_hh" + suffix).grad)
    bias = numpy_of(getattr(module, "bias_ih" + suffix).grad)
    grads = {}
    for k, g in enumerate(TORCH_LSTM_GATES):
        rows = slice(k * H, (k + 1) * H)
        grads |= {"W_x" + g: weight_ih[rows].T, "W_h" + g: weight_hh[rows].T, "b_" + g: bias[rows]}
    return grads


def torch_gru_step(x, h_prev, p):
    """The slides' (d2l's) GRU step in torch; p maps the reference's keys to tensors."""
    R = torch.sigmoid(x @ p["W_xr"] + h_prev @ p["W_hr"] + p["b_r"])
    Z = torch.sigmoid(x @ p["W_xz"] + h_prev @ p["W_hz"] + p["b_z"])
    H_tilde = torch.tanh(x @ p["W_xh"] + (R * h_prev) @ p["W_hh"] + p["b_h"])
    return Z * h_prev + (1 - Z) * H_tilde


def torch_gru(X, h0, p):
    """The GRU over a sequence X (N, T, D) in torch; returns H (N, T, H)."""
    h, states = h0, []
    for t in range(X.shape[1]):
        h = torch_gru_step(X[:, t], h, p)
        states.append(h)
    return torch.stack(states, dim=1)


# -------------------------------------------------------------- activations


@pytest.mark.parametrize("dtype", DTYPES)
def test_activations_and_their_derivatives_match_torch(dtype):
    z = np.concatenate([np.linspace(-30, 30, 601), [-1e4, -710.0, -100.0, 0.0, 100.0, 710.0, 1e4]]).astype(dtype)
    if dtype == np.float32:
        z = z[np.abs(z) < 1e3]
    z_torch = leaf(z)
    sigma = torch.sigmoid(z_torch)
    (d_sigma,) = torch.autograd.grad(sigma.sum(), z_torch)
    tanh_z = torch.tanh(z_torch)
    (d_tanh,) = torch.autograd.grad(tanh_z.sum(), z_torch)
    ours = {"sigmoid": activations.sigmoid(z), "sigmoid_prime": activations.sigmoid_prime(z),
            "tanh": activations.tanh(z), "tanh_prime": activations.tanh_prime(z)}
    theirs = {"sigmoid": numpy_of(sigma), "sigmoid_prime": numpy_of(d_sigma),
              "tanh": numpy_of(tanh_z), "tanh_prime": numpy_of(d_tanh)}
    assert_matches_torch(ours, theirs, dtype, "activations")
    eps = np.finfo(dtype).eps
    for name in ours:
        np.testing.assert_allclose(ours[name], theirs[name], rtol=8 * eps, atol=2 * eps, err_msg=name)


# ---------------------------------------------------------------------- RNN


@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_step_matches_torch_rnn_cell(dtype):
    rng, N, T, D, H, X, h_prev, _, G = problem(10, SIZES[0], dtype)
    x, G = X[:, 0], G[:, 0]
    params = rnn_params(rng, D, H, dtype)
    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=TORCH_DTYPE[dtype])
    load_rnn(cell, params)
    x_t, h_t = leaf(x), leaf(h_prev)
    h_torch = cell(x_t, h_t)
    torch_pairing(G, h_torch).backward()
    h, cache = rnn.rnn_step_forward(x, h_prev, params)
    dx, dh_prev, grads = rnn.rnn_step_backward(G, cache)
    assert_matches_torch({"h": h, "dx": dx, "dh_prev": dh_prev, **grads},
                         {"h": numpy_of(h_torch), "dx": numpy_of(x_t.grad), "dh_prev": numpy_of(h_t.grad), **rnn_grads(cell)},
                         dtype, "rnn_step")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_forward_and_backward_match_torch_rnn(dtype, size):
    rng, N, T, D, H, X, h0, _, G = problem(11, size, dtype)
    params = rnn_params(rng, D, H, dtype)
    module = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=TORCH_DTYPE[dtype])
    load_rnn(module, params, "_l0")
    X_t, h0_t = leaf(X), leaf(h0)
    H_torch, _ = module(X_t, h0_t[None])
    torch_pairing(G, H_torch).backward()
    H_ours, cache = rnn.rnn_forward(X, h0, params)
    dX, dh0, grads = rnn.rnn_backward(G, cache)
    assert_matches_torch({"H": H_ours, "dX": dX, "dh0": dh0, **grads},
                         {"H": numpy_of(H_torch), "dX": numpy_of(X_t.grad), "dh0": numpy_of(h0_t.grad),
                          **rnn_grads(module, "_l0")},
                         dtype, f"rnn {size}")


@pytest.mark.parametrize("k", [1, 3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
def test_truncated_rnn_backward_matches_torch_with_the_state_detached_at_chunk_boundaries(dtype, k):
    rng, N, T, D, H, X, h0, _, G = problem(12, (3, 10, 4, 5), dtype)
    params = rnn_params(rng, D, H, dtype)
    module = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=TORCH_DTYPE[dtype])
    load_rnn(module, params, "_l0")
    X_t, h0_t = leaf(X), leaf(h0)
    state, loss = h0_t[None], 0
    for start in range(0, T, k):
        if start > 0:
            state = state.detach()  # h_{start−1} is a constant for this chunk
        chunk, state = module(X_t[:, start:start + k], state)
        loss = loss + torch_pairing(G[:, start:start + k], chunk)
    loss.backward()
    _, cache = rnn.rnn_forward(X, h0, params)
    dX, dh0, grads = rnn.rnn_backward(G, cache, truncate=k)
    assert_matches_torch({"dX": dX, "dh0": dh0, **grads},
                         {"dX": numpy_of(X_t.grad), "dh0": numpy_of(h0_t.grad), **rnn_grads(module, "_l0")},
                         dtype, f"rnn truncate={k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_gradients_matches_torch_clip_grad_norm_up_to_its_epsilon(dtype):
    """torch divides by norm + 1e-6, so the two agree to about 1e-6 relative."""
    rng = np.random.default_rng(13)
    grads = {"W_xh": gaussian(rng, (4, 5), dtype, 3.0), "W_hh": gaussian(rng, (5, 5), dtype, 3.0),
             "b_h": gaussian(rng, (5,), dtype, 3.0)}
    tensors = [torch.tensor(g) for g in grads.values()]
    for tensor in tensors:
        tensor.grad = tensor.clone()
    torch.nn.utils.clip_grad_norm_(tensors, max_norm=1.0)
    clipped = rnn.clip_gradients(grads, 1.0)
    for (name, array), tensor in zip(clipped.items(), tensors):
        assert array.dtype == dtype
        np.testing.assert_allclose(array, numpy_of(tensor.grad), rtol=1e-5, err_msg=name)


# --------------------------------------------------------------------- LSTM


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_step_matches_torch_lstm_cell_through_h_and_c(dtype):
    rng, N, T, D, H, X, h_prev, c_prev, G = problem(20, SIZES[0], dtype)
    x, G_h, G_c = X[:, 0], G[:, 0], gaussian(rng, (N, H), dtype)
    params = lstm_params(rng, D, H, dtype)
    cell = torch.nn.LSTMCell(D, H, dtype=TORCH_DTYPE[dtype])
    load_lstm(cell, params)
    x_t, h_t, c_t = leaf(x), leaf(h_prev), leaf(c_prev)
    h_torch, c_torch = cell(x_t, (h_t, c_t))
    (torch_pairing(G_h, h_torch) + torch_pairing(G_c, c_torch)).backward()
    h, c, cache = lstm.lstm_step_forward(x, h_prev, c_prev, params)
    dx, dh_prev, dc_prev, grads = lstm.lstm_step_backward(G_h, G_c, cache)
    assert_matches_torch({"h": h, "c": c, "dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev, **grads},
                         {"h": numpy_of(h_torch), "c": numpy_of(c_torch), "dx": numpy_of(x_t.grad),
                          "dh_prev": numpy_of(h_t.grad), "dc_prev": numpy_of(c_t.grad), **lstm_grads(cell, H)},
                         dtype, "lstm_step")


@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_gates_match_torch_lstm_cell_gates(dtype):
    """The four gate functions are the four blocks of torch's stacked pre-activation."""
    rng, N, T, D, H, X, h_prev, c_prev, _ = problem(21, SIZES[0], dtype)
    x = X[:, 0]
    params = lstm_params(rng, D, H, dtype)
    cell = torch.nn.LSTMCell(D, H, dtype=TORCH_DTYPE[dtype])
    load_lstm(cell, params)
    with torch.no_grad():
        A = (torch.from_numpy(x) @ cell.weight_ih.T + torch.from_numpy(h_prev) @ cell.weight_hh.T
             + cell.bias_ih + cell.bias_hh)
        a_i, a_f, a_g, a_o = A.split(H, dim=1)
        theirs = {"F": torch.sigmoid(a_f), "I": torch.sigmoid(a_i), "C_tilde": torch.tanh(a_g), "O": torch.sigmoid(a_o)}
    F, I = lstm.forget_gate(x, h_prev, params), lstm.input_gate(x, h_prev, params)
    C_tilde, O = lstm.input_node(x, h_prev, params), lstm.output_gate(x, h_prev, params)
    c = lstm.cell_state(F, I, C_tilde, c_prev)
    h_torch, c_torch = cell(torch.from_numpy(x), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    assert_matches_torch({"F": F, "I": I, "C_tilde": C_tilde, "O": O, "c": c, "h": lstm.hidden_state(O, c)},
                         {**{k: numpy_of(v) for k, v in theirs.items()}, "c": numpy_of(c_torch), "h": numpy_of(h_torch)},
                         dtype, "lstm gates")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_forward_and_backward_match_torch_lstm(dtype, size):
    rng, N, T, D, H, X, h0, c0, G = problem(22, size, dtype)
    params = lstm_params(rng, D, H, dtype)
    module = torch.nn.LSTM(D, H, batch_first=True, dtype=TORCH_DTYPE[dtype])
    load_lstm(module, params, "_l0")
    X_t, h0_t, c0_t = leaf(X), leaf(h0), leaf(c0)
    H_torch, _ = module(X_t, (h0_t[None], c0_t[None]))
    torch_pairing(G, H_torch).backward()
    H_ours, cache = lstm.lstm_forward(X, h0, c0, params)
    dX, dh0, dc0, grads = lstm.lstm_backward(G, cache)
    assert_matches_torch({"H": H_ours, "dX": dX, "dh0": dh0, "dc0": dc0, **grads},
                         {"H": numpy_of(H_torch), "dX": numpy_of(X_t.grad), "dh0": numpy_of(h0_t.grad),
                          "dc0": numpy_of(c0_t.grad), **lstm_grads(module, H, "_l0")},
                         dtype, f"lstm {size}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_bilstm_matches_torch_bidirectional_lstm_time_step_by_time_step(dtype, size):
    """H[:, t, H_f:] and torch's reverse half at t have both read X[:, T−1], …, X[:, t]."""
    rng, N, T, D, H, X, _, _, _ = problem(23, size, dtype)
    params_fwd, params_bwd = lstm_params(rng, D, H, dtype), lstm_params(rng, D, H, dtype)
    G = gaussian(rng, (N, T, 2 * H), dtype)
    module = torch.nn.LSTM(D, H, batch_first=True, bidirectional=True, dtype=TORCH_DTYPE[dtype])
    load_lstm(module, params_fwd, "_l0")
    load_lstm(module, params_bwd, "_l0_reverse")
    X_t = leaf(X)
    H_torch, _ = module(X_t)
    torch_pairing(G, H_torch).backward()
    H_ours, cache = lstm.bilstm_forward(X, params_fwd, params_bwd)
    dX, grads_fwd, grads_bwd = lstm.bilstm_backward(G, cache)
    ours = {"H": H_ours, "dX": dX, **{"fwd." + k: v for k, v in grads_fwd.items()},
            **{"bwd." + k: v for k, v in grads_bwd.items()}}
    theirs = {"H": numpy_of(H_torch), "dX": numpy_of(X_t.grad),
              **{"fwd." + k: v for k, v in lstm_grads(module, H, "_l0").items()},
              **{"bwd." + k: v for k, v in lstm_grads(module, H, "_l0_reverse").items()}}
    assert_matches_torch(ours, theirs, dtype, f"bilstm {size}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_stacked_lstm_matches_torch_two_layer_lstm(dtype, size):
    rng, N, T, D, H, X, _, _, G = problem(24, size, dtype)
    layers = [lstm_params(rng, D, H, dtype), lstm_params(rng, H, H, dtype)]
    module = torch.nn.LSTM(D, H, num_layers=2, batch_first=True, dtype=TORCH_DTYPE[dtype])
    for l, params in enumerate(layers):
        load_lstm(module, params, f"_l{l}")
    X_t = leaf(X)
    H_torch, _ = module(X_t)
    torch_pairing(G, H_torch).backward()
    H_ours, cache = lstm.stacked_lstm_forward(X, layers)
    dX, grads = lstm.stacked_lstm_backward(G, cache)
    ours, theirs = {"H": H_ours, "dX": dX}, {"H": numpy_of(H_torch), "dX": numpy_of(X_t.grad)}
    for l, layer_grads in enumerate(grads):
        ours |= {f"layer{l}.{k}": v for k, v in layer_grads.items()}
        theirs |= {f"layer{l}.{k}": v for k, v in lstm_grads(module, H, f"_l{l}").items()}
    assert_matches_torch(ours, theirs, dtype, f"stacked lstm {size}")


# ---------------------------------------------------------------------- GRU


@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_step_matches_the_slides_equations_under_torch_autograd(dtype):
    rng, N, T, D, H, X, h_prev, _, G = problem(30, SIZES[0], dtype)
    x, G = X[:, 0], G[:, 0]
    params = gru_params(rng, D, H, dtype)
    p = {k: leaf(v) for k, v in params.items()}
    x_t, h_t = leaf(x), leaf(h_prev)
    h_torch = torch_gru_step(x_t, h_t, p)
    torch_pairing(G, h_torch).backward()
    h, cache = gru.gru_step_forward(x, h_prev, params)
    dx, dh_prev, grads = gru.gru_step_backward(G, cache)
    assert_matches_torch({"h": h, "dx": dx, "dh_prev": dh_prev, **grads},
                         {"h": numpy_of(h_torch), "dx": numpy_of(x_t.grad), "dh_prev": numpy_of(h_t.grad),
                          **{k: numpy_of(v.grad) for k, v in p.items()}},
                         dtype, "gru_step")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_forward_and_backward_match_the_slides_equations_under_torch_autograd(dtype, size):
    rng, N, T, D, H, X, h0, _, G = problem(31, size, dtype)
    params = gru_params(rng, D, H, dtype)
    p = {k: leaf(v) for k, v in params.items()}
    X_t, h0_t = leaf(X), leaf(h0)
    H_torch = torch_gru(X_t, h0_t, p)
    torch_pairing(G, H_torch).backward()
    H_ours, cache = gru.gru_forward(X, h0, params)
    dX, dh0, grads = gru.gru_backward(G, cache)
    assert_matches_torch({"H": H_ours, "dX": dX, "dh0": dh0, **grads},
                         {"H": numpy_of(H_torch), "dX": numpy_of(X_t.grad), "dh0": numpy_of(h0_t.grad),
                          **{k: numpy_of(v.grad) for k, v in p.items()}},
                         dtype, f"gru {size}")


# ---------------------------------------------------------------- sequences
# How far the gradient of the last hidden state reaches back: torch's autograd
# of L = Σ H[:, T−1], its gradient with respect to X, one norm per step.


def torch_step_norms(X_t):
    """(T,): the norm of X_t.grad[:, t] over its N·D entries."""
    return numpy_of(torch.linalg.vector_norm(X_t.grad, dim=(0, 2)))


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rnn_gradient_norms_match_torch_autograd_of_the_last_state(dtype, size):
    rng, N, T, D, H, X, h0, _, _ = problem(40, size, dtype)
    params = rnn_params(rng, D, H, dtype)
    module = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=TORCH_DTYPE[dtype])
    load_rnn(module, params, "_l0")
    X_t = leaf(X)
    H_torch, _ = module(X_t, torch.from_numpy(h0)[None])
    H_torch[:, -1].sum().backward()
    assert_matches_torch({"g": sequences.rnn_gradient_norms(X, h0, params)}, {"g": torch_step_norms(X_t)},
                         dtype, f"rnn_gradient_norms {size}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_lstm_gradient_norms_match_torch_autograd_of_the_last_state(dtype, size):
    rng, N, T, D, H, X, h0, c0, _ = problem(41, size, dtype)
    params = lstm_params(rng, D, H, dtype)
    module = torch.nn.LSTM(D, H, batch_first=True, dtype=TORCH_DTYPE[dtype])
    load_lstm(module, params, "_l0")
    X_t = leaf(X)
    H_torch, _ = module(X_t, (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    H_torch[:, -1].sum().backward()
    assert_matches_torch({"g": sequences.lstm_gradient_norms(X, h0, c0, params)}, {"g": torch_step_norms(X_t)},
                         dtype, f"lstm_gradient_norms {size}")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gru_gradient_norms_match_torch_autograd_of_the_last_state(dtype, size):
    rng, N, T, D, H, X, h0, _, _ = problem(42, size, dtype)
    params = gru_params(rng, D, H, dtype)
    X_t = leaf(X)
    torch_gru(X_t, torch.from_numpy(h0), {k: torch.from_numpy(v) for k, v in params.items()})[:, -1].sum().backward()
    assert_matches_torch({"g": sequences.gru_gradient_norms(X, h0, params)}, {"g": torch_step_norms(X_t)},
                         dtype, f"gru_gradient_norms {size}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_embed_matches_torch_embedding(dtype):
    rng = np.random.default_rng(43)
    E, ids = gaussian(rng, (7, 5), dtype), rng.integers(0, 7, 12)
    theirs = torch.nn.functional.embedding(torch.from_numpy(ids), torch.from_numpy(E))[None]
    assert_matches_torch({"X": sequences.embed(ids, E)}, {"X": numpy_of(theirs)}, dtype, "embed")
