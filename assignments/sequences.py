"""Text as a sequence, and how far gradients reach back through time.

A review is a sequence of words whose order matters: `encode` turns it into
token ids, `embed` into a sequence X of word vectors. Backpropagation
through a simple RNN forgets early words (the gradient shrinks by about
‖W_hh‖ times tanh' at every step back: it vanishes), while the LSTM's cell
state and the GRU's update gate carry it back. The three *_gradient_norms
functions measure this with your own forward and backward passes: how much
the last hidden state still depends on each earlier input.

Notation (the slides'): N batch size, T time steps (words), D input size
(the embedding's), H hidden size, V vocabulary size. X is (N, T, D).
"""

import numpy as np

from activations import array_module
from gru import gru_backward, gru_forward
from lstm import lstm_backward, lstm_forward
from rnn import rnn_backward, rnn_forward


def encode(text, vocab):
    """Token ids of a text: its tokens in order, each looked up in vocab.

    text: a str. vocab: a dict str -> int that always holds "<unk>".
    The tokens are the maximal runs of the characters a-z, 0-9 and ' in
    text.lower() ("Don't stop!" -> "don't", "stop"); a token that is not in
    vocab gets vocab["<unk>"].
    Returns an int64 NumPy array of shape (T,), T the number of tokens
    (shape (0,) for a text without any).
    HINT: re.findall with a character class, then a dict lookup with a default.
    """
    raise NotImplementedError("encode: not implemented yet (replace this line with your code)")


def embed(ids, E):
    """The embedded sequence of one text: word vector E[ids[t]] at step t.

    ids: integer array (T,) of token ids (encode's result). E: (V, D), one
    row per token id. Returns X of shape (1, T, D), a batch of one, with
    X[0, t] = E[ids[t]], of E's dtype and array module.
    HINT: integer-array indexing picks rows; add the batch axis with [None].
    """
    raise NotImplementedError("embed: not implemented yet (replace this line with your code)")


def rnn_gradient_norms(X, h0, params):
    """How far back the gradient of the last hidden state reaches through a simple RNN.

    X: (N, T, D); h0: (N, H); params: W_xh (D, H), W_hh (H, H), b_h (H,).
    With L the sum of the entries of H[:, T−1] (the last step's hidden state),
    returns g of shape (T,) and X's dtype: g[t] is the L2 norm, over all N·D
    entries, of ∂L/∂X[:, t], computed with your rnn_forward and your
    rnn_backward (full BPTT).
    HINT: dH is zero except dH[:, T−1] = 1; then the norm of dX[:, t] for each t.
    """
    raise NotImplementedError("rnn_gradient_norms: not implemented yet (replace this line with your code)")


def lstm_gradient_norms(X, h0, c0, params):
    """rnn_gradient_norms for the LSTM: with your lstm_forward and lstm_backward.

    X: (N, T, D); h0, c0: (N, H); params: the LSTM's W_x? (D, H), W_h? (H, H),
    b_? (H,). Returns g of shape (T,) and X's dtype: g[t] is the L2 norm of
    ∂L/∂X[:, t], L the sum of the entries of H[:, T−1].
    """
    raise NotImplementedError("lstm_gradient_norms: not implemented yet (replace this line with your code)")


def gru_gradient_norms(X, h0, params):
    """rnn_gradient_norms for the GRU: with your gru_forward and gru_backward.

    X: (N, T, D); h0: (N, H); params: the GRU's W_x? (D, H), W_h? (H, H),
    b_? (H,). Returns g of shape (T,) and X's dtype: g[t] is the L2 norm of
    ∂L/∂X[:, t], L the sum of the entries of H[:, T−1].
    """
    raise NotImplementedError("gru_gradient_norms: not implemented yet (replace this line with your code)")
