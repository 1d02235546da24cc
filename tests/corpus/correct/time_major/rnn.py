"""Simple RNN and BPTT, correct but written differently: time-major buffers.

What differs from the reference: sequences are processed time-major, (T, N, ·),
through xp.moveaxis, with one (T + 1, N, H) buffer of states whose row 0 is
h0; caches are plain lists; the backward pass accumulates the parameter
gradients step by step into its own zero-initialised arrays with +=;
truncation asks whether step t + 1 starts a chunk ((t + 1) % k == 0) before
carrying its gradient into step t; clipping takes xp.linalg.norm of all
arrays concatenated into one vector, divided first by its largest entry.
"""
from activations import array_module


def rnn_step_forward(x, h_prev, params):
    """h = tanh(x W_xh + h_prev W_hh + b_h). x: (N, D); h_prev: (N, H). Returns (h, cache)."""
    xp = array_module(x)
    h = xp.tanh(h_prev @ params["W_hh"] + x @ params["W_xh"] + params["b_h"])
    return h, [x, h_prev, h, params]


def rnn_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    x, h_prev, h, params = cache
    da = dh - dh * h * h
    return (da @ params["W_xh"].T, da @ params["W_hh"].T,
            {"W_xh": x.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(axis=0)})


def rnn_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    Xt = xp.moveaxis(X, 1, 0)  # (T, N, D)
    states = xp.empty((Xt.shape[0] + 1,) + h0.shape, dtype=X.dtype)
    states[0] = h0
    for t in range(Xt.shape[0]):
        states[t + 1] = xp.tanh(Xt[t] @ params["W_xh"] + states[t] @ params["W_hh"] + params["b_h"])
    return xp.ascontiguousarray(xp.moveaxis(states[1:], 0, 1)), [Xt, states, params]


def rnn_backward(dH, cache, truncate=None):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads).

    truncate=k: chunks 0..k−1, k..2k−1, …; no gradient crosses a chunk start.
    """
    if truncate is not None and truncate < 1:
        raise ValueError(f"truncate must be None or at least 1, got {truncate}")
    Xt, states, params = cache
    xp = array_module(dH)
    dHt = xp.moveaxis(dH, 1, 0)
    T = dHt.shape[0]
    grads = {k: xp.zeros_like(v) for k, v in params.items()}
    dXt = xp.empty(Xt.shape, dtype=dH.dtype)
    carry = xp.zeros_like(dHt[0])
    for t in range(T - 1, -1, -1):
        if truncate is not None and (t + 1) % truncate == 0:
            carry = xp.zeros_like(carry)  # step t + 1 starts a chunk
        h = states[t + 1]
        da = (dHt[t] + carry) * (1 - h * h)
        grads["W_xh"] += Xt[t].T @ da
        grads["W_hh"] += states[t].T @ da
        grads["b_h"] += da.sum(axis=0)
        dXt[t] = da @ params["W_xh"].T
        carry = da @ params["W_hh"].T
    return xp.ascontiguousarray(xp.moveaxis(dXt, 0, 1)), carry, grads


def clip_gradients(grads, max_norm):
    """A new dict, every array scaled by max_norm / norm if the global norm exceeds max_norm."""
    arrays = [g.reshape(-1) for g in grads.values()]
    if not arrays:
        return {}
    xp = array_module(arrays[0])
    flat = xp.concatenate(arrays)
    largest = float(xp.abs(flat).max()) if flat.size else 0.0
    norm = largest * float(xp.linalg.norm(flat / largest)) if largest > 0 else 0.0
    if norm > max_norm:
        return {k: g * (max_norm / norm) for k, g in grads.items()}
    return {k: g.copy() for k, g in grads.items()}
