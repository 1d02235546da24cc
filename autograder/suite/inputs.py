"""What the grading suite feeds the functions: sizes drawn by hypothesis, values
from a seeded generator.

Hypothesis draws a `Case` (sizes, seed, dtype); the arrays come from NumPy's
generator seeded with it. A failing case therefore shrinks to small sizes and
prints as one readable line, e.g. `Case(N=2, T=3, D=4, H=1, seed=0)`.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from autograder import contract

# Scale of drawn weights: large enough to exercise the non-linearities, small
# enough that gates do not saturate (saturation hides gradient bugs).
WEIGHT_SCALE = 0.5
STATE_SCALE = 0.8


@dataclass(frozen=True)
class Case:
    """Sizes and the seed of one drawn example (the contract's N, T, D, H).

    H2: a second hidden size, for problems with two (the bidirectional
    LSTM's backward direction); 0 where there is none.
    """
    N: int
    T: int
    D: int
    H: int
    seed: int = 0
    dtype: str = "float64"
    H2: int = 0

    def __repr__(self):
        second = f", H2={self.H2}" if self.H2 else ""
        return (f"Case(N={self.N}, T={self.T}, D={self.D}, H={self.H}{second}, seed={self.seed}, "
                f"dtype={self.dtype!r})")

    def _repr_pretty_(self, printer, cycle):
        """How hypothesis prints a case: its repr, one line (its own dataclass
        printer gives the same text, field by field and much more slowly)."""
        printer.text(repr(self))

    def rng(self, salt=0):
        return np.random.default_rng([self.seed, salt])

    def normal(self, *shape, scale=1.0, salt=0):
        return (self.rng(salt).standard_normal(shape) * scale).astype(self.dtype)

    # --- inputs of the contract's functions ---
    def x(self, salt=1):
        return self.normal(self.N, self.D, salt=salt)

    def X(self, salt=1):
        return self.normal(self.N, self.T, self.D, salt=salt)

    def state(self, salt=2):
        return self.normal(self.N, self.H, scale=STATE_SCALE, salt=salt)

    def upstream(self, *shape, salt=3):
        """A Gaussian cotangent (∂L/∂output): never all ones, never zero."""
        return self.normal(*shape, salt=salt)

    def params(self, keys, D=None, H=None, salt=4):
        """Weights W_x? (D, H), W_h? (H, H) and biases b_? (H,), all non-zero."""
        D, H = D or self.D, H or self.H
        shapes = {"W_x": (D, H), "W_h": (H, H), "b_": (H,)}
        rng = self.rng(salt)
        return {key: (rng.standard_normal(shapes[key[:3] if key[0] == "W" else "b_"]) * WEIGHT_SCALE)
                .astype(self.dtype) for key in keys}

    def rnn_params(self, salt=4):
        return self.params(contract.RNN_KEYS, salt=salt)

    def lstm_params(self, D=None, H=None, salt=4):
        return self.params(contract.LSTM_KEYS, D=D, H=H, salt=salt)

    def gru_params(self, salt=4):
        return self.params(contract.GRU_KEYS, salt=salt)

    def gate_args(self):
        """Arguments of an LSTM gate: (x (N, D), h_prev (N, H), params)."""
        return [self.x(), self.state(), self.lstm_params()]

    def cell_state_args(self):
        """Arguments of cell_state: F, I in (0, 1), C̃ in (−1, 1), c_prev; all (N, H)."""
        rng = self.rng(8)
        gate = lambda: rng.uniform(0.05, 0.95, (self.N, self.H)).astype(self.dtype)
        node = lambda: rng.uniform(-0.95, 0.95, (self.N, self.H)).astype(self.dtype)
        return [gate(), gate(), node(), self.state()]

    def hidden_state_args(self):
        """Arguments of hidden_state: O in (0, 1) and c, both (N, H)."""
        rng = self.rng(8)
        return [rng.uniform(0.05, 0.95, (self.N, self.H)).astype(self.dtype), self.state() * 2]

    def as_dtype(self, dtype):
        return dataclasses.replace(self, dtype=dtype)


def gradient_dict(seed, scale, dtype="float64"):
    """Gradients of an RNN's params, W_xh (3, 4), W_hh (4, 4), b_h (4,), of about `scale` each."""
    rng = np.random.default_rng(seed)
    shapes = {"W_xh": (3, 4), "W_hh": (4, 4), "b_h": (4,)}
    return {k: (rng.standard_normal(s) * scale).astype(dtype) for k, s in shapes.items()}


def cases(N=(1, 4), T=(1, 5), D=(1, 5), H=(1, 5), dtype="float64", H2=None):
    """A strategy of `Case`s with sizes in the given inclusive ranges
    (H2: the range of a second hidden size, drawn independently of H)."""
    second = {} if H2 is None else {"H2": st.integers(*H2)}
    return st.builds(Case, N=st.integers(*N), T=st.integers(*T), D=st.integers(*D),
                     H=st.integers(*H), seed=st.integers(0, 2**16), dtype=st.just(dtype), **second)


# Sizes that hide nothing: N > 1 (sum vs mean), D != H and N != H
# (transposes), T > 2 (carries). Every test runs these explicitly first.
TELLING = Case(N=3, T=4, D=5, H=2, seed=7)
# Small enough for full central differences over every entry (two forward
# evaluations per entry: D = 1 keeps each W_x? at two entries), yet N > 1,
# D != H and T > 2.
TINY = Case(N=2, T=3, D=1, H=2, seed=11)
