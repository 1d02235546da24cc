"""LSTM, correct but written differently: recompute in the backward pass.

What differs from the reference: caches are plain tuples of the forward
pass's *inputs* only: (x, h_prev, c_prev, params) for a step, (X, h0, c0,
params) for a sequence, (X, params_fwd, params_bwd) for the BiLSTM and
(X, layers) for the stack. Each backward pass recomputes the gates with the
contract's gate functions (sequence passes rerun the forward to recover the
states); the sequence backward is a loop of the step backward whose
gradient dicts are summed.
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


def _gates(x, h_prev, c_prev, params):
    """(F, I, C̃, O, c) of one step."""
    F = forget_gate(x, h_prev, params)
    I = input_gate(x, h_prev, params)
    C_tilde = input_node(x, h_prev, params)
    O = output_gate(x, h_prev, params)
    return F, I, C_tilde, O, cell_state(F, I, C_tilde, c_prev)


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    F, I, C_tilde, O, c = _gates(x, h_prev, c_prev, params)
    return hidden_state(O, c), c, (x, h_prev, c_prev, params)


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx, dh_prev, dc_prev, grads)."""
    x, h_prev, c_prev, params = cache
    F, I, C_tilde, O, c = _gates(x, h_prev, c_prev, params)  # recomputed, not cached
    tanh_c = tanh(c)
    dc = dc + dh * O * (1 - tanh_c ** 2)
    da = {
        "f": dc * c_prev * F * (1 - F),
        "i": dc * C_tilde * I * (1 - I),
        "c": dc * I * (1 - C_tilde ** 2),
        "o": dh * tanh_c * O * (1 - O),
    }
    dx, dh_prev, grads = 0, 0, {}
    for g, d in da.items():
        dx = dx + d @ params["W_x" + g].T
        dh_prev = dh_prev + d @ params["W_h" + g].T
        grads["W_x" + g] = x.T @ d
        grads["W_h" + g] = h_prev.T @ d
        grads["b_" + g] = d.sum(axis=0)
    return dx, dh_prev, dc * F, grads


def _run(X, h0, c0, params):
    """Hidden and cell states (lists of T + 1 arrays, index 0 the initial ones)."""
    hs, cs = [h0], [c0]
    for t in range(X.shape[1]):
        h, c, _ = lstm_step_forward(X[:, t], hs[-1], cs[-1], params)
        hs.append(h)
        cs.append(c)
    return hs, cs


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    hs, _ = _run(X, h0, c0, params)
    return array_module(X).stack(hs[1:], axis=1), (X, h0, c0, params)


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    X, h0, c0, params = cache
    xp = array_module(dH)
    hs, cs = _run(X, h0, c0, params)  # recomputed, not cached
    dh, dc = xp.zeros_like(h0), xp.zeros_like(c0)
    dX, grads = [None] * X.shape[1], None
    for t in reversed(range(X.shape[1])):
        step_cache = (X[:, t], hs[t], cs[t], params)
        dX[t], dh, dc, step_grads = lstm_step_backward(dH[:, t] + dh, dc, step_cache)
        grads = step_grads if grads is None else {k: grads[k] + step_grads[k] for k in grads}
    return xp.stack(dX, axis=1), dh, dc, grads


def _zeros(X, params):
    return array_module(X).zeros((X.shape[0], params["b_f"].shape[0]), dtype=X.dtype)


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    z_f, z_b = _zeros(X, params_fwd), _zeros(X, params_bwd)
    H_fwd, _ = lstm_forward(X, z_f, z_f, params_fwd)
    H_bwd, _ = lstm_forward(X[:, ::-1], z_b, z_b, params_bwd)
    return xp.concatenate([H_fwd, H_bwd[:, ::-1]], axis=2), (X, params_fwd, params_bwd)


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    X, params_fwd, params_bwd = cache
    H_f = params_fwd["b_f"].shape[0]
    z_f, z_b = _zeros(X, params_fwd), _zeros(X, params_bwd)
    dX_f, _, _, grads_fwd = lstm_backward(dH[:, :, :H_f], (X, z_f, z_f, params_fwd))
    dX_b, _, _, grads_bwd = lstm_backward(dH[:, ::-1, H_f:], (X[:, ::-1], z_b, z_b, params_bwd))
    return dX_f + dX_b[:, ::-1], grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    H = X
    for params in layers:
        z = _zeros(X, params)
        H, _ = lstm_forward(H, z, z, params)
    return H, (X, layers)


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    X, layers = cache
    inputs = [X]  # recompute every layer's input
    for params in layers[:-1]:
        z = _zeros(X, params)
        inputs.append(lstm_forward(inputs[-1], z, z, params)[0])
    grads = [None] * len(layers)
    for l in reversed(range(len(layers))):
        z = _zeros(X, layers[l])
        dH, _, _, grads[l] = lstm_backward(dH, (inputs[l], z, z, layers[l]))
    return dH, grads
