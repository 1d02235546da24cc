"""LSTM, correct but written differently: time-major, PyTorch gate order, one pass for both directions.

What differs from the reference: weights are stacked in PyTorch's gate
order i, f, c (PyTorch's g), o; sequences are processed time-major (T, N, ·);
one private sequence pass takes the order of the time steps, so the
BiLSTM's backward direction runs the same code over t = T−1, …, 0 and
writes each state at its own t (nothing is flipped); caches are plain
lists; gradients are accumulated with += into the pass's own zero arrays.
"""
from activations import array_module, sigmoid, tanh

ORDER = ("i", "f", "c", "o")


def _gate(x, h_prev, params, g, activation):
    return activation(h_prev @ params["W_h" + g] + x @ params["W_x" + g] + params["b_" + g])


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return _gate(x, h_prev, params, "f", sigmoid)


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return _gate(x, h_prev, params, "i", sigmoid)


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return _gate(x, h_prev, params, "c", tanh)


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return _gate(x, h_prev, params, "o", sigmoid)


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃, all (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


def _stack(params):
    """(W_x (D, 4H), W_h (H, 4H), b (4H,)), gates in ORDER."""
    xp = array_module(params["W_xi"])
    return tuple(xp.concatenate([params[p + g] for g in ORDER], axis=axis)
                 for p, axis in (("W_x", 1), ("W_h", 1), ("b_", 0)))


def _unstack(dW_x, dW_h, db):
    H = db.shape[0] // 4
    grads = {}
    for k, g in enumerate(ORDER):
        block = slice(k * H, (k + 1) * H)
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = dW_x[:, block], dW_h[:, block], db[block]
    return grads


def _cell(ax, h_prev, c_prev, W_h):
    """One step from ax = x W_x + b (N, 4H). Returns (h, c, cell list)."""
    H = h_prev.shape[1]
    A = ax + h_prev @ W_h
    I, F = sigmoid(A[:, :H]), sigmoid(A[:, H:2 * H])
    G, O = tanh(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
    c = F * c_prev + I * G
    tanh_c = tanh(c)
    return O * tanh_c, c, [h_prev, c_prev, I, F, G, O, tanh_c]


def _cell_back(dh, dc, cell, W_h):
    """Backward through _cell. Returns (dA (N, 4H), dh_prev, dc_prev)."""
    xp = array_module(dh)
    h_prev, c_prev, I, F, G, O, tanh_c = cell
    dc = dc + dh * O * (1 - tanh_c * tanh_c)
    dA = xp.concatenate([dc * G * I * (1 - I), dc * c_prev * F * (1 - F),
                         dc * I * (1 - G * G), dh * tanh_c * O * (1 - O)], axis=1)
    return dA, dA @ W_h.T, dc * F


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    W_x, W_h, b = _stack(params)
    h, c, cell = _cell(x @ W_x + b, h_prev, c_prev, W_h)
    return h, c, [x, cell, params]


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx, dh_prev, dc_prev, grads)."""
    x, cell, params = cache
    W_x, W_h, _ = _stack(params)
    dA, dh_prev, dc_prev = _cell_back(dh, dc, cell, W_h)
    return dA @ W_x.T, dh_prev, dc_prev, _unstack(x.T @ dA, cell[0].T @ dA, dA.sum(axis=0))


def _run(Xt, h0, c0, params, steps):
    """The LSTM over time-major Xt (T, N, D), visiting the time steps in `steps`.
    Returns (states (T, N, H) at their own t, cache list)."""
    xp = array_module(Xt)
    W_x, W_h, b = _stack(params)
    AX = Xt @ W_x + b
    states = xp.empty((Xt.shape[0],) + h0.shape, dtype=Xt.dtype)
    cells = [None] * Xt.shape[0]
    h, c = h0, c0
    for t in steps:
        h, c, cells[t] = _cell(AX[t], h, c, W_h)
        states[t] = h
    return states, [Xt, cells, params, list(steps)]


def _run_back(dHt, cache):
    """Backward through _run, visiting its steps in reverse. Returns (dXt, dh0, dc0, grads)."""
    xp = array_module(dHt)
    Xt, cells, params, steps = cache
    W_x, W_h, b = _stack(params)
    dW_x, dW_h, db = xp.zeros_like(W_x), xp.zeros_like(W_h), xp.zeros_like(b)
    dXt = xp.empty(Xt.shape, dtype=dHt.dtype)
    dh, dc = xp.zeros_like(dHt[0]), xp.zeros_like(dHt[0])
    for t in reversed(steps):
        dA, dh, dc = _cell_back(dHt[t] + dh, dc, cells[t], W_h)
        dW_x += Xt[t].T @ dA
        dW_h += cells[t][0].T @ dA
        db += dA.sum(axis=0)
        dXt[t] = dA @ W_x.T
    return dXt, dh, dc, _unstack(dW_x, dW_h, db)


def _batch_major(A):
    xp = array_module(A)
    return xp.ascontiguousarray(xp.moveaxis(A, 0, 1))


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    states, cache = _run(xp.moveaxis(X, 1, 0), h0, c0, params, range(X.shape[1]))
    return _batch_major(states), cache


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    dXt, dh0, dc0, grads = _run_back(array_module(dH).moveaxis(dH, 1, 0), cache)
    return _batch_major(dXt), dh0, dc0, grads


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    N, T, _ = X.shape
    Xt = xp.moveaxis(X, 1, 0)
    caches, states = [], []
    for params, steps in ((params_fwd, range(T)), (params_bwd, range(T - 1, -1, -1))):
        zeros = xp.zeros((N, params["W_hi"].shape[0]), dtype=X.dtype)
        s, c = _run(Xt, zeros, zeros, params, steps)
        states.append(s)
        caches.append(c)
    return _batch_major(xp.concatenate(states, axis=2)), [caches, states[0].shape[2]]


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    xp = array_module(dH)
    (cache_f, cache_b), H_f = cache
    dHt = xp.moveaxis(dH, 1, 0)
    dXt_f, _, _, grads_fwd = _run_back(dHt[:, :, :H_f], cache_f)
    dXt_b, _, _, grads_bwd = _run_back(dHt[:, :, H_f:], cache_b)
    return _batch_major(dXt_f + dXt_b), grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    xp = array_module(X)
    caches, H = [], X
    for params in layers:
        zeros = xp.zeros((X.shape[0], params["W_hi"].shape[0]), dtype=X.dtype)
        H, layer_cache = lstm_forward(H, zeros, zeros, params)
        caches.append(layer_cache)
    return H, caches


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = []
    for layer_cache in cache[::-1]:
        dH, _, _, layer_grads = lstm_backward(dH, layer_cache)
        grads = [layer_grads] + grads
    return dH, grads
