"""GRU, correct but written differently: recompute in the backward pass.

What differs from the reference: caches are plain tuples of the forward
pass's inputs only, (x, h_prev, params) and (X, h0, params); the backward
passes recompute the gates; the sequence backward reruns the forward to
recover the states and is a loop of the step backward.
"""
from activations import array_module, sigmoid, tanh


def _gates(x, h_prev, params):
    """(R, Z, H̃, h) of one step."""
    R = sigmoid(x @ params["W_xr"] + h_prev @ params["W_hr"] + params["b_r"])
    Z = sigmoid(x @ params["W_xz"] + h_prev @ params["W_hz"] + params["b_z"])
    H_tilde = tanh(x @ params["W_xh"] + (R * h_prev) @ params["W_hh"] + params["b_h"])
    return R, Z, H_tilde, Z * h_prev + (1 - Z) * H_tilde


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    return _gates(x, h_prev, params)[3], (x, h_prev, params)


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, params = cache
    R, Z, H_tilde, _ = _gates(x, h_prev, params)  # recomputed, not cached
    da_h = dh * (1 - Z) * (1 - H_tilde ** 2)
    d_rh = da_h @ params["W_hh"].T
    da_r = d_rh * h_prev * R * (1 - R)
    da_z = dh * (h_prev - H_tilde) * Z * (1 - Z)
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    dh_prev = dh * Z + d_rh * R + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T
    grads = {}
    for g, da, h_in in (("r", da_r, h_prev), ("z", da_z, h_prev), ("h", da_h, R * h_prev)):
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = x.T @ da, h_in.T @ da, da.sum(axis=0)
    return dx, dh_prev, grads


def _states(X, h0, params):
    hs = [h0]
    for t in range(X.shape[1]):
        hs.append(gru_step_forward(X[:, t], hs[-1], params)[0])
    return hs


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    return array_module(X).stack(_states(X, h0, params)[1:], axis=1), (X, h0, params)


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    X, h0, params = cache
    xp = array_module(dH)
    hs = _states(X, h0, params)  # recomputed, not cached
    dh = xp.zeros_like(h0)
    dX, grads = [None] * X.shape[1], {k: xp.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(X.shape[1])):
        dX[t], dh, step_grads = gru_step_backward(dH[:, t] + dh, (X[:, t], hs[t], params))
        grads = {k: grads[k] + step_grads[k] for k in grads}
    return xp.stack(dX, axis=1), dh, grads
