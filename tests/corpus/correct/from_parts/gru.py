"""GRU, correct but written the way the course builds it: from its parts.

What differs from the reference: the step calls sigmoid and tanh from
activations.py; its backward takes σ' and tanh' as sigmoid_prime and
tanh_prime of the pre-activations; gru_forward and gru_backward loop over
the step functions.
"""
from activations import array_module, sigmoid, sigmoid_prime, tanh, tanh_prime


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    a_r = x @ params["W_xr"] + h_prev @ params["W_hr"] + params["b_r"]
    a_z = x @ params["W_xz"] + h_prev @ params["W_hz"] + params["b_z"]
    R, Z = sigmoid(a_r), sigmoid(a_z)
    a_h = x @ params["W_xh"] + (R * h_prev) @ params["W_hh"] + params["b_h"]
    H_tilde = tanh(a_h)
    h = Z * h_prev + (1 - Z) * H_tilde
    return h, {"x": x, "h_prev": h_prev, "params": params, "a": (a_r, a_z, a_h), "R": R, "Z": Z,
               "H_tilde": H_tilde}


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, params = cache["x"], cache["h_prev"], cache["params"]
    (a_r, a_z, a_h), R, Z, H_tilde = cache["a"], cache["R"], cache["Z"], cache["H_tilde"]
    da_h = dh * (1 - Z) * tanh_prime(a_h)
    d_reset = da_h @ params["W_hh"].T
    da_r = d_reset * h_prev * sigmoid_prime(a_r)
    da_z = dh * (h_prev - H_tilde) * sigmoid_prime(a_z)
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    dh_prev = dh * Z + d_reset * R + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T
    grads = {}
    for g, da, h_in in (("r", da_r, h_prev), ("z", da_z, h_prev), ("h", da_h, R * h_prev)):
        grads["W_x" + g] = x.T @ da
        grads["W_h" + g] = h_in.T @ da
        grads["b_" + g] = da.sum(axis=0)
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache: the step caches)."""
    xp = array_module(X)
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = gru_step_forward(X[:, t], h, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over the steps)."""
    xp = array_module(dH)
    dh, dX, grads = xp.zeros_like(dH[:, 0]), [None] * len(cache), None
    for t in reversed(range(len(cache))):
        dX[t], dh, step_grads = gru_step_backward(dH[:, t] + dh, cache[t])
        grads = step_grads if grads is None else {k: grads[k] + step_grads[k] for k in grads}
    return xp.stack(dX, axis=1), dh, grads
