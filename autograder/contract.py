"""Section 1 of the contract as data: the functions, their modules and returns.

Everything that must agree with ../shared/CONTRACT.md is written once here.
"""

# function -> (module, names of the returned values; one name = a bare array)
FUNCTIONS = {
    "sigmoid": ("activations", ("out",)),
    "sigmoid_prime": ("activations", ("out",)),
    "tanh": ("activations", ("out",)),
    "tanh_prime": ("activations", ("out",)),
    "rnn_step_forward": ("rnn", ("h", "cache")),
    "rnn_step_backward": ("rnn", ("dx", "dh_prev", "grads")),
    "rnn_forward": ("rnn", ("H", "cache")),
    "rnn_backward": ("rnn", ("dX", "dh0", "grads")),
    "clip_gradients": ("rnn", ("clipped",)),
    "forget_gate": ("lstm", ("F",)),
    "input_gate": ("lstm", ("I",)),
    "input_node": ("lstm", ("C_tilde",)),
    "output_gate": ("lstm", ("O",)),
    "cell_state": ("lstm", ("C",)),
    "hidden_state": ("lstm", ("H",)),
    "lstm_step_forward": ("lstm", ("h", "c", "cache")),
    "lstm_step_backward": ("lstm", ("dx", "dh_prev", "dc_prev", "grads")),
    "lstm_forward": ("lstm", ("H", "cache")),
    "lstm_backward": ("lstm", ("dX", "dh0", "dc0", "grads")),
    "bilstm_forward": ("lstm", ("H", "cache")),
    "bilstm_backward": ("lstm", ("dX", "grads_fwd", "grads_bwd")),
    "stacked_lstm_forward": ("lstm", ("H", "cache")),
    "stacked_lstm_backward": ("lstm", ("dX", "grads")),
    "gru_step_forward": ("gru", ("h", "cache")),
    "gru_step_backward": ("gru", ("dx", "dh_prev", "grads")),
    "gru_forward": ("gru", ("H", "cache")),
    "gru_backward": ("gru", ("dX", "dh0", "grads")),
    "encode": ("sequences", ("ids",)),
    "embed": ("sequences", ("X",)),
    "rnn_gradient_norms": ("sequences", ("g",)),
    "lstm_gradient_norms": ("sequences", ("g",)),
    "gru_gradient_norms": ("sequences", ("g",)),
}

# What each function is built from, by the contract's rules (suite/compositions.py
# computes each from these): the gates from sigmoid or tanh, a step from the
# gates, a sequence from its step, the bidirectional and stacked passes from
# lstm_forward, the norms from the passes. A backward is built from its forward
# (whose values it differentiates) and what its own rule calls. A mistake in a
# part shows in everything built from it: error carried forward
# (suite/carry_forward.py) keeps those functions' credit.
LSTM_GATES = ("forget_gate", "input_gate", "input_node", "output_gate")
BUILT_FROM = {
    "sigmoid_prime": ("sigmoid",),
    "tanh_prime": ("tanh",),
    "forget_gate": ("sigmoid",),
    "input_gate": ("sigmoid",),
    "input_node": ("tanh",),
    "output_gate": ("sigmoid",),
    "hidden_state": ("tanh",),
    "rnn_step_forward": ("tanh",),
    "rnn_step_backward": ("rnn_step_forward", "tanh", "tanh_prime"),
    "rnn_forward": ("rnn_step_forward",),
    "rnn_backward": ("rnn_forward", "rnn_step_forward", "rnn_step_backward"),
    "lstm_step_forward": LSTM_GATES + ("cell_state", "hidden_state"),
    "lstm_step_backward": ("lstm_step_forward",) + LSTM_GATES + ("cell_state", "hidden_state", "tanh",
                                                                   "sigmoid_prime", "tanh_prime"),
    "lstm_forward": ("lstm_step_forward",),
    "lstm_backward": ("lstm_forward", "lstm_step_forward", "lstm_step_backward"),
    "bilstm_forward": ("lstm_forward",),
    "bilstm_backward": ("bilstm_forward", "lstm_forward", "lstm_backward"),
    "stacked_lstm_forward": ("lstm_forward",),
    "stacked_lstm_backward": ("stacked_lstm_forward", "lstm_forward", "lstm_backward"),
    "gru_step_forward": ("sigmoid", "tanh"),
    "gru_step_backward": ("gru_step_forward", "sigmoid", "tanh", "sigmoid_prime", "tanh_prime"),
    "gru_forward": ("gru_step_forward",),
    "gru_backward": ("gru_forward", "gru_step_forward", "gru_step_backward"),
    "rnn_gradient_norms": ("rnn_forward", "rnn_backward"),
    "lstm_gradient_norms": ("lstm_forward", "lstm_backward"),
    "gru_gradient_norms": ("gru_forward", "gru_backward"),
}


def parts_of(function):
    """Every contract function `function` is built from, directly or through others."""
    found, todo = set(), list(BUILT_FROM.get(function, ()))
    while todo:
        part = todo.pop()
        if part not in found:
            found.add(part)
            todo.extend(BUILT_FROM.get(part, ()))
    return found


# The submission's files, in the order of the students' work (each builds on those before it).
MODULES = tuple(dict.fromkeys(module for module, _ in FUNCTIONS.values()))

RNN_KEYS = ("W_xh", "W_hh", "b_h")
LSTM_KEYS = tuple(f"{kind}{gate}" for gate in "fico" for kind in ("W_x", "W_h", "b_"))
GRU_KEYS = tuple(f"{kind}{gate}" for gate in "rzh" for kind in ("W_x", "W_h", "b_"))


def module_of(function):
    return FUNCTIONS[function][0]


def returns(function):
    return FUNCTIONS[function][1]


def cache_positions(function):
    """Positions of caches in the returned tuple (kept in the worker)."""
    names = returns(function)
    return tuple(i for i, name in enumerate(names) if name == "cache")
