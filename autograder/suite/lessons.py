"""Part 8's inputs: texts to encode, and recurrent nets on which the lecture's
lesson (vanishing and exploding gradients; gated cells that remember; word
order that matters) is a property that can be checked.

Every builder returns plain arrays in float64 (or the dtype asked for), from
a seeded generator, so a failing example prints as its few integers.
Shapes use the contract's symbols: N batch, T steps, D input, H hidden.
"""
import re

import numpy as np
from hypothesis import strategies as st

from autograder import contract

# --- texts --------------------------------------------------------------------

TOKEN = re.compile(r"[a-z0-9']+")   # the contract's tokens, in text.lower()

# Words of reviews, with the characters that make tokenising hard: capitals,
# apostrophes ("don't", "'90s"), digits ("2nd"), a lone apostrophe.
REVIEW_WORDS = ("the", "kettle", "Battery", "DIED", "don't", "It's", "2nd", "5", "stars", "'90s", "rock",
                "'n'", "roll", "a", "dog", "bit", "man", "I'd", "NOT", "buy", "again")
# What separates tokens: spaces, punctuation (never the apostrophe), and
# characters outside a-z0-9 that a student's \w+ or str.isalnum() would keep:
# accented letters, a typographic apostrophe, a dash, non-ASCII digits.
SEPARATORS = " \t\n.,;:!?()\"-/&*#@…—’é߀٣ñ"

WORDS = st.one_of(st.sampled_from(REVIEW_WORDS), st.from_regex(r"[A-Za-z0-9']{1,7}", fullmatch=True))
GAPS = st.one_of(st.just(" "), st.text(alphabet=SEPARATORS, min_size=1, max_size=3))


@st.composite
def texts_and_vocabs(draw):
    """(text, vocab as a tuple of (token, id) pairs): words joined by separators,
    any unicode text around them (whitespace alone and the empty text
    included), and a vocabulary holding "<unk>" and some of the text's tokens
    (the others are unknown words). Pairs, not a dict, so that the example
    can be recorded and replayed (see replay.py)."""
    pieces = draw(st.lists(st.tuples(WORDS, GAPS), max_size=8))
    lead, tail = draw(st.one_of(st.just(""), GAPS)), draw(st.text(max_size=10))
    text = lead + "".join(word + gap for word, gap in pieces) + tail
    tokens = sorted(set(TOKEN.findall(text.lower())))
    known = draw(st.lists(st.sampled_from(tokens), unique=True)) if tokens else []
    ids = draw(st.permutations(range(len(known) + 1)))   # distinct ids, <unk>'s among them
    return text, (("<unk>", ids[-1]),) + tuple(zip(known, ids))


# Explicit examples of encode: (text, vocab pairs).
BASIC_VOCAB = (("<unk>", 0), ("a", 1), ("dog", 2), ("bit", 3), ("the", 4), ("man", 5), ("don't", 6),
               ("2nd", 7), ("battery", 8), ("died", 9), ("it's", 10))
ENCODE_EXAMPLES = (
    ("A dog bit the man.", BASIC_VOCAB),                                     # capitals, a full stop
    ("The 2nd battery DIED...don't buy it's twin!", BASIC_VOCAB),            # digits, apostrophes, unknown words
    ("", BASIC_VOCAB),                                                       # no tokens at all
    (" \t\n  ", BASIC_VOCAB),                                                # whitespace only
    ("Café — naïve résumé, ’twas ‘a’ dog’s", BASIC_VOCAB),                 # unicode letters and quotes
    ("the dog\nthe\tdog", (("<unk>", 3), ("the", 0), ("dog", 1))),          # <unk> need not be 0
)


def tokens(text):
    """The contract's tokens of `text` (for feedback)."""
    return TOKEN.findall(text.lower())


# Telling inputs of encode for work_done: the same number of tokens, different ids.
TELLING_TEXTS = ("A dog bit the man.", "The man bit a dog!")
TELLING_VOCAB = dict(BASIC_VOCAB)

# The lecture's example: the same words in another order mean something else.
# The second pair ends on the same word, so that only the recurrence can tell them apart.
WORD_ORDER_PAIRS = (("a dog bit the man", "the man bit a dog"), ("a dog bit the man", "the dog bit a man"))


# --- embeddings -----------------------------------------------------------------

def embedding(V, D, seed, dtype="float64"):
    """E (V, D): Gaussian word vectors."""
    return np.random.default_rng([seed, 20]).standard_normal((V, D)).astype(dtype)


def token_ids(V, T, seed):
    """ids (T,), int64, in [0, V), with repeats when T > V."""
    return np.random.default_rng([seed, 21]).integers(0, V, T).astype(np.int64)


# --- how far gradients reach ----------------------------------------------------

def orthonormal(rng, rows, cols):
    """A (rows, cols) matrix with orthonormal columns (rows ≥ cols) or rows."""
    q, r = np.linalg.qr(rng.standard_normal((max(rows, cols), min(rows, cols))))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return q if rows >= cols else q.T


def scaled_rnn(N, T, H, D, seed, scale, input_scale):
    """(X, h0, params) of an RNN whose norms obey exact per-step bounds.

    W_hh = scale × an orthogonal matrix, so ‖W_hh‖ = scale and every step back
    multiplies a gradient's norm by exactly `scale` before tanh′; W_xh (D, H),
    D ≥ H, has orthonormal columns, so g[t] = ‖∂L/∂X[:, t]‖ equals the norm of
    the gradient at step t's pre-activation. h0 = 0 and b_h = 0; X (N, T, D)
    is Gaussian times `input_scale`.
    """
    rng = np.random.default_rng([seed, 22])
    params = {"W_xh": orthonormal(rng, D, H), "W_hh": scale * orthonormal(rng, H, H), "b_h": np.zeros(H)}
    return rng.standard_normal((N, T, D)) * input_scale, np.zeros((N, H)), params


def step_ratio_bounds(H_states, scale):
    """(low, high), each (T − 1,): bounds on g[t] / g[t + 1] for scaled_rnn.

    The gradient at step t's pre-activation is (its gradient at h_t) ⊙ tanh′,
    and the gradient at h_t is the one at step t+1's pre-activation times
    W_hhᵀ, whose norm is exactly `scale` times that one's. So
    scale × min tanh′ ≤ g[t] / g[t+1] ≤ scale × max tanh′, tanh′ = 1 − h_t²
    over the N·H entries of step t. H_states: (N, T, H), the hidden states.
    """
    tanh_prime = 1 - H_states[:, :-1] ** 2
    return scale * tanh_prime.min(axis=(0, 2)), scale * tanh_prime.max(axis=(0, 2))


# Small recurrent weights, inputs of order 1: the gradient vanishes.
VANISHING_SCALE = 0.5
# Large recurrent weights, tiny inputs (h stays near 0, where tanh′ ≈ 1): it explodes.
EXPLODING_SCALE = 1.5
EXPLODING_INPUT = 1e-4

# Gated cells over a long sequence: the forget gate (LSTM) or the update
# gate (GRU) held near 1 by its bias, every weight small. The gradient of the
# last state with respect to the first words then stays within a constant
# factor of its value for the last words.
LONG_T = 60
GATE_BIAS = 6.0           # σ(6) = 0.9975: the gate stays above 0.99
INPUT_GATE_BIAS = -2.0    # the LSTM's input gate mostly closed: its cell neither saturates nor drifts
GATED_WEIGHT_SCALE = 0.3
# How the first words' norms may compare with the last words' (the last one
# excepted: its own gate paths add to it), as geometric means over REACH_WORDS
# words. Measured over 300 seeds of these nets: 0.11 to 6.4 for the LSTM,
# 0.37 to 1.6 for the GRU (medians 1.0 and 0.86); a simple RNN with the same
# weights gives 1e-37 to 3e-8.
REACH_WORDS = 10
REACH_FACTOR = 10.0


def gated(cell, seed, N=2, T=LONG_T, D=4, H=3):
    """The arguments of lstm_gradient_norms (X, h0, c0, params) or
    gru_gradient_norms (X, h0, params) for a net whose forget gate (LSTM) or
    update gate (GRU) is held near 1 (GATE_BIAS), zero initial states."""
    rng = np.random.default_rng([seed, 23])
    keys = contract.LSTM_KEYS if cell == "lstm" else contract.GRU_KEYS
    shapes = {"W_x": (D, H), "W_h": (H, H), "b_": (H,)}
    params = {key: rng.standard_normal(shapes[key[:3] if key[0] == "W" else "b_"])
              * (GATED_WEIGHT_SCALE if key[0] == "W" else 0.1) for key in keys}
    if cell == "lstm":
        params["b_f"] = params["b_f"] + GATE_BIAS
        params["b_i"] = params["b_i"] + INPUT_GATE_BIAS
    else:
        params["b_z"] = params["b_z"] + GATE_BIAS
    X, h0 = rng.standard_normal((N, T, D)), np.zeros((N, H))
    return [X, h0, np.zeros((N, H)), params] if cell == "lstm" else [X, h0, params]


def reach(g, words=REACH_WORDS):
    """Geometric mean of g over the first `words` steps divided by that over the
    `words` steps before the last: near 1 when the gradient reaches back."""
    first, last = np.log(g[:words]), np.log(g[-words - 1:-1])
    return float(np.exp(first.mean() - last.mean()))
