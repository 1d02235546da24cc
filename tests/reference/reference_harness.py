"""Shared tools for the tests of the reference solution.

Random problems of non-degenerate shape (N ≥ 2 hides no sum-vs-mean bug,
D ≠ H hides no transpose, T ≥ 3 hides no missing carry, and biases and
initial states are never zero), central finite differences, the
block-normalised error, and the Hypothesis settings every property test uses.
"""
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import activations
import gru
import lstm
import rnn

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "reference"
for _module in (activations, rnn, lstm, gru):
    assert Path(_module.__file__).parent == REFERENCE_DIR, f"{_module.__name__} is not the reference's"

# Central differences: the error is about h²|f'''|/6 + ε|f|/h, smallest near
# h ≈ (3ε)^(1/3) ≈ 1e-5 in float64 (see shared/research/gradient-checks.md).
FD_STEP = 1e-5
# Largest block-normalised error ||a − n|| / (||a|| + ||n||) accepted between
# an analytic gradient and central differences in float64. Correct code
# measures about 1e-10 here, so 1e-6 leaves four orders of margin and still
# flags a single entry off by 1e-4 of the largest.
FD_TOLERANCE = 1e-6

# One deterministic profile for every property test: the same examples on
# every run and machine, no example database, no per-example deadline.
settings.register_profile(
    "reference",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=15,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile("reference")

DTYPES = (np.float64, np.float32)
LSTM_KEYS = tuple(f"{kind}{g}" for g in lstm.GATES for kind in ("W_x", "W_h", "b_"))
GRU_KEYS = tuple(f"{kind}{g}" for g in "rzh" for kind in ("W_x", "W_h", "b_"))
RNN_KEYS = ("W_xh", "W_hh", "b_h")


@dataclass(frozen=True)
class Shapes:
    """Sizes of one problem: N batch, T steps, D input, H hidden."""
    N: int
    T: int
    D: int
    H: int


# Small, non-degenerate sizes: N ≥ 2, T ≥ 3, D ≠ H.
SHAPES = st.builds(
    Shapes,
    N=st.integers(2, 4),
    T=st.integers(3, 6),
    D=st.integers(2, 6),
    H=st.integers(2, 6),
).filter(lambda s: s.D != s.H)
SEEDS = st.integers(0, 2**32 - 1)
FLOAT_DTYPES = st.sampled_from(DTYPES)


def gate_params(rng, keys, D, H, dtype=np.float64, scale=0.5):
    """A params dict: W_x? (D, H), W_h? (H, H), b_? (H,), Gaussian times `scale`."""
    shapes = {"W_x": (D, H), "W_h": (H, H), "b": (H,)}
    return {key: (scale * rng.standard_normal(shapes[key[:-1].rstrip("_")])).astype(dtype) for key in keys}


def rnn_params(rng, D, H, dtype=np.float64, scale=0.5):
    return gate_params(rng, RNN_KEYS, D, H, dtype, scale)


def lstm_params(rng, D, H, dtype=np.float64, scale=0.5):
    return gate_params(rng, LSTM_KEYS, D, H, dtype, scale)


def gru_params(rng, D, H, dtype=np.float64, scale=0.5):
    return gate_params(rng, GRU_KEYS, D, H, dtype, scale)


def gaussian(rng, shape, dtype=np.float64, scale=1.0):
    """A Gaussian array of `shape` and `dtype`."""
    return (scale * rng.standard_normal(shape)).astype(dtype)


def pairing(cotangents, outputs):
    """L = Σ_k ⟨G_k, out_k⟩ in float64: the scalar loss every gradient check uses."""
    return float(sum(np.vdot(np.asarray(G, np.float64), np.asarray(out, np.float64))
                     for G, out in zip(cotangents, outputs)))


def numerical_gradients(loss, blocks, step=FD_STEP):
    """Central differences of loss() with respect to every entry of every array.

    blocks: dict name -> array that loss() reads; each entry is perturbed in
    place by ±step and restored. Returns dict name -> gradient of that shape.
    """
    gradients = {}
    for name, array in blocks.items():
        gradient = np.zeros(array.shape, dtype=np.float64)
        for index in np.ndindex(array.shape):
            saved = array[index]
            array[index] = saved + step
            up = loss()
            array[index] = saved - step
            down = loss()
            array[index] = saved
            gradient[index] = (up - down) / (2 * step)
        gradients[name] = gradient
    return gradients


def block_error(analytic, numerical):
    """||a − n|| / (||a|| + ||n||): scale-free, 0 when both blocks are zero."""
    a = np.asarray(analytic, np.float64)
    n = np.asarray(numerical, np.float64)
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - n) / scale)


def block_errors(analytic, numerical):
    """block_error for every name of `numerical`; `analytic` must hold the same names."""
    assert set(analytic) == set(numerical), f"blocks {sorted(analytic)} != {sorted(numerical)}"
    return {name: block_error(analytic[name], numerical[name]) for name in numerical}


def prefixed(prefix, params):
    """{prefix + key: array}: the same arrays under names unique across dicts."""
    return {prefix + key: value for key, value in params.items()}
