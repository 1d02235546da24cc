"""Public tests for Module 6: run them before you submit.

    make check
    python -m pytest -q --tb=short test_public.py    # the same thing

Each test runs one of your functions on a small fixed input (N=2, T=3, D=3,
H=4; a short review for encode) and compares every output with the reference
implementation's, stored in public_expected.json: shape, dtype (float64 and
float32; int64 for encode's token ids) and values. One more
test checks lstm_step_backward against central differences of your own
lstm_step_forward. The grading suite checks much more (other sizes, extreme
inputs, float32 values, CuPy), so passing these is a good start, not a grade.

Your files are imported from this folder, or from the folder named by the
environment variable STUDENT_DIR (make check STUDENT=path/to/folder). If you
work in Jupyter, name your notebook instead (make check STUDENT=work.ipynb), or
a folder that holds one notebook and none of the five files: its code cells
are run in order, IPython magics (%) and shell escapes (!) left out, as the
grader does.

When a check fails because a function it calls is wrong, fix that one first:
the last lines say where to start ("Start here: forget_gate; 9 other failures
may follow from it").

Generated from the reference by autograder/release.py; do not edit.
"""
import importlib
import json
import linecache
import os
import sys
import traceback
import types
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
EXPECTED_FILE = HERE / "public_expected.json"
MODULES = ("activations", "rnn", "lstm", "gru", "sequences")

SEED = 6                        # every input is drawn from np.random.RandomState(SEED)
N, T, D, H = 2, 3, 3, 4         # batch, time steps, input size, hidden size
H_B = 3                         # hidden size of bilstm's backward direction
H_TOP = 3                       # hidden size of stacked_lstm's second layer
V = 6                           # rows of the embedding matrix E
# encode's input: punctuation, capitals, an apostrophe, a digit and two unknown words.
REVIEW = "Great kettle... NOT! It's broken after 2 days; don't buy."
VOCAB = {"<unk>": 0, "great": 1, "kettle": 2, "not": 3, "it's": 4, "broken": 5, "after": 6, "2": 7,
         "days": 8, "buy": 9}

RTOL, ATOL = 1e-6, 1e-9         # agreement with the reference, float64
GRAD_EPS = 1e-6                 # step of the central differences
GRAD_RTOL, GRAD_ATOL = 1e-5, 1e-8  # agreement with the central differences


# Your code: a folder of files, or a notebook

def student_source():
    """Your work: the folder named by STUDENT_DIR (default: this one), or a notebook:
    a .ipynb path, or the one notebook of a folder that holds none of the five files."""
    path = Path(os.environ.get("STUDENT_DIR") or HERE).resolve()
    if path.is_dir() and not any((path / f"{name}.py").is_file() for name in MODULES):
        notebooks = sorted(path.glob("*.ipynb"))
        if len(notebooks) == 1:
            return notebooks[0]
    return path


def student_dir():
    """The folder holding your files (or your notebook)."""
    source = student_source()
    return source.parent if source.suffix == ".ipynb" else source


def load_modules(source, keep=False):
    """Import activations, rnn, lstm, gru and sequences from `source`: a folder, by
    their plain names, or a notebook (load_notebook).

    Returns {name: the module, or the exception that stopped its import}.
    With keep=False, sys.path and sys.modules are restored afterwards.
    """
    source = Path(source).resolve()
    saved_modules = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    saved_path, saved_bytecode = list(sys.path), sys.dont_write_bytecode
    sys.path.insert(0, str(source.parent if source.suffix == ".ipynb" else source))
    sys.dont_write_bytecode = True
    importlib.invalidate_caches()
    try:
        if source.suffix == ".ipynb":
            return load_notebook(source)
        loaded = {}
        for name in MODULES:
            if not (source / f"{name}.py").is_file():
                notebooks = sorted(source.glob("*.ipynb"))
                also = (f" (it holds {len(notebooks)} notebooks: name yours, make check STUDENT=path/to/it.ipynb)"
                        if len(notebooks) > 1 else "")
                loaded[name] = FileNotFoundError(f"there is no {name}.py in {source}{also}")
                continue
            try:
                loaded[name] = importlib.import_module(name)
            except Exception as exc:
                loaded[name] = exc
        return loaded
    finally:
        sys.dont_write_bytecode = saved_bytecode
        if not keep:
            sys.path[:] = saved_path
            for name in MODULES:
                sys.modules.pop(name, None)
            sys.modules.update(saved_modules)


class NotebookError(Exception):
    """A notebook that could not be read, or whose code raised when run."""


def notebook_cells(path):
    """[(cell number, code)] of the notebook's code cells, magics (%) and shell escapes (!) left out."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sources = [(number, cell.get("source", "")) for number, cell in enumerate(cells, start=1)
                   if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise NotebookError(f"{path.name} is not a Jupyter notebook that can be read") from None
    code = []
    for number, source in sources:
        text = "".join(source) if isinstance(source, list) else str(source)
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))]
        code.append((number, "\n".join(lines) + "\n"))
    return code


def load_notebook(path):
    """Run the notebook's code cells in order as one module that stands for all five files.

    Returns {name: that module, or the NotebookError that stopped it} for every name of MODULES.
    """
    module = types.ModuleType("_notebook")
    module.__file__ = str(path)
    for name in MODULES:  # a cell's `from activations import sigmoid` finds the notebook's own
        sys.modules[name] = module
    try:
        for number, code in notebook_cells(path):
            filename = f"{path} [cell {number}]"  # how tracebacks name the cell
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
            exec(compile(code, filename, "exec"), module.__dict__)
    except NotebookError as exc:
        module = exc
    except Exception as exc:
        error = NotebookError(f"your notebook {path.name} raised {type(exc).__name__} when run: {exc}")
        module = error.with_traceback(exc.__traceback__)
    return {name: module for name in MODULES}


@lru_cache(maxsize=None)
def student_modules():
    return load_modules(student_source(), keep=True)


@lru_cache(maxsize=None)
def expected():
    if not EXPECTED_FILE.is_file():
        fail(f"{EXPECTED_FILE.name} is missing: keep it next to test_public.py")
    return json.loads(EXPECTED_FILE.read_text(encoding="utf-8"))


# The inputs

def make_inputs(dtype=np.float64):
    """Every input of the tests, drawn in a fixed order, as {name: array or dict}."""
    rng = np.random.RandomState(SEED)

    def uniform(*shape, low=-1.0, high=1.0):
        return rng.uniform(low, high, size=shape).astype(dtype)

    def params(D_in, H_out, gates):
        """W_x? (D_in, H_out), W_h? (H_out, H_out) and b_? (H_out,) for each gate ?."""
        p = {}
        for g in gates:
            p["W_x" + g], p["W_h" + g] = uniform(D_in, H_out), uniform(H_out, H_out)
            p["b_" + g] = uniform(H_out, low=-0.5, high=0.5)
        return p

    return {
        "z": uniform(N, H, low=-4.0, high=4.0),
        "x": uniform(N, D), "h_prev": uniform(N, H), "c_prev": uniform(N, H, low=-2.0, high=2.0),
        "X": uniform(N, T, D), "h0": uniform(N, H), "c0": uniform(N, H),
        "dh": uniform(N, H), "dc": uniform(N, H), "dH": uniform(N, T, H),
        "F": uniform(N, H, low=0.0, high=1.0), "I": uniform(N, H, low=0.0, high=1.0),
        "C_tilde": uniform(N, H), "O": uniform(N, H, low=0.0, high=1.0),
        "c": uniform(N, H, low=-2.0, high=2.0),
        "rnn_params": params(D, H, "h"),
        "grads": {k: 2 * v for k, v in params(D, H, "h").items()},
        "lstm_params": params(D, H, "fico"),
        "lstm_params_bwd": params(D, H_B, "fico"),
        "lstm_params_layer1": params(H, H_TOP, "fico"),
        "dH_bi": uniform(N, T, H + H_B), "dH_top": uniform(N, T, H_TOP),
        "gru_params": params(D, H, "rzh"),
        "E": uniform(V, D), "ids": rng.randint(0, V, size=T + 2).astype(np.int64),
        "text": REVIEW, "vocab": dict(VOCAB),
    }


# The checks: one per contract function, in the order to write them

class Case(NamedTuple):
    """One check of one of your functions on the fixed inputs."""
    function: str     # the function under test
    module: str       # the file it lives in
    run: Callable     # run(module, inputs) -> {output name: array, dict or list of dicts}
    hint: str         # what usually goes wrong
    needs: str = ""   # a function of yours the check calls first
    dtype: str = ""   # the outputs' dtype when it is not the inputs' (encode's int64 ids)


CASES = {}


def case(function, module, hint, needs="", label=None, dtype=""):
    """Register run(module, inputs) as the check CASES[label or function]."""
    def register(run):
        CASES[label or function] = Case(function, module, run, hint, needs, dtype)
        return run
    return register


def unpack(result, function, names):
    """`result` checked to be a tuple of the values `names` lists."""
    count = len(names.split(","))
    if not isinstance(result, tuple) or len(result) != count:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else f"a {type(result).__name__}"
        fail(f"{function}: should return a tuple ({names}); got {got}")
    return result


@case("sigmoid", "activations", "σ(z) = 1 / (1 + e^(−z)); e^(−|z|) never overflows, pick the form by the sign of z.")
def _(m, a):
    return {"out": m.sigmoid(a["z"])}


@case("sigmoid_prime", "activations", "The derivative at the pre-activation z: σ(z)(1 − σ(z)), with σ taken once.")
def _(m, a):
    return {"out": m.sigmoid_prime(a["z"])}


@case("tanh", "activations", "Use the array module's own tanh: array_module(z).tanh(z).")
def _(m, a):
    return {"out": m.tanh(a["z"])}


@case("tanh_prime", "activations", "1 − tanh(z)², with tanh taken at z.")
def _(m, a):
    return {"out": m.tanh_prime(a["z"])}


@case("rnn_step_forward", "rnn", "h = tanh(x W_xh + h_prev W_hh + b_h); x is (N, D) and W_xh is (D, H), so x @ W_xh.")
def _(m, a):
    h, _ = unpack(m.rnn_step_forward(a["x"], a["h_prev"], a["rnn_params"]), "rnn_step_forward", "h, cache")
    return {"h": h}


@case("rnn_step_backward", "rnn", "da = dh ⊙ (1 − h²); dx = da W_xhᵀ, dh_prev = da W_hhᵀ, "
      "dW_xh = xᵀ da, dW_hh = h_prevᵀ da, db_h = da summed over the batch.", needs="rnn_step_forward")
def _(m, a):
    _, cache = unpack(m.rnn_step_forward(a["x"], a["h_prev"], a["rnn_params"]), "rnn_step_forward", "h, cache")
    dx, dh_prev, grads = unpack(m.rnn_step_backward(a["dh"], cache), "rnn_step_backward", "dx, dh_prev, grads")
    return {"dx": dx, "dh_prev": dh_prev, "grads": grads}


@case("rnn_forward", "rnn", "H[:, t] is the state after step t; step 0 starts from h0, step t from H[:, t−1].")
def _(m, a):
    H_, _ = unpack(m.rnn_forward(a["X"], a["h0"], a["rnn_params"]), "rnn_forward", "H, cache")
    return {"H": H_}


def _rnn_backward(m, a, truncate):
    _, cache = unpack(m.rnn_forward(a["X"], a["h0"], a["rnn_params"]), "rnn_forward", "H, cache")
    dX, dh0, grads = unpack(m.rnn_backward(a["dH"], cache, truncate=truncate), "rnn_backward", "dX, dh0, grads")
    return {"dX": dX, "dh0": dh0, "grads": grads}


@case("rnn_backward", "rnn", "Walk t = T−1 … 0: the gradient reaching h_t is dH[:, t] plus what step t+1 "
      "sent back; parameter gradients are summed over the steps; dh0 is what step 0 sends back.",
      needs="rnn_forward")
def _(m, a):
    return _rnn_backward(m, a, truncate=None)


@case("rnn_backward", "rnn", "With truncate=2 and T=3 the chunks are steps 0..1 and 2: nothing flows from "
      "step 2 back into step 1; dh0 is still what step 0 sends back.",
      needs="rnn_forward", label="rnn_backward(truncate=2)")
def _(m, a):
    return _rnn_backward(m, a, truncate=2)


@case("clip_gradients", "rnn", "One norm over all arrays together: the square root of the sum of every "
      "squared entry; scale only when it exceeds max_norm, and return a new dict.")
def _(m, a):
    return {"clipped": m.clip_gradients(a["grads"], 1.0), "unclipped": m.clip_gradients(a["grads"], 100.0)}


def _gate(function, symbol, key, activation):
    @case(function, "lstm", f"{symbol} = {activation}(x W_x{key} + h_prev W_h{key} + b_{key}): "
          f"this gate's own keys, and your {activation}.")
    def _(m, a):
        return {symbol: getattr(m, function)(a["x"], a["h_prev"], a["lstm_params"])}


_gate("forget_gate", "F", "f", "sigmoid")
_gate("input_gate", "I", "i", "sigmoid")
_gate("input_node", "C_tilde", "c", "tanh")
_gate("output_gate", "O", "o", "sigmoid")


@case("cell_state", "lstm", "C = F ⊙ c_prev + I ⊙ C̃: elementwise products (*), not matrix products (@).")
def _(m, a):
    return {"c": m.cell_state(a["F"], a["I"], a["C_tilde"], a["c_prev"])}


@case("hidden_state", "lstm", "H = O ⊙ tanh(c), elementwise.")
def _(m, a):
    return {"h": m.hidden_state(a["O"], a["c"])}


def _lstm_step(m, a):
    return unpack(m.lstm_step_forward(a["x"], a["h_prev"], a["c_prev"], a["lstm_params"]),
                  "lstm_step_forward", "h, c, cache")


@case("lstm_step_forward", "lstm", "The four gates from x and h_prev, then c = F ⊙ c_prev + I ⊙ C̃ and h = O ⊙ tanh(c).")
def _(m, a):
    h, c, _ = _lstm_step(m, a)
    return {"h": h, "c": c}


@case("lstm_step_backward", "lstm", "The gradient reaching c is dc + dh ⊙ O ⊙ (1 − tanh²(c)), and "
      "dc_prev is that ⊙ F; σ' = σ(1 − σ) and tanh' = 1 − tanh² at each gate.", needs="lstm_step_forward")
def _(m, a):
    _, _, cache = _lstm_step(m, a)
    dx, dh_prev, dc_prev, grads = unpack(m.lstm_step_backward(a["dh"], a["dc"], cache),
                                         "lstm_step_backward", "dx, dh_prev, dc_prev, grads")
    return {"dx": dx, "dh_prev": dh_prev, "dc_prev": dc_prev, "grads": grads}


def _lstm_sequence(m, a):
    return unpack(m.lstm_forward(a["X"], a["h0"], a["c0"], a["lstm_params"]), "lstm_forward", "H, cache")


@case("lstm_forward", "lstm", "Carry both h and c from step to step, starting from h0 and c0; H[:, t] is h after step t.")
def _(m, a):
    return {"H": _lstm_sequence(m, a)[0]}


@case("lstm_backward", "lstm", "Walk t = T−1 … 0 carrying dh and dc; step t receives dH[:, t] plus the "
      "carried dh; parameter gradients are summed over the steps.", needs="lstm_forward")
def _(m, a):
    _, cache = _lstm_sequence(m, a)
    dX, dh0, dc0, grads = unpack(m.lstm_backward(a["dH"], cache), "lstm_backward", "dX, dh0, dc0, grads")
    return {"dX": dX, "dh0": dh0, "dc0": dc0, "grads": grads}


def _bilstm(m, a):
    return unpack(m.bilstm_forward(a["X"], a["lstm_params"], a["lstm_params_bwd"]), "bilstm_forward", "H, cache")


@case("bilstm_forward", "lstm", f"The backward LSTM reads X[:, ::-1]; flip its states back in time, then "
      f"concatenate along the last axis, forward first (here H_f={H}, H_b={H_B}).")
def _(m, a):
    return {"H": _bilstm(m, a)[0]}


@case("bilstm_backward", "lstm", "Split dH at H_f; flip the backward half in time before its lstm_backward, "
      "and flip its dX back before adding the two.", needs="bilstm_forward")
def _(m, a):
    _, cache = _bilstm(m, a)
    dX, grads_fwd, grads_bwd = unpack(m.bilstm_backward(a["dH_bi"], cache), "bilstm_backward",
                                      "dX, grads_fwd, grads_bwd")
    return {"dX": dX, "grads_fwd": grads_fwd, "grads_bwd": grads_bwd}


def _stacked(m, a):
    layers = [a["lstm_params"], a["lstm_params_layer1"]]
    return unpack(m.stacked_lstm_forward(a["X"], layers), "stacked_lstm_forward", "H, cache")


@case("stacked_lstm_forward", "lstm", f"Layer 1 reads layer 0's H; each layer starts from zero h and c "
      f"of its own hidden size (here {H}, then {H_TOP}).")
def _(m, a):
    return {"H": _stacked(m, a)[0]}


@case("stacked_lstm_backward", "lstm", "Go from the top layer down: a layer's dX is the dH of the layer "
      "below; return grads bottom layer first.", needs="stacked_lstm_forward")
def _(m, a):
    _, cache = _stacked(m, a)
    dX, grads = unpack(m.stacked_lstm_backward(a["dH_top"], cache), "stacked_lstm_backward", "dX, grads")
    return {"dX": dX, "grads": grads}


@case("gru_step_forward", "gru", "h = Z ⊙ h_prev + (1 − Z) ⊙ H̃ (the slides' convention), and R multiplies "
      "h_prev before W_hh: (R ⊙ h_prev) W_hh.")
def _(m, a):
    h, _ = unpack(m.gru_step_forward(a["x"], a["h_prev"], a["gru_params"]), "gru_step_forward", "h, cache")
    return {"h": h}


@case("gru_step_backward", "gru", "h_prev reaches h through Z ⊙ h_prev, through R ⊙ h_prev inside H̃, and "
      "through R and Z: add all the paths; dW_hh = (R ⊙ h_prev)ᵀ da_h.", needs="gru_step_forward")
def _(m, a):
    _, cache = unpack(m.gru_step_forward(a["x"], a["h_prev"], a["gru_params"]), "gru_step_forward", "h, cache")
    dx, dh_prev, grads = unpack(m.gru_step_backward(a["dh"], cache), "gru_step_backward", "dx, dh_prev, grads")
    return {"dx": dx, "dh_prev": dh_prev, "grads": grads}


def _gru_sequence(m, a):
    return unpack(m.gru_forward(a["X"], a["h0"], a["gru_params"]), "gru_forward", "H, cache")


@case("gru_forward", "gru", "Step t starts from the state after step t−1 (h0 for step 0); H[:, t] is h after step t.")
def _(m, a):
    return {"H": _gru_sequence(m, a)[0]}


@case("gru_backward", "gru", "Walk t = T−1 … 0: step t receives dH[:, t] plus the dh_prev of step t+1; "
      "parameter gradients are summed over the steps.", needs="gru_forward")
def _(m, a):
    _, cache = _gru_sequence(m, a)
    dX, dh0, grads = unpack(m.gru_backward(a["dH"], cache), "gru_backward", "dX, dh0, grads")
    return {"dX": dX, "dh0": dh0, "grads": grads}


@case("encode", "sequences", "Tokens are the maximal runs of a-z, 0-9 and ' in text.lower(), in order "
      "(punctuation and spaces separate them); a token missing from vocab gets vocab[\"<unk>\"]; return "
      "np.array(ids, dtype=np.int64).", dtype="int64")
def _(m, a):
    return {"ids": m.encode(a["text"], a["vocab"])}


@case("embed", "sequences", "X[0, t] is the row E[ids[t]]: index E with the whole ids array, then add the "
      "batch axis in front: shape (1, T, D).")
def _(m, a):
    return {"X": m.embed(a["ids"], a["E"])}


def _norms_case(function, forward, backward, arguments):
    @case(function, "sequences", f"Run your {forward}, then {backward} with dH zero except dH[:, T−1] = 1 "
          f"(L is the sum of the last hidden state); g[t] is the norm of dX[:, t] over all its N·D entries.",
          needs=backward)
    def _(m, a):
        return {"g": getattr(m, function)(*[a[name] for name in arguments])}


_norms_case("rnn_gradient_norms", "rnn_forward", "rnn_backward", ("X", "h0", "rnn_params"))
_norms_case("lstm_gradient_norms", "lstm_forward", "lstm_backward", ("X", "h0", "c0", "lstm_params"))
_norms_case("gru_gradient_norms", "gru_forward", "gru_backward", ("X", "h0", "gru_params"))


# Comparing, and saying what is wrong

def fail(message):
    """Fail the test with `message` alone: no traceback, no chained exception."""
    raise pytest.fail.Exception(message, pytrace=False) from None


def flatten(name, value):
    """[(label, array)] for a value that may be a dict or a list of arrays."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in flatten(f"{name}[{key!r}]", item)]
    if isinstance(value, (list, tuple)):
        return [pair for i, item in enumerate(value) for pair in flatten(f"{name}[{i}]", item)]
    return [(name, value)]


def labelled(values):
    """{label: array} for a dict of arrays, dicts and lists: {"grads['W_xh']": ..., ...}."""
    return {label: value for name, item in values.items() for label, value in flatten(name, item)}


def compute_outputs(case, module, dtype):
    """The case's outputs on fresh inputs of `dtype`, as {label: value}."""
    return labelled(case.run(module, make_inputs(dtype)))


def your_frames(exc):
    """The traceback entries of `exc` that lie in your files."""
    folder = student_dir()
    return [frame for frame in traceback.extract_tb(exc.__traceback__)
            if Path(frame.filename).resolve().parent == folder]


def where(exc):
    """Where in your files `exc` was raised: the innermost three calls."""
    return "".join(f"\n  {Path(f.filename).name}, line {f.lineno}, in {f.name}: {f.line}"
                   for f in your_frames(exc)[-3:])


def needs_note(case):
    return f"\n  (this check calls your {case.needs} first: if its test fails, fix that one first)" if case.needs else ""


@contextmanager
def your_code(case):
    """Turn an exception from your code into a short message."""
    try:
        yield
    except NotImplementedError as exc:
        frames = your_frames(exc)
        innermost = (traceback.extract_tb(exc.__traceback__) or [None])[-1]
        culprit = frames[-1].name if frames else case.function
        elsewhere = ""
        if innermost is not None and frames and innermost != frames[-1]:  # a stub outside your folder
            culprit = innermost.name
            elsewhere = (f" (in {innermost.filename}, imported because {Path(innermost.filename).name} "
                         f"is not in your folder)")
        if culprit == case.function:
            fail(f"{case.function}: not implemented yet")
        fail(f"{case.function}: not checked yet, because {culprit} (which this check calls) "
             f"is not implemented yet{elsewhere}")
    except Exception as exc:
        fail(f"{case.function}: raised {type(exc).__name__}: {exc}{where(exc)}{needs_note(case)}")


def module_for(case):
    """The module that should hold case.function, or a readable failure."""
    module = student_modules()[case.module]
    if isinstance(module, FileNotFoundError):
        fail(f"{case.function}: {module}")
    if isinstance(module, NotebookError):
        fail(f"{case.function}: {module}{where(module)}")
    if isinstance(module, BaseException):
        fail(f"{case.function}: {case.module}.py cannot be imported: "
             f"{type(module).__name__}: {module}{where(module)}")
    if not callable(getattr(module, case.function, None)):
        fail(f"{case.function}: {case.module}.py has no function {case.function}")
    return module


def as_array(case, label, value):
    """`value` as a NumPy array (CuPy arrays are copied to the host)."""
    if hasattr(value, "__cuda_array_interface__"):
        value = value.get()
    if not isinstance(value, np.ndarray):
        fail(f"{case.function}: {label} should be an array, got {type(value).__name__}")
    return value


def compare(case, label, got, want, rtol, atol, source, hint):
    """Fail with the largest difference when `got` and `want` disagree anywhere."""
    if got.shape != want.shape:
        fail(f"{case.function}: {label} has shape {got.shape}, expected {want.shape} "
             f"(N={N}, T={T}, D={D}, H={H})\n  HINT: {hint}")
    diff = np.abs(got.astype(np.float64) - want)
    bad = ~(diff <= atol + rtol * np.abs(want))  # nan counts as bad
    if bad.any():
        index = np.unravel_index(np.argmax(np.where(np.isnan(diff), np.inf, diff)), got.shape)
        at = f"{label}[{', '.join(str(int(i)) for i in index)}]"
        fail(f"{case.function}: {label} is wrong at {int(bad.sum())} of {bad.size} entries\n"
             f"  largest difference at {at}: got {float(got[index]):.10g}, "
             f"{source} {float(want[index]):.10g}\n"
             f"  HINT: {hint}{needs_note(case)}")


def check_labels(case, got, want):
    """Fail unless `got` has exactly the outputs (and dict keys) of `want`."""
    missing = [label for label in want if label not in got]
    unexpected = [label for label in got if label not in want]
    if missing or unexpected:
        fail(f"{case.function}: the outputs do not have the expected parts\n"
             f"  missing: {', '.join(missing) or '-'}\n  unexpected: {', '.join(unexpected) or '-'}\n"
             f"  HINT: a grads dict has exactly the keys of params")


def check_unchanged(case, used, fresh):
    """Fail when the check's inputs differ from a fresh copy: an argument was modified."""
    used = labelled(used)
    for label, before in labelled(fresh).items():
        after = used.get(label)
        if not isinstance(before, np.ndarray):  # a text, or a vocabulary's id
            changed = after != before
        else:
            changed = not isinstance(after, np.ndarray) or not np.array_equal(after, before)
        if changed:
            fail(f"{case.function}: modified its argument {label} in place (or a function it calls did)\n"
                 f"  HINT: leave arguments unmodified: write a = a + b, not a += b, and copy a dict before changing it")


def run(case, module, dtype):
    """Your outputs for `case` on fresh inputs of `dtype`, as {label: array}."""
    inputs = make_inputs(dtype)
    with your_code(case):
        outputs = labelled(case.run(module, inputs))
    check_unchanged(case, inputs, make_inputs(dtype))
    return outputs


# What to fix first

def built_on(function):
    """Every function of yours that `function` calls, directly or through others
    (the contract's graph, kept in public_expected.json)."""
    graph = expected().get("_built_from", {})
    found, todo = set(), list(graph.get(function, ()))
    while todo:
        part = todo.pop()
        if part not in found:
            found.add(part)
            todo.extend(graph.get(part, ()))
    return found


def start_here(failed):
    """[(function, count)]: each failed function that calls no failed function, and how many
    other failed checks call it, most first; `failed` lists the function of each failed check."""
    functions = set(failed)
    roots = {f for f in functions if not built_on(f) & functions}
    follow = {}
    for function in failed:
        for root in built_on(function) & roots:
            follow[root] = follow.get(root, 0) + 1
    order = list(dict.fromkeys(case.function for case in CASES.values()))
    return sorted(follow.items(), key=lambda item: (-item[1], order.index(item[0])))


class StartHere:
    """A pytest plugin: collects the function of each failed check, and ends the run's
    output with the function to fix first."""

    def __init__(self):
        self.failed = []

    def pytest_runtest_logreport(self, report):
        if report.failed:
            self.failed.append(function_of(report.nodeid))

    def pytest_unconfigure(self, config):  # after pytest's last line, "1 failed, 33 passed"
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        for i, (function, count) in enumerate(start_here([f for f in self.failed if f])):
            others = f"{count} other failure{'s' if count != 1 else ''}"
            terminal.write_line(f"{'Start here' if i == 0 else 'Then'}: {function}; {others} may follow "
                                        f"from {'it: fix it first, then run the tests again' if i == 0 else 'it'}.")


def function_of(nodeid):
    """The function a test checks, from its id: test_matches_reference[lstm_forward] -> lstm_forward."""
    if "[" in nodeid:
        label = nodeid.rsplit("[", 1)[1].rstrip("]")
        return CASES[label].function if label in CASES else None
    return "lstm_step_backward" if nodeid.endswith("agrees_with_numerical_gradient") else None


@pytest.fixture(scope="session", autouse=True)
def _start_here(request):
    """Registers StartHere once a run begins (a test file cannot declare hooks of its own)."""
    if not request.config.pluginmanager.has_plugin("module6-start-here"):
        request.config.pluginmanager.register(StartHere(), "module6-start-here")


# The tests

@pytest.mark.parametrize("label", list(CASES))
def test_matches_reference(label):
    """Shapes, dtypes and values of one function's outputs on the fixed inputs."""
    case = CASES[label]
    module = module_for(case)
    want = {name: np.array(value, dtype=np.float64) for name, value in expected()[label].items()}
    got = run(case, module, np.float64)
    check_labels(case, got, want)
    for name in want:
        value = as_array(case, name, got[name])
        if value.dtype != np.dtype(case.dtype or np.float64):
            should = f"return {case.dtype} arrays" if case.dtype else "return arrays of the input's dtype"
            fail(f"{case.function}: {name} is {value.dtype} for float64 inputs\n  HINT: {should}")
        compare(case, name, value, want[name], RTOL, ATOL, "expected", case.hint)
    got32 = run(case, module, np.float32)
    check_labels(case, got32, want)
    for name in want:
        value = as_array(case, name, got32[name])
        expected_dtype = np.dtype(case.dtype or np.float32)
        if value.dtype != expected_dtype or value.shape != want[name].shape:
            fail(f"{case.function}: for float32 inputs {name} is {value.dtype} of shape {value.shape}, "
                 f"expected {expected_dtype} of shape {want[name].shape}\n"
                 f"  HINT: create arrays with the input's dtype (xp.zeros_like(x), "
                 f"xp.empty(shape, dtype=x.dtype)); a float64 array or np.float64 scalar upcasts the result")


def numerical_gradient(f, x):
    """Central differences of the scalar f() with respect to array x (changed in place, then restored)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + GRAD_EPS
        plus = f()
        x[i] = old - GRAD_EPS
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * GRAD_EPS)
    return grad


def test_lstm_step_backward_agrees_with_numerical_gradient():
    """lstm_step_backward against central differences of your own lstm_step_forward."""
    case = CASES["lstm_step_backward"]._replace(needs="")
    lstm = module_for(case)
    a = make_inputs()
    x, h_prev, c_prev, params, dh, dc = (a[k] for k in ("x", "h_prev", "c_prev", "lstm_params", "dh", "dc"))

    def loss():  # L = Σ h ⊙ dh + Σ c ⊙ dc, so that ∂L/∂h = dh and ∂L/∂c = dc
        h, c, _ = _lstm_step(lstm, a)
        return float(np.sum(h * dh) + np.sum(c * dc))

    hint = ("the backward pass does not match your forward pass. Check each local derivative "
            "(σ' = σ(1 − σ), tanh' = 1 − tanh²) and that dc collects dh ⊙ O ⊙ (1 − tanh²(c)).")
    with your_code(case):
        _, _, cache = _lstm_step(lstm, a)
        dx, dh_prev, dc_prev, grads = unpack(lstm.lstm_step_backward(dh, dc, cache),
                                             "lstm_step_backward", "dx, dh_prev, dc_prev, grads")
        if not isinstance(grads, dict) or set(grads) != set(params):
            fail(f"lstm_step_backward: grads should be a dict with the keys of params, {sorted(params)}")
        pairs = [("dx", dx, x), ("dh_prev", dh_prev, h_prev), ("dc_prev", dc_prev, c_prev)]
        pairs += [(f"grads[{key!r}]", grads[key], params[key]) for key in params]
        for label, analytic, variable in pairs:
            numeric = numerical_gradient(loss, variable)
            compare(case, label, as_array(case, label, analytic), numeric, GRAD_RTOL, GRAD_ATOL,
                    "central differences give", hint)


if __name__ == "__main__":
    sys.exit(pytest.main(["-q", "--tb=short", "-p", "no:cacheprovider", __file__]))
