"""Simple RNN and BPTT, correct but written differently: loops of the step functions.

What differs from the reference: rnn_forward and rnn_backward are plain
loops over the student's own rnn_step_forward / rnn_step_backward (no
vectorised input projection, no reshape to (N·T, ·)); step caches are dicts
and the sequence cache is the list of them; gradients are summed step by
step; truncation drops the carried gradient at every chunk start t = ck > 0;
clipping scales by min(1, max_norm / norm), the norm kept as a running
(scale, sum of squares) pair as in LAPACK's nrm2, so nothing overflows.
"""
from activations import array_module


def rnn_step_forward(x, h_prev, params):
    """h = tanh(x W_xh + h_prev W_hh + b_h). x: (N, D); h_prev: (N, H). Returns (h, cache)."""
    xp = array_module(x)
    h = xp.tanh(x @ params["W_xh"] + h_prev @ params["W_hh"] + params["b_h"])
    return h, {"x": x, "h_prev": h_prev, "h": h, "params": params}


def rnn_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    da = dh * (1 - cache["h"] ** 2)
    W_xh, W_hh = cache["params"]["W_xh"], cache["params"]["W_hh"]
    grads = {"W_xh": cache["x"].T @ da, "W_hh": cache["h_prev"].T @ da, "b_h": da.sum(axis=0)}
    return da @ W_xh.T, da @ W_hh.T, grads


def rnn_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = rnn_step_forward(X[:, t], h, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def rnn_backward(dH, cache, truncate=None):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads).

    truncate=k: the gradient carried into step ck − 1 from step ck is dropped.
    """
    if truncate is not None and truncate < 1:
        raise ValueError(f"truncate must be None or at least 1, got {truncate}")
    xp = array_module(dH)
    T = len(cache)
    dX = [None] * T
    carry = xp.zeros_like(dH[:, 0])
    grads = None
    for t in range(T - 1, -1, -1):
        dX[t], carry, step_grads = rnn_step_backward(dH[:, t] + carry, cache[t])
        grads = step_grads if grads is None else {k: grads[k] + step_grads[k] for k in grads}
        if truncate is not None and t > 0 and t % truncate == 0:
            carry = xp.zeros_like(carry)
    return xp.stack(dX, axis=1), carry, grads


def clip_gradients(grads, max_norm):
    """A new dict, every array scaled by max_norm / norm if the global norm exceeds max_norm."""
    # Running (scale, ssq) with norm = scale · sqrt(ssq), as LAPACK's nrm2: no square can overflow.
    scale, ssq = 0.0, 1.0
    for g in grads.values():
        if g.size == 0:
            continue
        xp = array_module(g)
        m = float(xp.abs(g).max())
        if m == 0.0:
            continue
        part = float(xp.sum((g / m) * (g / m)))  # ‖g‖² / m²
        if m > scale:
            ssq, scale = part + ssq * (scale / m) ** 2, m
        else:
            ssq += part * (m / scale) ** 2
    norm = scale * ssq ** 0.5
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return {k: g * factor for k, g in grads.items()}
