"""Submissions that are the solution with every contract function wrapped.

A mistake made everywhere at once, the same way, is a policy rather than a
slip: such a submission must lose exactly what the rubric charges for that
policy, and nothing for the maths it gets right. Kinds:

- float32_everywhere: computes in float32 whatever it is given (float64 in,
  float32 out); its maths is right to float32's precision, so it must lose
  the dtype tests' points and no others.
"""
from pathlib import Path

from . import materialize

FUNCTIONS = {
    "activations.py": ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime"),
    "rnn.py": ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "clip_gradients"),
    "lstm.py": ("forget_gate", "input_gate", "input_node", "output_gate", "cell_state", "hidden_state",
                "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward", "bilstm_forward",
                "bilstm_backward", "stacked_lstm_forward", "stacked_lstm_backward"),
    "gru.py": ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"),
    "sequences.py": ("encode", "embed", "rnn_gradient_norms", "lstm_gradient_norms", "gru_gradient_norms"),
}

WRAPPERS = {
    "float32_everywhere": '''

import functools as _functools

import numpy as _np


def _in_float32(value):
    """float64 arrays as float32, inside dicts, lists and plain tuples (caches are left alone)."""
    if isinstance(value, _np.ndarray) and value.dtype == _np.float64:
        return value.astype(_np.float32)
    if type(value) is dict:
        return {key: _in_float32(item) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(_in_float32(item) for item in value)
    return value


def _computes_in_float32(function):
    @_functools.wraps(function)
    def wrapper(*args, **kwargs):
        return _in_float32(function(*_in_float32(args), **kwargs))
    return wrapper


for _name in FUNCTION_NAMES:
    globals()[_name] = _computes_in_float32(globals()[_name])
''',
}


def kinds():
    return list(WRAPPERS)


def sources(kind) -> dict:
    """File name -> source: the solution copy with `kind`'s wrapper appended to every module."""
    solution = materialize.solution_copy()
    return {name: text + WRAPPERS[kind].replace("FUNCTION_NAMES", repr(FUNCTIONS[name]))
            for name, text in solution.items()}


def materialize_wrapped(kind, dest_dir) -> Path:
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in sources(kind).items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest
