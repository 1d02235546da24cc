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


# The passes below keep the four gates of a step in one (4, N, H) array, one
# contiguous (N, H) block per gate, in the order of STACKED: the three σ
# gates first, so that one call covers them, then the input node. The gates'
# weights are stacked the same way, W_x (4, D, H) and W_h (4, H, H), so each
# product is one (batched) matmul. Sequences are stored time major, (T, N, ·),
# so that every step's arrays are contiguous too: strided elementwise
# operations cost NumPy about twice as much.
STACKED = ("f", "i", "o", "c")


def _stacked(params):
    """(W_x (4, D, H), W_h (4, H, H), b (4, 1, H)): the gates' parameters in the order of STACKED."""
    xp = array_module(params["W_xf"])
    W_x = xp.stack([params["W_x" + g] for g in STACKED])
    W_h = xp.stack([params["W_h" + g] for g in STACKED])
    b = xp.stack([params["b_" + g] for g in STACKED])[:, None]
    return W_x, W_h, b


def _side_by_side(blocks, out=None):
    """(4, M, K) gate blocks -> (M, 4K), the gates side by side (into `out` if given)."""
    xp = array_module(blocks)
    gates, M, K = blocks.shape
    if out is None:
        out = xp.empty((M, gates * K), dtype=blocks.dtype)
    out.reshape(M, gates, K)[...] = blocks.transpose(1, 0, 2)
    return out


def _sigmoid_in_place(a):
    """a ← σ(a), elementwise and in place, as σ(a) = (1 + tanh(a/2)) / 2.

    Cheaper than sigmoid() inside a loop (no temporary arrays) and just as
    stable; near σ = 0 it is exact to ε/4 absolutely rather than relatively.
    """
    xp = array_module(a)
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _cell_forward(gates, c_prev, c, tanh_c, h):
    """One step's cell, in place.

    gates (4, N, H) holds the pre-activations of F, I, O, C̃ on entry and
    their activations on return; c_prev is (N, H); the new cell state, its
    tanh and the new hidden state are written into c, tanh_c and h (N, H).
    """
    xp = array_module(gates)
    _sigmoid_in_place(gates[:3])
    xp.tanh(gates[3], out=gates[3])
    F, I, O, C_tilde = gates
    xp.multiply(F, c_prev, out=c)
    c += I * C_tilde
    xp.tanh(c, out=tanh_c)
    xp.multiply(O, tanh_c, out=h)


def _cell_backward(dh, dc, gates, c_prev, tanh_c, dgates):
    """Backward through one step's cell.

    dh, dc: (N, H), the gradients at this step's h and c; gates, c_prev and
    tanh_c as _cell_forward left them. Writes the gradients at the gates'
    pre-activations into dgates (4, N, H) and returns dc_prev (N, H).
    """
    xp = array_module(dh)
    F, I, O, C_tilde = gates
    dc = dc + dh * O * (1 - tanh_c * tanh_c)
    dF, dI, dO, dC_tilde = dgates
    # The gradients at F, I and O, then all three through σ' = S(1 − S).
    xp.multiply(dc, c_prev, out=dF)
    xp.multiply(dc, C_tilde, out=dI)
    xp.multiply(dh, tanh_c, out=dO)
    S = gates[:3]
    sigma_prime = 1 - S
    sigma_prime *= S
    dgates[:3] *= sigma_prime
    xp.multiply(dc * I, 1 - C_tilde * C_tilde, out=dC_tilde)
    return dc * F


def _grads(dW_x, dW_h, db):
    """The params-shaped gradient dict from dW_x (D, 4H), dW_h (H, 4H) and
    db (4H,), each with the gates side by side in the order of STACKED."""
    H = db.shape[0] // 4
    grads = {}
    for g in GATES:  # in the params' key order
        k = slice(STACKED.index(g) * H, (STACKED.index(g) + 1) * H)
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = dW_x[:, k], dW_h[:, k], db[k]
    return grads


class StepCache(NamedTuple):
    x: object        # (N, D)
    h_prev: object   # (N, H)
    c_prev: object   # (N, H)
    gates: object    # (4, N, H) F, I, O, C̃
    tanh_c: object   # (N, H)
    params: dict


class SequenceCache(NamedTuple):
    XH: object       # (T + 1, N, D + 1 + H) row t: [x_t | 1 | h_(t−1)]; row T holds h_T
    gates: object    # (4, T, N, H) every step's F, I, O, C̃
    C: object        # (T + 1, N, H) c0, then every step's cell state
    tanh_C: object   # (T, N, H) tanh of every step's cell state
    W_x: object      # (4, D, H) as _stacked gives them
    W_h: object      # (4, H, H)


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
    xp = array_module(x)
    W_x, W_h, b = _stacked(params)
    gates = xp.matmul(x, W_x) + xp.matmul(h_prev, W_h) + b
    h, c, tanh_c = xp.empty_like(h_prev), xp.empty_like(c_prev), xp.empty_like(c_prev)
    _cell_forward(gates, c_prev, c, tanh_c, h)
    return h, c, StepCache(x, h_prev, c_prev, gates, tanh_c, params)


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM step.

    dh, dc: (N, H), upstream gradients of this step's h and c.
    Returns (dx, dh_prev, dc_prev, grads): dx (N, D), dh_prev and dc_prev
    (N, H), grads a dict with params' keys and shapes.
    HINT: h depends on c, so the gradient reaching c is dc + dh ⊙ O ⊙ (1 − tanh²(c)).
    """
    x, h_prev, c_prev, gates, tanh_c, params = cache
    W_x, W_h = (_side_by_side(W) for W in _stacked(params)[:2])
    dgates = array_module(dh).empty_like(gates)
    dc_prev = _cell_backward(dh, dc, gates, c_prev, tanh_c, dgates)
    dA = _side_by_side(dgates)  # (N, 4H)
    return dA @ W_x.T, dA @ W_h.T, dc_prev, _grads(x.T @ dA, h_prev.T @ dA, dA.sum(axis=0))


def lstm_forward(X, h0, c0, params):
    """Run the LSTM over a sequence, starting from (h0, c0).

    X: (N, T, D); h0, c0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    xp = array_module(X)
    N, T, D = X.shape
    H_size = h0.shape[1]
    W_x, W_h, b = _stacked(params)
    # Row t of XH is what step t reads, [x_t | 1 | h_(t−1)]; step t writes h_t
    # into row t + 1. The column of ones carries the bias: [x_t | 1] times W_x
    # stacked on b is x_t W_x + b, and in the backward pass the same matmul
    # that gives dW_x and dW_h gives db.
    XH = xp.empty((T + 1, N, D + 1 + H_size), dtype=X.dtype)
    XH[:T, :, :D] = X.transpose(1, 0, 2)
    XH[:, :, D] = 1
    XH[T, :, :D] = 0
    XH[0, :, D + 1:] = h0
    # Every step's input projections in one batched matmul over all T·N rows;
    # step t then adds its h_prev W_h and turns gates[:, t] into activations.
    inputs = XH[:T, :, :D + 1].reshape(T * N, D + 1)
    gates = xp.matmul(inputs, xp.concatenate([W_x, b], axis=1)).reshape(4, T, N, H_size)
    C = xp.empty((T + 1, N, H_size), dtype=X.dtype)
    tanh_C = xp.empty((T, N, H_size), dtype=X.dtype)
    C[0] = c0
    for t in range(T):
        gates[:, t] += xp.matmul(XH[t, :, D + 1:], W_h)
        _cell_forward(gates[:, t], C[t], C[t + 1], tanh_C[t], XH[t + 1, :, D + 1:])
    return XH[1:, :, D + 1:].transpose(1, 0, 2), SequenceCache(XH, gates, C, tanh_C, W_x, W_h)


def lstm_backward(dH, cache):
    """Backpropagation through time for lstm_forward.

    dH: (N, T, H), ∂L/∂h_t from outside the recurrence.
    Returns (dX, dh0, dc0, grads): dX (N, T, D), dh0 and dc0 (N, H), grads a
    dict with params' keys and shapes, summed over all steps.
    HINT: carry both dh_prev and dc_prev from step t back to step t−1.
    """
    XH, gates, C, tanh_C, W_x, W_h = cache
    xp = array_module(dH)
    T, N, H_size = tanh_C.shape
    D = XH.shape[2] - 1 - H_size
    W_x, W_h = _side_by_side(W_x), _side_by_side(W_h)  # (D, 4H), (H, 4H)
    W_h_T = xp.ascontiguousarray(W_h.T)
    # Step t's gate gradients go gate by gate into dgates (4, N, H) for the
    # elementwise work, then side by side into dA[t] (N, 4H) for the matmuls.
    dgates = xp.empty_like(gates[:, 0])
    dA = xp.empty((T, N, 4 * H_size), dtype=dH.dtype)
    dh, dc = xp.zeros_like(C[0]), xp.zeros_like(C[0])
    for t in reversed(range(T)):
        dh = dh + dH[:, t]
        dc = _cell_backward(dh, dc, gates[:, t], C[t], tanh_C[t], dgates)
        _side_by_side(dgates, out=dA[t])
        dh = dA[t] @ W_h_T
    dA = dA.reshape(T * N, -1)
    dW = XH[:T].reshape(T * N, -1).T @ dA  # (D + 1 + H, 4H): dW_x, db, dW_h
    grads = _grads(dW[:D], dW[D + 1:], dW[D])
    dX = (dA @ W_x.T).reshape(T, N, D)
    return dX.transpose(1, 0, 2), dh, dc, grads


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
