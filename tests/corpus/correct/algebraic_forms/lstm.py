"""LSTM, correct but written differently: cache pre-activations, use the derivatives.

What differs from the reference: caches are lists holding the gates'
*pre-activations* (not their values); the backward pass applies the
contract's sigmoid_prime and tanh_prime at those pre-activations instead of
σ(1 − σ) and 1 − tanh² of cached outputs; the cell update is written
C = I ⊙ C̃ + F ⊙ c_prev; sequences are loops of a private step with
list caches; the BiLSTM flips time with xp.flip.
"""
from activations import array_module, sigmoid, sigmoid_prime, tanh, tanh_prime

GATES = "fico"


def _pre(x, h_prev, params, g):
    return x @ params["W_x" + g] + h_prev @ params["W_h" + g] + params["b_" + g]


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "f"))


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "i"))


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return tanh(_pre(x, h_prev, params, "c"))


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "o"))


def cell_state(F, I, C_tilde, c_prev):
    """C = I ⊙ C̃ + F ⊙ c_prev, all (N, H)."""
    return I * C_tilde + F * c_prev


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


def _step(x, h_prev, c_prev, params):
    """Returns (h, c, cache list [x, h_prev, c_prev, c, a_f, a_i, a_c, a_o, params])."""
    a = [_pre(x, h_prev, params, g) for g in GATES]
    F, I, O = sigmoid(a[0]), sigmoid(a[1]), sigmoid(a[3])
    c = cell_state(F, I, tanh(a[2]), c_prev)
    return hidden_state(O, c), c, [x, h_prev, c_prev, c, *a, params]


def _step_back(dh, dc, cache):
    """Returns (dx, dh_prev, dc_prev, grads) for one step."""
    x, h_prev, c_prev, c, a_f, a_i, a_c, a_o, params = cache
    dc = dc + dh * sigmoid(a_o) * tanh_prime(c)
    da = {
        "f": dc * c_prev * sigmoid_prime(a_f),
        "i": dc * tanh(a_c) * sigmoid_prime(a_i),
        "c": dc * sigmoid(a_i) * tanh_prime(a_c),
        "o": dh * tanh(c) * sigmoid_prime(a_o),
    }
    dx = sum(da[g] @ params["W_x" + g].T for g in GATES)
    dh_prev = sum(da[g] @ params["W_h" + g].T for g in GATES)
    grads = {}
    for g in GATES:
        grads["W_x" + g] = x.T @ da[g]
        grads["W_h" + g] = h_prev.T @ da[g]
        grads["b_" + g] = da[g].sum(axis=0)
    return dx, dh_prev, dc * sigmoid(a_f), grads


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    return _step(x, h_prev, c_prev, params)


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx, dh_prev, dc_prev, grads)."""
    return _step_back(dh, dc, cache)


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, c, hs, cache = h0, c0, [], []
    for t in range(X.shape[1]):
        h, c, step = _step(X[:, t], h, c, params)
        hs.append(h)
        cache.append(step)
    return xp.stack(hs, axis=1), cache


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    dh = dc = xp.zeros_like(dH[:, 0])
    dX, total = [], None
    for t in range(len(cache) - 1, -1, -1):
        dx, dh, dc, grads = _step_back(dH[:, t] + dh, dc, cache[t])
        dX.insert(0, dx)
        total = grads if total is None else {k: total[k] + grads[k] for k in total}
    return xp.stack(dX, axis=1), dh, dc, total


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    sizes = [p["W_hf"].shape[0] for p in (params_fwd, params_bwd)]
    z = [xp.zeros((X.shape[0], s), dtype=X.dtype) for s in sizes]
    H_fwd, cache_f = lstm_forward(X, z[0], z[0], params_fwd)
    H_bwd, cache_b = lstm_forward(xp.flip(X, axis=1), z[1], z[1], params_bwd)
    return xp.concatenate([H_fwd, xp.flip(H_bwd, axis=1)], axis=2), [cache_f, cache_b, sizes[0]]


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    xp = array_module(dH)
    cache_f, cache_b, H_f = cache
    dX_f, _, _, grads_fwd = lstm_backward(dH[..., :H_f], cache_f)
    dX_b, _, _, grads_bwd = lstm_backward(xp.flip(dH[..., H_f:], axis=1), cache_b)
    return dX_f + xp.flip(dX_b, axis=1), grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    xp = array_module(X)
    cache, H = [], X
    for params in layers:
        z = xp.zeros((X.shape[0], params["W_hf"].shape[0]), dtype=X.dtype)
        H, layer_cache = lstm_forward(H, z, z, params)
        cache.append(layer_cache)
    return H, cache


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = []
    for layer_cache in reversed(cache):
        dH, _, _, layer_grads = lstm_backward(dH, layer_cache)
        grads.append(layer_grads)
    grads.reverse()
    return dH, grads
