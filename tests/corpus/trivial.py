"""Submissions that compute nothing: each must earn 0 points in total.

Every function of such a submission returns arrays of exactly the right
shapes and dtypes, so no shape or dtype check catches it, but nothing it
returns is computed from its inputs. A *kind* says what is returned:

- zeros:          zeros everywhere;
- constant:       0.5 everywhere;
- random:         fresh uniform values in (−1, 1) at every call;
- tiny_random:    fresh uniform values in (−1e-9, 1e-9) at every call;
- echo_input:     one of the function's inputs, unchanged, where one has the
                  output's shape (h_prev for h, h0 repeated for H, the cached
                  x for dx, the params for grads, E's rows for embed's X),
                  zeros elsewhere;
- echo_upstream:  backward passes return the upstream gradient (dh for
                  dh_prev) and the params dict as grads, unchanged; forward
                  passes echo their inputs as echo_input does.

All kinds share one body per module (MODULES below); a kind only defines
`_pick(shape, like, inputs, upstream)`, which makes each returned array.
encode's ids are _pick's values, as magnitudes scaled to the vocabulary's
ids (zeros: every id 0; random: fresh random ids), one per token.
"""
from pathlib import Path

PRELUDE = '''import numpy as np


def _new(shape, like, fill):
    return np.full(shape, fill, dtype=like.dtype)


def _copy(array, shape):
    return np.array(np.broadcast_to(array, shape), copy=True)
'''

KINDS = {
    "zeros": '''
def _pick(shape, like, inputs=(), upstream=()):
    return _new(shape, like, 0.0)
''',
    "constant": '''
def _pick(shape, like, inputs=(), upstream=()):
    return _new(shape, like, 0.5)
''',
    "random": '''
def _pick(shape, like, inputs=(), upstream=()):
    return np.random.default_rng().uniform(-1, 1, shape).astype(like.dtype)
''',
    "tiny_random": '''
def _pick(shape, like, inputs=(), upstream=()):
    return (np.random.default_rng().uniform(-1, 1, shape) * 1e-9).astype(like.dtype)
''',
    "echo_input": '''
def _pick(shape, like, inputs=(), upstream=()):
    for candidate in inputs:
        try:
            return _copy(candidate, shape)
        except ValueError:
            continue
    return _new(shape, like, 0.0)
''',
    "echo_upstream": '''
def _pick(shape, like, inputs=(), upstream=()):
    for candidate in tuple(upstream) + tuple(inputs):
        try:
            return _copy(candidate, shape)
        except ValueError:
            continue
    return _new(shape, like, 0.0)
''',
}

# One body per module. A cache is the tuple of the forward's arguments.
MODULES = {
    "activations.py": '''

def array_module(a):
    return np


def sigmoid(z):
    return _pick(z.shape, z, [z])


def sigmoid_prime(z):
    return _pick(z.shape, z, [z])


def tanh(z):
    return _pick(z.shape, z, [z])


def tanh_prime(z):
    return _pick(z.shape, z, [z])
''',
    "rnn.py": '''

def _grads(params, like, upstream=()):
    return {k: _pick(v.shape, like, [v], [v]) for k, v in params.items()}


def rnn_step_forward(x, h_prev, params):
    return _pick(h_prev.shape, x, [h_prev]), (x, h_prev, params)


def rnn_step_backward(dh, cache):
    x, h_prev, params = cache
    return (_pick(x.shape, dh, [x]), _pick(h_prev.shape, dh, [h_prev], [dh]), _grads(params, dh))


def rnn_forward(X, h0, params):
    N, T, _ = X.shape
    return _pick((N, T, h0.shape[1]), X, [h0[:, None, :]]), (X, h0, params)


def rnn_backward(dH, cache, truncate=None):
    X, h0, params = cache
    return (_pick(X.shape, dH, [X]), _pick(h0.shape, dH, [h0], [dH[:, 0]]), _grads(params, dH))


def clip_gradients(grads, max_norm):
    return {k: _pick(v.shape, v, [v], [v]) for k, v in grads.items()}
''',
    "lstm.py": '''

def _grads(params, like):
    return {k: _pick(v.shape, like, [v], [v]) for k, v in params.items()}


def _gate(x, h_prev, params):
    return _pick(h_prev.shape, x, [h_prev])


forget_gate = input_gate = input_node = output_gate = _gate


def cell_state(F, I, C_tilde, c_prev):
    return _pick(c_prev.shape, c_prev, [c_prev, F])


def hidden_state(O, c):
    return _pick(c.shape, c, [c, O])


def lstm_step_forward(x, h_prev, c_prev, params):
    return (_pick(h_prev.shape, x, [h_prev]), _pick(c_prev.shape, x, [c_prev]),
            (x, h_prev, c_prev, params))


def lstm_step_backward(dh, dc, cache):
    x, h_prev, c_prev, params = cache
    return (_pick(x.shape, dh, [x]), _pick(h_prev.shape, dh, [h_prev], [dh]),
            _pick(c_prev.shape, dh, [c_prev], [dc]), _grads(params, dh))


def lstm_forward(X, h0, c0, params):
    N, T, _ = X.shape
    return _pick((N, T, h0.shape[1]), X, [h0[:, None, :]]), (X, h0, c0, params)


def lstm_backward(dH, cache):
    X, h0, c0, params = cache
    return (_pick(X.shape, dH, [X]), _pick(h0.shape, dH, [h0], [dH[:, 0]]),
            _pick(c0.shape, dH, [c0], [dH[:, 0]]), _grads(params, dH))


def bilstm_forward(X, params_fwd, params_bwd):
    N, T, _ = X.shape
    size = params_fwd["W_hf"].shape[0] + params_bwd["W_hf"].shape[0]
    return _pick((N, T, size), X, [X]), (X, params_fwd, params_bwd)


def bilstm_backward(dH, cache):
    X, params_fwd, params_bwd = cache
    return _pick(X.shape, dH, [X], [dH]), _grads(params_fwd, dH), _grads(params_bwd, dH)


def stacked_lstm_forward(X, layers):
    N, T, _ = X.shape
    return _pick((N, T, layers[-1]["W_hf"].shape[0]), X, [X]), (X, layers)


def stacked_lstm_backward(dH, cache):
    X, layers = cache
    return _pick(X.shape, dH, [X], [dH]), [_grads(params, dH) for params in layers]
''',
    "gru.py": '''

def _grads(params, like):
    return {k: _pick(v.shape, like, [v], [v]) for k, v in params.items()}


def gru_step_forward(x, h_prev, params):
    return _pick(h_prev.shape, x, [h_prev]), (x, h_prev, params)


def gru_step_backward(dh, cache):
    x, h_prev, params = cache
    return _pick(x.shape, dh, [x]), _pick(h_prev.shape, dh, [h_prev], [dh]), _grads(params, dh)


def gru_forward(X, h0, params):
    N, T, _ = X.shape
    return _pick((N, T, h0.shape[1]), X, [h0[:, None, :]]), (X, h0, params)


def gru_backward(dH, cache):
    X, h0, params = cache
    return _pick(X.shape, dH, [X]), _pick(h0.shape, dH, [h0], [dH[:, 0]]), _grads(params, dH)
''',
    "sequences.py": '''
import re


def encode(text, vocab):
    # As many ids as the text has tokens, each made by _pick (an id in [0, V)).
    count = len(re.findall(r"[a-z0-9']+", text.lower()))
    values = np.abs(_pick((count,), np.zeros(1))) * (len(vocab) - 1)
    return values.astype(np.int64)


def embed(ids, E):
    return _pick((1, len(ids), E.shape[1]), E, [E])


def _norms(X, inputs=()):
    return _pick((X.shape[1],), X, inputs)


def rnn_gradient_norms(X, h0, params):
    return _norms(X)


def lstm_gradient_norms(X, h0, c0, params):
    return _norms(X)


def gru_gradient_norms(X, h0, params):
    return _norms(X)
''',
}


def kinds():
    """The names of the trivial kinds, in order."""
    return list(KINDS)


def sources(kind) -> dict:
    """File name -> source of the trivial submission of `kind`."""
    return {name: PRELUDE + KINDS[kind] + body for name, body in MODULES.items()}


def materialize(kind, dest_dir) -> Path:
    """Write the complete trivial submission of `kind` into dest_dir."""
    dest = Path(dest_dir)
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in sources(kind).items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest
