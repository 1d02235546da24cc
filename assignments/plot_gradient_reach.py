"""How far back does the gradient reach? A picture of Part 8 (not graded).

Runs your encode, embed and *_gradient_norms (sequences.py, with your RNN,
LSTM and GRU behind them) on the customer review below, and plots for every
word of it the norm of the gradient of the last hidden state with respect to
that word's input: a simple RNN, an LSTM and a GRU, on a log scale.

The weights are random and seeded, as in an untrained network, with the
usual initialisation: W_x? scaled by 1/√D, W_h? by 1/√H. The LSTM's forget
gate gets a positive bias (a common initialisation: F starts near 1, so the
cell keeps what it holds) and so does the GRU's update gate (Z near 1: h
keeps h_prev). With your code right, the RNN's curve falls by many orders of
magnitude toward the start of the review (it has forgotten the first words
by the time it reads the last), and the LSTM's and the GRU's stay high.

    make plot                                   # needs matplotlib: python -m pip install matplotlib
    python plot_gradient_reach.py [--from FOLDER] [--out gradient_reach.png]
"""
import argparse
import importlib
import json
import sys
from pathlib import Path

import numpy as np

REVIEW = """\
I bought this kettle in March after my old one finally gave up, and I really
wanted to love it. The first week was great: it boiled a full litre in under
three minutes, the handle stayed cool, and the blue light looked lovely on the
counter. Then the problems started. The lid began to stick, so I had to pry it
open with a spoon every morning. By the second month the base rattled, the
switch clicked off before the water boiled, and a strange plastic smell came
back whenever I made tea. Customer service told me to descale it, twice, as if
I hadn't already done that. The replacement they finally sent leaked from the
first day. I'd give it one star for the design and the price, but I can't
recommend it to anyone. If you need a kettle that lasts longer than a season,
keep looking. Honestly, the best thing about it was the box it came in."""

SEED = 6
D, H = 16, 32                 # embedding size, hidden size
FORGET_GATE_BIAS = 4.0        # σ(4) ≈ 0.98: the LSTM's cell keeps most of what it holds at each step
UPDATE_GATE_BIAS = 4.0        # Z ≈ 0.98: the GRU's h keeps most of h_prev at each step
CELLS = ("rnn", "lstm", "gru")
LABELS = {"rnn": "simple RNN", "lstm": "LSTM (forget gate biased open)", "gru": "GRU (update gate biased to keep h)"}
COLOURS = {"rnn": "tab:red", "lstm": "tab:blue", "gru": "tab:green"}


def vocabulary(text):
    """{"<unk>": 0} and every word of `text`, split on whitespace, punctuation stripped."""
    vocab = {"<unk>": 0}
    for word in text.lower().split():
        vocab.setdefault(word.strip(".,:;!?\"()"), len(vocab))
    return vocab


def weights(cell, rng):
    """A params dict for `cell` ("rnn", "lstm" or "gru"): W_x? (D, H), W_h? (H, H), b_? (H,)."""
    gates = {"rnn": "h", "lstm": "fico", "gru": "rzh"}[cell]
    params = {}
    for g in gates:
        params["W_x" + g] = rng.standard_normal((D, H)) / np.sqrt(D)
        params["W_h" + g] = rng.standard_normal((H, H)) / np.sqrt(H)
        params["b_" + g] = np.zeros(H)
    if cell == "lstm":
        params["b_f"] += FORGET_GATE_BIAS
    if cell == "gru":
        params["b_z"] += UPDATE_GATE_BIAS
    return params


def gradient_norms(sequences):
    """({cell: g (T,)}, T): the three cells' gradient norms over the review,
    computed by the module `sequences` (yours, or the reference's)."""
    rng = np.random.default_rng(SEED)
    vocab = vocabulary(REVIEW)
    E = rng.standard_normal((len(vocab), D))
    X = sequences.embed(sequences.encode(REVIEW, vocab), E)           # (1, T, D)
    h0 = np.zeros((1, H))
    params = {cell: weights(cell, rng) for cell in CELLS}
    norms = {"rnn": sequences.rnn_gradient_norms(X, h0, params["rnn"]),
             "lstm": sequences.lstm_gradient_norms(X, h0, np.zeros((1, H)), params["lstm"]),
             "gru": sequences.gru_gradient_norms(X, h0, params["gru"])}
    return {cell: np.asarray(g, dtype=np.float64) for cell, g in norms.items()}, X.shape[1]


def first_to_last(g):
    """The norm at the first word divided by the norm at the last."""
    return float(g[0] / g[-1])


def load_sequences(folder):
    """Import sequences.py (and the files it imports) from `folder`."""
    sys.path.insert(0, str(Path(folder).resolve()))
    for name in ("activations", "rnn", "lstm", "gru", "sequences"):
        sys.modules.pop(name, None)
    return importlib.import_module("sequences")


def plot(norms, T, out):
    """Save the picture to `out`; its PNG metadata records the norms it shows."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    words = np.arange(1, T + 1)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
    for cell in CELLS:
        ratio = first_to_last(norms[cell])
        ax.semilogy(words, norms[cell], color=COLOURS[cell], linewidth=1.8,
                    label=f"{LABELS[cell]}: first word / last word = {ratio:.1e}")
    ax.set_xlabel(f"word position t in the review (1 = first word, {T} = last)")
    ax.set_ylabel("‖∂ Σ h_T / ∂ x_t‖ (log scale)")
    ax.set_title(f"How far back does the gradient reach? A {T}-word customer review,\n"
                 "gradient of the last hidden state with respect to each word's input")
    ax.set_xlim(1, T)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    record = {cell: [float(f"{v:.6g}") for v in norms[cell]] for cell in CELLS}
    fig.savefig(out, metadata={"Software": None, "Description": json.dumps(record)})
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="folder", default=".", help="the folder holding your five files")
    parser.add_argument("--out", default="gradient_reach.png", help="where to save the picture")
    args = parser.parse_args(argv)
    try:
        norms, T = gradient_norms(load_sequences(args.folder))
    except NotImplementedError as error:
        print(f"plot_gradient_reach: finish Part 8 first ({error})", file=sys.stderr)
        return 1
    for cell in CELLS:
        print(f"{LABELS[cell]}: norm at the first word / norm at the last = {first_to_last(norms[cell]):.3g}")
    try:
        plot(norms, T, args.out)
    except ModuleNotFoundError as error:
        print(f"plot_gradient_reach: {error}; install matplotlib: python -m pip install matplotlib",
              file=sys.stderr)
        return 1
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
