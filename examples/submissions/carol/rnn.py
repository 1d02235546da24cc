"""A simple RNN and backpropagation through time (BPTT).

Notation (the slides'): N batch size, T time steps, D input size, H hidden
size. Row vectors, batch first: x is (N, D), h is (N, H), X is (N, T, D).
params holds W_xh (D, H), W_hh (H, H) and b_h (H,).
"""
from typing import NamedTuple

from activations import array_module


class RNNStepCache(NamedTuple):
    x: object       # (N, D) this step's input
    h_prev: object  # (N, H) previous hidden state
    h: object       # (N, H) this step's hidden state
    params: dict


class RNNCache(NamedTuple):
    X: object       # (N, T, D)
    H_prev: object  # (N, T, H): H_prev[:, t] is the state step t started from
    H: object       # (N, T, H)
    params: dict


def rnn_step_forward(x, h_prev, params):
    """One RNN step: h = tanh(x W_xh + h_prev W_hh + b_h).

    x: (N, D); h_prev: (N, H); params: W_xh (D, H), W_hh (H, H), b_h (H,).
    Returns (h, cache): h of shape (N, H), cache for rnn_step_backward.
    """
    h = array_module(x).tanh(x @ params["W_xh"] + h_prev @ params["W_hh"] + params["b_h"])
    return h, RNNStepCache(x, h_prev, h, params)


def rnn_step_backward(dh, cache):
    """Backward pass of one RNN step.

    dh: (N, H), the gradient of the loss with respect to this step's h.
    Returns (dx, dh_prev, grads): dx (N, D), dh_prev (N, H), grads a dict
    with W_xh (D, H), W_hh (H, H), b_h (H,).
    HINT: tanh'(a) = 1 − h², so da = dh ⊙ (1 − h²); then the matmul rules.
    """
    x, h_prev, h, params = cache
    da = dh * (1 - h * h)
    grads = {"W_xh": x.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(axis=0)}
    return da @ params["W_xh"].T, da @ params["W_hh"].T, grads


def rnn_forward(X, h0, params):
    """Run the RNN over a sequence, starting from h0.

    X: (N, T, D); h0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    xp = array_module(X)
    N, T, _ = X.shape
    # Project every step's input at once: one large matmul instead of T small ones.
    A_x = X @ params["W_xh"] + params["b_h"]
    H = xp.empty((N, T, h0.shape[1]), dtype=X.dtype)
    H_prev = xp.empty_like(H)
    h = h0
    for t in range(T):
        H_prev[:, t] = h
        h = xp.tanh(A_x[:, t] + h @ params["W_hh"])
        H[:, t] = h
    return H, RNNCache(X, H_prev, H, params)


def rnn_backward(dH, cache, truncate=None):
    """Backpropagation through time.

    dH: (N, T, H); dH[:, t] is ∂L/∂h_t from outside the recurrence (e.g. from
    an output layer). Gradients also flow from h_t back into h_{t−1}.
    truncate: None for full BPTT, or k ≥ 1: the sequence is cut into chunks of
    k steps (0..k−1, k..2k−1, …) and no gradient crosses a chunk boundary.
    Returns (dX, dh0, grads): dX (N, T, D), dh0 (N, H), grads a dict with
    W_xh (D, H), W_hh (H, H), b_h (H,).
    HINT: walk t = T−1 … 0, adding the gradient carried from step t+1 to dH[:, t].
    """
    if truncate is not None and truncate < 1:
        raise ValueError(f"truncate must be None or at least 1, got {truncate}")
    X, H_prev, H, params = cache
    xp = array_module(dH)
    N, T, D = X.shape
    W_hh_T = params["W_hh"].T
    dA = xp.empty_like(H)  # gradient at every step's pre-activation
    dh_carry = xp.zeros_like(dH[:, 0])
    for t in reversed(range(T)):
        dA[:, t] = (dH[:, t] + dh_carry) * (1 - H[:, t] * H[:, t])
        dh_carry = dA[:, t] @ W_hh_T
        if truncate is not None and t % truncate == 1:
            dh_carry = xp.zeros_like(dh_carry)  # h_{t-1} is a constant for this chunk
    dA_flat = dA.reshape(N * T, -1)
    grads = {
        "W_xh": X.reshape(N * T, D).T @ dA_flat,
        "W_hh": H_prev.reshape(N * T, -1).T @ dA_flat,
        "b_h": dA_flat.sum(axis=0),
    }
    return dA @ params["W_xh"].T, dh_carry, grads


def clip_gradients(grads, max_norm):
    """Clip gradients by their global L2 norm.

    grads: dict of arrays of any shapes; max_norm: a positive float.
    Returns a new dict with the same keys, shapes and dtypes: every array
    scaled by max_norm / norm when the norm over all arrays together exceeds
    max_norm, otherwise the same values. grads itself is left unchanged.
    """
    # Divide by the largest entry before squaring, so huge gradients cannot overflow.
    largest = max((float(abs(g).max()) for g in grads.values() if g.size), default=0.0)
    if largest == 0.0:
        return {name: g * 1.0 for name, g in grads.items()}
    norm = largest * sum(float(((g / largest) ** 2).sum()) for g in grads.values()) ** 0.5
    scale = max_norm / norm if norm > max_norm else 1.0
    return {name: g * scale for name, g in grads.items()}
