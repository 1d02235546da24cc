"""Simple RNN and BPTT, correct but written differently: recompute, don't cache.

What differs from the reference: caches are plain tuples of the forward
pass's *inputs* only, (x, h_prev, params) or (X, h0, params); each backward
pass reruns the forward computation to get the hidden states back;
truncated BPTT walks the chunks explicitly, last chunk first, instead of
testing t % k inside one loop; clipping combines per-array norms (each scaled by
its largest entry, so nothing overflows) with math.hypot.
"""
import math

from activations import array_module


def _states(X, h0, params):
    """All hidden states (N, T + 1, H), index 0 being h0."""
    xp = array_module(X)
    hs = [h0]
    for t in range(X.shape[1]):
        hs.append(xp.tanh(X[:, t] @ params["W_xh"] + hs[-1] @ params["W_hh"] + params["b_h"]))
    return xp.stack(hs, axis=1)


def rnn_step_forward(x, h_prev, params):
    """h = tanh(x W_xh + h_prev W_hh + b_h). x: (N, D); h_prev: (N, H). Returns (h, cache)."""
    xp = array_module(x)
    h = xp.tanh(x @ params["W_xh"] + h_prev @ params["W_hh"] + params["b_h"])
    return h, (x, h_prev, params)


def rnn_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, params = cache
    h, _ = rnn_step_forward(x, h_prev, params)  # recomputed, not cached
    da = dh * (1 - h) * (1 + h)
    grads = {"W_xh": x.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(axis=0)}
    return da @ params["W_xh"].T, da @ params["W_hh"].T, grads


def rnn_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    return _states(X, h0, params)[:, 1:], (X, h0, params)


def rnn_backward(dH, cache, truncate=None):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads).

    truncate=k: chunks 0..k−1, k..2k−1, …; no gradient crosses a chunk start.
    """
    if truncate is not None and truncate < 1:
        raise ValueError(f"truncate must be None or at least 1, got {truncate}")
    X, h0, params = cache
    xp = array_module(dH)
    hs = _states(X, h0, params)  # recomputed, not cached
    T = X.shape[1]
    k = T if truncate is None else truncate
    dA = xp.zeros_like(hs[:, 1:])
    dh0 = xp.zeros_like(h0)
    for start in reversed(range(0, T, k)):
        carry = xp.zeros_like(h0)  # nothing flows in from the next chunk
        for t in reversed(range(start, min(start + k, T))):
            h = hs[:, t + 1]
            dA[:, t] = (dH[:, t] + carry) * (1 - h) * (1 + h)
            carry = dA[:, t] @ params["W_hh"].T
        if start == 0:
            dh0 = carry
    grads = {
        "W_xh": sum(X[:, t].T @ dA[:, t] for t in range(T)),
        "W_hh": sum(hs[:, t].T @ dA[:, t] for t in range(T)),
        "b_h": dA.sum(axis=(0, 1)),
    }
    return dA @ params["W_xh"].T, dh0, grads


def _norm(g):
    """‖g‖ without overflow: scaled by its largest entry before squaring."""
    if g.size == 0:
        return 0.0
    m = float(array_module(g).abs(g).max())
    return m * float(((g / m) ** 2).sum()) ** 0.5 if m > 0 else 0.0


def clip_gradients(grads, max_norm):
    """A new dict, every array scaled by max_norm / norm if the global norm exceeds max_norm."""
    norm = math.hypot(*(_norm(g) for g in grads.values()))
    if norm <= max_norm:
        return {k: g.copy() for k, g in grads.items()}
    return {k: g * (max_norm / norm) for k, g in grads.items()}
