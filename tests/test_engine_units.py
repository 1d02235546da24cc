"""Unit tests of the grading engine's pieces: the worker's framing and array
codec, the proxy's decoding of what students return, the checks' feedback,
the rubric, and the rubric's agreement with the suite.
"""
import io
import json
import os
import pickle
import re
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograder import contract, rubric as rubric_module, worker
from autograder.proxy import Foreign, GradingFailure, decode_result
from autograder.report import NODE, _skip_reason
from autograder.rubric import RubricError
from autograder.suite import checks, gradcheck, problems
from autograder.suite.inputs import TELLING

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "autograder" / "suite"
RUBRIC = rubric_module.load()


# ---------------------------------------------------------------- framing

def reader(data):
    """A read_exactly over `data` that records what it was asked for."""
    stream = io.BytesIO(data)
    asked = []

    def read_exactly(n):
        asked.append(n)
        chunk = stream.read(n)
        if len(chunk) != n:
            raise EOFError(f"asked for {n} bytes, {len(chunk)} left")
        return chunk
    read_exactly.asked = asked
    return read_exactly


def test_frame_round_trip():
    """Does a frame come back as the same header and blobs?"""
    header = {"op": "call", "args": [{"array": 0}, {"value": None}], "name": "σ ünicode"}
    blobs = [b"", b"\x00\x01binary\xff" * 100, worker.encode_array(np.arange(6.0).reshape(2, 3))]
    stream = io.BytesIO()
    worker.send_frame(stream, header, blobs)
    stream.write(b"trailing frame")
    got_header, got_blobs = worker.recv_frame(reader(stream.getvalue()))
    assert got_header == header and got_blobs == blobs
    np.testing.assert_array_equal(worker.decode_array(got_blobs[2]), np.arange(6.0).reshape(2, 3))


def test_send_frame_refuses_nan_in_header():
    """Is a header with nan refused (JSON has no nan)?"""
    with pytest.raises(ValueError):
        worker.send_frame(io.BytesIO(), {"value": float("nan")})


@pytest.mark.parametrize("prefix, what", [
    (struct.pack(">II", worker.MAX_HEADER_BYTES + 1, 0), "header"),
    (struct.pack(">II", 2, worker.MAX_BLOBS + 1) + b"{}", "blob count"),
    (struct.pack(">II", 2, 1) + b"{}" + struct.pack(">Q", worker.MAX_FRAME_BYTES), "blob size"),
    (struct.pack(">II", 2, 2) + b"{}" + struct.pack(">Q", 10) + b"0123456789"
     + struct.pack(">Q", worker.MAX_FRAME_BYTES - 5), "total size"),
])
def test_oversize_frames_are_refused_before_reading_them(prefix, what):
    """Is a frame over the caps refused from its length fields, without reading (or allocating) the rest?"""
    read_exactly = reader(prefix)
    with pytest.raises(worker.ProtocolError):
        worker.recv_frame(read_exactly)
    assert max(read_exactly.asked) <= 10, f"read {read_exactly.asked} bytes of a frame with a bad {what}"


def test_frame_header_must_be_an_object():
    stream = io.BytesIO()
    payload = b"[1, 2]"
    stream.write(struct.pack(">II", len(payload), 0) + payload)
    with pytest.raises(worker.ProtocolError):
        worker.recv_frame(reader(stream.getvalue()))


# ---------------------------------------------------------------- array codec

class Bomb:
    """Unpickling this writes a marker file: proof that a pickle ran."""
    marker = None

    def __reduce__(self):
        return (Path.write_text, (Path(Bomb.marker), "unpickled"))


def npy_bytes(array, **kwargs):
    buffer = io.BytesIO()
    np.save(buffer, array, **kwargs)
    return buffer.getvalue()


def test_decode_array_refuses_object_arrays(tmp_path):
    """Is an object array (a pickle inside .npy) refused without being unpickled?"""
    Bomb.marker = str(tmp_path / "ran")
    blob = npy_bytes(np.array([Bomb(), 1], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError):
        worker.decode_array(blob)
    assert not (tmp_path / "ran").exists()


def test_decode_array_refuses_plain_pickles(tmp_path):
    """Is a bare pickle refused without being unpickled?"""
    Bomb.marker = str(tmp_path / "ran")
    with pytest.raises(ValueError):
        worker.decode_array(pickle.dumps(Bomb()))
    with pytest.raises(ValueError):
        worker.decode_array(pickle.dumps(np.arange(3.0)))
    assert not (tmp_path / "ran").exists()


def test_encode_array_refuses_object_arrays():
    with pytest.raises(ValueError):
        worker.encode_array(np.array([None, 1], dtype=object))


ARRAYS = {
    "float64": np.random.default_rng(0).standard_normal((3, 4)),
    "float32": np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32),
    "float16": np.linspace(-2, 2, 5).astype(np.float16),
    "int64": np.arange(-5, 7, dtype=np.int64).reshape(3, 4),
    "int32": np.arange(6, dtype=np.int32),
    "uint8": np.arange(250, 256, dtype=np.uint8),
    "bool": np.array([[True, False], [False, True]]),
    "0-d float64": np.array(3.25),
    "0-d float32": np.array(-1.5, dtype=np.float32),
    "empty": np.zeros((0, 3)),
    "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "non-contiguous": np.arange(24.0).reshape(4, 6)[::2, 1::2],
    "big-endian": np.arange(4.0).astype(">f8"),
    "extremes": np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-310]),
}


@pytest.mark.parametrize("name", ARRAYS)
def test_decode_array_matches_np_load(name):
    """Does decode_array (fast path or not) give exactly what np.load gives for np.save's bytes?"""
    array = ARRAYS[name]
    blob = npy_bytes(array)
    expected = np.load(io.BytesIO(blob), allow_pickle=False)
    got = worker.decode_array(blob)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    assert got.flags.writeable


@pytest.mark.parametrize("name", ARRAYS)
def test_encode_array_writes_valid_npy(name):
    """Are the hand-written .npy headers valid for NumPy's own reader, and do values survive the round trip?"""
    array = ARRAYS[name]
    blob = worker.encode_array(array)
    assert len(blob) - array.nbytes in (64, 128)  # preamble padded to a multiple of 64 bytes
    for decoded in (np.load(io.BytesIO(blob), allow_pickle=False), worker.decode_array(blob)):
        assert decoded.dtype == array.dtype and decoded.shape == array.shape
        np.testing.assert_array_equal(decoded, array)


def test_decode_array_refuses_a_header_that_lies_about_the_size():
    """Is an array whose data is shorter than its header says refused, not returned as garbage?"""
    blob = worker.encode_array(np.arange(10.0))
    with pytest.raises(ValueError):
        worker.decode_array(blob[:-8])


# ---------------------------------------------------------------- proxy.decode_result

class Sub(np.ndarray):
    pass


def matrix():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix([[1.0, 2.0]])


def returned(value):
    """What the grader makes of `value` returned by a student's function."""
    blobs = []
    spec = json.loads(json.dumps(worker.describe(value, blobs)))
    return decode_result(spec, blobs)


@pytest.mark.parametrize("value, words", [
    (np.arange(3.0).view(Sub), "Sub"),
    (np.ma.masked_array([1.0, 2.0]), "MaskedArray"),
    (matrix(), "matrix"),
    (np.array([1, None], dtype=object), "object"),
    (2.5, "float"),
    (3, "int"),
    (True, "bool"),
    (float("nan"), "nan"),
    (np.int64(3), "int64"),
    ("text", "str"),
    ({1, 2}, "set"),
    (lambda: 0, "function"),
])
def test_decode_result_describes_what_is_not_a_plain_array(value, words):
    """Does anything but a plain ndarray come back as a Foreign description the student can read?"""
    got = returned(value)
    assert isinstance(got, Foreign), got
    assert words in got.description


def test_decode_result_keeps_plain_data():
    """Do plain arrays, containers and None come back as such (a list stays a list, never an array)?"""
    a = np.arange(6.0).reshape(2, 3)
    got = returned((a, None, [a, 1.5], {"W": a.astype(np.float32)}))
    assert isinstance(got, tuple) and len(got) == 4
    np.testing.assert_array_equal(got[0], a)
    assert got[1] is None
    assert isinstance(got[2], list) and isinstance(got[2][1], Foreign)
    assert got[3]["W"].dtype == np.float32
    assert isinstance(returned(np.float64(2.0)), np.ndarray)  # what a ufunc returns for 0-d input


def test_decode_result_survives_malformed_specs():
    assert isinstance(decode_result("junk", []), Foreign)
    assert isinstance(decode_result({"kind": "array", "type": "numpy.ndarray", "array": 5}, []), Foreign)
    assert isinstance(decode_result({"kind": "array", "type": "numpy.ndarray", "array": 0}, [b"not npy"]),
                      Foreign)


@pytest.mark.parametrize("value, words", [
    ([np.zeros(3)], "a list of 1 values"),
    (None, "None"),
    (Foreign("a Python float (2.5)"), "a Python float (2.5)"),
])
def test_expect_array_names_what_came_instead(value, words):
    with pytest.raises(GradingFailure, match=re.escape(words)):
        checks.expect_array(value, "rnn_forward", "H", (2, 3))


# ---------------------------------------------------------------- checks' feedback

def test_assert_close_names_index_time_step_got_and_expected():
    """Does a mismatch in a sequence say where (batch row, time step), what came and what was expected?"""
    expected = np.zeros((2, 5, 3))
    got = expected.copy()
    got[1, 3, 2] = 0.75
    with pytest.raises(GradingFailure) as failure:
        checks.assert_close(got, expected, "rnn_forward", "H")
    message = str(failure.value)
    assert "rnn_forward" in message and "(1, 3, 2)" in message
    assert "time step t=3" in message and "batch row 1" in message
    assert "got 0.75" in message and "expected 0" in message
    assert "1 of 30 entries differ" in message


def test_assert_all_close_names_the_gradient():
    expected = {"W_xh": np.ones((2, 2)), "b_h": np.ones(2)}
    got = {"W_xh": np.ones((2, 2)), "b_h": np.array([1.0, 0.5])}
    with pytest.raises(GradingFailure, match=r"dW_xh|db_h") as failure:
        checks.assert_all_close(got, expected, "rnn_step_backward", "grads")
    assert "db_h" in str(failure.value) and "(1,)" in str(failure.value) and "got 0.5" in str(failure.value)
    with pytest.raises(GradingFailure, match=r"missing \['b_h'\]"):
        checks.assert_all_close({"W_xh": np.ones((2, 2))}, expected, "rnn_step_backward", "grads")


@pytest.mark.parametrize("got, words", [
    (np.zeros((2, 4)), "has shape (2, 4), expected (2, 3)"),
    (np.zeros((2, 3), np.int64), "dtype int64; it should be the input's floating dtype"),
    (np.array([[0, np.nan, 0], [0, 0, np.inf]]), "2 non-finite entries (first at index (0, 1)"),
])
def test_assert_close_validates_before_comparing(got, words):
    with pytest.raises(GradingFailure, match=re.escape(words)):
        checks.assert_close(got, np.zeros((2, 3)), "cell_state", "C")


def test_assert_close_accepts_float32_within_tolerance():
    expected = np.linspace(-1, 1, 12).reshape(3, 4)
    checks.assert_close((expected * (1 + 1e-5)).astype(np.float32), expected, "tanh", "out", np.float32)
    with pytest.raises(GradingFailure):
        checks.assert_close(expected * (1 + 1e-5), expected, "tanh", "out")


def test_values_are_judged_at_the_precision_of_the_dtype_returned():
    """Does float32 returned for float64 inputs get float32's tolerance (its dtype is the dtype tests'
    business), while float64 returned is still held to float64's?"""
    expected = np.linspace(-1, 1, 12).reshape(3, 4)
    checks.assert_close((expected * (1 + 1e-5)).astype(np.float32), expected, "tanh", "out", np.float64)
    with pytest.raises(GradingFailure):
        checks.assert_close((expected * (1 + 1e-3)).astype(np.float32), expected, "tanh", "out", np.float64)
    with pytest.raises(GradingFailure):
        checks.assert_close(expected * (1 + 1e-5), expected, "tanh", "out", np.float64)


def test_expect_dtype_fails_with_the_cause_dtype():
    """Do the dtype tests name the output, both dtypes, and give the failure the cause "dtype"?"""
    grads = {"W_xh": np.zeros((2, 2)), "b_h": np.zeros(2, np.float32)}
    checks.expect_dtype(grads["W_xh"], "rnn_step_backward", "dx", "float64")
    with pytest.raises(GradingFailure, match=re.escape("db_h has dtype float32, expected float64")) as failure:
        checks.expect_dtype(grads, "rnn_step_backward", "grads", "float64")
    assert failure.value.cause == "dtype"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_assert_close_passes_exactly_where_numpys_isclose_does(dtype):
    """Its fast path must agree with np.isclose at the tolerance's edge, both ways."""
    rng = np.random.default_rng(5)
    tol = checks.tolerance(dtype)
    for _ in range(400):
        expected = rng.standard_normal((3, 4)) * 10.0 ** rng.integers(-12, 3)
        bound = tol["atol"] + tol["rtol"] * np.abs(expected)
        got = (expected + bound * rng.uniform(-1.02, 1.02, expected.shape)).astype(dtype)
        should_pass = bool(np.isclose(got, expected, **tol).all())
        try:
            checks.assert_close(got, expected, "tanh", "out", dtype)
            passed = True
        except GradingFailure:
            passed = False
        assert passed == should_pass


# ---------------------------------------------------------------- rubric

GOOD_RUBRIC = """
[parts.a]
title = "A"
[tests.one]
part = "a"
points = 1
tags = ["sigmoid"]
"""


@pytest.mark.parametrize("text, words", [
    ("[parts.a\ntitle = 'A'", "not valid TOML"),
    ("[tests.one]\npart = 'a'\npoints = 1\n", "parts"),
    (GOOD_RUBRIC.replace('part = "a"', 'part = "b"'), "unknown part 'b'"),
    (GOOD_RUBRIC.replace("points = 1", "points = -1"), "negative points"),
    (GOOD_RUBRIC.replace("points = 1", "points = 'many'"), "many"),
    (GOOD_RUBRIC.replace("points = 1\n", ""), "points"),
    (GOOD_RUBRIC + "[grading.limits]\nno_such_limit = 3\n", "no_such_limit"),
])
def test_rubric_load_rejects_malformed_rubrics(tmp_path, text, words):
    """Does a malformed rubric raise RubricError naming the file and what is wrong?"""
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    with pytest.raises(RubricError) as error:
        rubric_module.load(path)
    assert str(path) in str(error.value) and words in str(error.value)


def test_rubric_load_reports_a_missing_file(tmp_path):
    with pytest.raises(RubricError, match="cannot read rubric"):
        rubric_module.load(tmp_path / "nowhere.toml")


def test_rubric_load_accepts_a_minimal_rubric(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text(GOOD_RUBRIC)
    loaded = rubric_module.load(path)
    assert loaded.tests["one"].number == "1.1" and loaded.max_score() == 1


def test_rubric_points_sum_to_100():
    assert RUBRIC.max_score() == pytest.approx(100)
    assert all(entry.points > 0 for entry in RUBRIC.tests.values())


def test_rubric_tags_are_contract_functions():
    for entry in RUBRIC.tests.values():
        assert set(entry.tags) <= set(contract.FUNCTIONS), entry


@pytest.fixture(scope="module")
def suite_node_ids():
    """The grading suite's test ids, as pytest collects them (in a subprocess)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", str(SUITE), "-c", os.devnull,
         "--rootdir", str(SUITE), "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = [line.strip() for line in done.stdout.splitlines() if "::test_" in line]
    assert ids, done.stdout
    return ids


def test_every_suite_test_has_a_rubric_entry(suite_node_ids):
    keys = {NODE.search(node)["key"] for node in suite_node_ids}
    assert not keys - set(RUBRIC.tests), "suite tests without a rubric entry"


def test_every_rubric_entry_has_a_suite_test(suite_node_ids):
    keys = {NODE.search(node)["key"] for node in suite_node_ids}
    assert not set(RUBRIC.tests) - keys, "rubric entries without a suite test"


def test_every_suite_test_is_tagged(suite_node_ids):
    """Does every collected test know which contract functions it exercises (its tags or its parameter)?"""
    untagged = []
    for node in suite_node_ids:
        match = NODE.search(node)
        if not RUBRIC.tests[match["key"]].tags and match["param"] not in contract.FUNCTIONS:
            untagged.append(node)
    assert not untagged


def test_tags_are_honest(reference_report):
    """Grading the reference: is every function a test called among the tags its rubric entry
    declares (or the contract function its instance is parametrized by)?"""
    dishonest = []
    for test in reference_report["tests"]:
        entry = RUBRIC.tests[test["key"]]
        param = test["number"][len(entry.number) + 1:]
        declared = set(entry.tags) | ({param} if param in contract.FUNCTIONS else set())
        # The report's tags are the declared ones plus every function the test called.
        called_beyond = set(test["tags"]) - declared - {"gpu"}
        if called_beyond or not declared:
            dishonest.append(f"{test['number']} {test['key']}: declares {sorted(declared)}, "
                             f"also called {sorted(called_beyond)}")
    assert not dishonest, "\n".join(dishonest)


def test_skip_reason_keeps_the_reasons_own_parentheses():
    """Does a skipped test's reason come back whole from pytest's longrepr tuple, its own ')' included?"""
    record = {"setup": {"longrepr": "('suite/test_gpu.py', 74, 'Skipped: not requested (grade with --gpu)')"}}
    assert _skip_reason(record) == "not requested (grade with --gpu)"
    assert _skip_reason({"call": {"longrepr": "('x.py', 1, \"Skipped: it's off\")"}}) == "it's off"
    assert _skip_reason({"setup": {"longrepr": None}}) == ""


# ---------------------------------------------------------------- gradient checks' argument paths

@pytest.mark.parametrize("make", [problems.rnn_step, problems.rnn_sequence, problems.lstm_step,
                                  problems.lstm_sequence, problems.bilstm, problems.stacked,
                                  problems.gru_step, problems.gru_sequence], ids=lambda make: make.__name__)
def test_block_paths_lead_to_each_block_in_the_arguments(make):
    """Does every block's path lead to that very block in build_args's arguments,
    so that the worker's replacement at the path changes that block only?"""
    problem = make(TELLING)
    paths = gradcheck.block_paths(problem.build_args, problem.blocks)
    assert set(paths) == set(problem.blocks)
    args = problem.build_args(problem.blocks)
    for name, path in paths.items():
        target = args
        for key in path:
            target = target[key]
        assert target is problem.blocks[name], name
    assert len(set(paths.values())) == len(paths)


def test_replace_at_changes_only_the_argument_at_the_path():
    """Does the worker's replace_at put the value at the path and nowhere else?"""
    args = [np.zeros(2), np.ones(2), {"W_xf": np.zeros((2, 2)), "b_f": np.zeros(2)}]
    worker.replace_at(args, [2, "W_xf"], "new")
    worker.replace_at(args, [0], "first")
    assert args[0] == "first" and args[2]["W_xf"] == "new"
    np.testing.assert_array_equal(args[1], np.ones(2))
    np.testing.assert_array_equal(args[2]["b_f"], np.zeros(2))


# ---------------------------------------------------------------- hypothesis's work done before forking

WARM_UP_PROBE = """
import functools, sys, threading
from hypothesis import core
from hypothesis.internal import reflection
from hypothesis.internal.conjecture import providers
from autograder import runner
computed = []
core.function_digest = lambda f: computed.append(f) or reflection.function_digest(f)
runner.preload()
tests = [value.hypothesis for name, module in list(sys.modules.items()) if name.startswith("autograder.suite.test_")
         for value in vars(module).values() if hasattr(getattr(value, "hypothesis", None), "inner_test")]
print(len(tests))
recorders = [functools.wraps(t.inner_test)(lambda **kwargs: None) for t in tests]  # as replay.py wraps them
computed.clear()
print(all(core.function_digest(t.inner_test) == reflection.function_digest(t.inner_test)
          == core.function_digest(r) == reflection.function_digest(r) for t, r in zip(tests, recorders))
      and not computed)
print(all(s.validate_called.get(threading.get_ident()) for t in tests for s in t._given_kwargs.values()))
print(all(id(module) in providers._seen_modules for name, module in list(sys.modules.items())
          if name.startswith("autograder.suite")))
from hypothesis.internal import entropy
print(entropy.NP_RANDOM is not None and all(r is not entropy.NP_RANDOM for r in entropy.RANDOMS_TO_MANAGE.values()))
"""


def test_warm_up_leaves_hypothesis_nothing_to_do_per_process():
    """In a fresh process, after runner.preload alone: are the test digests remembered (and equal to
    hypothesis's own, for the tests and for replay's wrappers of them), every strategy validated, the suite's modules scanned for constants, and
    NumPy's global random state left out of what hypothesis seeds and restores per example?"""
    done = subprocess.run([sys.executable, "-c", WARM_UP_PROBE], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    count, digests, validated, scanned, numpy_left_alone = done.stdout.split()
    assert int(count) > 30
    assert (digests, validated, scanned, numpy_left_alone) == ("True", "True", "True", "True")


# Hypothesis's notes on a failure, in its newer wording and its older one.
NOTES = {
    "shrunk": "Failing test case: test_lstm_forward_matches_reference(\n    student=<StudentCode object at 0x7f>,\n"
              "    ref=<Reference object at 0x7e>,\n    case=Case(N=1, T=2, D=1, H=1, seed=0, dtype='float64'),\n)",
    "explicit": "Failing explicit example: test_truncation(\n    student=<StudentCode object at 0x7f>,\n"
                "    case=Case(N=2, T=7, D=3, H=4, seed=5, dtype='float64'),\n    k=3,\n)",
    "old shrunk": "Falsifying example: test_sigmoid(\n    student=<StudentCode object at 0x7f>,\n"
                  "    z=array([[0., 1.],\n           [2., 3.]]),  # or any other generated value\n)",
}


@pytest.mark.parametrize("name, arguments, shrunk", [
    ("shrunk", "case=Case(N=1, T=2, D=1, H=1, seed=0, dtype='float64')", True),
    ("explicit", "case=Case(N=2, T=7, D=3, H=4, seed=5, dtype='float64'), k=3", False),
    ("old shrunk", "z=array([[0., 1.], [2., 3.]])", True),
])
def test_feedback_shows_the_failing_example_without_the_graders_objects(name, arguments, shrunk):
    """Is hypothesis's failing example read from its note: only the drawn arguments, on one line?"""
    from autograder.suite.conftest import falsifying_example
    error = AssertionError("wrong")
    error.add_note(NOTES[name])
    assert falsifying_example(error, {"student", "ref"}) == (arguments, shrunk)
    assert falsifying_example(AssertionError("no note"), {"student"}) is None


# ---------------------------------------------------------------- collecting and sharing out the suite

COLLECTION_PROBE = """
import sys
import pytest
from autograder import runner
runner.preload()
visited = []

class Probe:
    def pytest_ignore_collect(self, collection_path, config):
        visited.append(str(collection_path))

pytest.main([str(runner.SUITE_DIR), *runner.PYTEST_ARGS, "--collect-only"], plugins=[Probe()])
outside = [path for path in visited if not path.startswith(str(runner.SUITE_DIR))]
print(len(visited), "paths looked at; outside the suite:", outside[:5])
sys.exit(1 if outside or not visited else 0)
"""


def test_collecting_the_suite_looks_at_nothing_outside_its_folder():
    """Does pytest collect the hidden suite without walking the folders above it (in a clean
    clone under a crowded /tmp that walk cost 0.3 s a grading) or reading a conftest.py there?"""
    done = subprocess.run([sys.executable, "-c", COLLECTION_PROBE], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]


@pytest.mark.parametrize("count", [7, 300])
def test_shards_share_out_every_key_exactly_once(count):
    """Do two processes claiming from one queue together take every key once, and never the same one?"""
    from autograder import runner
    keys = [f"key{i}" for i in range(count)]
    claim, queue = runner.share_out(keys)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the other shard
        taken = []
        while (claimed := claim()) is not None:
            taken += claimed
        os.write(write_end, json.dumps(taken).encode())
        os._exit(0)
    os.close(write_end)
    mine = []
    while (claimed := claim()) is not None:
        mine += claimed
    with os.fdopen(read_end) as pipe:
        theirs = json.loads(pipe.read())
    os.waitpid(pid, 0)
    os.close(queue)
    assert not set(mine) & set(theirs)
    assert sorted(mine + theirs) == sorted(keys)
