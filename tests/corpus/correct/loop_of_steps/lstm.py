"""LSTM, correct but written differently: everything is a loop of the step functions.

What differs from the reference: lstm_step_forward is built from the
contract's own gate, cell_state and hidden_state functions; step caches are
dicts; lstm_forward / lstm_backward are plain loops over lstm_step_forward /
lstm_step_backward with gradient dicts summed step by step; the BiLSTM never
flips an array: its backward direction calls the step functions for
t = T−1, …, 0 and writes each state at its own t, and its backward pass
walks t = 0, …, T−1; the stack's cache is a list of the layers' caches.
"""
from activations import array_module, sigmoid, tanh


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
    """C = F ⊙ c_prev + I ⊙ C̃, all (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    F = forget_gate(x, h_prev, params)
    I = input_gate(x, h_prev, params)
    C_tilde = input_node(x, h_prev, params)
    O = output_gate(x, h_prev, params)
    c = cell_state(F, I, C_tilde, c_prev)
    h = hidden_state(O, c)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "F": F, "I": I,
             "C_tilde": C_tilde, "O": O, "c": c, "params": params}
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx (N, D), dh_prev (N, H), dc_prev (N, H), grads)."""
    F, I, C_tilde, O = cache["F"], cache["I"], cache["C_tilde"], cache["O"]
    params, x, h_prev = cache["params"], cache["x"], cache["h_prev"]
    tanh_c = tanh(cache["c"])
    dO = dh * tanh_c
    dc_total = dc + dh * O * (1 - tanh_c * tanh_c)
    dF = dc_total * cache["c_prev"]
    dI = dc_total * C_tilde
    dC_tilde = dc_total * I
    da = {"f": dF * F * (1 - F), "i": dI * I * (1 - I),
          "c": dC_tilde * (1 - C_tilde * C_tilde), "o": dO * O * (1 - O)}
    dx = da["f"] @ params["W_xf"].T
    dh_prev = da["f"] @ params["W_hf"].T
    for g in "ico":
        dx = dx + da[g] @ params["W_x" + g].T
        dh_prev = dh_prev + da[g] @ params["W_h" + g].T
    grads = {}
    for g in "fico":
        grads["W_x" + g] = x.T @ da[g]
        grads["W_h" + g] = h_prev.T @ da[g]
        grads["b_" + g] = da[g].sum(axis=0)
    return dx, dh_prev, dc_total * F, grads


def _add(total, grads):
    return grads if total is None else {k: total[k] + grads[k] for k in total}


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, c, hs, steps = h0, c0, [], []
    for t in range(X.shape[1]):
        h, c, step = lstm_step_forward(X[:, t], h, c, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    dX, grads = [None] * len(cache), None
    for t in reversed(range(len(cache))):
        dX[t], dh, dc, step_grads = lstm_step_backward(dH[:, t] + dh, dc, cache[t])
        grads = _add(grads, step_grads)
    return xp.stack(dX, axis=1), dh, dc, grads


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    N, T, _ = X.shape
    H_f, H_b = params_fwd["W_hf"].shape[0], params_bwd["W_hf"].shape[0]
    H_fwd, cache_f = lstm_forward(X, xp.zeros((N, H_f), dtype=X.dtype),
                                  xp.zeros((N, H_f), dtype=X.dtype), params_fwd)
    h = c = xp.zeros((N, H_b), dtype=X.dtype)
    H_bwd, steps_b = [None] * T, [None] * T
    for t in range(T - 1, -1, -1):  # the backward direction reads X[:, T-1] first
        h, c, steps_b[t] = lstm_step_forward(X[:, t], h, c, params_bwd)
        H_bwd[t] = h
    H = xp.concatenate([H_fwd, xp.stack(H_bwd, axis=1)], axis=2)
    return H, {"forward": cache_f, "backward_steps": steps_b, "H_f": H_f}


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    xp = array_module(dH)
    H_f, steps_b = cache["H_f"], cache["backward_steps"]
    dX, _, _, grads_fwd = lstm_backward(dH[:, :, :H_f], cache["forward"])
    dX_b = [None] * len(steps_b)
    dh = dc = xp.zeros_like(dH[:, 0, H_f:])
    grads_bwd = None
    for t in range(len(steps_b)):  # reverse of the backward direction's order
        dX_b[t], dh, dc, step_grads = lstm_step_backward(dH[:, t, H_f:] + dh, dc, steps_b[t])
        grads_bwd = _add(grads_bwd, step_grads)
    return dX + xp.stack(dX_b, axis=1), grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    xp = array_module(X)
    caches = []
    H = X
    for params in layers:
        size = params["W_hf"].shape[0]
        H, layer_cache = lstm_forward(H, xp.zeros((X.shape[0], size), dtype=X.dtype),
                                      xp.zeros((X.shape[0], size), dtype=X.dtype), params)
        caches.append(layer_cache)
    return H, caches


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = [None] * len(cache)
    for l in range(len(cache) - 1, -1, -1):
        dH, _, _, grads[l] = lstm_backward(dH, cache[l])
    return dH, grads
