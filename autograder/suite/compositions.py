"""The contract's rules of composition, as code: every contract function that
is built from others, computed from those others ("its parts").

`parts` is any object with the contract's functions as attributes: the
student's, called in the worker (carry_forward.py), or these compositions
themselves down to the student's activations. The arithmetic between the
parts' calls (matrix products, sums, loops over time, flips) runs here, in
the grader, in the dtype the parts return.

Each composition takes its contract function's arguments after `parts` and
returns what the contract function returns. A forward's cache is the
composition's own (the parts' results and caches), read only by the matching
backward composition.

A backward needs the derivatives of σ and tanh. A student writes them either
from the outputs (S(1 − S), 1 − C̃²) or with sigmoid_prime / tanh_prime at
the pre-activations; `parts.derivatives` says which, per activation
(see Derivatives).
"""
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from autograder import contract


class NotComposed(Exception):
    """A part returned something the rule cannot be applied to (not an array, a wrong shape)."""


@dataclass(frozen=True)
class Derivatives:
    """How the backward compositions take σ' and tanh': "outputs" (S(1 − S),
    1 − T² from the forward's values) or "primes" (your sigmoid_prime and
    tanh_prime at the pre-activation)."""
    sigmoid: str = "outputs"
    tanh: str = "outputs"


def array(value, like=None):
    """`value` if it is a float array (of `like`'s shape, if given); else NotComposed."""
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        raise NotComposed(f"a part returned {type(value).__name__}, not a float array")
    if like is not None and value.shape != like.shape:
        raise NotComposed(f"a part returned shape {value.shape}, expected {like.shape}")
    return value


def result(value, function):
    """A part's result as the contract's tuple (one name: the bare value)."""
    names = contract.returns(function)
    if len(names) == 1:
        return value
    if not isinstance(value, tuple) or len(value) != len(names):
        raise NotComposed(f"{function} did not return a tuple of {len(names)}")
    return value


def pre_activation(x, h_prev, params, gate):
    """x W_x? + h_prev W_h? + b_? for `gate` ("f", "i", "c", "o", "h", "r", "z"), (N, H)."""
    return x @ params["W_x" + gate] + h_prev @ params["W_h" + gate] + params["b_" + gate]


def d_sigmoid(parts, a, S):
    """σ'(a), (N, H), given S = σ(a) as the forward computed it."""
    if parts.derivatives.sigmoid == "primes":
        return array(parts.sigmoid_prime(a), a)
    return S * (1 - S)


def d_tanh(parts, a, T):
    """tanh'(a), (N, H), given T = tanh(a) as the forward computed it."""
    if parts.derivatives.tanh == "primes":
        return array(parts.tanh_prime(a), a)
    return 1 - T * T


def summed(grads):
    """The keywise sum of a list of gradient dicts."""
    total = dict(grads[0])
    for step in grads[1:]:
        for key in total:
            total[key] = total[key] + step[key]
    return total


def grads_of(value, keys):
    """A part's gradient dict, checked to hold `keys`."""
    if not isinstance(value, dict) or set(value) != set(keys):
        raise NotComposed("a part's grads are not a dict with the params' keys")
    return {key: array(value[key]) for key in keys}


# --- activations: the derivatives from the functions -------------------------

def sigmoid_prime(parts, z):
    """σ(z)(1 − σ(z)), any shape."""
    S = array(parts.sigmoid(z), z)
    return S * (1 - S)


def tanh_prime(parts, z):
    """1 − tanh(z)², any shape."""
    T = array(parts.tanh(z), z)
    return 1 - T * T


# --- the LSTM's gates and states ---------------------------------------------

def forget_gate(parts, x, h_prev, params):
    """σ(x W_xf + h_prev W_hf + b_f); x (N, D), h_prev (N, H) -> (N, H)."""
    a = pre_activation(x, h_prev, params, "f")
    return array(parts.sigmoid(a), a)


def input_gate(parts, x, h_prev, params):
    a = pre_activation(x, h_prev, params, "i")
    return array(parts.sigmoid(a), a)


def input_node(parts, x, h_prev, params):
    a = pre_activation(x, h_prev, params, "c")
    return array(parts.tanh(a), a)


def output_gate(parts, x, h_prev, params):
    a = pre_activation(x, h_prev, params, "o")
    return array(parts.sigmoid(a), a)


def hidden_state(parts, O, c):
    """O ⊙ tanh(c), (N, H)."""
    return O * array(parts.tanh(c), c)


# --- simple RNN ---------------------------------------------------------------

class RNNStep(NamedTuple):
    x: np.ndarray        # (N, D)
    h_prev: np.ndarray   # (N, H)
    params: dict
    a: np.ndarray        # (N, H) the pre-activation
    h: np.ndarray        # (N, H)


def rnn_step_forward(parts, x, h_prev, params):
    a = pre_activation(x, h_prev, params, "h")
    h = array(parts.tanh(a), a)
    return h, RNNStep(x, h_prev, params, a, h)


def rnn_step_backward(parts, dh, cache):
    """(dx (N, D), dh_prev (N, H), grads) of one step, from tanh' at the step's pre-activation."""
    x, h_prev, params, a, h = cache
    da = dh * d_tanh(parts, a, h)
    grads = {"W_xh": x.T @ da, "W_hh": h_prev.T @ da, "b_h": da.sum(axis=0)}
    return da @ params["W_xh"].T, da @ params["W_hh"].T, grads


# --- the LSTM step --------------------------------------------------------------

class LSTMStep(NamedTuple):
    x: np.ndarray        # (N, D)
    h_prev: np.ndarray   # (N, H)
    c_prev: np.ndarray   # (N, H)
    params: dict
    gates: dict          # "f", "i", "c", "o" -> F, I, C̃, O, each (N, H)
    c: np.ndarray        # (N, H)


def lstm_step_forward(parts, x, h_prev, c_prev, params):
    gates = {"f": array(parts.forget_gate(x, h_prev, params), h_prev),
             "i": array(parts.input_gate(x, h_prev, params), h_prev),
             "c": array(parts.input_node(x, h_prev, params), h_prev),
             "o": array(parts.output_gate(x, h_prev, params), h_prev)}
    c = array(parts.cell_state(gates["f"], gates["i"], gates["c"], c_prev), c_prev)
    h = array(parts.hidden_state(gates["o"], c), c_prev)
    return h, c, LSTMStep(x, h_prev, c_prev, params, gates, c)


def lstm_step_backward(parts, dh, dc, cache):
    """(dx (N, D), dh_prev (N, H), dc_prev (N, H), grads) of one step."""
    x, h_prev, c_prev, params, gates, c = cache
    F, I, C_tilde, O = gates["f"], gates["i"], gates["c"], gates["o"]
    tanh_c = array(parts.tanh(c), c)
    dc_total = dc + dh * O * d_tanh(parts, c, tanh_c)
    d_gate = {"f": dc_total * c_prev, "i": dc_total * C_tilde, "c": dc_total * I, "o": dh * tanh_c}
    da = {g: d_gate[g] * (d_tanh if g == "c" else d_sigmoid)(parts, pre_activation(x, h_prev, params, g), gates[g])
          for g in "fico"}
    dx = sum(da[g] @ params["W_x" + g].T for g in "fico")
    dh_prev = sum(da[g] @ params["W_h" + g].T for g in "fico")
    grads = {}
    for g in "fico":
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = x.T @ da[g], h_prev.T @ da[g], da[g].sum(axis=0)
    return dx, dh_prev, dc_total * F, grads


# --- the GRU step ---------------------------------------------------------------

class GRUStep(NamedTuple):
    x: np.ndarray        # (N, D)
    h_prev: np.ndarray   # (N, H)
    params: dict
    R: np.ndarray        # (N, H)
    Z: np.ndarray        # (N, H)
    a_h: np.ndarray      # (N, H) the candidate's pre-activation
    H_tilde: np.ndarray  # (N, H)


def gru_step_forward(parts, x, h_prev, params):
    R = array(parts.sigmoid(pre_activation(x, h_prev, params, "r")), h_prev)
    Z = array(parts.sigmoid(pre_activation(x, h_prev, params, "z")), h_prev)
    a_h = x @ params["W_xh"] + (R * h_prev) @ params["W_hh"] + params["b_h"]
    H_tilde = array(parts.tanh(a_h), h_prev)
    h = Z * h_prev + (1 - Z) * H_tilde
    return h, GRUStep(x, h_prev, params, R, Z, a_h, H_tilde)


def gru_step_backward(parts, dh, cache):
    """(dx (N, D), dh_prev (N, H), grads) of one step."""
    x, h_prev, params, R, Z, a_h, H_tilde = cache
    da_h = dh * (1 - Z) * d_tanh(parts, a_h, H_tilde)
    d_reset = da_h @ params["W_hh"].T          # at R ⊙ h_prev
    da_r = d_reset * h_prev * d_sigmoid(parts, pre_activation(x, h_prev, params, "r"), R)
    da_z = dh * (h_prev - H_tilde) * d_sigmoid(parts, pre_activation(x, h_prev, params, "z"), Z)
    dx = da_r @ params["W_xr"].T + da_z @ params["W_xz"].T + da_h @ params["W_xh"].T
    dh_prev = dh * Z + d_reset * R + da_r @ params["W_hr"].T + da_z @ params["W_hz"].T
    grads = {}
    for g, da, h_in in (("r", da_r, h_prev), ("z", da_z, h_prev), ("h", da_h, R * h_prev)):
        grads["W_x" + g], grads["W_h" + g], grads["b_" + g] = x.T @ da, h_in.T @ da, da.sum(axis=0)
    return dx, dh_prev, grads


# --- sequences: loops of the step functions ---------------------------------------

def run_steps(parts, step, X, states, params):
    """Run `step` over t = 0..T−1 of X (N, T, D) from `states` (h0, or h0 and c0);
    returns (H (N, T, H), the step caches)."""
    hs, caches = [], []
    for t in range(X.shape[1]):
        with parts.at(f"at step t={t}"):
            *new, cache = result(getattr(parts, step)(X[:, t], *states, params), step)
        states = [array(state, old) for state, old in zip(new, states)]
        hs.append(states[0])
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def back_through_steps(parts, step_backward, dH, caches, carried, truncate=None):
    """Run `step_backward` over t = T−1..0 with dH[:, t] added to the carried dh;
    `carried` is the zero (dh,) or (dh, dc) to start from. With truncate=k, what
    is carried from step ck into step ck − 1 is dropped.
    Returns (dX (N, T, D), the carried gradients into step 0, summed grads)."""
    dX, grads = [None] * len(caches), []
    for t in reversed(range(len(caches))):
        with parts.at(f"at step t={t}"):
            dx, *carry, step_grads = result(getattr(parts, step_backward)(dH[:, t] + carried[0], *carried[1:],
                                                                          caches[t]), step_backward)
        dX[t] = array(dx)
        carried = [array(c, carried[0]) for c in carry]
        grads.append(step_grads)
        if truncate is not None and t > 0 and t % truncate == 0:
            carried = [np.zeros_like(c) for c in carried]
    keys = tuple(grads[0]) if isinstance(grads[0], dict) else ()
    return np.stack(dX, axis=1), carried, summed([grads_of(g, keys) for g in grads])


def rnn_forward(parts, X, h0, params):
    return run_steps(parts, "rnn_step_forward", X, [h0], params)


def rnn_backward(parts, dH, cache, truncate=None):
    dX, (dh0,), grads = back_through_steps(parts, "rnn_step_backward", dH, cache, [np.zeros_like(dH[:, 0])],
                                           truncate)
    return dX, dh0, grads


def lstm_forward(parts, X, h0, c0, params):
    return run_steps(parts, "lstm_step_forward", X, [h0, c0], params)


def lstm_backward(parts, dH, cache):
    zeros = np.zeros_like(dH[:, 0])
    dX, (dh0, dc0), grads = back_through_steps(parts, "lstm_step_backward", dH, cache, [zeros, zeros])
    return dX, dh0, dc0, grads


def gru_forward(parts, X, h0, params):
    return run_steps(parts, "gru_step_forward", X, [h0], params)


def gru_backward(parts, dH, cache):
    dX, (dh0,), grads = back_through_steps(parts, "gru_step_backward", dH, cache, [np.zeros_like(dH[:, 0])])
    return dX, dh0, grads


# --- bidirectional and stacked LSTMs: lstm_forward / lstm_backward inside ----------

def zero_states(X, params):
    """Zero h0 and c0 (N, H) for an LSTM with `params` over X (N, T, D)."""
    zeros = np.zeros((X.shape[0], params["W_hf"].shape[0]), dtype=X.dtype)
    return zeros, zeros.copy()


def bilstm_forward(parts, X, params_fwd, params_bwd):
    """H (N, T, H_f + H_b): lstm_forward over X, and over X reversed in time, flipped back."""
    with parts.at("in the forward direction"):
        H_f, cache_f = result(parts.lstm_forward(X, *zero_states(X, params_fwd), params_fwd), "lstm_forward")
    reversed_X = np.ascontiguousarray(X[:, ::-1])
    with parts.at("in the backward direction"):
        H_b, cache_b = result(parts.lstm_forward(reversed_X, *zero_states(X, params_bwd), params_bwd),
                              "lstm_forward")
    H_f, H_b = array(H_f), array(H_b)
    return np.concatenate([H_f, H_b[:, ::-1]], axis=2), (cache_f, cache_b, H_f.shape[2])


def bilstm_backward(parts, dH, cache):
    cache_f, cache_b, H_f = cache
    with parts.at("in the forward direction"):
        dX_f, _, _, grads_f = result(parts.lstm_backward(np.ascontiguousarray(dH[..., :H_f]), cache_f),
                                     "lstm_backward")
    with parts.at("in the backward direction"):
        dX_b, _, _, grads_b = result(parts.lstm_backward(np.ascontiguousarray(dH[:, ::-1, H_f:]), cache_b),
                                     "lstm_backward")
    return array(dX_f) + array(dX_b)[:, ::-1], grads_f, grads_b


def stacked_lstm_forward(parts, X, layers):
    """The top layer's H (N, T, H_top): layer l's lstm_forward reads layer l − 1's H."""
    H, caches = X, []
    for layer, params in enumerate(layers):
        with parts.at(f"in layer {layer}"):
            H, cache = result(parts.lstm_forward(H, *zero_states(X, params), params), "lstm_forward")
        H = array(H)
        caches.append(cache)
    return H, caches


def stacked_lstm_backward(parts, dH, cache):
    grads = [None] * len(cache)
    for layer in reversed(range(len(cache))):
        with parts.at(f"in layer {layer}"):
            dH, _, _, grads[layer] = result(parts.lstm_backward(dH, cache[layer]), "lstm_backward")
        dH = array(dH)
    return dH, grads


# --- Part 8: how far gradients reach, from the passes ---------------------------

def last_step_only(shape, dtype):
    """dH (N, T, H) of L = Σ H[:, T−1]: zero but at the last step, where it is 1."""
    dH = np.zeros(shape, dtype=dtype)
    dH[:, -1] = 1
    return dH


def gradient_norms(parts, forward, backward, X, *states_and_params):
    """g (T,): the norm of dX[:, t] over its N·D entries, from `forward` and `backward`."""
    H, cache = result(getattr(parts, forward)(X, *states_and_params), forward)
    H = array(H)
    dX = array(result(getattr(parts, backward)(last_step_only(H.shape, H.dtype), cache), backward)[0], X)
    return np.sqrt(np.sum(dX * dX, axis=(0, 2)))


def rnn_gradient_norms(parts, X, h0, params):
    return gradient_norms(parts, "rnn_forward", "rnn_backward", X, h0, params)


def lstm_gradient_norms(parts, X, h0, c0, params):
    return gradient_norms(parts, "lstm_forward", "lstm_backward", X, h0, c0, params)


def gru_gradient_norms(parts, X, h0, params):
    return gradient_norms(parts, "gru_forward", "gru_backward", X, h0, params)


# function -> its composition; contract.BUILT_FROM names the parts each one calls
COMPOSITIONS = {name: globals()[name] for name in contract.BUILT_FROM}
