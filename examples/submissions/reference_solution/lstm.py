"""Long short-term memory (LSTM): gates, step, sequence, bidirectional, stacked.

Notation (the slides'): N batch size, T time steps, D input size, H hidden
size. x is (N, D), h_prev and c_prev are (N, H), X is (N, T, D).
params holds, for each gate g in f (forget), i (input), c (input node) and
o (output): W_xg (D, H), W_hg (H, H), b_g (H,).
"""
from typing import NamedTuple

from activations import array_module, sigmoid, tanh

GATES = ("f", "i", "c", "o")


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(x @ params["W_xf"] + h_prev @ params["W_hf"] + params["b_f"])


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(x @ params["W_xi"] + h_prev @ params["W_hi"] + params["b_i"])


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return tanh(x @ params["W_xc"] + h_prev @ params["W_hc"] + params["b_c"])


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(x @ params["W_xo"] + h_prev @ params["W_ho"] + params["b_o"])


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃. All arguments and the result are (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c). O and c are (N, H); returns (N, H)."""
    return O * tanh(c)


# The passes below work on all four gates at once: the gate weights are
# stacked side by side, W_x (D, 4H) and W_h (H, 4H), in the order of GATES,
# so each step costs one matmul instead of eight.

def _stacked_weights(params):
    """(W_x (D, 4H), W_h (H, 4H), b (4H,)) with the gates in the order of GATES."""
    xp = array_module(params["W_xf"])
    W_x = xp.concatenate([params["W_x" + g] for g in GATES], axis=1)
    W_h = xp.concatenate([params["W_h" + g] for g in GATES], axis=1)
    b = xp.concatenate([params["b_" + g] for g in GATES])
    return W_x, W_h, b


def _split_gates(A):
    """Split (..., 4H) into four (..., H) blocks in the order of GATES."""
    H = A.shape[-1] // 4
    return A[..., :H], A[..., H:2 * H], A[..., 2 * H:3 * H], A[..., 3 * H:]


class CellCache(NamedTuple):
    h_prev: object   # (N, H)
    c_prev: object   # (N, H)
    F: object        # (N, H) the four gate activations
    I: object
    C_tilde: object
    O: object
    tanh_c: object   # (N, H) tanh of the new cell state


def _cell_forward(A_x, h_prev, c_prev, W_h):
    """One step given A_x = x W_x + b (N, 4H). Returns (h, c, CellCache)."""
    xp = array_module(A_x)
    A = A_x + h_prev @ W_h
    a_f, a_i, a_c, a_o = _split_gates(A)
    F, I, O = sigmoid(a_f), sigmoid(a_i), sigmoid(a_o)
    C_tilde = xp.tanh(a_c)
    c = F * c_prev + I * C_tilde
    tanh_c = xp.tanh(c)
    h = O * tanh_c
    return h, c, CellCache(h_prev, c_prev, F, I, C_tilde, O, tanh_c)


def _cell_backward(dh, dc, cell, W_h, dA):
    """Backward through one step. Writes the gate pre-activation gradient into
    dA (N, 4H) and returns (dh_prev, dc_prev), both (N, H)."""
    dO = dh * cell.tanh_c
    dc = dc + dh * cell.O * (1 - cell.tanh_c * cell.tanh_c)
    da_f, da_i, da_c, da_o = _split_gates(dA)
    da_f[...] = dc * cell.c_prev * cell.F * (1 - cell.F)
    da_i[...] = dc * cell.C_tilde * cell.I * (1 - cell.I)
    da_c[...] = dc * cell.I * (1 - cell.C_tilde * cell.C_tilde)
    da_o[...] = dO * cell.O * (1 - cell.O)
    return dA @ W_h.T, dc * cell.F


def _grads_from(dA_flat, inputs_flat, h_prev_flat):
    """Parameter gradients from pre-activation gradients of every step.

    dA_flat (M, 4H), inputs_flat (M, D), h_prev_flat (M, H), M rows of
    (batch, step) pairs. Returns the params-shaped dict of gradients.
    """
    dW_x = inputs_flat.T @ dA_flat
    dW_h = h_prev_flat.T @ dA_flat
    db = dA_flat.sum(axis=0)
    grads = {}
    for g, W_x_g, W_h_g, b_g in zip(GATES, _split_gates(dW_x), _split_gates(dW_h), _split_gates(db)):
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = W_x_g, W_h_g, b_g
    return grads


class StepCache(NamedTuple):
    x: object
    cell: CellCache
    params: dict


class SequenceCache(NamedTuple):
    X: object          # (N, T, D)
    cells: list        # T CellCaches
    params: dict


class BiCache(NamedTuple):
    forward: SequenceCache
    backward: SequenceCache   # over the time-reversed input
    H_f: int


class StackedCache(NamedTuple):
    layers: list       # one SequenceCache per layer


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step: the four gates, then C = F ⊙ c_prev + I ⊙ C̃ and H = O ⊙ tanh(C).

    x: (N, D); h_prev, c_prev: (N, H).
    Returns (h, c, cache): h and c of shape (N, H), cache for lstm_step_backward.
    """
    W_x, W_h, b = _stacked_weights(params)
    h, c, cell = _cell_forward(x @ W_x + b, h_prev, c_prev, W_h)
    return h, c, StepCache(x, cell, params)


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM step.

    dh, dc: (N, H), upstream gradients of this step's h and c.
    Returns (dx, dh_prev, dc_prev, grads): dx (N, D), dh_prev and dc_prev
    (N, H), grads a dict with params' keys and shapes.
    HINT: h depends on c, so the gradient reaching c is dc + dh ⊙ O ⊙ (1 − tanh²(c)).
    """
    x, cell, params = cache
    W_x, W_h, _ = _stacked_weights(params)
    xp = array_module(dh)
    dA = xp.empty(dh.shape[:1] + (4 * dh.shape[1],), dtype=dh.dtype)
    dh_prev, dc_prev = _cell_backward(dh, dc, cell, W_h, dA)
    return dA @ W_x.T, dh_prev, dc_prev, _grads_from(dA, x, cell.h_prev)


def lstm_forward(X, h0, c0, params):
    """Run the LSTM over a sequence, starting from (h0, c0).

    X: (N, T, D); h0, c0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    xp = array_module(X)
    N, T, _ = X.shape
    W_x, W_h, b = _stacked_weights(params)
    A_x = X @ W_x + b  # every step's input projection in one matmul
    H = xp.empty((N, T, h0.shape[1]), dtype=X.dtype)
    h, c, cells = h0, c0, []
    for t in range(T):
        h, c, cell = _cell_forward(A_x[:, t], h, c, W_h)
        H[:, t] = h
        cells.append(cell)
    return H, SequenceCache(X, cells, params)


def lstm_backward(dH, cache):
    """Backpropagation through time for lstm_forward.

    dH: (N, T, H), ∂L/∂h_t from outside the recurrence.
    Returns (dX, dh0, dc0, grads): dX (N, T, D), dh0 and dc0 (N, H), grads a
    dict with params' keys and shapes, summed over all steps.
    HINT: carry both dh_prev and dc_prev from step t back to step t−1.
    """
    X, cells, params = cache
    xp = array_module(dH)
    N, T, D = X.shape
    W_x, W_h, _ = _stacked_weights(params)
    dA = xp.empty((N, T, W_h.shape[1]), dtype=dH.dtype)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    for t in reversed(range(T)):
        dh, dc = _cell_backward(dH[:, t] + dh, dc, cells[t], W_h, dA[:, t])
    H_prev = xp.stack([cell.h_prev for cell in cells], axis=1)
    grads = _grads_from(dA.reshape(N * T, -1), X.reshape(N * T, D), H_prev.reshape(N * T, -1))
    return dA @ W_x.T, dh, dc, grads


def bilstm_forward(X, params_fwd, params_bwd):
    """A bidirectional LSTM, both directions starting from zero states.

    X: (N, T, D). Returns (H, cache) with H of shape (N, T, H_f + H_b):
    H[:, t, :H_f] is the forward LSTM's state after reading X[:, 0..t];
    H[:, t, H_f:] is the backward LSTM's state after reading X[:, T−1], …, X[:, t].
    """
    xp = array_module(X)
    N = X.shape[0]
    H_f, H_b = params_fwd["W_hf"].shape[0], params_bwd["W_hf"].shape[0]
    zeros = lambda size: xp.zeros((N, size), dtype=X.dtype)
    H_fwd, cache_f = lstm_forward(X, zeros(H_f), zeros(H_f), params_fwd)
    H_rev, cache_b = lstm_forward(X[:, ::-1], zeros(H_b), zeros(H_b), params_bwd)
    H = xp.concatenate([H_fwd, H_rev[:, ::-1]], axis=2)
    return H, BiCache(cache_f, cache_b, H_f)


def bilstm_backward(dH, cache):
    """Backward pass of bilstm_forward.

    dH: (N, T, H_f + H_b). Returns (dX, grads_fwd, grads_bwd): dX (N, T, D)
    and one gradient dict per direction.
    """
    cache_f, cache_b, H_f = cache
    dX_f, _, _, grads_fwd = lstm_backward(dH[..., :H_f], cache_f)
    dX_rev, _, _, grads_bwd = lstm_backward(dH[:, ::-1, H_f:], cache_b)
    return dX_f + dX_rev[:, ::-1], grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """A stack of LSTMs: layer 0 reads X, layer l reads layer l−1's H.

    X: (N, T, D); layers: a list of params dicts, layer l's W_x? of shape
    (input size of layer l, H_l). Every layer starts from zero states.
    Returns (H, cache) with H the top layer's hidden states (N, T, H_top).
    """
    xp = array_module(X)
    H, caches = X, []
    for params in layers:
        zeros = xp.zeros((X.shape[0], params["W_hf"].shape[0]), dtype=X.dtype)
        H, cache = lstm_forward(H, zeros, zeros, params)
        caches.append(cache)
    return H, StackedCache(caches)


def stacked_lstm_backward(dH, cache):
    """Backward pass of stacked_lstm_forward.

    dH: (N, T, H_top). Returns (dX, grads): dX (N, T, D), grads a list of
    gradient dicts, one per layer, bottom layer first.
    """
    grads = []
    for layer_cache in reversed(cache.layers):
        dH, _, _, layer_grads = lstm_backward(dH, layer_cache)
        grads.append(layer_grads)
    return dH, grads[::-1]
