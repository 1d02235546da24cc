"""Plot data of a failed test: short vectors that show where a result goes wrong.

A check that fails with a wrong value may leave, on its GradingFailure, a
function that makes plot data from the arrays it compared (`attach`, or the
context manager `on_failure`). The data is made only when the test's result
is written (`collect`, from conftest's metadata hook): Hypothesis replays a
failing example many times while it shrinks it, and passing tests pay
nothing. scoring.py puts it in a failed test's "plots" (report/report.schema.json,
$defs/plot); the HTML writer draws it (autograder/report/figures.py).

Each plot is a plain dict:

    {"kind": "per_step" | "per_block" | "curves", "title": str,
     "x_label": str, "y_label": str, "x": [t or label, ...],
     "series": {name: [value or None, ...]}, "log_y": bool,
     optional "threshold": float (a dashed line: the tolerance),
     optional "highlight": [x, ...] (the blocks that fail),
     optional "marks": [t, ...] and "marks_label": str (e.g. truncation's chunk boundaries)}

- per_step: for sequence arrays (N, T, ...), the largest |yours − reference|
  at each time step t: a missing carry shows as error growing back in time,
  an off-by-one truncation as spikes at chunk boundaries.
- per_block: the relative error ‖yours − reference‖ / (‖yours‖ + ‖reference‖)
  of each gradient block (or, for a gradient check, of each block's
  directional derivatives against finite differences).
- curves: curves over t side by side (Part 8: your gradient norms g[t] beside
  the reference's).

A check that attaches no maker still gets plots from its failure's evidence
where they say something (from_evidence): this is how the tests of Part 8's
lessons and of clip_gradients get theirs without a change to their source.
"""
import math

import numpy as np

from autograder.failures import GradingFailure
from autograder.suite.checks import grad_name, judged_at

MAX_POINTS = 400      # values kept per series (the suite's longest sequence has 60 steps)
MAX_BLOCKS = 60       # bars of a per_block plot (the stacked LSTM has 25 blocks)
SIGNIFICANT = 4       # digits kept of each value: enough to draw, short in the JSON


def attach(failure, make):
    """Give `failure` a maker of plot data: make() -> list of plot dicts."""
    if not hasattr(failure, "plot_makers"):
        failure.plot_makers = []
    failure.plot_makers.append(make)


class on_failure:  # noqa: N801: used as a function, `with plots.on_failure(make):`
    """Attach `make` to a GradingFailure raised inside, when the failure is about
    values (not shapes, dtypes or crashes: those have nothing to draw).
    A plain class, not contextlib's generator: the checks enter it hundreds of
    times per submission, and passing ones must not pay for it."""
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make

    def __enter__(self):
        return self

    def __exit__(self, kind, failure, traceback):
        if isinstance(failure, GradingFailure) and failure.cause == "value":
            attach(failure, self.make)
        return False


def collect(failure, ref=None):
    """The plot dicts of `failure`, made now; [] when none was attached or a
    maker fails (a plot must never cost a student a result). A failure with no
    maker of its own gets those its evidence allows (from_evidence; ref: the
    reference, as the suite's `ref` fixture has it)."""
    plots = []
    for make in getattr(failure, "plot_makers", None) or [lambda: from_evidence(failure, ref)]:
        try:
            plots += [clean(p) for p in make() if p]
        except Exception:  # noqa: BLE001: the arrays may be anything a student returned
            continue
    return plots


# --- from the evidence of a failure -------------------------------------------

def from_evidence(failure, ref):
    """The plots of a value failure made from its evidence (suite/diagnosis.py:
    the example a check called and what the student's function returned), for
    the checks that attach no maker of their own: Part 8's gradient norms
    beside the reference's on the same example, and clip_gradients' arrays
    against the reference's. So the tests themselves need no change: a
    Hypothesis test's examples follow from its own source, and changing it
    would change what it draws. [] for other failures."""
    evidence = getattr(failure, "evidence", None)
    if ref is None or evidence is None or evidence.returned is None or failure.cause != "value":
        return []
    example, got = evidence.example, evidence.returned.value
    if not (example.function.endswith("_gradient_norms") or example.function == "clip_gradients"):
        return []
    expected, _, _ = example.call(ref)
    if isinstance(expected, Exception):
        return []
    if example.function == "clip_gradients":
        return [per_block("clip_gradients: relative error of each clipped array",
                          dict(gradient_blocks([("grads", got, expected)])), example.dtype)]
    return [curves(f"{example.function}: the gradient's norm g[t] at each step", {"yours": got, "reference": expected},
                   y_label="g[t]")]


# --- makers -----------------------------------------------------------------

def for_outputs(function, compared, dtype, marks=None, marks_label=""):
    """The plots of a pass's outputs against the reference's.

    compared: [(output name, yours, reference's)]: arrays, dicts of arrays
    (gradients) or lists of dicts (stacked layers).
    dtype: the inputs' dtype (values are judged at the coarser of it and yours).
    A per_step plot of each sequence array (N, T, ...) of the same shape, and
    for a backward pass a per_block plot of every gradient it returns."""
    plots = []
    steps = {name: (got, expected) for name, got, expected in compared
             if is_pair(got, expected) and np.ndim(expected) == 3}
    if steps:
        plots.append(per_step(f"{function}: error of {' and '.join(steps)} at each time step", steps,
                              dtype, marks, marks_label))
    if function.endswith("_backward"):
        blocks = dict(gradient_blocks(compared))
        if len(blocks) > 1:
            plots.append(per_block(f"{function}: relative error of each gradient", blocks, dtype))
    return plots


def per_step(title, arrays, dtype, marks=None, marks_label=""):
    """per_step plot: for each name, max over the other axes of |yours − expected| at each t,
    and the tolerance's largest allowance (above it a step is certainly wrong).

    arrays: name -> (yours, expected), both (N, T, ...); dtype: the inputs' dtype."""
    series, threshold = {}, 0.0
    for name, (got, expected) in arrays.items():
        error = np.abs(np.asarray(got, np.float64) - np.asarray(expected, np.float64))
        series[name] = error.max(axis=tuple(a for a in range(error.ndim) if a != 1)).tolist()
        tolerance = judged_at(dtype, got.dtype)
        threshold = max(threshold, tolerance["atol"] + tolerance["rtol"] * float(np.abs(expected).max(initial=0.0)))
    T = len(next(iter(series.values())))
    plot = {"kind": "per_step", "title": title, "x_label": "time step t",
            "y_label": "largest |yours − reference|", "x": list(range(T)), "series": series, "log_y": True,
            "threshold": threshold}
    if marks:
        plot.update(marks=[m for m in marks if 0 <= m < T], marks_label=marks_label)
    return plot


def per_block(title, blocks, dtype):
    """per_block plot: the relative error of each block; the blocks that are not
    allclose at the tolerance they were judged at are highlighted.

    blocks: label -> (yours, expected) arrays of one shape; dtype: the inputs' dtype."""
    labels = list(blocks)[:MAX_BLOCKS]
    errors = [relative_error(*blocks[label]) for label in labels]
    failing = [label for label in labels if not np.allclose(
        np.asarray(blocks[label][0], np.float64), np.asarray(blocks[label][1], np.float64),
        **judged_at(dtype, blocks[label][0].dtype))]
    return {"kind": "per_block", "title": title, "x_label": "gradient", "y_label": "relative error",
            "x": labels, "series": {"relative error": errors}, "log_y": True, "highlight": failing}


def gradient_check_blocks(title, directional, failing):
    """per_block plot of a gradient check: for each block, the largest relative
    error |yours − numerical| / (|yours| + |numerical|) over its directions.

    directional: [(block label, yours, numerical)], one per direction;
    failing: the labels of the blocks beyond tolerance."""
    worst = {}
    for label, yours, numerical in directional:
        scale = abs(yours) + abs(numerical)
        worst[label] = max(worst.get(label, 0.0), abs(yours - numerical) / scale if scale else 0.0)
    labels = list(worst)[:MAX_BLOCKS]
    return {"kind": "per_block", "title": title, "x_label": "gradient",
            "y_label": "relative error (yours vs numerical)", "x": labels,
            "series": {"relative error": [worst[label] for label in labels]}, "log_y": True,
            "highlight": [label for label in labels if label in failing]}


def curves(title, series, x_label="time step t", y_label=""):
    """curves plot of same-length vectors: name -> values over t (log scale when all are positive)."""
    values = {name: np.asarray(v, np.float64).ravel().tolist() for name, v in series.items()}
    flat = [x for v in values.values() for x in v if math.isfinite(x)]
    return {"kind": "curves", "title": title, "x_label": x_label, "y_label": y_label,
            "x": list(range(len(next(iter(values.values()))))), "series": values,
            "log_y": bool(flat) and min(flat) > 0}


# --- helpers ------------------------------------------------------------------

def is_pair(got, expected):
    """Whether `got` can be drawn against `expected`: finite arrays of one shape."""
    return (isinstance(got, np.ndarray) and isinstance(expected, np.ndarray) and got.shape == expected.shape
            and got.dtype.kind == "f" and bool(np.isfinite(got).all()))


def gradient_blocks(compared):
    """(label, (yours, expected)) of every array a backward returned, dict entries as dW_xh."""
    for name, got, expected in compared:
        if isinstance(expected, dict) and isinstance(got, dict):
            for key in expected:
                if is_pair(got.get(key), expected[key]):
                    yield grad_name(name, key), (got[key], expected[key])
        elif isinstance(expected, (list, tuple)) and isinstance(got, (list, tuple)):
            for layer, (g, e) in enumerate(zip(got, expected)):
                yield from gradient_blocks([(f"{name}[{layer}]", g, e)])
        elif is_pair(got, expected):
            yield name, (got, expected)


def relative_error(a, b):
    """‖a − b‖ / (‖a‖ + ‖b‖), scaled first so that huge gradients do not overflow; 0 for two zeros."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    if scale == 0.0 or not math.isfinite(scale):
        return 0.0 if scale == 0.0 else None
    a, b = a / scale, b / scale
    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))


def clean(plot):
    """`plot` with plain, finite, rounded numbers (None for the rest) and capped lengths: JSON as it is."""
    def number(value):
        if value is None or isinstance(value, int):
            return value
        value = float(value)
        return float(f"{value:.{SIGNIFICANT}g}") if math.isfinite(value) else None

    plot = dict(plot)
    plot["x"] = [x if isinstance(x, str) else number(x) for x in plot["x"][:MAX_POINTS]]
    plot["series"] = {str(name): [number(v) for v in values[:MAX_POINTS]] for name, values in plot["series"].items()}
    if "threshold" in plot:
        plot["threshold"] = number(plot["threshold"])
        if plot["threshold"] is None:
            del plot["threshold"]
    if "marks" in plot:
        plot["marks"] = [number(m) for m in plot["marks"]]
    return plot
