"""Numerical gradient checks of a student's backward against their own forward.

The forward is seen as a function of named blocks (X, h0, W_xf, ...). The
loss is L = Σ_k ⟨G_k, out_k⟩ with Gaussian cotangents G_k. For every block b
we compare the student's gradient g_b with central differences of the
student's forward: along K random unit directions per block, or along every
entry when the whole problem is tiny. Per-block directions catch a single
wrong entry that one global random direction misses (see
shared/research/gradient-checks.md); the tolerances below leave three orders
of magnitude between correct float64 code (~1e-9) and wrong code (≥ 1e-4).
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np

from autograder.proxy import GradingFailure
from autograder.suite.checks import expect_array

STEP = 1e-5                 # central-difference step h (optimal ≈ (3ε)^(1/3))
BLOCK_RTOL = 1e-6           # × ‖g_b‖
LOSS_ATOL = 1e-8            # × max(1, |L|)
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
        """L at each point, in one round trip to the worker.

        changes: per point, the blocks that differ from `blocks` (name -> array);
        {} is the point `blocks` itself.
        """
        paths = block_paths(self.build_args, self.blocks)
        results = student.call_many(self.function, self.build_args(self.blocks),
                                    [[(paths[name], value) for name, value in change.items()]
                                     for change in changes])
        return [self.loss(result) for result in results]

    def loss(self, result):
        outs = self.pick_outputs(result if isinstance(result, tuple) else (result,))
        total = 0.0
        for k, (out, G) in enumerate(zip(outs, self.upstream)):
            out = expect_array(out, self.function, f"output {k + 1}", G.shape, G.dtype)
            total += float(np.sum(out * G))
        return total


def check_gradients(student, forward, analytic, backward, seed=0, tiny=False):
    """Fail if any block of `analytic` disagrees with finite differences.

    tiny: the problem is the suite's tiny case, checked entry by entry when it
    has at most FULL_CHECK_MAX_ENTRIES entries; otherwise K directions per block.
    """
    full = tiny and sum(block.size for block in forward.blocks.values()) <= FULL_CHECK_MAX_ENTRIES
    rng = np.random.default_rng(seed)
    points, plan = [], []
    for name, block in forward.blocks.items():
        for u in (unit_vectors(block) if full else random_directions(block, rng)):
            points += [{name: block + STEP * u}, {name: block - STEP * u}]
            plan.append((name, u))
    losses = forward.losses(student, [{}] + points)
    scale = max(1.0, abs(losses[0]))
    worst = {}
    for i, (name, u) in enumerate(plan):
        numerical = (losses[1 + 2 * i] - losses[2 + 2 * i]) / (2 * STEP)
        yours = float(np.sum(analytic[name] * u))
        allowed = BLOCK_RTOL * float(np.linalg.norm(analytic[name])) + LOSS_ATOL * scale
        if abs(yours - numerical) > allowed and (name not in worst or abs(yours - numerical) > worst[name][0]):
            worst[name] = (abs(yours - numerical), yours, numerical, u)
    if worst:
        name = next(n for n in forward.blocks if n in worst)  # the first failing block, in order
        _, yours, numerical, u = worst[name]
        raise GradingFailure(failure_message(student, forward, analytic, backward, name, yours, numerical, u, full))


def failure_message(student, forward, analytic, backward, name, yours, numerical, u, full):
    what = f"{backward}: {grad_label(name)} disagrees with finite differences of your own {forward.function}"
    if full:
        index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(u)), u.shape))
        where = f" at index {index}: yours {yours:.6g}, numerical {numerical:.6g}"
    else:
        where = (f" (along a random direction: yours {yours:.6g}, numerical {numerical:.6g})"
                 + locate(student, forward, analytic, name))
    others = [grad_label(n) for n in forward.blocks if n != name]
    return what + where + (f". Gradients checked: {', '.join([grad_label(name)] + others)}." if others else ".")


def locate(student, forward, analytic, name):
    """'; largest disagreement at index (i, j): ...' for a small failing block."""
    block = forward.blocks[name]
    if block.size > LOCATE_MAX_ENTRIES:
        return ""
    units = list(unit_vectors(block))
    points = [p for u in units for p in ({name: block + STEP * u}, {name: block - STEP * u})]
    losses = forward.losses(student, points)
    numerical = np.array([(losses[2 * i] - losses[2 * i + 1]) / (2 * STEP) for i in range(len(units))])
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
