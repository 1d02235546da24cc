"""Simple RNN and BPTT, correct but written the way the course builds it: from its parts.

What differs from the reference: rnn_step_forward calls tanh from
activations.py and keeps the pre-activation; rnn_step_backward takes tanh'
as tanh_prime of that pre-activation (not 1 − h²); rnn_forward and
rnn_backward loop over the step functions; clip_gradients scales with a
plain global norm. Mistakes written into these files (corpus/wrong.toml,
base = "from_parts") cost the functions built on them only their
reference share: error carried forward.
"""
from activations import array_module, tanh, tanh_prime


def rnn_step_forward(x, h_prev, params):
    """h = tanh(x W_xh + h_prev W_hh + b_h). x: (N, D); h_prev: (N, H). Returns (h, cache)."""
    a = x @ params["W_xh"] + h_prev @ params["W_hh"] + params["b_h"]
    return tanh(a), {"x": x, "h_prev": h_prev, "a": a, "params": params}


def rnn_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    da = dh * tanh_prime(cache["a"])
    params = cache["params"]
    grads = {"W_xh": cache["x"].T @ da, "W_hh": cache["h_prev"].T @ da, "b_h": da.sum(axis=0)}
    return da @ params["W_xh"].T, da @ params["W_hh"].T, grads


def rnn_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache: the step caches)."""
    xp = array_module(X)
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = rnn_step_forward(X[:, t], h, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def rnn_backward(dH, cache, truncate=None):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over the steps)."""
    xp = array_module(dH)
    dX, grads = [None] * len(cache), None
    dh = xp.zeros_like(dH[:, 0])
    for t in reversed(range(len(cache))):
        dX[t], dh, step_grads = rnn_step_backward(dH[:, t] + dh, cache[t])
        grads = step_grads if grads is None else {k: grads[k] + step_grads[k] for k in grads}
        if truncate is not None and t > 0 and t % truncate == 0:
            dh = xp.zeros_like(dh)  # nothing crosses the chunk boundary before step t
    return xp.stack(dX, axis=1), dh, grads


def clip_gradients(grads, max_norm):
    """A new dict scaled by max_norm / norm when the global L2 norm exceeds max_norm."""
    xp = array_module(next(iter(grads.values())))
    largest = max(float(xp.abs(g).max()) if g.size else 0.0 for g in grads.values())
    if largest == 0.0:
        return {k: g.copy() for k, g in grads.items()}
    # the norm of grads / largest, times largest: no square overflows
    norm = largest * sum(float(xp.sum((g / largest) ** 2)) for g in grads.values()) ** 0.5
    if norm <= max_norm:
        return {k: g.copy() for k, g in grads.items()}
    return {k: g * (max_norm / norm) for k, g in grads.items()}
