"""Long short-term memory (LSTM): gates, step, sequence, bidirectional, stacked.

Notation (the slides'): N batch size, T time steps, D input size, H hidden
size. x is (N, D), h_prev and c_prev are (N, H), X is (N, T, D).
params holds, for each gate g in f (forget), i (input), c (input node) and
o (output): W_xg (D, H), W_hg (H, H), b_g (H,).
"""
### BEGIN SOLUTION
from typing import NamedTuple
### END SOLUTION

from activations import array_module, sigmoid, tanh

GATES = ("f", "i", "c", "o")


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    ### BEGIN SOLUTION
    return sigmoid(x @ params["W_xf"] + h_prev @ params["W_hf"] + params["b_f"])
    ### END SOLUTION


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    ### BEGIN SOLUTION
    return sigmoid(x @ params["W_xi"] + h_prev @ params["W_hi"] + params["b_i"])
    ### END SOLUTION


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    ### BEGIN SOLUTION
    return tanh(x @ params["W_xc"] + h_prev @ params["W_hc"] + params["b_c"])
    ### END SOLUTION


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    ### BEGIN SOLUTION
    return sigmoid(x @ params["W_xo"] + h_prev @ params["W_ho"] + params["b_o"])
    ### END SOLUTION


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃. All arguments and the result are (N, H)."""
    ### BEGIN SOLUTION
    return F * c_prev + I * C_tilde
    ### END SOLUTION


def hidden_state(O, c):
    """H = O ⊙ tanh(c). O and c are (N, H); returns (N, H)."""
    ### BEGIN SOLUTION
    return O * tanh(c)
    ### END SOLUTION


### BEGIN SOLUTION
# The passes below work on all four gates at once: the gate weights are
# stacked side by side, W_x (D, 4H) and W_h (H, 4H), so each step costs one
# matmul instead of eight. The three σ gates come first, so that one sigmoid
# call covers them, then the input node: the order of STACKED.
STACKED = ("f", "i", "o", "c")


def _stacked_weights(params):
    """(W_x (D, 4H), W_h (H, 4H), b (4H,)) with the gates in the order of STACKED."""
    xp = array_module(params["W_xf"])
    W_x = xp.concatenate([params["W_x" + g] for g in STACKED], axis=1)
    W_h = xp.concatenate([params["W_h" + g] for g in STACKED], axis=1)
    b = xp.concatenate([params["b_" + g] for g in STACKED])
    return W_x, W_h, b


def _split(A, parts):
    """Split the last axis of A into `parts` equal blocks."""
    size = A.shape[-1] // parts
    return [A[..., k * size:(k + 1) * size] for k in range(parts)]


class CellCache(NamedTuple):
    h_prev: object   # (N, H)
    c_prev: object   # (N, H)
    S: object        # (N, 3H) the σ gates side by side: F, I, O
    C_tilde: object  # (N, H)
    tanh_c: object   # (N, H) tanh of the new cell state


def _cell_forward(A_x, h_prev, c_prev, W_h):
    """One step given A_x = x W_x + b (N, 4H). Returns (h, c, CellCache)."""
    xp = array_module(A_x)
    H = h_prev.shape[1]
    A = h_prev @ W_h
    A += A_x  # in place: one (N, 4H) array fewer per step
    S = sigmoid(A[:, :3 * H])
    F, I, O = _split(S, 3)
    C_tilde = xp.tanh(A[:, 3 * H:])
    c = F * c_prev + I * C_tilde
    tanh_c = xp.tanh(c)
    return O * tanh_c, c, CellCache(h_prev, c_prev, S, C_tilde, tanh_c)


def _cell_backward(dh, dc, cell, W_h_T, dA):
    """Backward through one step. Writes the gate pre-activation gradient into
    dA (N, 4H) and returns (dh_prev, dc_prev), both (N, H)."""
    xp = array_module(dh)
    H = dh.shape[1]
    F, I, O = _split(cell.S, 3)
    dc = dc + dh * O * (1 - cell.tanh_c * cell.tanh_c)
    dF, dI, dO, da_c = _split(dA, 4)
    # The gradients at F, I and O side by side, then all through σ' = S(1 − S).
    xp.multiply(dc, cell.c_prev, out=dF)
    xp.multiply(dc, cell.C_tilde, out=dI)
    xp.multiply(dh, cell.tanh_c, out=dO)
    dA[:, :3 * H] *= cell.S * (1 - cell.S)
    xp.multiply(dc * I, 1 - cell.C_tilde * cell.C_tilde, out=da_c)
    return dA @ W_h_T, dc * F


def _grads_from(dA_flat, inputs_flat, h_prev_flat):
    """Parameter gradients from pre-activation gradients of every step.

    dA_flat (M, 4H), inputs_flat (M, D), h_prev_flat (M, H), M rows of
    (batch, step) pairs. Returns the params-shaped dict of gradients.
    """
    xp = array_module(dA_flat)
    D = inputs_flat.shape[1]
    # One matmul for W_x and W_h: [inputs | h_prev]ᵀ dA is (D + H, 4H).
    dW = xp.concatenate([inputs_flat, h_prev_flat], axis=1).T @ dA_flat
    dW_x, dW_h, db = (dict(zip(STACKED, _split(a, 4))) for a in (dW[:D], dW[D:], dA_flat.sum(axis=0)))
    grads = {}
    for g in GATES:  # in the params' key order
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = dW_x[g], dW_h[g], db[g]
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
### END SOLUTION


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step: the four gates, then C = F ⊙ c_prev + I ⊙ C̃ and H = O ⊙ tanh(C).

    x: (N, D); h_prev, c_prev: (N, H).
    Returns (h, c, cache): h and c of shape (N, H), cache for lstm_step_backward.
    """
    ### BEGIN SOLUTION
    W_x, W_h, b = _stacked_weights(params)
    h, c, cell = _cell_forward(x @ W_x + b, h_prev, c_prev, W_h)
    return h, c, StepCache(x, cell, params)
    ### END SOLUTION


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM step.

    dh, dc: (N, H), upstream gradients of this step's h and c.
    Returns (dx, dh_prev, dc_prev, grads): dx (N, D), dh_prev and dc_prev
    (N, H), grads a dict with params' keys and shapes.
    HINT: h depends on c, so the gradient reaching c is dc + dh ⊙ O ⊙ (1 − tanh²(c)).
    """
    ### BEGIN SOLUTION
    x, cell, params = cache
    W_x, W_h, _ = _stacked_weights(params)
    xp = array_module(dh)
    dA = xp.empty(dh.shape[:1] + (4 * dh.shape[1],), dtype=dh.dtype)
    dh_prev, dc_prev = _cell_backward(dh, dc, cell, W_h.T, dA)
    return dA @ W_x.T, dh_prev, dc_prev, _grads_from(dA, x, cell.h_prev)
    ### END SOLUTION


def lstm_forward(X, h0, c0, params):
    """Run the LSTM over a sequence, starting from (h0, c0).

    X: (N, T, D); h0, c0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    ### BEGIN SOLUTION
    xp = array_module(X)
    N, T, _ = X.shape
    W_x, W_h, b = _stacked_weights(params)
    # Every step's input projection in one matmul over all N·T rows.
    A_x = (X.reshape(N * T, -1) @ W_x + b).reshape(N, T, -1)
    H = xp.empty((N, T, h0.shape[1]), dtype=X.dtype)
    h, c, cells = h0, c0, []
    for t in range(T):
        h, c, cell = _cell_forward(A_x[:, t], h, c, W_h)
        H[:, t] = h
        cells.append(cell)
    return H, SequenceCache(X, cells, params)
    ### END SOLUTION


def lstm_backward(dH, cache):
    """Backpropagation through time for lstm_forward.

    dH: (N, T, H), ∂L/∂h_t from outside the recurrence.
    Returns (dX, dh0, dc0, grads): dX (N, T, D), dh0 and dc0 (N, H), grads a
    dict with params' keys and shapes, summed over all steps.
    HINT: carry both dh_prev and dc_prev from step t back to step t−1.
    """
    ### BEGIN SOLUTION
    X, cells, params = cache
    xp = array_module(dH)
    N, T, D = X.shape
    W_x, W_h, _ = _stacked_weights(params)
    W_h_T = xp.ascontiguousarray(W_h.T)  # read once per step: worth a copy
    dA = xp.empty((N, T, W_h.shape[1]), dtype=dH.dtype)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    for t in reversed(range(T)):
        dh, dc = _cell_backward(dH[:, t] + dh, dc, cells[t], W_h_T, dA[:, t])
    H_prev = xp.stack([cell.h_prev for cell in cells], axis=1)
    dA_flat = dA.reshape(N * T, -1)
    grads = _grads_from(dA_flat, X.reshape(N * T, D), H_prev.reshape(N * T, -1))
    return (dA_flat @ W_x.T).reshape(N, T, D), dh, dc, grads
    ### END SOLUTION


def bilstm_forward(X, params_fwd, params_bwd):
    """A bidirectional LSTM, both directions starting from zero states.

    X: (N, T, D). Returns (H, cache) with H of shape (N, T, H_f + H_b):
    H[:, t, :H_f] is the forward LSTM's state after reading X[:, 0..t];
    H[:, t, H_f:] is the backward LSTM's state after reading X[:, T−1], …, X[:, t].
    """
    ### BEGIN SOLUTION
    xp = array_module(X)
    N = X.shape[0]
    H_f, H_b = params_fwd["W_hf"].shape[0], params_bwd["W_hf"].shape[0]
    zeros = lambda size: xp.zeros((N, size), dtype=X.dtype)
    H_fwd, cache_f = lstm_forward(X, zeros(H_f), zeros(H_f), params_fwd)
    H_rev, cache_b = lstm_forward(X[:, ::-1], zeros(H_b), zeros(H_b), params_bwd)
    H = xp.concatenate([H_fwd, H_rev[:, ::-1]], axis=2)
    return H, BiCache(cache_f, cache_b, H_f)
    ### END SOLUTION


def bilstm_backward(dH, cache):
    """Backward pass of bilstm_forward.

    dH: (N, T, H_f + H_b). Returns (dX, grads_fwd, grads_bwd): dX (N, T, D)
    and one gradient dict per direction.
    """
    ### BEGIN SOLUTION
    cache_f, cache_b, H_f = cache
    dX_f, _, _, grads_fwd = lstm_backward(dH[..., :H_f], cache_f)
    dX_rev, _, _, grads_bwd = lstm_backward(dH[:, ::-1, H_f:], cache_b)
    return dX_f + dX_rev[:, ::-1], grads_fwd, grads_bwd
    ### END SOLUTION


def stacked_lstm_forward(X, layers):
    """A stack of LSTMs: layer 0 reads X, layer l reads layer l−1's H.

    X: (N, T, D); layers: a list of params dicts, layer l's W_x? of shape
    (input size of layer l, H_l). Every layer starts from zero states.
    Returns (H, cache) with H the top layer's hidden states (N, T, H_top).
    """
    ### BEGIN SOLUTION
    xp = array_module(X)
    H, caches = X, []
    for params in layers:
        zeros = xp.zeros((X.shape[0], params["W_hf"].shape[0]), dtype=X.dtype)
        H, cache = lstm_forward(H, zeros, zeros, params)
        caches.append(cache)
    return H, StackedCache(caches)
    ### END SOLUTION


def stacked_lstm_backward(dH, cache):
    """Backward pass of stacked_lstm_forward.

    dH: (N, T, H_top). Returns (dX, grads): dX (N, T, D), grads a list of
    gradient dicts, one per layer, bottom layer first.
    """
    ### BEGIN SOLUTION
    grads = []
    for layer_cache in reversed(cache.layers):
        dH, _, _, layer_grads = lstm_backward(dH, layer_cache)
        grads.append(layer_grads)
    return dH, grads[::-1]
    ### END SOLUTION
