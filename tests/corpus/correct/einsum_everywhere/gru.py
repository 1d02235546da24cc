"""GRU, correct but written differently: einsum everywhere.

What differs from the reference: every product and reduction is an einsum;
the sequence forward projects all inputs at once with "ntd,dh->nth"; caches
are instances of one small class; the sequence backward does not call the
step backward but collects each gate's pre-activation gradients and reduces
them over n and t with einsum at the end.
"""
from activations import array_module, sigmoid, tanh


class StepCache:
    """One step's x (N, D), h_prev (N, H), gates R, Z and candidate H̃ (N, H), params."""

    def __init__(self, x, h_prev, R, Z, H_tilde, params):
        self.x, self.h_prev, self.R, self.Z, self.H_tilde = x, h_prev, R, Z, H_tilde
        self.params = params


def _mm(xp, a, W):
    return xp.einsum("nk,kh->nh", a, W)


def _step(a_r, a_z, a_h, x, h_prev, params):
    """One step from the input projections a_* (N, H). Returns (h, StepCache)."""
    xp = array_module(h_prev)
    R = sigmoid(a_r + _mm(xp, h_prev, params["W_hr"]))
    Z = sigmoid(a_z + _mm(xp, h_prev, params["W_hz"]))
    H_tilde = tanh(a_h + _mm(xp, R * h_prev, params["W_hh"]))
    h = Z * h_prev + (1 - Z) * H_tilde
    return h, StepCache(x, h_prev, R, Z, H_tilde, params)


def _back(dh, s):
    """(da_r, da_z, da_h, dh_prev without the gates' matmuls) for one step."""
    xp = array_module(dh)
    da_h = dh * (1 - s.Z) * (1 - s.H_tilde * s.H_tilde)
    d_rh = xp.einsum("nh,kh->nk", da_h, s.params["W_hh"])
    da_r = d_rh * s.h_prev * s.R * (1 - s.R)
    da_z = dh * (s.h_prev - s.H_tilde) * s.Z * (1 - s.Z)
    dh_prev = (dh * s.Z + d_rh * s.R
               + xp.einsum("nh,kh->nk", da_r, s.params["W_hr"])
               + xp.einsum("nh,kh->nk", da_z, s.params["W_hz"]))
    dx = sum(xp.einsum("nh,dh->nd", da, s.params[W])
             for da, W in ((da_r, "W_xr"), (da_z, "W_xz"), (da_h, "W_xh")))
    return da_r, da_z, da_h, dx, dh_prev


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    xp = array_module(x)
    a = {g: xp.einsum("nd,dh->nh", x, params["W_x" + g]) + params["b_" + g] for g in "rzh"}
    return _step(a["r"], a["z"], a["h"], x, h_prev, params)


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    xp = array_module(dh)
    da_r, da_z, da_h, dx, dh_prev = _back(dh, cache)
    rh = cache.R * cache.h_prev
    grads = {}
    for g, da, h_in in (("r", da_r, cache.h_prev), ("z", da_z, cache.h_prev), ("h", da_h, rh)):
        grads["W_x" + g] = xp.einsum("nd,nh->dh", cache.x, da)
        grads["W_h" + g] = xp.einsum("nk,nh->kh", h_in, da)
        grads["b_" + g] = xp.einsum("nh->h", da)
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    A = {g: xp.einsum("ntd,dh->nth", X, params["W_x" + g]) + params["b_" + g] for g in "rzh"}
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = _step(A["r"][:, t], A["z"][:, t], A["h"][:, t], X[:, t], h, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    T = len(cache)
    dh = xp.zeros_like(dH[:, 0])
    dX, da = [None] * T, {g: [None] * T for g in "rzh"}
    for t in range(T - 1, -1, -1):
        da["r"][t], da["z"][t], da["h"][t], dX[t], dh = _back(dH[:, t] + dh, cache[t])
    X = xp.stack([s.x for s in cache], axis=1)
    H_prev = xp.stack([s.h_prev for s in cache], axis=1)
    RH = xp.stack([s.R * s.h_prev for s in cache], axis=1)
    grads = {}
    for g, h_in in (("r", H_prev), ("z", H_prev), ("h", RH)):
        dA = xp.stack(da[g], axis=1)
        grads["W_x" + g] = xp.einsum("ntd,nth->dh", X, dA)
        grads["W_h" + g] = xp.einsum("ntk,nth->kh", h_in, dA)
        grads["b_" + g] = xp.einsum("nth->h", dA)
    return xp.stack(dX, axis=1), dh, grads
