"""Do the GPU parity checks (--gpu) catch what they claim, and stay out of the way without a GPU?

CI has no GPU, so the whole path (device selection, the GPU worker, transport,
the stays-on-the-device checks, the comparisons) runs on the stand-in device
of autograder/sandbox/inside/devices/standin.py, chosen with AUTOGRADER_DEVICE, with
GPU-sized rounding noise. Submissions are graded through the command line in
one batch (--jobs 2) against a rubric holding only the GPU part, so that only
the GPU tests run; the rest of the suite is graded elsewhere.

Run as a script to print the tolerance measurement behind suite/test_gpu.py:
    python tests/suite/test_gpu_parity.py [ULPS] [SEEDS]
"""
import copy
import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from autograder import contract, rubric as rubric_module
from autograder.sandbox.outside import devices  # noqa: E402
from autograder.sandbox.outside import probing, tiers, zygote_client
from autograder.sandbox.inside.devices import standin  # noqa: E402
from autograder.sandbox.outside.student_code import LEFT_DEVICE, Foreign, StudentCode  # noqa: E402
from autograder.suite import test_gpu  # noqa: E402
from autograder.suite.inputs import Case  # noqa: E402

# Every contract function with a GPU test: all but encode (a text in, NumPy ids out).
GPU_FUNCTIONS = test_gpu.FORWARDS + tuple(test_gpu.BACKWARDS)

REFERENCE_SOLUTION = ROOT / "examples" / "submissions" / "reference_solution"
REFERENCE_DIR = ROOT / "reference"
STUBS_DIR = ROOT / "assignments"
NOISY_STANDIN = "standin:ulps=2"
GRADE_TIMEOUT_S = 600
GPU_KEYS = ("gpu_outputs_match", "gpu_gradients_match")
HAS_CUPY = importlib.util.find_spec("cupy") is not None


# ---------------------------------------------------------------- submissions
# Copies of the reference solution with one way of leaving the device each:
# name -> (file, find, replace, line to add before `from activations import`).
LEAKS = {
    "np_zeros_lstm_forward": (
        "lstm.py", "    return XH[1:, :, D + 1:].transpose(1, 0, 2), SequenceCache(",
        "    H = np.zeros((N, T, H_size), dtype=X.dtype)\n"
        "    H[:] = XH[1:, :, D + 1:].transpose(1, 0, 2)\n"
        "    return H, SequenceCache(", "import numpy as np"),
    "item_loop_clip_gradients": (
        "rnn.py", "    largest = max((float(abs(g).max()) for g in grads.values() if g.size), default=0.0)",
        "    total = 0.0\n    for g in grads.values():\n        for value in g.ravel():\n"
        "            total += value.item() ** 2\n    largest = total ** 0.5", ""),
    "asarray_gru_step_forward": (
        "gru.py", '    A_x = [x @ params["W_x" + g] + params["b_" + g] for g in "rzh"]',
        '    x, h_prev = np.asarray(x), np.asarray(h_prev)\n'
        '    A_x = [x @ params["W_x" + g] + params["b_" + g] for g in "rzh"]', "import numpy as np"),
    "tolist_tanh": (
        "activations.py", "    return array_module(z).tanh(z)",
        "    xp = array_module(z)\n    values = [math.tanh(v) for v in z.ravel().tolist()]\n"
        "    return xp.asarray(values, dtype=z.dtype).reshape(z.shape)", ""),
    # Raises on any array module but NumPy's (as code written for a GPU feature the stand-in lacks would).
    "device_only_exception_tanh_prime": (
        "activations.py", "    return 4 * e / ((1 + e) * (1 + e))",
        "    if not isinstance(z, np.ndarray):\n        raise TypeError(\"no such kernel\")\n"
        "    return 4 * e / ((1 + e) * (1 + e))", ""),
    # Right on NumPy, 1 % off on any other array module: only the comparisons catch it.
    "device_only_error_sigmoid_prime": (
        "activations.py", "    return e / ((1 + e) * (1 + e))",
        "    return e / ((1 + e) * (1 + e)) * (1 if isinstance(z, np.ndarray) else 1.01)", ""),
}


def leaky_submission(name, dest):
    file, find, replace, header = LEAKS[name]
    folder = dest / name
    shutil.copytree(REFERENCE_SOLUTION, folder)
    text = (folder / file).read_text()
    assert text.count(find) == 1, f"{name}: the reference solution changed; update LEAKS"
    text = text.replace(find, replace)
    if header:
        text = text.replace("from activations import", f"{header}\nfrom activations import", 1)
    if "math." in replace:
        text = text.replace("import numpy as np", "import math\nimport numpy as np", 1)
    (folder / file).write_text(text)
    return folder


# Copies of the reference solution whose array_module (activations.py, used by every module)
# finds CuPy as CuPy-correct code does: name -> (code before it, its body). Each must pass
# every GPU test on the stand-in, and every call on NumPy arrays in the ordinary worker,
# where `import cupy` fails (CuPy is not installed or not mounted there).
TRY_CUPY = "try:\n    import cupy\nexcept ImportError:\n    cupy = None\n"
CUPY_DETECTIONS = {
    "type_module_is_cupy": ("", 'if type(a).__module__ == "cupy":\n        import cupy\n        return cupy\n'
                                "    return np\n"),
    "type_printed_as_cupy_ndarray": ("", "if str(type(a)) == \"<class 'cupy.ndarray'>\":\n        import cupy\n"
                                         "        return cupy\n    return np\n"),
    "isinstance_cupy_ndarray": (TRY_CUPY, "if cupy is not None and isinstance(a, cupy.ndarray):\n"
                                          "        return cupy\n    return np\n"),
    "cupy_get_array_module": (TRY_CUPY, "return np if cupy is None else cupy.get_array_module(a)\n"),
    "array_namespace": ("", "return a.__array_namespace__()\n"),
}


def cupy_detecting_submission(name, dest):
    before, body = CUPY_DETECTIONS[name]
    folder = dest / name
    shutil.copytree(REFERENCE_SOLUTION, folder)
    text = (folder / "activations.py").read_text()
    start, end = text.index("def array_module(a):"), text.index("def sigmoid(")
    (folder / "activations.py").write_text(text[:start] + before + "\n\ndef array_module(a):\n    " + body
                                           + "\n\n" + text[end:])
    return folder


def gpu_only_rubric(dest):
    """rubric.toml with only its [grading] settings and the GPU part: only the GPU tests run."""
    data = tomllib.loads(rubric_module.DEFAULT_RUBRIC.read_text())
    lines = ["[grading]"] + [f"{k} = {json.dumps(v)}" for k, v in data["grading"].items() if k != "limits"]
    lines += ["[grading.limits]"] + [f"{k} = {v}" for k, v in data["grading"]["limits"].items()]
    lines += ["[parts.gpu]", f"title = {json.dumps(data['parts']['gpu']['title'])}"]
    for key in GPU_KEYS:
        lines += [f"[tests.{key}]"] + [f"{k} = {json.dumps(v)}" for k, v in data["tests"][key].items()]
    path = dest / "gpu_rubric.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def grade(paths, out, *extra, device=None):
    """`python -m autograder grade PATHS --out OUT --jobs 2 EXTRA` with AUTOGRADER_DEVICE=device
    (None: unset); returns (completed process, {submission: report})."""
    env = {k: v for k, v in os.environ.items() if k != devices.DEVICE_ENV}
    if device is not None:
        env[devices.DEVICE_ENV] = device
    command = [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out),
               "--jobs", "2", *extra]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S)
    reports = {p.stem: json.loads(p.read_text()) for p in Path(out).glob("*.json") if p.name != "summary.json"}
    return done, reports


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("gpu")


@pytest.fixture(scope="module")
def standin_batch(workspace):
    """The reference solution, every leaky submission and every CuPy-detecting one, graded once with
    --gpu on the noisy stand-in."""
    paths = [REFERENCE_SOLUTION] + [leaky_submission(name, workspace) for name in LEAKS]
    paths += [cupy_detecting_submission(name, workspace) for name in CUPY_DETECTIONS]
    return grade(paths, workspace / "standin", "--gpu", "--rubric", gpu_only_rubric(workspace),
                 device=NOISY_STANDIN)


@pytest.fixture(scope="module")
def without_device(workspace):
    """--gpu on this machine without a GPU (AUTOGRADER_DEVICE=none where CuPy is installed)."""
    return grade([REFERENCE_SOLUTION], workspace / "nodevice", "--gpu", "--rubric", gpu_only_rubric(workspace),
                 device="none" if HAS_CUPY else None)


@pytest.fixture(scope="module")
def without_flag(workspace):
    """No --gpu at all (the stand-in selected, which must not matter)."""
    return grade([REFERENCE_SOLUTION], workspace / "noflag", "--rubric", gpu_only_rubric(workspace),
                 device=NOISY_STANDIN)


def gpu_tests(report):
    return [t for t in report["tests"] if "gpu" in t["tags"]]


def failing(report):
    """{function: feedback} of the failed GPU tests."""
    return {t["number"].rsplit(".", 1)[1]: t["output"] for t in gpu_tests(report) if t["status"] == "failed"}


def report_of(batch, name):
    done, reports = batch
    assert name in reports, f"no report for {name} (exit {done.returncode}):\n{done.stderr[-3000:]}"
    return reports[name]


# ---------------------------------------------------------------- graded through the CLI

def test_batch_exits_zero_and_names_the_device(standin_batch):
    """Does a --gpu batch on the stand-in exit 0 and say, in one line, what it runs on?"""
    done, _ = standin_batch
    assert done.returncode == 0, done.stderr[-3000:]
    notices = [line for line in done.stderr.splitlines() if line.startswith("autograder: --gpu:")]
    assert notices == ["autograder: --gpu: stand-in device (NumPy arrays marked as device arrays with ulps=2; "
                       "no GPU involved)"]


def test_reference_passes_every_gpu_test(standin_batch):
    """Does the reference solution pass all GPU tests, one per contract function, each tagged with it and gpu?"""
    report = report_of(standin_batch, "reference_solution")
    tests = gpu_tests(report)
    assert sorted(t["number"].rsplit(".", 1)[1] for t in tests) == sorted(GPU_FUNCTIONS)
    assert all(t["status"] == "passed" and t["outcome"] == "passed" for t in tests), failing(report)
    for t in tests:
        function = t["number"].rsplit(".", 1)[1]
        assert t["tags"][0] == function and t["tags"][-1] == "gpu"
    rubric = rubric_module.load()
    gpu_points = sum(rubric.tests[k].points for k in GPU_KEYS)
    assert report["score"] == report["max_score"] == pytest.approx(gpu_points)
    assert report["gpu"]["device"].startswith("stand-in device")


def test_np_zeros_fails_only_lstm_forward_and_its_users(standin_batch):
    """Does np.zeros(shape) in lstm_forward fail its GPU test, naming the function, line and likely cause,
    and only the GPU tests of functions built on lstm_forward?"""
    failed = failing(report_of(standin_batch, "np_zeros_lstm_forward"))
    users = {"lstm_forward", "lstm_backward", "bilstm_forward", "bilstm_backward",
             "stacked_lstm_forward", "stacked_lstm_backward", "lstm_gradient_norms"}
    assert "lstm_forward" in failed and set(failed) <= users, sorted(failed)
    assert "lstm_backward" not in failed   # its device cache is sound: a backward test judges the backward
    message = failed["lstm_forward"]
    assert message.startswith("lstm_forward returned H as NumPy arrays")
    assert "created an array with numpy instead of the input's array module (np.zeros(shape)?)" in message
    assert "lstm.py:" in message and "H[:] = XH" in message


def test_item_in_a_loop_fails_clip_gradients(standin_batch):
    """Does a float from .item() in a loop fail, although the result stays on the device?"""
    failed = failing(report_of(standin_batch, "item_loop_clip_gradients"))
    assert list(failed) == ["clip_gradients"]
    assert "98 × item" in failed["clip_gradients"] and ".item() / float() in a loop" in failed["clip_gradients"]


def test_asarray_fails_gru_step_forward(standin_batch):
    """Does np.asarray of a device argument fail, naming the conversion and where it happened?"""
    failed = failing(report_of(standin_batch, "asarray_gru_step_forward"))
    assert "gru_step_forward" in failed and set(failed) <= {"gru_step_forward", "gru_step_backward"}
    message = failed["gru_step_forward"]
    assert "the result left the device" in message and "np.asarray / np.array?" in message
    assert "gru.py:" in message and "np.asarray(x)" in message


def test_tolist_fails_even_when_the_result_returns_to_the_device(standin_batch):
    """Does a round trip through .tolist() fail tanh (and what uses it), but not sigmoid?"""
    failed = failing(report_of(standin_batch, "tolist_tanh"))
    assert "tanh" in failed and "sigmoid" not in failed and "rnn_forward" not in failed
    assert "copied data off the device" in failed["tanh"] and "(.tolist())" in failed["tanh"]


def test_a_device_only_difference_is_caught_by_the_comparisons(standin_batch):
    """Does a result that is right on NumPy but 1 % off on the device fail against the student's own NumPy result?"""
    failed = failing(report_of(standin_batch, "device_only_error_sigmoid_prime"))
    assert list(failed) == ["sigmoid_prime"]
    assert "differs from your own result on NumPy arrays" in failed["sigmoid_prime"]


@pytest.mark.parametrize("name", CUPY_DETECTIONS)
def test_code_that_finds_cupy_as_cupy_code_does_passes_on_the_standin(standin_batch, name):
    """Array-module code that is right on CuPy (it asks for `cupy` by type, isinstance, get_array_module
    or __array_namespace__): does it pass every GPU test on the stand-in?"""
    report = report_of(standin_batch, name)
    tests = gpu_tests(report)
    assert len(tests) == len(GPU_FUNCTIONS)
    assert all(t["status"] == "passed" for t in tests), failing(report)


def test_a_failure_on_the_standin_says_it_may_be_the_standins(standin_batch):
    """A device call that fails on the stand-in: does its message say the stand-in may be at fault?"""
    failed = failing(report_of(standin_batch, "device_only_exception_tanh_prime"))
    assert list(failed) == ["tanh_prime"]
    assert failed["tanh_prime"].startswith("tanh_prime works on NumPy arrays but failed on device arrays: "
                                           "tanh_prime raised TypeError: no such kernel")
    assert f"\nNote: {devices.STANDIN_CAVEAT}.\n" in failed["tanh_prime"]


def test_gpu_reports_validate(standin_batch):
    """Are the reports of a --gpu batch valid against the published schema?"""
    schema = importlib.import_module("autograder.report.schema")
    for report in standin_batch[1].values():
        schema.validate_report(report)


def test_gpu_without_a_device_is_skipped_not_failed(without_device):
    """--gpu with no GPU: one line saying so, exit 0, every GPU test skipped with 0 of 0 points."""
    done, reports = without_device
    assert done.returncode == 0, done.stderr[-3000:]
    notices = [line for line in done.stderr.splitlines() if "--gpu" in line]
    assert len(notices) == 1 and notices[0].endswith("; GPU tests skipped"), done.stderr
    expected = "GPU disabled by AUTOGRADER_DEVICE=none" if HAS_CUPY else "CuPy is not installed"
    assert notices[0] == f"autograder: --gpu: {expected}; GPU tests skipped"
    report = reports["reference_solution"]
    tests = gpu_tests(report)
    assert len(tests) == len(GPU_FUNCTIONS)
    assert all(t["outcome"] == "skipped" and t["status"] == "passed" and t["max_score"] == 0 == t["score"]
               for t in tests)
    assert all(t["output"] == f"skipped: --gpu: {expected}" for t in tests), tests[0]["output"]
    assert report["score"] == report["max_score"] == 0
    assert report["gpu"] == {"device": "", "skipped": f"--gpu: {expected}"}


def test_without_gpu_flag_gpu_tests_are_not_counted(without_flag):
    """Without --gpu: no notice, GPU tests skipped with 0 of 0 points, even where a device exists."""
    done, reports = without_flag
    assert done.returncode == 0 and "--gpu" not in done.stderr, done.stderr[-3000:]
    report = reports["reference_solution"]
    assert all(t["outcome"] == "skipped" and t["max_score"] == 0 and "not requested" in t["output"]
               for t in gpu_tests(report))
    assert report["max_score"] == 0 and "gpu" not in report
    rubric = rubric_module.load()
    assert rubric.max_score() == 100 and rubric.max_score(gpu=True) > 100


# ---------------------------------------------------------------- the worker and the sandbox

def available_tiers():
    tiers = ["limits"]
    for tier in ("bwrap", "namespaces"):
        try:
            tiers.append(probing.probe(tier))
        except RuntimeError:  # not on this machine
            pass
        finally:
            zygote_client.stop_zygote()  # the namespaces probe starts one
    return tiers


@pytest.mark.parametrize("tier", available_tiers())
def test_device_calls_travel_through_every_tier(tier):
    """In each sandbox tier: does an on_device call run on the stand-in, come back as NumPy with the
    device's stats, and a result that left the device decode to Foreign(LEFT_DEVICE)?"""
    scratch = Path(tempfile.mkdtemp(prefix="autograder-gpu-test-"))
    scratch.chmod(0o711)  # the worker may run as another uid (see batch.py)
    folder = leaky_submission("asarray_gru_step_forward", scratch)
    folder.chmod(0o755)
    rubric = rubric_module.load()
    spec = tiers.WorkerSpec(folder, STUBS_DIR, rubric.limits, rubric.allowed_imports)
    code = StudentCode(devices.worker_spec(devices.standin_device(), spec), tier, scratch, 10.0, 60.0)
    try:
        z = np.linspace(-3, 3, 12).reshape(3, 4)
        returned = code.call("sigmoid", z, on_device=True)
        assert isinstance(returned.value, np.ndarray) and np.allclose(returned.value, 1 / (1 + np.exp(-z)))
        assert returned.device["syncs"] == 0 and returned.device["leaks"] == 0
        assert code.call("sigmoid", z).device is None            # an ordinary call: NumPy in, NumPy out
        case = Case(N=2, T=3, D=3, H=2, seed=1)
        h, _ = code.call("gru_step_forward", case.x(), case.state(), case.gru_params(), on_device=True).value
        assert h == Foreign(LEFT_DEVICE)
    finally:
        code.close()
        shutil.rmtree(scratch, ignore_errors=True)


def test_device_selection():
    """Does AUTOGRADER_DEVICE pick the stand-in, none, or (unset) CuPy only where it works?"""
    saved = os.environ.get(devices.DEVICE_ENV)
    try:
        for value, expected in [("standin", "standin"), ("standin:ulps=2", "standin:ulps=2"),
                                ("none", None), ("tpu", None)]:
            os.environ[devices.DEVICE_ENV] = value
            devices.select.cache_clear()
            chosen = devices.select()
            assert (chosen.module if isinstance(chosen, devices.Device) else None) == expected, value
        os.environ.pop(devices.DEVICE_ENV)
        devices.select.cache_clear()
        if not HAS_CUPY:
            assert devices.select() == devices.Unavailable("CuPy is not installed")
    finally:
        os.environ.pop(devices.DEVICE_ENV, None)
        if saved is not None:
            os.environ[devices.DEVICE_ENV] = saved
        devices.select.cache_clear()
    assert devices.resolve(False)[0] is None and "not requested" in devices.resolve(False)[1]
    assert devices.resolve(devices.Unavailable("no CUDA device")) == (None, "--gpu: no CUDA device")


# ---------------------------------------------------------------- the stand-in itself

def test_standin_keeps_results_on_the_device():
    """Do operators, methods, views, out= and dispatching NumPy functions keep the mark?"""
    standin.configure(ulps=0)
    standin.reset_stats()
    a = standin.asarray(np.arange(6.0).reshape(2, 3))
    results = [a + 1, 1 - a, a @ a.T, -a, abs(a), a.sum(axis=0), a.T, a[:, 1], a.astype(np.float32),
               np.exp(a), np.zeros_like(a), np.concatenate([a, a]), np.where(a > 2, a, 0),
               standin.zeros((2, 2)), standin.tanh(a), a.reshape(3, 2), copy.deepcopy(a), np.float64(2) * a]
    assert all(isinstance(r, standin.Array) for r in results)
    view = a[:, 1]
    view += 10                                     # a view: writes land in `a`
    np.multiply(a[:, 0], 2, out=a[:, 0])
    assert standin.asnumpy(a).tolist() == [[0, 11, 2], [6, 14, 5]]
    assert standin.stats()["syncs"] == standin.stats()["leaks"] == 0
    assert a.__array_namespace__() is standin and not isinstance(a, np.ndarray)


def test_standin_arrays_answer_as_cupy_arrays_do():
    """Does a stand-in array look like CuPy's to the ways code asks (type module and name, isinstance,
    get_array_module, __array_namespace__), and, once installed in a worker, does `import cupy` give it?"""
    a, plain = standin.asarray(np.ones((2, 2))), np.ones((2, 2))
    assert (type(a).__module__, type(a).__name__, str(type(a))) == ("cupy", "ndarray", "<class 'cupy.ndarray'>")
    assert isinstance(a, standin.ndarray) and not isinstance(plain, standin.ndarray)
    assert standin.get_array_module(a) is standin and standin.get_array_module(plain) is np
    assert standin.get_array_module(plain, a) is standin and a.__array_namespace__() is standin
    code = ("import sys; sys.path.insert(0, %r); import standin; standin.install(); import cupy; "
            "a = cupy.asarray([1.0]); print(cupy is standin, isinstance(a, cupy.ndarray), repr(a))"
            % str(Path(standin.__file__).parent))
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split(" ", 2) == ["True", "True", "array([1.], dtype=float64)\n"], done.stderr


def test_standin_counts_every_way_off_the_device():
    """Do np.zeros(shape), np.asarray, mixing, .tolist() and .item() show in the stats, with the first place?"""
    a = standin.asarray(np.ones((2, 2)))
    standin.reset_stats()
    plain = np.zeros((2, 2))
    assert type(plain) is np.ndarray                                    # np.zeros cannot know
    plain[:] = a                                                        # copied to the host
    assert type(plain + a) is np.ndarray and type(np.asarray(a)) is np.ndarray
    a.tolist()
    float(a[0, 0]), a[0, 0].item(), bool(a[0, 0] > 0)
    stats = standin.stats()
    assert stats["leak_kinds"] == {"__array__": 2, "mixed": 1, "tolist": 1}
    assert stats["sync_kinds"] == {"float": 1, "item": 1, "bool": 1} and stats["syncs"] == 3
    assert stats["first_leak_kind"] == "__array__" and "test_gpu_parity.py:" in stats["first_leak"]
    assert "plain[:] = a" in stats["first_leak"]


@functools.lru_cache(maxsize=None)
def reference_modules():
    """The reference's modules, imported under their own names without disturbing sys.modules."""
    saved = {name: sys.modules.pop(name) for name in contract.MODULES if name in sys.modules}
    sys.path.insert(0, str(REFERENCE_DIR))
    try:
        return {name: __import__(name) for name in contract.MODULES}
    finally:
        sys.path.remove(str(REFERENCE_DIR))
        for name in contract.MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def on_device(tree):
    if isinstance(tree, np.ndarray):
        return standin.asarray(tree)
    if isinstance(tree, dict):
        return {k: on_device(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(on_device(v) for v in tree)
    return tree


def leaves(tree):
    if isinstance(tree, dict):
        return [leaf for v in tree.values() for leaf in leaves(v)]
    if isinstance(tree, (list, tuple)):
        return [leaf for v in tree for leaf in leaves(v)]
    return [tree]


def run_reference(modules, function, case, device):
    """The non-cache outputs of the reference's `function` on the GPU suite's inputs for `case`."""
    call = lambda name, *args, **kwargs: getattr(modules[contract.module_of(name)], name)(*args, **kwargs)
    move = on_device if device else (lambda tree: tree)
    as_tuple = lambda result: result if isinstance(result, tuple) else (result,)
    if function in test_gpu.BACKWARDS:
        problem = test_gpu.BACKWARDS[function](case)
        at = contract.returns(problem.forward).index("cache")
        cache = as_tuple(call(problem.forward, *move(problem.args())))[at]
        result = call(function, *move(problem.upstream), cache, **problem.backward_kwargs)
    else:
        result = call(function, *move(test_gpu.forward_arguments(function, case)))
    return [out for name, out in zip(contract.returns(function), as_tuple(result)) if name != "cache"]


@pytest.mark.parametrize("function", GPU_FUNCTIONS)
def test_reference_stays_on_the_standin_device(function):
    """Does every reference function, on stand-in arrays, return stand-in arrays equal to NumPy's,
    with no copy off the device and few syncs?"""
    modules = reference_modules()
    standin.configure(ulps=0)
    for dtype in test_gpu.DTYPES:
        case = test_gpu.GPU_CASE.as_dtype(dtype)
        standin.reset_stats()
        got = leaves(run_reference(modules, function, case, device=True))
        stats = standin.stats()
        expected = leaves(run_reference(modules, function, case, device=False))
        assert all(isinstance(g, standin.Array) for g in got)
        assert all(np.array_equal(standin.asnumpy(g), e) and g.dtype == e.dtype for g, e in zip(got, expected))
        assert stats["leaks"] == 0 and stats["syncs"] <= test_gpu.SYNCS_ALLOWED, stats


def measure(ulps, seeds):
    """{(dtype, against): (needed rtol, function)}: the worst disagreement of the reference on the noisy
    stand-in with itself on NumPy ("self") and with the float64 reference ("reference"), as the rtol
    needed when atol keeps the ratio it has in suite/test_gpu.py."""
    modules = reference_modules()
    standin.configure(ulps=ulps, seed=1)
    worst = {}
    try:
        for seed in range(seeds):
            for dtype in test_gpu.DTYPES:
                case = Case(test_gpu.GPU_CASE.N, test_gpu.GPU_CASE.T, test_gpu.GPU_CASE.D, test_gpu.GPU_CASE.H,
                            seed, dtype)
                for function in GPU_FUNCTIONS:
                    got = leaves(run_reference(modules, function, case, device=True))
                    own = leaves(run_reference(modules, function, case, device=False))
                    ref = leaves(run_reference(modules, function, case.as_dtype("float64"), device=False))
                    for against, tolerances, expected in (("self", test_gpu.SELF_TOLERANCE, own),
                                                          ("reference", test_gpu.REFERENCE_TOLERANCE, ref)):
                        floor = tolerances[dtype]["atol"] / tolerances[dtype]["rtol"]
                        for g, e in zip(got, expected):
                            e = e.astype(np.float64)
                            needed = float(np.max(np.abs(standin.asnumpy(g) - e) / (floor + np.abs(e))))
                            if needed > worst.get((dtype, against), (0.0, ""))[0]:
                                worst[(dtype, against)] = (needed, function)
    finally:
        standin.configure(ulps=0)
    return worst


MARGIN = 10


def test_tolerances_are_ten_times_the_measured_device_noise():
    """Are the parity tolerances at least 10x what GPU-sized rounding noise (2 ulps) needs, in both dtypes?"""
    worst = measure(ulps=2, seeds=2)
    for (dtype, against), (needed, function) in worst.items():
        tolerances = test_gpu.SELF_TOLERANCE if against == "self" else test_gpu.REFERENCE_TOLERANCE
        assert needed * MARGIN <= tolerances[dtype]["rtol"], (dtype, against, needed, function)
    assert worst[("float32", "self")][0] > 0, "the noise was not applied"


if __name__ == "__main__":
    ulps, seeds = (float(sys.argv[1]) if len(sys.argv) > 1 else 2.0), (int(sys.argv[2]) if len(sys.argv) > 2 else 20)
    for (dtype, against), (needed, function) in sorted(measure(ulps, seeds).items()):
        chosen = (test_gpu.SELF_TOLERANCE if against == "self" else test_gpu.REFERENCE_TOLERANCE)[dtype]["rtol"]
        print(f"{dtype} vs {against:9}: needed rtol {needed:.2e} ({function}), chosen {chosen:.0e}, "
              f"margin {chosen / needed:.0f}x")


# ---------------------------------------------------------------- make gpu-check / bench-gpu

def run_command(*args):
    """`python -m autograder ARGS` as make runs it, with no AUTOGRADER_DEVICE set."""
    env = {k: v for k, v in os.environ.items() if k != devices.DEVICE_ENV}
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=GRADE_TIMEOUT_S)


@pytest.mark.skipif(HAS_CUPY, reason="CuPy is installed here")
@pytest.mark.parametrize("command", [["gpu-check"], ["bench", "gpu"]], ids=["gpu-check", "bench-gpu"])
def test_gpu_scripts_say_one_line_without_a_gpu(command):
    """Do make gpu-check and make bench-gpu say, in one line, that there is no GPU, and exit 0?"""
    done = run_command(*command)
    assert done.returncode == 0 and done.stdout.count("\n") == 1, done.stdout + done.stderr
    assert "CuPy is not installed" in done.stdout


def test_gpu_bench_harness_on_the_standin():
    """Does the GPU benchmark's harness run (stand-in for CuPy, torch CPU for cuDNN), and do the
    reference and nn.LSTM with the mapped weights compute the same hidden states?"""
    done = run_command("bench", "gpu", "--device", "standin", "--size", "3", "4", "5", "6", "--repeats", "1",
                       "--dtypes", "float64")
    assert done.returncode == 0, done.stderr[-3000:]
    row = next(line for line in done.stdout.splitlines() if line.startswith("float64"))
    if importlib.util.find_spec("torch") is not None:
        assert float(row.split()[-1]) < 1e-12, done.stdout


# ---------------------------------------------------------------- what only a CUDA machine would run

def test_cupy_worker_spec_binds_cupy_and_lifts_the_limits_cuda_needs(tmp_path):
    """Does a CuPy device bind its adapter and CuPy's folders (not other packages), and lift the
    address-space limit, for the GPU worker only?"""
    site = tmp_path / "site-packages"
    for name in ("cupy", "cupy_backends", "cupyx", "fastrlock", "nvidia", "cupy_cuda13x-13.6.0.dist-info",
                 "numpy", "torch"):
        (site / name).mkdir(parents=True)
    entries = devices.cupy_site(site / "cupy")
    assert [Path(e).name for e in entries] == ["cupy_device.py", "cupy", "cupy_backends", "cupyx", "fastrlock",
                                               "nvidia"]
    device = devices.Device("cupy", "cupy_device", entries, "CuPy on a GPU", cuda=True,
                            call_timeout_s=devices.CUPY_CALL_TIMEOUT_S, budget_s=devices.CUPY_BUDGET_S)
    rubric = rubric_module.load()
    spec = tiers.WorkerSpec(tmp_path, tmp_path, rubric.limits, rubric.allowed_imports)
    gpu_spec = devices.worker_spec(device, spec)
    assert gpu_spec.limits.memory_bytes == -1 and gpu_spec.limits.open_files >= 1024
    assert gpu_spec.device_module == "cupy_device" and gpu_spec.extra_site == entries
    assert spec.limits.memory_bytes == rubric.limits.memory_bytes          # the CPU worker keeps its limits
    assert devices.limits_of(device, rubric) == (devices.CUPY_CALL_TIMEOUT_S, devices.CUPY_BUDGET_S)
    assert devices.worker_spec(devices.standin_device(), spec).limits == spec.limits


def test_bwrap_binds_the_gpu_only_for_a_device_worker(monkeypatch, tmp_path):
    """With /dev/nvidia* present: does a device worker's bwrap get the device files, /sys, the loader
    cache and the CUDA environment, and an ordinary worker none of them?"""
    monkeypatch.setattr(tiers, "_gpu_devices", lambda: ["/dev/nvidia0", "/dev/nvidiactl", "/dev/nvidia-uvm"])
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    spec = tiers.WorkerSpec(tmp_path, tmp_path)
    gpu_spec = devices.worker_spec(devices.standin_device(), spec)
    argv = " ".join(tiers.command("bwrap", gpu_spec)[0])
    for expected in ("--dev-bind /dev/nvidia0 /dev/nvidia0", "--dev-bind /dev/nvidia-uvm /dev/nvidia-uvm",
                     "--ro-bind-try /sys /sys", "--ro-bind-try /etc/ld.so.cache /etc/ld.so.cache",
                     "--setenv LD_LIBRARY_PATH /usr/local/nvidia/lib64", "--setenv CUDA_VISIBLE_DEVICES 0",
                     f"{devices.HERE / 'standin.py'} /sandbox/site/standin.py"):
        assert expected in argv, expected
    plain = " ".join(tiers.command("bwrap", spec)[0])
    assert "nvidia" not in plain and "/sys" not in plain and "LD_LIBRARY_PATH" not in plain
    assert tiers.command("limits", gpu_spec)[1]["env"]["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
    assert "LD_LIBRARY_PATH" not in tiers.command("limits", spec)[1]["env"]
