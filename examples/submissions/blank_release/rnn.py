"""A simple RNN and backpropagation through time (BPTT).

Notation (the slides'): N batch size, T time steps, D input size, H hidden
size. Row vectors, batch first: x is (N, D), h is (N, H), X is (N, T, D).
params holds W_xh (D, H), W_hh (H, H) and b_h (H,).
"""

from activations import array_module


def rnn_step_forward(x, h_prev, params):
    """One RNN step: h = tanh(x W_xh + h_prev W_hh + b_h).

    x: (N, D); h_prev: (N, H); params: W_xh (D, H), W_hh (H, H), b_h (H,).
    Returns (h, cache): h of shape (N, H), cache for rnn_step_backward.
    """
    raise NotImplementedError("rnn_step_forward: not implemented yet (replace this line with your code)")


def rnn_step_backward(dh, cache):
    """Backward pass of one RNN step.

    dh: (N, H), the gradient of the loss with respect to this step's h.
    Returns (dx, dh_prev, grads): dx (N, D), dh_prev (N, H), grads a dict
    with W_xh (D, H), W_hh (H, H), b_h (H,).
    HINT: tanh'(a) = 1 − h², so da = dh ⊙ (1 − h²); then the matmul rules.
    """
    raise NotImplementedError("rnn_step_backward: not implemented yet (replace this line with your code)")


def rnn_forward(X, h0, params):
    """Run the RNN over a sequence, starting from h0.

    X: (N, T, D); h0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    raise NotImplementedError("rnn_forward: not implemented yet (replace this line with your code)")


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
    raise NotImplementedError("rnn_backward: not implemented yet (replace this line with your code)")


def clip_gradients(grads, max_norm):
    """Clip gradients by their global L2 norm.

    grads: dict of arrays of any shapes; max_norm: a positive float.
    Returns a new dict with the same keys, shapes and dtypes: every array
    scaled by max_norm / norm when the norm over all arrays together exceeds
    max_norm, otherwise the same values. grads itself is left unchanged.
    """
    raise NotImplementedError("clip_gradients: not implemented yet (replace this line with your code)")
