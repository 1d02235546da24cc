"""Properties of the reference's sequences.py, checked with Hypothesis.

encode on every kind of text (unicode, punctuation, apostrophes, digits,
empty and whitespace-only strings, unknown words); embed as row lookup; and
the lesson the grading suite states as properties of a student's code
(autograder/suite/lessons.py), shown to hold for the reference on many more
drawn nets than a submission is graded on.
"""
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import gru
import lstm
import rnn
import sequences
from autograder.suite import lessons
from reference_harness import PROFILE, SEEDS, SHAPES, gaussian, gru_params, lstm_params, rnn_params

TOKEN_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789'")
# Characters that never become part of a token, even lowercased: whitespace,
# punctuation and letters of other scripts ("K", the Kelvin sign, lowercases to "k" and is left out).
NOT_TOKEN = st.characters(exclude_characters="'").filter(lambda c: not set(c.lower()) & TOKEN_CHARACTERS)
WORDS = st.from_regex(r"[a-z0-9']{1,8}", fullmatch=True)
VOCAB = {"<unk>": 7, "a": 0, "dog": 1, "bit": 2, "the": 3, "man": 4, "don't": 5, "2nd": 6}


def ids_of(words, vocab):
    return [vocab.get(word, vocab["<unk>"]) for word in words]


# ------------------------------------------------------------------- encode


@PROFILE
@given(drawn=lessons.texts_and_vocabs())
def test_encode_returns_one_int64_id_from_the_vocabulary_per_token(drawn):
    text, pairs = drawn
    vocab = dict(pairs)
    ids = sequences.encode(text, vocab)
    assert ids.dtype == np.int64 and ids.ndim == 1
    assert set(ids.tolist()) <= set(vocab.values())
    assert ids.shape == (len(lessons.tokens(text)),)


@PROFILE
@given(words=st.lists(WORDS, max_size=10), gaps=st.lists(st.text(NOT_TOKEN, min_size=1, max_size=4), min_size=11,
                                                          max_size=11))
def test_words_joined_by_any_separators_encode_to_their_ids_in_order(words, gaps):
    text = gaps[0] + "".join(word + gap for word, gap in zip(words, gaps[1:]))
    assert sequences.encode(text, VOCAB).tolist() == ids_of(words, VOCAB)


@PROFILE
@given(text=st.text(NOT_TOKEN))
@example(text="")
@example(text=" \t\n\r\x0b\x0c\u00a0\u2003")
@example(text="…—’‘“”!?.,;:()")
def test_texts_without_token_characters_encode_to_an_empty_int64_array(text):
    ids = sequences.encode(text, VOCAB)
    assert ids.shape == (0,) and ids.dtype == np.int64


@PROFILE
@given(words=st.lists(WORDS, min_size=1, max_size=8), data=st.data())
def test_case_does_not_matter(words, data):
    text = " ".join(words)
    upper = "".join(data.draw(st.sampled_from([c, c.upper()])) for c in text)
    assert sequences.encode(upper, VOCAB).tolist() == sequences.encode(text, VOCAB).tolist()


@PROFILE
@given(a=st.text(), b=st.text())
def test_a_space_between_two_texts_concatenates_their_ids(a, b):
    both = sequences.encode(a + " " + b, VOCAB)
    assert both.tolist() == sequences.encode(a, VOCAB).tolist() + sequences.encode(b, VOCAB).tolist()


@PROFILE
@given(words=st.lists(WORDS.filter(lambda w: w not in VOCAB), min_size=1, max_size=6))
def test_unknown_words_keep_their_place_as_unk(words):
    ids = sequences.encode("the " + " ".join(words) + " dog", VOCAB).tolist()
    assert ids == [VOCAB["the"]] + [VOCAB["<unk>"]] * len(words) + [VOCAB["dog"]]


def test_apostrophes_and_digits_belong_to_tokens_and_punctuation_does_not():
    text = "Don't! The 2nd dog... bit (a) MAN’s dog_bit"
    assert lessons.tokens(text) == ["don't", "the", "2nd", "dog", "bit", "a", "man", "s", "dog", "bit"]
    assert sequences.encode(text, VOCAB).tolist() == ids_of(lessons.tokens(text), VOCAB)


def test_encode_leaves_the_vocabulary_unchanged():
    vocab = dict(VOCAB)
    sequences.encode("a cat bit the dog", vocab)
    assert vocab == VOCAB


# -------------------------------------------------------------------- embed


@PROFILE
@given(V=st.integers(1, 8), T=st.integers(0, 10), D=st.integers(1, 5), seed=SEEDS,
       dtype=st.sampled_from([np.float64, np.float32]))
def test_embed_stacks_the_rows_of_e_as_a_batch_of_one(V, T, D, seed, dtype):
    E, ids = lessons.embedding(V, D, seed, dtype), lessons.token_ids(V, T, seed)
    X = sequences.embed(ids, E)
    assert X.shape == (1, T, D) and X.dtype == dtype
    for t, i in enumerate(ids):
        np.testing.assert_array_equal(X[0, t], E[i])
    X[...] = 0  # a copy, not a view of E
    assert np.any(E)


# ------------------------------------------------- the norms are dX's norms


@settings(PROFILE, max_examples=8)
@given(shapes=SHAPES, seed=SEEDS)
def test_norms_are_the_norms_of_dx_for_a_loss_on_the_last_state_alone(shapes, seed):
    N, T, D, H = shapes.N, shapes.T, shapes.D, shapes.H
    rng = np.random.default_rng(seed)
    X, h0, c0 = gaussian(rng, (N, T, D)), gaussian(rng, (N, H), scale=0.5), gaussian(rng, (N, H))
    dH = np.zeros((N, T, H))
    dH[:, -1] = 1
    p_rnn, p_lstm, p_gru = rnn_params(rng, D, H), lstm_params(rng, D, H), gru_params(rng, D, H)
    expected = {
        "rnn": rnn.rnn_backward(dH, rnn.rnn_forward(X, h0, p_rnn)[1])[0],
        "lstm": lstm.lstm_backward(dH, lstm.lstm_forward(X, h0, c0, p_lstm)[1])[0],
        "gru": gru.gru_backward(dH, gru.gru_forward(X, h0, p_gru)[1])[0],
    }
    got = {"rnn": sequences.rnn_gradient_norms(X, h0, p_rnn),
           "lstm": sequences.lstm_gradient_norms(X, h0, c0, p_lstm),
           "gru": sequences.gru_gradient_norms(X, h0, p_gru)}
    for cell, dX in expected.items():
        np.testing.assert_allclose(got[cell], np.linalg.norm(dX.transpose(1, 0, 2).reshape(T, -1), axis=1),
                                   rtol=1e-13, atol=0, err_msg=cell)


def test_norms_of_exploding_gradients_do_not_overflow():
    """Gradients of 1e200 (float64) and 1e30 (float32), whose squares overflow, still have finite norms."""
    for dtype, huge in ((np.float64, 1e200), (np.float32, 1e30)):
        dX = np.full((2, 3, 4), huge, dtype=dtype)
        norms = sequences._step_norms(dX)
        assert norms.dtype == dtype
        np.testing.assert_allclose(norms, huge * np.sqrt(8), rtol=1e-6)


# -------------------------------------------- the lesson, on many drawn nets


@settings(PROFILE, max_examples=40)
@given(N=st.integers(1, 3), T=st.integers(2, 12), H=st.integers(1, 4), extra=st.integers(0, 2), seed=SEEDS)
def test_small_recurrent_weights_make_the_rnns_norms_vanish_within_the_suites_bounds(N, T, H, extra, seed):
    args = lessons.scaled_rnn(N, T, H, H + extra, seed, lessons.VANISHING_SCALE, 1.0)
    g = sequences.rnn_gradient_norms(*args)
    low, high = lessons.step_ratio_bounds(rnn.rnn_forward(*args)[0], lessons.VANISHING_SCALE)
    ratios = g[:-1] / g[1:]
    assert np.all(ratios <= high * (1 + 1e-9)) and np.all(ratios >= low * (1 - 1e-9))
    assert np.all(ratios < 0.5 + 1e-12)


@settings(PROFILE, max_examples=40)
@given(N=st.integers(1, 3), T=st.integers(2, 12), H=st.integers(1, 4), extra=st.integers(0, 2), seed=SEEDS)
def test_large_recurrent_weights_make_the_rnns_norms_explode_within_the_suites_bounds(N, T, H, extra, seed):
    args = lessons.scaled_rnn(N, T, H, H + extra, seed, lessons.EXPLODING_SCALE, lessons.EXPLODING_INPUT)
    g = sequences.rnn_gradient_norms(*args)
    low, high = lessons.step_ratio_bounds(rnn.rnn_forward(*args)[0], lessons.EXPLODING_SCALE)
    ratios = g[:-1] / g[1:]
    assert np.all(ratios >= low * (1 - 1e-9)) and np.all(ratios <= high * (1 + 1e-9))
    assert np.all(ratios > 1.4)


@settings(PROFILE, max_examples=30)
@given(seed=SEEDS, cell=st.sampled_from(["lstm", "gru"]))
@example(seed=5, cell="lstm")   # the suite's LESSON_SEED
@example(seed=5, cell="gru")
def test_gated_cells_keep_the_first_words_within_the_suites_factor(seed, cell):
    norms = {"lstm": sequences.lstm_gradient_norms, "gru": sequences.gru_gradient_norms}[cell]
    g = norms(*lessons.gated(cell, seed))
    assert g.shape == (lessons.LONG_T,) and np.all(g > 0)
    assert 1 / lessons.REACH_FACTOR <= lessons.reach(g) <= lessons.REACH_FACTOR


def test_a_simple_rnn_with_the_gated_nets_weights_forgets_the_first_words():
    """The contrast the gated properties draw: the same kind of weights in a simple RNN lose the start."""
    X, h0, params = lessons.gated("gru", 5)
    g = sequences.rnn_gradient_norms(X, h0, {"W_xh": params["W_xh"], "W_hh": params["W_hh"], "b_h": params["b_h"]})
    assert lessons.reach(g) < 1e-6


def test_word_order_changes_the_rnns_last_state_but_not_the_bag_of_embeddings():
    vocab = dict(lessons.BASIC_VOCAB)
    E = lessons.embedding(max(vocab.values()) + 1, 4, 17)
    params = rnn_params(np.random.default_rng(17), 4, 3)
    for first, second in lessons.WORD_ORDER_PAIRS:
        X1, X2 = (sequences.embed(sequences.encode(text, vocab), E) for text in (first, second))
        np.testing.assert_allclose(X1.sum(axis=1), X2.sum(axis=1), rtol=1e-12)
        h1, h2 = (rnn.rnn_forward(X, np.zeros((1, 3)), params)[0][:, -1] for X in (X1, X2))
        assert np.linalg.norm(h1 - h2) > 0.05
