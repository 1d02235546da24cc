"""Gated recurrent unit (GRU), in the slides' (d2l's) convention.

Notation: N batch size, T time steps, D input size, H hidden size.
x is (N, D), h_prev is (N, H), X is (N, T, D). params holds, for the reset
gate r, the update gate z and the candidate h: W_xr W_xz W_xh (D, H),
W_hr W_hz W_hh (H, H), b_r b_z b_h (H,).
"""
from typing import NamedTuple

from activations import array_module, sigmoid, tanh


class StepCache(NamedTuple):
    x: object        # (N, D)
    h_prev: object   # (N, H)
    R: object        # (N, H) reset gate
    Z: object        # (N, H) update gate
    H_tilde: object  # (N, H) candidate state
    params: dict


class SequenceCache(NamedTuple):
    steps: list      # T StepCaches


def _step(A_x, h_prev, params):
    """One step given the input projections A_x = (a_r, a_z, a_h), each (N, H)."""
    a_r, a_z, a_h = A_x
    R = sigmoid(a_r + h_prev @ params["W_hr"])
    Z = sigmoid(a_z + h_prev @ params["W_hz"])
    H_tilde = tanh(a_h + (R * h_prev) @ params["W_hh"])
    return Z * h_prev + (1 - Z) * H_tilde, (R, Z, H_tilde)


def gru_step_forward(x, h_prev, params):
    """One GRU step:
        R = σ(x W_xr + h_prev W_hr + b_r),  Z = σ(x W_xz + h_prev W_hz + b_z),
        H̃ = tanh(x W_xh + (R ⊙ h_prev) W_hh + b_h),  h = Z ⊙ h_prev + (1 − Z) ⊙ H̃.

    x: (N, D); h_prev: (N, H). Returns (h, cache): h of shape (N, H).
    """
    A_x = [x @ params["W_x" + g] + params["b_" + g] for g in "rzh"]
    h, (R, Z, H_tilde) = _step(A_x, h_prev, params)
    return h, StepCache(x, h_prev, R, Z, H_tilde, params)


def gru_step_backward(dh, cache):
    """Backward pass of one GRU step.

    dh: (N, H). Returns (dx, dh_prev, grads): dx (N, D), dh_prev (N, H),
    grads a dict with params' keys and shapes.
    HINT: h_prev reaches h three ways: directly through Z ⊙ h_prev, through
    R ⊙ h_prev inside H̃, and through the gates R and Z.
    """
    x, h_prev, R, Z, H_tilde, params = cache
    da_h = dh * (1 - Z) * (1 - H_tilde * H_tilde)
    d_reset_h = da_h @ params["W_hh"].T                 # gradient at R ⊙ h_prev
    da_r = d_reset_h * h_prev * R * (1 - R)
    da_z = dh * (h_prev - H_tilde) * Z * (1 - Z)
    dh_prev = (dh * Z + d_reset_h * R
               + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T)
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    grads = {
        "W_xr": x.T @ da_r, "W_hr": h_prev.T @ da_r, "b_r": da_r.sum(axis=0),
        "W_xz": x.T @ da_z, "W_hz": h_prev.T @ da_z, "b_z": da_z.sum(axis=0),
        "W_xh": x.T @ da_h, "W_hh": (R * h_prev).T @ da_h, "b_h": da_h.sum(axis=0),
    }
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """Run the GRU over a sequence, starting from h0.

    X: (N, T, D); h0: (N, H). Returns (H, cache): H of shape (N, T, H).
    """
    xp = array_module(X)
    N, T, _ = X.shape
    # Every step's input projections in one matmul per gate.
    A_x = [X @ params["W_x" + g] + params["b_" + g] for g in "rzh"]
    H = xp.empty((N, T, h0.shape[1]), dtype=X.dtype)
    h, steps = h0, []
    for t in range(T):
        h_prev = h
        h, (R, Z, H_tilde) = _step([a[:, t] for a in A_x], h_prev, params)
        H[:, t] = h
        steps.append(StepCache(X[:, t], h_prev, R, Z, H_tilde, params))
    return H, SequenceCache(steps)


def gru_backward(dH, cache):
    """Backpropagation through time for gru_forward.

    dH: (N, T, H). Returns (dX, dh0, grads): dX (N, T, D), dh0 (N, H), grads
    a dict with params' keys and shapes, summed over all steps.
    """
    xp = array_module(dH)
    T = dH.shape[1]
    dX = [None] * T
    dh = xp.zeros_like(dH[:, 0])
    grads = None
    for t in reversed(range(T)):
        dX[t], dh, step_grads = gru_step_backward(dH[:, t] + dh, cache.steps[t])
        grads = step_grads if grads is None else {k: grads[k] + v for k, v in step_grads.items()}
    return xp.stack(dX, axis=1), dh, grads
