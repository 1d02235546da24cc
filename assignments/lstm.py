"""Long short-term memory (LSTM): gates, step, sequence, bidirectional, stacked.

Notation (the slides'): N batch size, T time steps, D input size, H hidden
size. x is (N, D), h_prev and c_prev are (N, H), X is (N, T, D).
params holds, for each gate g in f (forget), i (input), c (input node) and
o (output): W_xg (D, H), W_hg (H, H), b_g (H,).
"""

from activations import array_module, sigmoid, tanh

GATES = ("f", "i", "c", "o")


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    raise NotImplementedError("forget_gate: not implemented yet (replace this line with your code)")


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    raise NotImplementedError("input_gate: not implemented yet (replace this line with your code)")


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    raise NotImplementedError("input_node: not implemented yet (replace this line with your code)")


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    raise NotImplementedError("output_gate: not implemented yet (replace this line with your code)")


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃. All arguments and the result are (N, H)."""
    raise NotImplementedError("cell_state: not implemented yet (replace this line with your code)")


def hidden_state(O, c):
    """H = O ⊙ tanh(c). O and c are (N, H); returns (N, H)."""
    raise NotImplementedError("hidden_state: not implemented yet (replace this line with your code)")


def lstm_step_forward(x, h_prev, c_prev, params):
    """One LSTM step: the four gates, then C = F ⊙ c_prev + I ⊙ C̃ and H = O ⊙ tanh(C).

    x: (N, D); h_prev, c_prev: (N, H).
    Returns (h, c, cache): h and c of shape (N, H), cache for lstm_step_backward.
    """
    raise NotImplementedError("lstm_step_forward: not implemented yet (replace this line with your code)")


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one LSTM step.

    dh, dc: (N, H), upstream gradients of this step's h and c.
    Returns (dx, dh_prev, dc_prev, grads): dx (N, D), dh_prev and dc_prev
    (N, H), grads a dict with params' keys and shapes.
    HINT: h depends on c, so the gradient reaching c is dc + dh ⊙ O ⊙ (1 − tanh²(c)).
    """
    raise NotImplementedError("lstm_step_backward: not implemented yet (replace this line with your code)")


def lstm_forward(X, h0, c0, params):
    """Run the LSTM over a sequence, starting from (h0, c0).

    X: (N, T, D); h0, c0: (N, H). Returns (H, cache): H of shape (N, T, H),
    H[:, t] the hidden state after step t.
    """
    raise NotImplementedError("lstm_forward: not implemented yet (replace this line with your code)")


def lstm_backward(dH, cache):
    """Backpropagation through time for lstm_forward.

    dH: (N, T, H), ∂L/∂h_t from outside the recurrence.
    Returns (dX, dh0, dc0, grads): dX (N, T, D), dh0 and dc0 (N, H), grads a
    dict with params' keys and shapes, summed over all steps.
    HINT: carry both dh_prev and dc_prev from step t back to step t−1.
    """
    raise NotImplementedError("lstm_backward: not implemented yet (replace this line with your code)")


def bilstm_forward(X, params_fwd, params_bwd):
    """A bidirectional LSTM, both directions starting from zero states.

    X: (N, T, D). Returns (H, cache) with H of shape (N, T, H_f + H_b):
    H[:, t, :H_f] is the forward LSTM's state after reading X[:, 0..t];
    H[:, t, H_f:] is the backward LSTM's state after reading X[:, T−1], …, X[:, t].
    """
    raise NotImplementedError("bilstm_forward: not implemented yet (replace this line with your code)")


def bilstm_backward(dH, cache):
    """Backward pass of bilstm_forward.

    dH: (N, T, H_f + H_b). Returns (dX, grads_fwd, grads_bwd): dX (N, T, D)
    and one gradient dict per direction.
    """
    raise NotImplementedError("bilstm_backward: not implemented yet (replace this line with your code)")


def stacked_lstm_forward(X, layers):
    """A stack of LSTMs: layer 0 reads X, layer l reads layer l−1's H.

    X: (N, T, D); layers: a list of params dicts, layer l's W_x? of shape
    (input size of layer l, H_l). Every layer starts from zero states.
    Returns (H, cache) with H the top layer's hidden states (N, T, H_top).
    """
    raise NotImplementedError("stacked_lstm_forward: not implemented yet (replace this line with your code)")


def stacked_lstm_backward(dH, cache):
    """Backward pass of stacked_lstm_forward.

    dH: (N, T, H_top). Returns (dX, grads): dX (N, T, D), grads a list of
    gradient dicts, one per layer, bottom layer first.
    """
    raise NotImplementedError("stacked_lstm_backward: not implemented yet (replace this line with your code)")
