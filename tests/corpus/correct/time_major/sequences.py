"""Text and gradient norms, correct but written differently: time major.

What differs from the reference: encode splits with re.split on the
complement of the token characters and drops the empty pieces; embed takes
the rows with xp.take; the norms move time to the front and reshape dX to
(T, N·D) before one norm per row (the reference reduces over axes 0 and 2).
"""
import re

import numpy as np

from activations import array_module
from gru import gru_backward, gru_forward
from lstm import lstm_backward, lstm_forward
from rnn import rnn_backward, rnn_forward

SEPARATORS = re.compile(r"[^a-z0-9']+")


def encode(text, vocab):
    """text: str; vocab: dict str -> int with "<unk>". Returns int64 ids (T,)."""
    words = [word for word in SEPARATORS.split(text.lower()) if word]
    return np.fromiter((vocab.get(word, vocab["<unk>"]) for word in words), dtype=np.int64, count=len(words))


def embed(ids, E):
    """ids (T,) ints; E (V, D). Returns X (1, T, D) with X[0, t] = E[ids[t]]."""
    xp = array_module(E)
    return xp.take(E, xp.asarray(ids, dtype=np.int64), axis=0).reshape(1, len(ids), E.shape[1])


def _time_major_norms(dX):
    xp = array_module(dX)
    rows = dX.transpose(1, 0, 2).reshape(dX.shape[1], -1)   # (T, N·D)
    return xp.sqrt((rows * rows).sum(axis=1))


def _last_state_gradient(H):
    xp = array_module(H)
    dH = xp.zeros_like(H)
    dH[:, -1, :] = xp.ones_like(H[:, -1, :])
    return dH


def rnn_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    H, cache = rnn_forward(X, h0, params)
    dX, dh0, grads = rnn_backward(_last_state_gradient(H), cache)
    return _time_major_norms(dX)


def lstm_gradient_norms(X, h0, c0, params):
    """X (N, T, D), h0 and c0 (N, H). Returns g (T,)."""
    H, cache = lstm_forward(X, h0, c0, params)
    dX, dh0, dc0, grads = lstm_backward(_last_state_gradient(H), cache)
    return _time_major_norms(dX)


def gru_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    H, cache = gru_forward(X, h0, params)
    dX, dh0, grads = gru_backward(_last_state_gradient(H), cache)
    return _time_major_norms(dX)
