"""Gated recurrent unit (GRU), in the slides' (d2l's) convention.

Notation: N batch size, T time steps, D input size, H hidden size.
x is (N, D), h_prev is (N, H), X is (N, T, D). params holds, for the reset
gate r, the update gate z and the candidate h: W_xr W_xz W_xh (D, H),
W_hr W_hz W_hh (H, H), b_r b_z b_h (H,).
"""

from activations import array_module, sigmoid, tanh


def gru_step_forward(x, h_prev, params):
    """One GRU step:
        R = σ(x W_xr + h_prev W_hr + b_r),  Z = σ(x W_xz + h_prev W_hz + b_z),
        H̃ = tanh(x W_xh + (R ⊙ h_prev) W_hh + b_h),  h = Z ⊙ h_prev + (1 − Z) ⊙ H̃.

    x: (N, D); h_prev: (N, H). Returns (h, cache): h of shape (N, H).
    """
    raise NotImplementedError("gru_step_forward: not implemented yet (replace this line with your code)")


def gru_step_backward(dh, cache):
    """Backward pass of one GRU step.

    dh: (N, H). Returns (dx, dh_prev, grads): dx (N, D), dh_prev (N, H),
    grads a dict with params' keys and shapes.
    HINT: h_prev reaches h three ways: directly through Z ⊙ h_prev, through
    R ⊙ h_prev inside H̃, and through the gates R and Z.
    """
    raise NotImplementedError("gru_step_backward: not implemented yet (replace this line with your code)")


def gru_forward(X, h0, params):
    """Run the GRU over a sequence, starting from h0.

    X: (N, T, D); h0: (N, H). Returns (H, cache): H of shape (N, T, H).
    """
    raise NotImplementedError("gru_forward: not implemented yet (replace this line with your code)")


def gru_backward(dH, cache):
    """Backpropagation through time for gru_forward.

    dH: (N, T, H). Returns (dX, dh0, grads): dX (N, T, D), dh0 (N, H), grads
    a dict with params' keys and shapes, summed over all steps.
    """
    raise NotImplementedError("gru_backward: not implemented yet (replace this line with your code)")
