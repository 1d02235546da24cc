"""GRU, correct but written differently: the interpolation form of the update.

What differs from the reference: h = h_prev + (1 − Z) ⊙ (H̃ − h_prev), which
equals Z ⊙ h_prev + (1 − Z) ⊙ H̃, and a backward pass derived from that form
(dZ = −dh ⊙ (H̃ − h_prev), direct dh_prev = dh − dh ⊙ (1 − Z)); caches are
lists of pre-activations, differentiated with the contract's sigmoid_prime
and tanh_prime; the sequence backward is a loop of the step backward.
"""
from activations import array_module, sigmoid, sigmoid_prime, tanh, tanh_prime


def _pre(x, h, params, g):
    return x @ params["W_x" + g] + h @ params["W_h" + g] + params["b_" + g]


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    a_r = _pre(x, h_prev, params, "r")
    a_z = _pre(x, h_prev, params, "z")
    a_h = x @ params["W_xh"] + (sigmoid(a_r) * h_prev) @ params["W_hh"] + params["b_h"]
    h = h_prev + (1 - sigmoid(a_z)) * (tanh(a_h) - h_prev)
    return h, [x, h_prev, a_r, a_z, a_h, params]


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, a_r, a_z, a_h, params = cache
    R, Z, H_tilde = sigmoid(a_r), sigmoid(a_z), tanh(a_h)
    da_z = -dh * (H_tilde - h_prev) * sigmoid_prime(a_z)
    da_h = dh * (1 - Z) * tanh_prime(a_h)
    d_rh = da_h @ params["W_hh"].T          # gradient at R ⊙ h_prev
    da_r = d_rh * h_prev * sigmoid_prime(a_r)
    dh_prev = (dh - dh * (1 - Z)) + d_rh * R + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    grads = {
        "W_xr": x.T @ da_r, "W_hr": h_prev.T @ da_r, "b_r": da_r.sum(axis=0),
        "W_xz": x.T @ da_z, "W_hz": h_prev.T @ da_z, "b_z": da_z.sum(axis=0),
        "W_xh": x.T @ da_h, "W_hh": (R * h_prev).T @ da_h, "b_h": da_h.sum(axis=0),
    }
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, hs, cache = h0, [], []
    for t in range(X.shape[1]):
        h, step = gru_step_forward(X[:, t], h, params)
        hs.append(h)
        cache.append(step)
    return xp.stack(hs, axis=1), cache


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    dh = xp.zeros_like(dH[:, 0])
    dX, total = [None] * len(cache), None
    for t in range(len(cache) - 1, -1, -1):
        dX[t], dh, grads = gru_step_backward(dH[:, t] + dh, cache[t])
        total = grads if total is None else {k: total[k] + grads[k] for k in total}
    return xp.stack(dX, axis=1), dh, total
