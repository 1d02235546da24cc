"""Simple RNN and BPTT, correct but written differently: einsum everywhere.

What differs from the reference: every product and every reduction is an
einsum with the slides' index names (n batch, t time, d input, h/k hidden);
caches are instances of small classes; the sequence backward collects the
pre-activation gradients in a list and reduces over n and t at the end;
the global norm for clipping is an einsum of each flattened array with itself,
after dividing by the largest entry so that nothing overflows.
"""
from activations import array_module


class StepCache:
    """What rnn_step_backward needs: x (N, D), h_prev (N, H), h (N, H), params."""

    def __init__(self, x, h_prev, h, params):
        self.x, self.h_prev, self.h, self.params = x, h_prev, h, params


class SequenceCache:
    """What rnn_backward needs: X (N, T, D), h0 (N, H), H (N, T, H), params."""

    def __init__(self, X, h0, H, params):
        self.X, self.h0, self.H, self.params = X, h0, H, params


def rnn_step_forward(x, h_prev, params):
    """h = tanh(x W_xh + h_prev W_hh + b_h). x: (N, D); h_prev: (N, H). Returns (h, cache)."""
    xp = array_module(x)
    a = (xp.einsum("nd,dh->nh", x, params["W_xh"])
         + xp.einsum("nk,kh->nh", h_prev, params["W_hh"]) + params["b_h"])
    h = xp.tanh(a)
    return h, StepCache(x, h_prev, h, params)


def rnn_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    xp = array_module(dh)
    da = dh * (1 - cache.h * cache.h)
    grads = {
        "W_xh": xp.einsum("nd,nh->dh", cache.x, da),
        "W_hh": xp.einsum("nk,nh->kh", cache.h_prev, da),
        "b_h": xp.einsum("nh->h", da),
    }
    dx = xp.einsum("nh,dh->nd", da, cache.params["W_xh"])
    dh_prev = xp.einsum("nh,kh->nk", da, cache.params["W_hh"])
    return dx, dh_prev, grads


def rnn_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    A_x = xp.einsum("ntd,dh->nth", X, params["W_xh"]) + params["b_h"]
    h, hs = h0, []
    for t in range(X.shape[1]):
        h = xp.tanh(A_x[:, t] + xp.einsum("nk,kh->nh", h, params["W_hh"]))
        hs.append(h)
    H = xp.stack(hs, axis=1)
    return H, SequenceCache(X, h0, H, params)


def rnn_backward(dH, cache, truncate=None):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads).

    truncate=k: no gradient crosses from step ck back to step ck − 1.
    """
    if truncate is not None and truncate < 1:
        raise ValueError(f"truncate must be None or at least 1, got {truncate}")
    xp = array_module(dH)
    H, params = cache.H, cache.params
    T = H.shape[1]
    carry = xp.zeros_like(dH[:, 0])
    dA = [None] * T
    for t in range(T - 1, -1, -1):
        dA[t] = (dH[:, t] + carry) * (1 - H[:, t] * H[:, t])
        carry = xp.einsum("nh,kh->nk", dA[t], params["W_hh"])
        if truncate is not None and t > 0 and t % truncate == 0:
            carry = xp.zeros_like(carry)  # step t's chunk starts here: h_{t-1} is a constant
    dA = xp.stack(dA, axis=1)
    H_prev = xp.concatenate([cache.h0[:, None], H[:, :-1]], axis=1)
    grads = {
        "W_xh": xp.einsum("ntd,nth->dh", cache.X, dA),
        "W_hh": xp.einsum("ntk,nth->kh", H_prev, dA),
        "b_h": xp.einsum("nth->h", dA),
    }
    return xp.einsum("nth,dh->ntd", dA, params["W_xh"]), carry, grads


def clip_gradients(grads, max_norm):
    """A new dict, every array scaled by max_norm / norm if the global norm exceeds max_norm."""
    largest = max([float(array_module(g).abs(g).max()) for g in grads.values() if g.size] or [0.0])
    total = 0.0
    for g in grads.values():
        flat = g.reshape(-1) / (largest or 1.0)  # entries ≤ 1: the squares cannot overflow
        total += float(array_module(g).einsum("i,i->", flat, flat))
    norm = largest * total ** 0.5
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}
