"""Text and gradient norms, correct but written differently: einsum and one-hot rows.

What differs from the reference: encode replaces every character that is not
a token character by a space (str.translate over the text's own characters)
and splits; embed multiplies a one-hot matrix with E (exact: each entry is
1 × E[i, d] plus zeros); the norms are einsum's sum of squares; the norms
functions pick dX out of the backward's result by position, not by unpacking.
"""
import numpy as np

from activations import array_module
from gru import gru_backward, gru_forward
from lstm import lstm_backward, lstm_forward
from rnn import rnn_backward, rnn_forward

KEPT = set("abcdefghijklmnopqrstuvwxyz0123456789'")


def encode(text, vocab):
    """text: str; vocab: dict str -> int with "<unk>". Returns int64 ids (T,)."""
    lowered = text.lower()
    spaced = lowered.translate({ord(c): " " for c in set(lowered) if c not in KEPT})
    return np.array([vocab.get(word, vocab["<unk>"]) for word in spaced.split(" ") if word], dtype=np.int64)


def embed(ids, E):
    """ids (T,) ints; E (V, D). Returns X (1, T, D) with X[0, t] = E[ids[t]]."""
    xp = array_module(E)
    one_hot = xp.asarray(ids)[:, None] == xp.arange(E.shape[0])[None, :]   # (T, V)
    return xp.einsum("tv,vd->td", one_hot.astype(E.dtype), E)[None]


def _norms_of_last_state(forward, backward, X, *rest):
    H, cache = forward(X, *rest)
    dH = array_module(H).zeros_like(H)
    dH[:, H.shape[1] - 1] = 1
    dX = backward(dH, cache)[0]
    return array_module(dX).sqrt(array_module(dX).einsum("ntd,ntd->t", dX, dX))


def rnn_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    return _norms_of_last_state(rnn_forward, rnn_backward, X, h0, params)


def lstm_gradient_norms(X, h0, c0, params):
    """X (N, T, D), h0 and c0 (N, H). Returns g (T,)."""
    return _norms_of_last_state(lstm_forward, lstm_backward, X, h0, c0, params)


def gru_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    return _norms_of_last_state(gru_forward, gru_backward, X, h0, params)
