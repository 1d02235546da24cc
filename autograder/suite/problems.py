"""Forward/backward pairs of the contract as data, and the three checks every
pair gets: forward against the reference, backward against finite
differences of the student's own forward, backward against the reference.

A `Problem` holds one drawn input: the forward's arguments as named blocks
(X, h0, W_xf, ...), how to rebuild the arguments from blocks, the upstream
gradients, and where each block's gradient sits in the backward's result.
"""
import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograder import contract
from autograder.suite import diagnosis, gradcheck, plots
from autograder.suite.checks import (as_float64, assert_all_close, assert_unmodified, expect_array,
                                     expect_dtype, expect_grads, outputs)
from autograder.suite.inputs import TINY


@dataclass
class Problem:
    forward: str
    backward: str
    blocks: dict                   # name -> array, in argument order
    build_args: Callable           # blocks -> forward's positional arguments
    upstream: list                 # G_k for each differentiated output
    grad_layout: list              # backward's outputs: a block name, or a list of block names (a dict)
    pick_outputs: Callable = lambda out: [out[0]]
    backward_kwargs: dict = field(default_factory=dict)
    upstream_names: tuple = ("dH",)  # the backward's names for the upstream gradients

    @property
    def dtype(self):
        return next(iter(self.blocks.values())).dtype

    def args(self):
        return self.build_args(self.blocks)

    def analytic(self, backward_outputs):
        """Validate the backward's outputs; returns block name -> gradient.

        Values only: that they keep the dtype is the dtype tests' business."""
        grads = {}
        for output, value, layout in zip(contract.returns(self.backward), backward_outputs, self.grad_layout):
            if isinstance(layout, str):
                grads[layout] = expect_array(value, self.backward, output, self.blocks[layout].shape)
            elif isinstance(layout, dict):          # a params dict: key -> block name
                got = expect_grads(value, self.backward, output, {k: self.blocks[b] for k, b in layout.items()})
                grads.update({layout[k]: v for k, v in got.items()})
            else:                                   # a list of params dicts (stacked layers)
                if not isinstance(value, (list, tuple)) or len(value) != len(layout):
                    raise_failure(f"{self.backward}: {output} should be a list of {len(layout)} dicts, one per layer")
                for layer, (v, lay) in enumerate(zip(value, layout)):
                    got = expect_grads(v, self.backward, f"{output}[{layer}]", {k: self.blocks[b] for k, b in lay.items()})
                    grads.update({lay[k]: g for k, g in got.items()})
        return grads


def raise_failure(message):
    from autograder.failures import GradingFailure
    raise GradingFailure(message, cause="type")


# --- the three checks -------------------------------------------------------

def forward_matches_reference(student, ref, problem):
    """The forward's non-cache outputs agree with the reference's."""
    with diagnosis.observing(diagnosis.forward_example(problem)) as seen:
        got = outputs(seen(student.call(problem.forward, *problem.args())), problem.forward)
        expected = reference_outputs(ref, problem.forward, problem.args())
        compared = [(name, g, e) for name, g, e in zip(contract.returns(problem.forward), got, expected)
                    if name != "cache"]
        with plots.on_failure(lambda: plots.for_outputs(problem.forward, compared, problem.dtype)):
            for name, g, e in compared:
                assert_all_close(g, e, problem.forward, name, problem.dtype)
    return got


def backward_matches_reference(student, ref, problem):
    """The backward (given the student's own cache) agrees with the reference's."""
    with diagnosis.observing(diagnosis.backward_example(problem)) as seen:
        cache = student_cache(student, problem)
        got = outputs(seen(student.call(problem.backward, *problem.upstream, cache, **problem.backward_kwargs)),
                      problem.backward)
        ref_forward = reference_outputs(ref, problem.forward, problem.args())
        ref_cache = ref_forward[contract.returns(problem.forward).index("cache")]
        expected = getattr(ref, problem.backward)(*as_float64(problem.upstream), ref_cache,
                                                  **problem.backward_kwargs)
        compared = list(zip(contract.returns(problem.backward), got, expected))
        with plots.on_failure(lambda: plots.for_outputs(problem.backward, compared, problem.dtype,
                                                        *chunk_starts(problem))):
            for name, g, e in compared:
                assert_all_close(g, e, problem.backward, name, problem.dtype)


def chunk_starts(problem):
    """([k, 2k, ...], label): where truncate=k cuts the gradient, for the plots; ([], "") without truncation."""
    k = problem.backward_kwargs.get("truncate")
    T = problem.upstream[0].shape[1] if k else 0
    if not k or k >= T:
        return [], ""
    return list(range(k, T, k)), f"chunk boundaries (truncate={k})"


def backward_gradient_check(student, problem, seed=0, tiny=False):
    """The backward agrees with central differences of the student's own forward (float64).

    tiny: the problem is small enough to check every entry (see gradcheck)."""
    with diagnosis.observing(diagnosis.backward_example(problem)) as seen:
        cache = student_cache(student, problem)
        got = outputs(seen(student.call(problem.backward, *problem.upstream, cache, **problem.backward_kwargs)),
                      problem.backward)
        analytic = problem.analytic(got)
        forward = gradcheck.Forward(problem.forward, problem.blocks, problem.build_args, problem.upstream,
                                    problem.pick_outputs)
        gradcheck.check_gradients(student, forward, analytic, problem.backward, seed=seed, tiny=tiny)


def student_cache(student, problem):
    out = outputs(student.call(problem.forward, *problem.args()), problem.forward)
    return out[contract.returns(problem.forward).index("cache")]


def reference_outputs(ref, function, args):
    """The reference's result on float64 copies of `args`, as a tuple."""
    result = getattr(ref, function)(*as_float64(args))
    return result if isinstance(result, tuple) else (result,)


# --- the problems -----------------------------------------------------------

def pick(blocks, keys, prefix=""):
    return {key: blocks[prefix + key] for key in keys}


def prefixed(params, prefix):
    return {prefix + key: value for key, value in params.items()}


def rnn_step(case):
    blocks = {"x": case.x(), "h_prev": case.state(), **case.rnn_params()}
    return Problem("rnn_step_forward", "rnn_step_backward", blocks,
                   lambda b: [b["x"], b["h_prev"], pick(b, contract.RNN_KEYS)],
                   [case.upstream(case.N, case.H)],
                   ["x", "h_prev", {k: k for k in contract.RNN_KEYS}], upstream_names=("dh",))


def rnn_sequence(case, truncate=None):
    blocks = {"X": case.X(), "h0": case.state(), **case.rnn_params()}
    return Problem("rnn_forward", "rnn_backward", blocks,
                   lambda b: [b["X"], b["h0"], pick(b, contract.RNN_KEYS)],
                   [case.upstream(case.N, case.T, case.H)],
                   ["X", "h0", {k: k for k in contract.RNN_KEYS}],
                   backward_kwargs={} if truncate is None else {"truncate": truncate})


def lstm_step(case):
    blocks = {"x": case.x(), "h_prev": case.state(), "c_prev": case.state(salt=5), **case.lstm_params()}
    return Problem("lstm_step_forward", "lstm_step_backward", blocks,
                   lambda b: [b["x"], b["h_prev"], b["c_prev"], pick(b, contract.LSTM_KEYS)],
                   [case.upstream(case.N, case.H), case.upstream(case.N, case.H, salt=6)],
                   ["x", "h_prev", "c_prev", {k: k for k in contract.LSTM_KEYS}],
                   pick_outputs=lambda out: [out[0], out[1]], upstream_names=("dh", "dc"))


def lstm_sequence(case):
    blocks = {"X": case.X(), "h0": case.state(), "c0": case.state(salt=5), **case.lstm_params()}
    return Problem("lstm_forward", "lstm_backward", blocks,
                   lambda b: [b["X"], b["h0"], b["c0"], pick(b, contract.LSTM_KEYS)],
                   [case.upstream(case.N, case.T, case.H)],
                   ["X", "h0", "c0", {k: k for k in contract.LSTM_KEYS}])


def bilstm(case):
    """Forward direction of size H_f = H, backward direction of size H_b = H2
    (drawn independently: smaller, equal or larger; H + 1 where the case has no H2)."""
    H_b = case.H2 or case.H + 1
    fwd, bwd = prefixed(case.lstm_params(), "params_fwd."), prefixed(case.lstm_params(H=H_b, salt=7), "params_bwd.")
    blocks = {"X": case.X(), **fwd, **bwd}
    return Problem("bilstm_forward", "bilstm_backward", blocks,
                   lambda b: [b["X"], pick(b, contract.LSTM_KEYS, "params_fwd."),
                              pick(b, contract.LSTM_KEYS, "params_bwd.")],
                   [case.upstream(case.N, case.T, case.H + H_b)],
                   ["X", {k: "params_fwd." + k for k in contract.LSTM_KEYS},
                    {k: "params_bwd." + k for k in contract.LSTM_KEYS}])


STACK_SIZES = (lambda H: H + 1, lambda H: H)   # layer sizes of the stacked problem


def stacked(case):
    """Two layers, of sizes H + 1 and H, so each layer's input size differs from its hidden size."""
    sizes = [size(case.H) for size in STACK_SIZES]
    inputs = [case.D, sizes[0]]
    blocks = {"X": case.X()}
    for layer, (D, H) in enumerate(zip(inputs, sizes)):
        blocks.update(prefixed(case.lstm_params(D=D, H=H, salt=10 + layer), f"layers[{layer}]."))
    return Problem("stacked_lstm_forward", "stacked_lstm_backward", blocks,
                   lambda b: [b["X"], [pick(b, contract.LSTM_KEYS, f"layers[{l}].") for l in range(len(sizes))]],
                   [case.upstream(case.N, case.T, sizes[-1])],
                   ["X", [{k: f"layers[{l}]." + k for k in contract.LSTM_KEYS} for l in range(len(sizes))]])


def gru_step(case):
    blocks = {"x": case.x(), "h_prev": case.state(), **case.gru_params()}
    return Problem("gru_step_forward", "gru_step_backward", blocks,
                   lambda b: [b["x"], b["h_prev"], pick(b, contract.GRU_KEYS)],
                   [case.upstream(case.N, case.H)],
                   ["x", "h_prev", {k: k for k in contract.GRU_KEYS}], upstream_names=("dh",))


def gru_sequence(case):
    blocks = {"X": case.X(), "h0": case.state(), **case.gru_params()}
    return Problem("gru_forward", "gru_backward", blocks,
                   lambda b: [b["X"], b["h0"], pick(b, contract.GRU_KEYS)],
                   [case.upstream(case.N, case.T, case.H)],
                   ["X", "h0", {k: k for k in contract.GRU_KEYS}])


# Extreme inputs: inputs ×100 and weights and biases ×40 give pre-activations
# in the thousands, where e^z overflows (past 709 in float64, 88 in float32).
EXTREME_SCALE = {"x": 1000.0, "X": 1000.0}


def at_extreme_inputs(problem):
    """`problem` with its inputs, weights and biases scaled up (EXTREME_SCALE); states as they were."""
    def scaled(name, block):
        key = name.rpartition(".")[2]  # "params_fwd.W_xf" -> "W_xf"
        return (block * EXTREME_SCALE.get(key[0], 1.0)).astype(block.dtype)
    return dataclasses.replace(problem, blocks={name: scaled(name, block) for name, block in problem.blocks.items()})


def batch_rows_independent(student, ref, problem):
    """Row i of every forward output depends only on row i of the inputs
    (the whole batch and each row alone, in one round trip)."""
    from autograder.failures import GradingFailure
    names = contract.returns(problem.forward)
    expected = reference_outputs(ref, problem.forward, problem.args())
    rows = problem.args()[0].shape[0]
    paths = gradcheck.block_paths(problem.build_args, problem.blocks)
    alone = [[(paths[name], block[row:row + 1]) for name, block in problem.blocks.items() if name in BATCH_BLOCKS]
             for row in range(rows)]
    full, *singles = [result if isinstance(result, tuple) else (result,)
                      for result in student.call_many(problem.forward, problem.args(), [[]] + alone)]
    for row, single in enumerate(singles):
        for name, whole, one, ref_out in zip(names, full, single, expected):
            if name == "cache":
                continue
            whole = expect_array(whole, problem.forward, name, ref_out.shape)
            one = expect_array(one, problem.forward, f"{name} for a batch of one", (1,) + ref_out.shape[1:])
            if not np.allclose(whole[row:row + 1], one, rtol=1e-9, atol=1e-12):
                raise GradingFailure(
                    f"{problem.forward}: {name} for batch row {row} changes when the other rows are removed "
                    f"(max difference {float(np.max(np.abs(whole[row:row + 1] - one))):.3g}); rows of a "
                    f"batch must not mix: check for sums or means over axis 0 in the forward pass.")


BATCH_BLOCKS = ("x", "X", "h_prev", "c_prev", "h0", "c0")


def arguments_unmodified(student, problem):
    """Neither the forward nor the backward changes its arguments in place."""
    with diagnosis.observing(diagnosis.forward_example(problem)) as seen:
        forward = seen(student.call(problem.forward, *problem.args(), watch=True))
        assert_unmodified(forward, problem.forward)
        cache = outputs(forward, problem.forward)[contract.returns(problem.forward).index("cache")]
    with diagnosis.observing(diagnosis.backward_example(problem)) as seen:
        assert_unmodified(seen(student.call(problem.backward, *problem.upstream, cache, watch=True)),
                          problem.backward)


def keeps_dtype(student, ref, make_problem, case):
    """Forward and backward return the dtype of their inputs, in float64 (on
    the tiny case: only dtypes are looked at) and in float32 (on `case`),
    where they also agree with the reference to float32 accuracy.

    make_problem: a problem builder of this module (e.g. rnn_sequence)."""
    for dtype, sizes in (("float64", TINY), ("float32", case)):
        problem = make_problem(sizes.as_dtype(dtype))
        seen_forward = diagnosis.observing(diagnosis.forward_example(problem))
        seen_backward = diagnosis.observing(diagnosis.backward_example(problem))
        with seen_forward:
            forward = outputs(seen_forward(student.call(problem.forward, *problem.args())), problem.forward)
        cache = forward[contract.returns(problem.forward).index("cache")]
        with seen_backward:
            backward = outputs(seen_backward(student.call(problem.backward, *problem.upstream, cache,
                                                          **problem.backward_kwargs)), problem.backward)
        for function, got, seen in ((problem.forward, forward, seen_forward),
                                    (problem.backward, backward, seen_backward)):
            with seen:
                for name, value in zip(contract.returns(function), got):
                    if name != "cache":
                        expect_dtype(value, function, name, dtype)
        if dtype == "float32":
            ref_forward = reference_outputs(ref, problem.forward, problem.args())
            with seen_forward:
                for name, got, expected in zip(contract.returns(problem.forward), forward, ref_forward):
                    if name != "cache":
                        assert_all_close(got, expected, problem.forward, name, dtype)
            ref_cache = ref_forward[contract.returns(problem.forward).index("cache")]
            ref_backward = getattr(ref, problem.backward)(*as_float64(problem.upstream), ref_cache,
                                                          **problem.backward_kwargs)
            with seen_backward:
                for name, got, expected in zip(contract.returns(problem.backward), backward, ref_backward):
                    assert_all_close(got, expected, problem.backward, name, dtype)
