"""LSTM, correct but written differently: one fused matmul for all gates.

What differs from the reference: every step multiplies the joined row
[x | h_prev] (N, D + H) by one (D + H, 4H) block matrix holding all gate
weights, with the gates in the order o, c, i, f (not f, i, c, o); the single
gate functions also join x and h_prev; caches are dicts; the gradient of the
fused matrix is accumulated over time and split back into per-gate params
at the end; the BiLSTM flips time with xp.flip.
"""
from activations import array_module, sigmoid, tanh

ORDER = ("o", "c", "i", "f")  # column blocks of the fused matrix, left to right


def _joined(x, h_prev, params, g):
    """[x | h_prev] @ [[W_xg], [W_hg]] + b_g, the pre-activation of gate g (N, H)."""
    xp = array_module(x)
    W = xp.concatenate([params["W_x" + g], params["W_h" + g]], axis=0)
    return xp.concatenate([x, h_prev], axis=1) @ W + params["b_" + g]


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_joined(x, h_prev, params, "f"))


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_joined(x, h_prev, params, "i"))


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return tanh(_joined(x, h_prev, params, "c"))


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_joined(x, h_prev, params, "o"))


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃, all (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


def _fuse(params):
    """(W (D + H, 4H), b (4H,)): all gates' weights in one matrix, gates in ORDER."""
    xp = array_module(params["W_xf"])
    W_x = xp.concatenate([params["W_x" + g] for g in ORDER], axis=1)
    W_h = xp.concatenate([params["W_h" + g] for g in ORDER], axis=1)
    b = xp.concatenate([params["b_" + g] for g in ORDER])
    return xp.concatenate([W_x, W_h], axis=0), b


def _unfuse(dW, db, D):
    """Split the fused gradients dW (D + H, 4H), db (4H,) into params' keys."""
    H = db.shape[0] // 4
    grads = {}
    for k, g in enumerate(ORDER):
        cols = slice(k * H, (k + 1) * H)
        grads["W_x" + g] = dW[:D, cols]
        grads["W_h" + g] = dW[D:, cols]
        grads["b_" + g] = db[cols]
    return grads


def _step(x, h_prev, c_prev, W, b):
    """One step with the fused weights. Returns (h, c, cache dict)."""
    xp = array_module(x)
    H = h_prev.shape[1]
    xh = xp.concatenate([x, h_prev], axis=1)
    A = xh @ W + b
    O = sigmoid(A[:, :H])
    C_tilde = tanh(A[:, H:2 * H])
    I = sigmoid(A[:, 2 * H:3 * H])
    F = sigmoid(A[:, 3 * H:])
    c = F * c_prev + I * C_tilde
    tanh_c = tanh(c)
    h = O * tanh_c
    cache = {"xh": xh, "c_prev": c_prev, "O": O, "C_tilde": C_tilde, "I": I, "F": F,
             "tanh_c": tanh_c}
    return h, c, cache


def _step_back(dh, dc, cache, W):
    """Backward through _step. Returns (d[x | h_prev] (N, D + H), dc_prev (N, H), dA (N, 4H))."""
    xp = array_module(dh)
    O, C_tilde, I, F, tanh_c = (cache[k] for k in ("O", "C_tilde", "I", "F", "tanh_c"))
    dc = dc + dh * O * (1 - tanh_c ** 2)
    dA = xp.concatenate([
        dh * tanh_c * O * (1 - O),              # o
        dc * I * (1 - C_tilde ** 2),            # c
        dc * C_tilde * I * (1 - I),             # i
        dc * cache["c_prev"] * F * (1 - F),     # f
    ], axis=1)
    return dA @ W.T, dc * F, dA


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step. x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    W, b = _fuse(params)
    h, c, cache = _step(x, h_prev, c_prev, W, b)
    cache["params"] = params
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx (N, D), dh_prev (N, H), dc_prev (N, H), grads)."""
    W, _ = _fuse(cache["params"])
    D = cache["xh"].shape[1] - dh.shape[1]
    dxh, dc_prev, dA = _step_back(dh, dc, cache, W)
    grads = _unfuse(cache["xh"].T @ dA, dA.sum(axis=0), D)
    return dxh[:, :D], dxh[:, D:], dc_prev, grads


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    W, b = _fuse(params)
    h, c, hs, steps = h0, c0, [], []
    for t in range(X.shape[1]):
        h, c, step = _step(X[:, t], h, c, W, b)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), {"steps": steps, "params": params, "D": X.shape[2]}


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    W, b = _fuse(cache["params"])
    D = cache["D"]
    dW, db = xp.zeros_like(W), xp.zeros_like(b)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    dX = [None] * dH.shape[1]
    for t in reversed(range(dH.shape[1])):
        step = cache["steps"][t]
        dxh, dc, dA = _step_back(dH[:, t] + dh, dc, step, W)
        dX[t], dh = dxh[:, :D], dxh[:, D:]
        dW = dW + step["xh"].T @ dA
        db = db + dA.sum(axis=0)
    return xp.stack(dX, axis=1), dh, dc, _unfuse(dW, db, D)


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    N = X.shape[0]
    H_f, H_b = params_fwd["b_f"].shape[0], params_bwd["b_f"].shape[0]
    z_f = xp.zeros((N, H_f), dtype=X.dtype)
    z_b = xp.zeros((N, H_b), dtype=X.dtype)
    H_fwd, cache_f = lstm_forward(X, z_f, z_f, params_fwd)
    H_bwd, cache_b = lstm_forward(xp.flip(X, axis=1), z_b, z_b, params_bwd)
    H = xp.concatenate([H_fwd, xp.flip(H_bwd, axis=1)], axis=-1)
    return H, {"fwd": cache_f, "bwd": cache_b, "H_f": H_f}


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    xp = array_module(dH)
    H_f = cache["H_f"]
    dX_f, _, _, grads_fwd = lstm_backward(dH[:, :, :H_f], cache["fwd"])
    dX_b, _, _, grads_bwd = lstm_backward(xp.flip(dH[:, :, H_f:], axis=1), cache["bwd"])
    return dX_f + xp.flip(dX_b, axis=1), grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    xp = array_module(X)
    caches, H = [], X
    for params in layers:
        z = xp.zeros((X.shape[0], params["b_f"].shape[0]), dtype=X.dtype)
        H, c = lstm_forward(H, z, z, params)
        caches.append(c)
    return H, {"layers": caches}


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = [None] * len(cache["layers"])
    for l in reversed(range(len(grads))):
        dH, _, _, grads[l] = lstm_backward(dH, cache["layers"][l])
    return dH, grads
