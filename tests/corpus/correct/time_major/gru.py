"""GRU, correct but written differently: time-major buffers and += accumulation.

What differs from the reference: sequences are processed time-major
(T, N, ·) with one (T + 1, N, H) state buffer whose row 0 is h0; the step
cache is a plain list, the sequence cache a list of step lists; the
sequence backward accumulates gradients with += into its own zero arrays.
"""
from activations import array_module, sigmoid, tanh


def _step(x, h_prev, params):
    R = sigmoid(h_prev @ params["W_hr"] + x @ params["W_xr"] + params["b_r"])
    Z = sigmoid(h_prev @ params["W_hz"] + x @ params["W_xz"] + params["b_z"])
    H_tilde = tanh((h_prev * R) @ params["W_hh"] + x @ params["W_xh"] + params["b_h"])
    return (1 - Z) * H_tilde + Z * h_prev, [x, h_prev, R, Z, H_tilde, params]


def _step_back(dh, cache, grads):
    """Backward through one step, adding its gradients into `grads` (the caller's
    own accumulators). Returns (dx, dh_prev)."""
    x, h_prev, R, Z, H_tilde, params = cache
    da_h = dh * (1 - Z) * (1 - H_tilde * H_tilde)
    da_z = dh * (h_prev - H_tilde) * Z * (1 - Z)
    d_rh = da_h @ params["W_hh"].T
    da_r = d_rh * h_prev * R * (1 - R)
    for g, da, h_in in (("r", da_r, h_prev), ("z", da_z, h_prev), ("h", da_h, h_prev * R)):
        grads["W_x" + g] += x.T @ da
        grads["W_h" + g] += h_in.T @ da
        grads["b_" + g] += da.sum(axis=0)
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    dh_prev = dh * Z + d_rh * R + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T
    return dx, dh_prev


def _zero_grads(params):
    xp = array_module(params["W_xr"])
    return {k: xp.zeros_like(v) for k, v in params.items()}


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    return _step(x, h_prev, params)


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    grads = _zero_grads(cache[-1])
    dx, dh_prev = _step_back(dh, cache, grads)
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    Xt = xp.moveaxis(X, 1, 0)
    states = xp.empty((Xt.shape[0] + 1,) + h0.shape, dtype=X.dtype)
    states[0] = h0
    steps = []
    for t in range(Xt.shape[0]):
        states[t + 1], step = _step(Xt[t], states[t], params)
        steps.append(step)
    return xp.ascontiguousarray(xp.moveaxis(states[1:], 0, 1)), steps


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    dHt = xp.moveaxis(dH, 1, 0)
    grads = _zero_grads(cache[0][-1])
    dXt = xp.empty((dHt.shape[0],) + cache[0][0].shape, dtype=dH.dtype)
    dh = xp.zeros_like(dHt[0])
    for t in range(dHt.shape[0] - 1, -1, -1):
        dXt[t], dh = _step_back(dHt[t] + dh, cache[t], grads)
    return xp.ascontiguousarray(xp.moveaxis(dXt, 0, 1)), dh, grads
