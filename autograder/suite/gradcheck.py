"""Numerical gradient checks of a student's backward against their own forward.

The forward is seen as a function of named blocks (X, h0, W_xf, ...). The
loss is L = Σ_k ⟨G_k, out_k⟩ with Gaussian cotangents G_k. For every block b
we compare the student's gradient g_b with central differences of the
student's forward: along K random unit directions per block, or along every
entry when the whole problem is tiny. Per-block directions catch a single
wrong entry that one global random direction misses (see
shared/research/gradient-checks.md); the tolerances below leave three orders
of magnitude between correct float64 code (~1e-9) and wrong code (≥ 1e-4).

A forward that computes nothing has a backward that agrees with it
trivially (a constant forward has a zero gradient, and zeros match it): the
tests call work_done.require_work on the forward first.

A forward that returns float32 for float64 inputs is differentiated at
float32's precision (PRECISION): its dtype costs it the dtype tests only.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder.failures import GradingFailure
from autograder.suite import plots
from autograder.suite.checks import expect_array

STEP = 1e-5                 # central-difference step h (optimal ≈ (3ε)^(1/3))
BLOCK_RTOL = 1e-6           # × ‖g_b‖
LOSS_ATOL = 1e-8            # × max(1, |L|)


@dataclass(frozen=True)
class Precision:
    step: float
    block_rtol: float
    loss_atol: float


# By the dtype the student's forward returns (see the module's docstring).
PRECISION = {"float64": Precision(STEP, BLOCK_RTOL, LOSS_ATOL),
             "float32": Precision(1e-2, 2e-2, 1e-4)}
DIRECTIONS_PER_BLOCK = 2
FULL_CHECK_MAX_ENTRIES = 60   # a tiny problem up to this many entries gets every entry checked
LOCATE_MAX_ENTRIES = 120      # a failing block up to this size is searched entry by entry


@dataclass
class Forward:
    """A student forward function as a function of named float64 blocks."""
    function: str                          # e.g. "lstm_forward"
    blocks: dict                           # name -> array: the point of the check
    build_args: Callable[[dict], list]     # blocks -> the function's positional arguments
    upstream: list                         # G_k, one per output dotted into the loss
    pick_outputs: Callable = lambda out: [out[0]]  # returned tuple -> the outputs

    def losses(self, student, changes):
        """L at each point, in one round trip to the worker, and the
        precision of the dtype the forward returned ("float64" or "float32").

        changes: per point, the blocks that differ from `blocks` (name -> array);
        {} is the point `blocks` itself.
        """
        paths = block_paths(self.build_args, self.blocks)
        results = student.call_many(self.function, self.build_args(self.blocks),
                                    [[(paths[name], value) for name, value in change.items()]
                                     for change in changes])
        returned = set()
        losses = [self.loss(result, returned) for result in results]
        return losses, "float32" if np.dtype(np.float32) in returned else "float64"

    def loss(self, result, returned):
        """L of one result; adds the dtypes of its outputs to `returned`."""
        outs = self.pick_outputs(result if isinstance(result, tuple) else (result,))
        total = 0.0
        for k, (out, G) in enumerate(zip(outs, self.upstream)):
            out = expect_array(out, self.function, f"output {k + 1}", G.shape)
            returned.add(out.dtype)
            total += float(np.sum(out * G))
        return total


def check_gradients(student, forward, analytic, backward, seed=0, tiny=False):
    """Fail if any block of `analytic` disagrees with finite differences.

    tiny: the problem is the suite's tiny case, checked entry by entry when it
    has at most FULL_CHECK_MAX_ENTRIES entries; otherwise K directions per block.
    """
    full = tiny and sum(block.size for block in forward.blocks.values()) <= FULL_CHECK_MAX_ENTRIES
    rng = np.random.default_rng(seed)
    plan = [(name, u) for name, block in forward.blocks.items()
            for u in (unit_vectors(block) if full else random_directions(block, rng))]
    numerical, precision = central_differences(student, forward, plan, PRECISION["float64"])
    if precision != "float64":  # float32 outputs: differentiate again, at their precision
        numerical, precision = central_differences(student, forward, plan, PRECISION[precision])
    tol = PRECISION[precision]
    worst = {}
    for (name, u), (numeric, scale) in zip(plan, numerical):
        yours = float(np.sum(analytic[name] * u))
        allowed = tol.block_rtol * float(np.linalg.norm(analytic[name])) + tol.loss_atol * scale
        if abs(yours - numeric) > allowed and (name not in worst or abs(yours - numeric) > worst[name][0]):
            worst[name] = (abs(yours - numeric), yours, numeric, u)
    if worst:
        name = next(n for n in forward.blocks if n in worst)  # the first failing block, in order
        _, yours, numeric, u = worst[name]
        failure = GradingFailure(failure_message(student, forward, analytic, backward, name, yours, numeric, u,
                                                 full, tol.step))
        plots.attach(failure, lambda: [plots.gradient_check_blocks(   # drawn only if the report needs it
            f"{backward}: relative error of each gradient against finite differences",
            [(grad_label(n), float(np.sum(analytic[n] * u)), numeric) for (n, u), (numeric, _) in zip(plan, numerical)],
            [grad_label(n) for n in worst])])
        raise failure


def central_differences(student, forward, plan, tol):
    """[(numerical directional derivative, max(1, |L|))] along each (block, u) of
    `plan`, and the precision of the dtype the forward returned."""
    points = []
    for name, u in plan:
        block = forward.blocks[name]
        points += [{name: block + tol.step * u}, {name: block - tol.step * u}]
    losses, precision = forward.losses(student, [{}] + points)
    scale = max(1.0, abs(losses[0]))
    return [((losses[1 + 2 * i] - losses[2 + 2 * i]) / (2 * tol.step), scale) for i in range(len(plan))], precision


def failure_message(student, forward, analytic, backward, name, yours, numerical, u, full, step):
    what = f"{backward}: {grad_label(name)} disagrees with finite differences of your own {forward.function}"
    if full:
        index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(u)), u.shape))
        where = f" at index {index}: yours {yours:.6g}, numerical {numerical:.6g}"
    else:
        where = (f" (along a random direction: yours {yours:.6g}, numerical {numerical:.6g})"
                 + locate(student, forward, analytic, name, step))
    others = [grad_label(n) for n in forward.blocks if n != name]
    return what + where + (f". Gradients checked: {', '.join([grad_label(name)] + others)}." if others else ".")


def locate(student, forward, analytic, name, step):
    """'; largest disagreement at index (i, j): ...' for a small failing block."""
    block = forward.blocks[name]
    if block.size > LOCATE_MAX_ENTRIES:
        return ""
    units = list(unit_vectors(block))
    points = [p for u in units for p in ({name: block + step * u}, {name: block - step * u})]
    losses, _ = forward.losses(student, points)
    numerical = np.array([(losses[2 * i] - losses[2 * i + 1]) / (2 * step) for i in range(len(units))])
    numerical = numerical.reshape(block.shape)
    error = np.abs(analytic[name] - numerical)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
    return (f"; largest disagreement at index {index}: yours {analytic[name][index]:.6g}, "
            f"numerical {numerical[index]:.6g}")


def grad_label(name):
    """The gradient's name as the backward returns it: 'W_xf' -> 'dW_xf',
    'params_fwd.W_xf' -> "grads_fwd['W_xf']", 'layers[1].W_xf' -> "grads[1]['W_xf']"."""
    owner, dot, key = name.rpartition(".")
    if not dot:
        return "d" + name
    return f"{owner.replace('params', 'grads').replace('layers', 'grads')}[{key!r}]"


def unit_vectors(block):
    for i in range(block.size):
        u = np.zeros(block.size)
        u[i] = 1.0
        yield u.reshape(block.shape)


def random_directions(block, rng):
    for _ in range(DIRECTIONS_PER_BLOCK):
        u = rng.standard_normal(block.shape)
        yield u / np.linalg.norm(u)


def block_paths(build_args, blocks):
    """Block name -> where build_args puts that block in the arguments, as a
    tuple of positions and keys (e.g. "W_xf" -> (3, "W_xf"))."""
    markers = {name: _Marker(name) for name in blocks}
    paths = {}

    def walk(value, path):
        if isinstance(value, _Marker):
            paths[value.name] = path
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, path + (key,))
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    walk(list(build_args(markers)), ())
    missing = set(blocks) - set(paths)
    if missing:
        raise ValueError(f"build_args does not place the blocks {sorted(missing)} in the arguments")
    return paths


@dataclass(frozen=True)
class _Marker:
    name: str
