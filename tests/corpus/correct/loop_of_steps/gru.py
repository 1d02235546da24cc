"""GRU, correct but written differently: sequences are loops of the step functions.

What differs from the reference: no vectorised input projection; step
caches are dicts; gru_forward / gru_backward are plain loops over
gru_step_forward / gru_step_backward; gradients are accumulated into
zero-initialised dicts (new arrays, the arguments are never touched).
"""
from activations import array_module, sigmoid, tanh


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    R = sigmoid(x @ params["W_xr"] + h_prev @ params["W_hr"] + params["b_r"])
    Z = sigmoid(x @ params["W_xz"] + h_prev @ params["W_hz"] + params["b_z"])
    H_tilde = tanh(x @ params["W_xh"] + (R * h_prev) @ params["W_hh"] + params["b_h"])
    h = Z * h_prev + (1 - Z) * H_tilde
    return h, {"x": x, "h_prev": h_prev, "R": R, "Z": Z, "H_tilde": H_tilde, "params": params}


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, params = cache["x"], cache["h_prev"], cache["params"]
    R, Z, H_tilde = cache["R"], cache["Z"], cache["H_tilde"]
    dZ = dh * (h_prev - H_tilde)
    dH_tilde = dh * (1 - Z)
    da_h = dH_tilde * (1 - H_tilde * H_tilde)
    d_rh = da_h @ params["W_hh"].T
    dR = d_rh * h_prev
    da_r, da_z = dR * R * (1 - R), dZ * Z * (1 - Z)
    dh_prev = dh * Z + d_rh * R
    dx = da_h @ params["W_xh"].T
    for g, da in (("r", da_r), ("z", da_z)):
        dh_prev = dh_prev + da @ params["W_h" + g].T
        dx = dx + da @ params["W_x" + g].T
    grads = {}
    for g, da, h_in in (("r", da_r, h_prev), ("z", da_z, h_prev), ("h", da_h, R * h_prev)):
        grads["W_x" + g] = x.T @ da
        grads["W_h" + g] = h_in.T @ da
        grads["b_" + g] = da.sum(axis=0)
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = gru_step_forward(X[:, t], h, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    params = cache[0]["params"]
    grads = {k: xp.zeros_like(v) for k, v in params.items()}
    dh = xp.zeros_like(dH[:, 0])
    dX = [None] * len(cache)
    for t in reversed(range(len(cache))):
        dX[t], dh, step_grads = gru_step_backward(dH[:, t] + dh, cache[t])
        for k in grads:
            grads[k] += step_grads[k]
    return xp.stack(dX, axis=1), dh, grads
