"""Is the corpus of graded submissions what it claims to be?

The grader's own tests grade tests/corpus: every wrong case must lose points
on its `mistake_in` function and every correct solution must earn full
marks. This file checks the corpus itself, without the grader: each wrong
case really differs from the reference on `mistake_in` (in value, dtype,
array module, argument mutation or at extreme inputs), its `affected` list
follows the reference's call graph, and each correct solution matches the
reference everywhere, in float64 and float32, without warnings, without
modifying its arguments and without leaving the input's array module.
"""
import ast
import copy
import re
import types
import warnings
from functools import partial

import numpy as np
import pytest

try:
    from corpus import materialize as corpus
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus import materialize as corpus

CONTRACT = {
    "activations": ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime"),
    "rnn": ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
            "clip_gradients"),
    "lstm": ("forget_gate", "input_gate", "input_node", "output_gate", "cell_state",
             "hidden_state", "lstm_step_forward", "lstm_step_backward", "lstm_forward",
             "lstm_backward", "bilstm_forward", "bilstm_backward", "stacked_lstm_forward",
             "stacked_lstm_backward"),
    "gru": ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"),
    "sequences": ("encode", "embed", "rnn_gradient_norms", "lstm_gradient_norms", "gru_gradient_norms"),
}
MODULE_OF = {fn: mod for mod, fns in CONTRACT.items() for fn in fns}

# (N, T, D, H, H2). Non-degenerate sizes (N > 1, D != H != N, T > 1, non-square
# weights) find the wrong cases; correct solutions must also work at sizes of 1.
SIZES = (3, 4, 5, 6, 4)
EDGE_SIZES = ((1, 1, 1, 1, 2), (2, 3, 1, 2, 1))
SEEDS = (0, 1)
EXTREME = 1000.0  # input scale at which naive exp() overflows, in float64 and float32

# Tolerances of a submission against the reference, per mode.
TOLERANCE = {"float64": (1e-6, 1e-9), "float32": (1e-4, 1e-5)}


# ---------------------------------------------------------------- array module

class Tagged(np.ndarray):
    """A NumPy array standing in for a CuPy one: its array module is TAGGED_XP.

    Arrays a submission creates through `array_module(x)` (or `*_like`) stay
    Tagged; a bare `np.zeros(shape)` does not, as it would leave the GPU.
    """

    def __array_namespace__(self, api_version=None):
        return TAGGED_XP


def _tag(out):
    if isinstance(out, np.ndarray) and not isinstance(out, Tagged):
        return out.view(Tagged)
    if isinstance(out, (tuple, list)):
        return type(out)(_tag(o) for o in out)
    return out


class _TaggedModule:
    """numpy (or one of its submodules) whose functions return Tagged arrays."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        obj = getattr(self._module, name)
        if isinstance(obj, types.ModuleType):
            return _TaggedModule(obj)
        if callable(obj) and not isinstance(obj, type):
            return lambda *a, **k: _tag(obj(*a, **k))
        return obj


TAGGED_XP = _TaggedModule(np)


# ---------------------------------------------------------------------- inputs

class Data:
    """Random inputs of one probe; the same seed gives the same arrays.

    sizes: (N, T, D, H, H2), H2 being the BiLSTM's backward direction and the
    stacked LSTM's middle layer.
    """

    def __init__(self, seed, dtype, scale=1.0, tagged=False, sizes=SIZES):
        self.rng = np.random.default_rng(seed)
        self.dtype, self.scale, self.tagged = dtype, scale, tagged
        self.N, self.T, self.D, self.H, self.H2 = sizes

    def _out(self, a):
        a = np.asarray(a).astype(self.dtype)
        return a.view(Tagged) if self.tagged else a

    def normal(self, *shape, std=1.0):
        return self._out(self.rng.normal(0.0, std, shape))

    def uniform(self, *shape, low=-0.9, high=0.9):
        return self._out(self.rng.uniform(low, high, shape))

    def x(self, *shape):
        """An input, scaled up in the extreme modes."""
        return self._out(self.rng.normal(0.0, 1.0, shape) * self.scale)

    def params(self, names, d=None, h=None):
        """A params dict: W_x? (d, h), W_h? (h, h), b_? (h,), all non-zero."""
        d, h, p = d or self.D, h or self.H, {}
        for g in names:
            p["W_x" + g] = self.normal(d, h, std=0.5)
            p["W_h" + g] = self.normal(h, h, std=0.5)
            p["b_" + g] = self.normal(h, std=0.5)
        return p

    def rnn(self):
        return self.params("h")  # W_xh, W_hh, b_h

    def lstm(self, d=None, h=None):
        return self.params("fico", d, h)

    def gru(self):
        return self.params("rzh")


class Mutated(AssertionError):
    """A function modified one of its arguments."""


def same(a, b):
    """Are a and b equal, structure, dtypes and values (nan equal to nan)?"""
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and a.shape == b.shape and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    return a is b or a == b


def call(fn, *args, opaque=(), **kwargs):
    """fn(*args, **kwargs), raising Mutated if it changed an argument (caches excepted)."""
    watched = [(i, copy.deepcopy(a)) for i, a in enumerate(args) if i not in opaque]
    kw_before = copy.deepcopy(kwargs)
    out = fn(*args, **kwargs)
    for i, before in watched:
        if not same(args[i], before):
            raise Mutated(f"{fn.__name__} modified its argument {i}")
    if not same(kwargs, kw_before):
        raise Mutated(f"{fn.__name__} modified a keyword argument")
    return out


# ---------------------------------------------------------------------- probes
# One function per contract function: m is the submission (a namespace of its
# four modules), d a Data. Each returns what is compared with the reference.

# Both sides of every overflow point, up to the largest finite value.
EXTREME_Z = {
    np.float64: [-1.7e308, -1e4, -1000, -710, -709, -100, -40, -1, 0, 1e-8, 1, 40, 100, 709, 710, 1000,
                 1e4, 1.7e308],
    np.float32: [-3e38, -1e4, -100, -89, -88, -20, -1, 0, 1e-8, 1, 20, 88, 89, 100, 1e4, 3e38],
}


def _activation(name, m, d):
    if d.scale == 1.0:
        z = d.normal(d.N, d.H, std=3.0)
    else:
        z = d._out(EXTREME_Z[d.dtype])
    return call(getattr(m.activations, name), z)


def _rnn_step(m, d):
    return call(m.rnn.rnn_step_forward, d.x(d.N, d.D), d.uniform(d.N, d.H), d.rnn())


def _rnn_step_backward(m, d):
    cache = _rnn_step(m, d)[-1]
    return call(m.rnn.rnn_step_backward, d.normal(d.N, d.H), cache, opaque=(1,))


def _rnn_sequence(m, d):
    return call(m.rnn.rnn_forward, d.x(d.N, d.T, d.D), d.uniform(d.N, d.H), d.rnn())


def _rnn_backward(m, d, truncate=None):
    cache = _rnn_sequence(m, d)[-1]
    return call(m.rnn.rnn_backward, d.normal(d.N, d.T, d.H), cache, opaque=(1,), truncate=truncate)


def _clip_gradients(m, d, max_norm, huge=False):
    """Global norm sqrt(3² + 4² + 2²) ≈ 5.39, every single array's norm below 4.5;
    huge: all of it times a factor whose square overflows."""
    factor = (1e200 if d.dtype == np.float64 else 1e30) if huge else 1.0
    grads = {}
    for key, shape, norm in (("W_xh", (d.D, d.H), 3.0), ("W_hh", (d.H, d.H), 4.0), ("b_h", (d.H,), 2.0)):
        g = d.rng.normal(size=shape)
        grads[key] = d._out(g * (norm / np.linalg.norm(g)) * factor)
    return call(m.rnn.clip_gradients, grads, max_norm * factor)


def _gate(name, m, d):
    return call(getattr(m.lstm, name), d.x(d.N, d.D), d.uniform(d.N, d.H), d.lstm())


def _cell_state(m, d):
    F, I = d.uniform(d.N, d.H, low=0.05, high=0.95), d.uniform(d.N, d.H, low=0.05, high=0.95)
    return call(m.lstm.cell_state, F, I, d.uniform(d.N, d.H), d.x(d.N, d.H))


def _hidden_state(m, d):
    return call(m.lstm.hidden_state, d.uniform(d.N, d.H, low=0.05, high=0.95), d.x(d.N, d.H))


def _lstm_step(m, d):
    return call(m.lstm.lstm_step_forward, d.x(d.N, d.D), d.uniform(d.N, d.H), d.normal(d.N, d.H),
                d.lstm())


def _lstm_step_backward(m, d):
    cache = _lstm_step(m, d)[-1]
    return call(m.lstm.lstm_step_backward, d.normal(d.N, d.H), d.normal(d.N, d.H), cache, opaque=(2,))


def _lstm_sequence(m, d):
    return call(m.lstm.lstm_forward, d.x(d.N, d.T, d.D), d.uniform(d.N, d.H), d.normal(d.N, d.H),
                d.lstm())


def _lstm_backward(m, d):
    cache = _lstm_sequence(m, d)[-1]
    return call(m.lstm.lstm_backward, d.normal(d.N, d.T, d.H), cache, opaque=(1,))


def _bilstm(m, d):
    return call(m.lstm.bilstm_forward, d.x(d.N, d.T, d.D), d.lstm(), d.lstm(d.D, d.H2))


def _bilstm_backward(m, d):
    cache = _bilstm(m, d)[-1]
    return call(m.lstm.bilstm_backward, d.normal(d.N, d.T, d.H + d.H2), cache, opaque=(1,))


def _stacked(m, d):
    layers = [d.lstm(d.D, d.H), d.lstm(d.H, d.H2), d.lstm(d.H2, d.H)]
    return call(m.lstm.stacked_lstm_forward, d.x(d.N, d.T, d.D), layers)


def _stacked_lstm_backward(m, d):
    cache = _stacked(m, d)[-1]
    return call(m.lstm.stacked_lstm_backward, d.normal(d.N, d.T, d.H), cache, opaque=(1,))


def _gru_step(m, d):
    return call(m.gru.gru_step_forward, d.x(d.N, d.D), d.uniform(d.N, d.H), d.gru())


def _gru_step_backward(m, d):
    cache = _gru_step(m, d)[-1]
    return call(m.gru.gru_step_backward, d.normal(d.N, d.H), cache, opaque=(1,))


def _gru_sequence(m, d):
    return call(m.gru.gru_forward, d.x(d.N, d.T, d.D), d.uniform(d.N, d.H), d.gru())


def _gru_backward(m, d):
    cache = _gru_sequence(m, d)[-1]
    return call(m.gru.gru_backward, d.normal(d.N, d.T, d.H), cache, opaque=(1,))


# Texts with everything that makes tokenising hard, and a vocabulary with unknown words around it.
ENCODE_TEXTS = ("A dog bit the man.", "The 2nd battery DIED...don't buy it's twin!", "", " \t\n ",
                "Café — naïve résumé ٣ dog_bit ’twas", "rock 'n' roll, dog's 90s")
VOCAB = {"<unk>": 3, "a": 0, "dog": 1, "bit": 2, "the": 4, "man": 5, "don't": 6, "2nd": 7, "died": 8, "'n'": 9,
         "caf": 10, "bit_": 11}


def _encode(m, d):
    return [call(m.sequences.encode, text, dict(VOCAB)) for text in ENCODE_TEXTS]


def _embed(m, d):
    ids = d.rng.integers(0, d.H, d.T + 3).astype(np.int64)  # H rows: repeated ids
    return call(m.sequences.embed, ids, d.x(d.H, d.D))


def _norms(name, m, d):
    cell = name.split("_")[0]
    X, h0 = d.x(d.N, d.T, d.D), d.uniform(d.N, d.H)
    args = {"rnn": (X, h0, d.rnn()), "lstm": (X, h0, d.normal(d.N, d.H), d.lstm()), "gru": (X, h0, d.gru())}[cell]
    return call(getattr(m.sequences, name), *args)


def _forward(run, m, d):
    """A forward function's outputs without its trailing cache."""
    return run(m, d)[:-1]


PROBES = {
    **{name: [partial(_activation, name)] for name in CONTRACT["activations"]},
    "rnn_step_forward": [partial(_forward, _rnn_step)],
    "rnn_step_backward": [_rnn_step_backward],
    "rnn_forward": [partial(_forward, _rnn_sequence)],
    "rnn_backward": [partial(_rnn_backward, truncate=k) for k in (None, 1, 2, 3, 4, 100)],
    "clip_gradients": [partial(_clip_gradients, max_norm=v, huge=huge)
                       for v in (1.0, 4.5, 20.0) for huge in (False, True)],
    **{name: [partial(_gate, name)] for name in ("forget_gate", "input_gate", "input_node", "output_gate")},
    "cell_state": [_cell_state],
    "hidden_state": [_hidden_state],
    "lstm_step_forward": [partial(_forward, _lstm_step)],
    "lstm_step_backward": [_lstm_step_backward],
    "lstm_forward": [partial(_forward, _lstm_sequence)],
    "lstm_backward": [_lstm_backward],
    "bilstm_forward": [partial(_forward, _bilstm)],
    "bilstm_backward": [_bilstm_backward],
    "stacked_lstm_forward": [partial(_forward, _stacked)],
    "stacked_lstm_backward": [_stacked_lstm_backward],
    "gru_step_forward": [partial(_forward, _gru_step)],
    "gru_step_backward": [_gru_step_backward],
    "gru_forward": [partial(_forward, _gru_sequence)],
    "gru_backward": [_gru_backward],
    "encode": [_encode],
    "embed": [_embed],
    **{name: [partial(_norms, name)] for name in ("rnn_gradient_norms", "lstm_gradient_norms", "gru_gradient_norms")},
}

# (label, dtype, input scale, tagged). The extreme modes scale inputs (and
# use EXTREME_Z for activations); clipping has no inputs to scale.
MODES = (
    ("float64", np.float64, 1.0, False),
    ("float32", np.float32, 1.0, False),
    ("extreme float64", np.float64, EXTREME, False),
    ("extreme float32", np.float32, EXTREME, False),
    ("array module", np.float64, 1.0, True),
)


def _probe_label(probe):
    kw = {k: v for k, v in getattr(probe, "keywords", {}).items() if v is not False}
    return ", ".join(f"{k}={v}" for k, v in kw.items())


def differences(sub, ref, tol, tagged, where="output"):
    """What is wrong with sub as a stand-in for ref: a list of messages."""
    if isinstance(ref, dict):
        if not isinstance(sub, dict) or sub.keys() != ref.keys():
            return [f"{where}: keys {sorted(sub) if isinstance(sub, dict) else type(sub).__name__}"
                    f" instead of {sorted(ref)}"]
        return [m for k in ref for m in differences(sub[k], ref[k], tol, tagged, f"{where}[{k!r}]")]
    if isinstance(ref, (tuple, list)):
        if not isinstance(sub, (tuple, list)) or len(sub) != len(ref):
            return [f"{where}: {type(sub).__name__} instead of {len(ref)} outputs"]
        return [m for i, (s, r) in enumerate(zip(sub, ref))
                for m in differences(s, r, tol, tagged, f"{where}[{i}]")]
    if not isinstance(sub, np.ndarray):
        return [f"{where}: {type(sub).__name__} instead of an array"]
    if sub.shape != ref.shape:
        return [f"{where}: shape {sub.shape} instead of {ref.shape}"]
    problems = []
    if sub.dtype != ref.dtype:
        problems.append(f"{where}: dtype {sub.dtype} instead of {ref.dtype}")
    if tagged and not isinstance(sub, Tagged):
        problems.append(f"{where}: left the input's array module")
    s, r = np.asarray(sub, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if not np.allclose(s, r, *tol, equal_nan=True):
        bad = ~np.isclose(s, r, *tol, equal_nan=True)
        problems.append(f"{where}: {bad.sum()} of {bad.size} values differ, e.g. "
                        f"{s[bad].flat[0]!r} instead of {r[bad].flat[0]!r}")
    return problems


def compare(sub, ref, fn, seeds=SEEDS, sizes=(SIZES,), strict=False):
    """Run fn's probes on submission and reference; the list of differences.

    strict: floating-point warnings count as failures (for correct solutions).
    """
    found = []
    for probe in PROBES[fn]:
        for label, dtype, scale, tagged in MODES:
            if fn == "clip_gradients" and scale != 1.0:
                continue
            if fn == "encode" and (dtype != np.float64 or scale != 1.0 or tagged):
                continue  # a text in, NumPy int64 ids out: one mode
            rtol, atol = TOLERANCE["float32" if dtype == np.float32 else "float64"]
            tol = (rtol, atol * scale)  # sums over inputs of size `scale` lose that much
            for size in sizes:
                for seed in seeds:
                    where = f"{fn}({_probe_label(probe)}) {label} sizes {size} seed {seed}"
                    with np.errstate(all="ignore"), warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        want = probe(ref, Data(seed, dtype, scale, tagged, size))
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("error" if strict else "ignore")
                            with (np.errstate(over="raise", invalid="raise", divide="raise") if strict
                                  else np.errstate(all="ignore")):
                                got = probe(sub, Data(seed, dtype, scale, tagged, size))
                    except Exception as e:  # a crash, a warning or a mutation
                        found.append(f"{where}: {type(e).__name__}: {e}")
                        continue
                    found += [f"{where}: {m}" for m in differences(got, want, tol, tagged)]
    return found


def load(folder):
    return types.SimpleNamespace(**corpus.import_submission(folder))


# --------------------------------------------------------------- call graph

def _call_graph(sources):
    """(function -> names of the top-level functions it uses, function -> (file, first, last line))."""
    uses, span, defined = {}, {}, {}
    trees = {f: ast.parse(src) for f, src in sources.items()}
    for f, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = f
                span[node.name] = (f, node.lineno, node.end_lineno)
    for f, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                uses[node.name] = {n.id for n in ast.walk(node)
                                   if isinstance(n, ast.Name) and n.id in defined
                                   and n.id != node.name}
    return uses, span


def expected_affected(sources, edits):
    """Contract functions that run an edited function, plus matching backwards."""
    uses, span = _call_graph(sources)
    edited = set()
    for e in edits:
        start = sources[e.file].index(e.find)
        first = sources[e.file].count("\n", 0, start) + 1
        last = first + e.find.count("\n")
        edited |= {fn for fn, (f, lo, hi) in span.items() if f == e.file and lo <= first and last <= hi}
    affected = set(edited)
    while True:
        grown = affected | {fn for fn, used in uses.items() if used & affected}
        grown |= {fn.replace("_forward", "_backward") for fn in grown if fn.endswith("_forward")}
        if grown == affected:
            break
        affected = grown
    return edited, {fn for fn in affected if fn in MODULE_OF}


# ----------------------------------------------------------------------- tests

CASES = corpus.load_wrong_cases()
CORRECT = corpus.correct_names()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return load(corpus.materialize_reference(tmp_path_factory.mktemp("reference")))


def test_corpus_is_large_enough():
    """Are there at least 30 wrong cases and 6 correct solutions?"""
    assert len(CASES) >= 30
    assert len(CORRECT) >= 6


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_wrong_case_is_well_formed(case):
    """Is the case named in snake_case and about contract functions?"""
    assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", case.name), "not snake_case"
    assert case.mistake_in in MODULE_OF, f"{case.mistake_in} is not a contract function"
    assert set(case.affected) <= MODULE_OF.keys(), set(case.affected) - MODULE_OF.keys()
    assert len(set(case.affected)) == len(case.affected), "affected lists a function twice"
    assert case.why.strip() and "\n" not in case.why


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_find_occurs_exactly_once(case):
    """Does every find of the case occur exactly once in what it edits (the solution copy, or its base)?"""
    base = corpus.base_sources(case)
    for edit in case.edits:
        assert base[edit.file].count(edit.find) == 1, edit.find
    corpus.wrong_sources(case)  # and the edits apply in order


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_affected_follows_the_call_graph(case):
    """Does `affected` list exactly the contract functions that run the edited code?"""
    edited, expected = expected_affected(corpus.base_sources(case), case.edits)
    assert edited, "no edit lies inside a function"
    contract_edited = edited & MODULE_OF.keys()
    if contract_edited:
        assert case.mistake_in in contract_edited, f"the edit is in {sorted(edited)}"
    assert case.mistake_in in expected
    assert sorted(case.affected) == sorted(expected), (
        f"edited {sorted(edited)}; affected should be {sorted(expected)}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_wrong_case_differs_from_the_reference(case, reference, tmp_path):
    """Does the wrong submission differ from the reference on its mistake_in function?"""
    sub = load(corpus.materialize_wrong(case, tmp_path / case.name))
    found = compare(sub, reference, case.mistake_in, seeds=SEEDS[:1])
    assert found, f"{case.name} behaves like the reference on {case.mistake_in}"


@pytest.mark.parametrize("name", CORRECT)
def test_correct_solution_matches_the_reference(name, reference, tmp_path):
    """Does the correct solution match the reference on every contract function?"""
    sub = load(corpus.materialize_correct(name, tmp_path / name))
    found = [m for fn in MODULE_OF for m in compare(sub, reference, fn, strict=True)]
    found += [m for fn in MODULE_OF
              for m in compare(sub, reference, fn, seeds=SEEDS[:1], sizes=EDGE_SIZES, strict=True)]
    assert not found, "\n".join(found[:20])


@pytest.mark.parametrize("name", CORRECT)
def test_correct_solution_files_say_what_is_different(name):
    """Does each rewritten file open with a docstring, and is nothing else in the folder?"""
    folder = corpus.CORRECT_DIR / name
    files = sorted(p.name for p in folder.iterdir() if p.name != "__pycache__")
    assert files and set(files) <= set(corpus.SUBMISSION_FILES), files
    for f in files:
        doc = ast.get_docstring(ast.parse((folder / f).read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{f} needs a docstring saying what is different"


def test_reference_is_clean(reference, tmp_path):
    """Does the solution copy itself pass the checks a correct solution must pass?"""
    again = load(corpus.materialize_reference(tmp_path))
    found = [m for fn in MODULE_OF
             for m in compare(again, reference, fn, seeds=SEEDS[:1], sizes=(SIZES,) + EDGE_SIZES, strict=True)]
    assert not found, "\n".join(found[:20])


def test_materialize_names_a_find_that_is_not_there(tmp_path):
    """Is a find that does not occur exactly once a clear error?"""
    case = corpus.WrongCase("ghost", "sigmoid", ("sigmoid",), "none",
                            (corpus.Edit("activations.py", "no such text", ""),))
    with pytest.raises(corpus.CorpusError, match="occurs 0 times"):
        corpus.materialize_wrong(case, tmp_path)
    twice = corpus.Edit("lstm.py", "def ", "")
    with pytest.raises(corpus.CorpusError, match="exactly once"):
        corpus.apply_edits(corpus.solution_copy(), [twice], "twice")


def test_materialized_wrong_case_differs_only_by_its_edits(tmp_path):
    """Does materializing a wrong case write the solution copy with exactly its edits?"""
    case = next(c for c in CASES if len(c.edits) > 1 and not c.base)
    folder = corpus.materialize_wrong(case, tmp_path / case.name)
    solution = corpus.solution_copy()
    for f in corpus.SUBMISSION_FILES:
        want = solution[f]
        for e in case.edits:
            want = want.replace(e.find, e.replace) if e.file == f else want
        assert (folder / f).read_text(encoding="utf-8") == want


def test_materialized_correct_solution_is_complete(tmp_path):
    """Does materializing write all four files, the rewritten ones from the corpus?"""
    name = CORRECT[0]
    folder = corpus.materialize_correct(name, tmp_path / name)
    assert sorted(p.name for p in folder.iterdir()) == sorted(corpus.SUBMISSION_FILES)
    for f in corpus.SUBMISSION_FILES:
        own = corpus.CORRECT_DIR / name / f
        want = own.read_text(encoding="utf-8") if own.is_file() else corpus.solution_copy()[f]
        assert (folder / f).read_text(encoding="utf-8") == want
