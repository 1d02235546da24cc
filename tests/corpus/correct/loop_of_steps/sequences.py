"""Text and gradient norms, correct but written differently: plain loops.

What differs from the reference: encode scans the lowercased text character
by character, collecting the runs of token characters itself (no regular
expression); embed stacks the rows E[i] one step at a time; the norms take
one norm per time step in a loop and stack them; dH is built by
concatenating zeros and ones instead of writing into an array.
"""
import numpy as np

from activations import array_module
from gru import gru_backward, gru_forward
from lstm import lstm_backward, lstm_forward
from rnn import rnn_backward, rnn_forward

TOKEN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'")


def encode(text, vocab):
    """text: str; vocab: dict str -> int with "<unk>". Returns int64 ids (T,)."""
    ids, word = [], ""
    for character in text.lower() + " ":  # a final separator closes the last token
        if character in TOKEN_CHARACTERS:
            word += character
        elif word:
            ids.append(vocab[word] if word in vocab else vocab["<unk>"])
            word = ""
    return np.array(ids, dtype=np.int64).reshape(len(ids))


def embed(ids, E):
    """ids (T,) ints; E (V, D). Returns X (1, T, D) with X[0, t] = E[ids[t]]."""
    xp = array_module(E)
    if len(ids) == 0:
        return xp.zeros((1, 0, E.shape[1]), dtype=E.dtype)
    return xp.stack([E[int(i)] for i in ids])[None]


def _gradient_of_last_state(H):
    """dH (N, T, H): zeros, then ones at the last step."""
    xp = array_module(H)
    N, T, size = H.shape
    return xp.concatenate([xp.zeros((N, T - 1, size), dtype=H.dtype), xp.ones((N, 1, size), dtype=H.dtype)], axis=1)


def _norms(dX):
    """(T,): the norm of each dX[:, t], one step at a time."""
    xp = array_module(dX)
    return xp.stack([xp.sqrt((dX[:, t] * dX[:, t]).sum()) for t in range(dX.shape[1])])


def rnn_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    H, cache = rnn_forward(X, h0, params)
    return _norms(rnn_backward(_gradient_of_last_state(H), cache)[0])


def lstm_gradient_norms(X, h0, c0, params):
    """X (N, T, D), h0 and c0 (N, H). Returns g (T,)."""
    H, cache = lstm_forward(X, h0, c0, params)
    return _norms(lstm_backward(_gradient_of_last_state(H), cache)[0])


def gru_gradient_norms(X, h0, params):
    """X (N, T, D), h0 (N, H). Returns g (T,)."""
    H, cache = gru_forward(X, h0, params)
    return _norms(gru_backward(_gradient_of_last_state(H), cache)[0])
