"""Grade one prepared submission: start its worker, run the hidden suite with
pytest (hypothesis under the derandomized grading profile, results collected
by pytest-json-report), and build the report.

`preload()` imports everything the suite needs once, so that a batch can fork
one grader process per submission without paying for the imports again.
"""
import contextlib
import dataclasses
import functools
import json
import os
import sys
import time
import traceback
from pathlib import Path

from . import devices, report, sandbox
from .proxy import StudentCode

SUITE_DIR = Path(__file__).with_name("suite")
REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "reference"
STUBS_DIR = REPO_ROOT / "assignments"

# Hypothesis's shrinker is bounded so that a wrong submission cannot stretch
# grading: at most this many successful shrinks, and this many seconds, per test.
MAX_SHRINKS = 24
MAX_SHRINKING_SECONDS = 5
EXAMPLES_PER_TEST = 3


@functools.cache
def preload():
    """Import pytest, hypothesis, the JSON report plugin and the suite modules."""
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    import hypothesis
    import pytest  # noqa: F401
    import pytest_jsonreport.plugin  # noqa: F401
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.internal.conjecture import engine

    engine.MAX_SHRINKS = MAX_SHRINKS
    engine.MAX_SHRINKING_SECONDS = MAX_SHRINKING_SECONDS
    # One profile for every submission: the same examples in the same order,
    # no example database, no wall-clock deadline (the worker has its own).
    settings.register_profile(
        "grading", derandomize=True, database=None, deadline=None, max_examples=EXAMPLES_PER_TEST,
        suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink])
    settings.load_profile("grading")
    import importlib
    suite = [importlib.import_module(f"autograder.suite.{module.stem}") for module in sorted(SUITE_DIR.glob("*.py"))]
    remember_test_digests(suite)
    return hypothesis


def remember_test_digests(modules):
    """Compute hypothesis's per-test digest (the derandomized seed) once, here.

    Hypothesis hashes each test's source every time the test runs (about
    1.5 ms each, twice per test). The suite does not change while a grader
    runs, so the digests computed before a batch forks serve every child.
    """
    from hypothesis import core
    compute = getattr(core, "function_digest", None)
    if compute is None:  # another hypothesis: nothing to remember
        return
    digests = {}
    for module in modules:
        for value in vars(module).values():
            inner = getattr(getattr(value, "hypothesis", None), "inner_test", None)
            if inner is not None:
                digests[inner] = compute(inner)
    core.function_digest = lambda function: digests[function] if function in digests else compute(function)


def grade(submission_dir, name, rubric, *, tier, scratch_dir, reference_dir=REFERENCE_DIR,
          stubs_dir=STUBS_DIR, gpu=False, select=None, shards=1):
    """Grade the prepared folder `submission_dir`; returns the report dict.

    select: a predicate on rubric entries (e.g. only public tests), or None.
    gpu: run the GPU parity tests: False, True (pick a device), or what
    devices.select() returned (a Device, or Unavailable: they are skipped).
    shards: split the tests among this many processes, each with a worker of
    its own (a lone submission on an idle machine then uses every core).
    Every test draws the same examples wherever it runs.
    """
    preload()
    start = time.monotonic()
    keys = [key for key, entry in rubric.tests.items() if select is None or select(entry)]
    device, gpu_skip = devices.resolve(gpu)
    groups = [group for group in (keys[i::shards] for i in range(shards if device is None else 1)) if group]
    setup = dict(submission_dir=Path(submission_dir), rubric=rubric, tier=tier, reference_dir=reference_dir,
                 stubs_dir=Path(stubs_dir), device=device, gpu_skip=gpu_skip)
    helpers = [start_shard(group, Path(scratch_dir) / f"shard-{i}", setup) for i, group in enumerate(groups[1:], 1)]
    try:
        runs = [run_shard(groups[0] if groups else [], Path(scratch_dir), **setup)]
    finally:  # reap the other shards even when this one failed
        others = [finish_shard(helper) for helper in helpers]
    runs += others
    records = [record for run in runs for record in run["records"]]
    tier_info = {"tier": tier, "description": sandbox.TIER_DESCRIPTIONS[tier], "degraded": tier != "bwrap"}
    printed = "".join(dict.fromkeys(run["printed"] for run in runs))  # each worker may print the same
    extra = {"worker_starts": sum(run["starts"] for run in runs), "printed": printed[:1000]}
    if gpu:
        extra["gpu"] = {"device": device.description if device else "", "skipped": gpu_skip}
    if select is not None:
        rubric = dataclasses.replace(rubric, tests={k: rubric.tests[k] for k in keys})
    return report.build(name, records, rubric, seconds=time.monotonic() - start, sandbox=tier_info,
                        gpu=device is not None, extra=extra)


def run_shard(keys, scratch_dir, *, submission_dir, rubric, tier, reference_dir, stubs_dir, device, gpu_skip):
    """Run the suite's tests `keys` against a worker of this process's own.

    Returns {"records": pytest-json-report's test records, "starts": worker
    starts, "printed": what the student's code printed}.
    """
    import pytest
    from pytest_jsonreport.plugin import JSONReport

    from .suite import conftest

    scratch_dir.mkdir(exist_ok=True)
    spec = sandbox.WorkerSpec(submission_dir, stubs_dir, rubric.limits, rubric.allowed_imports or ())
    student = StudentCode(spec, tier, scratch_dir, rubric.call_timeout_s, rubric.budget_s)
    # --gpu: a second worker whose calls may run on the device (suite/test_gpu.py).
    device_student = None
    if device is not None:
        gpu_scratch = scratch_dir / "gpu"
        gpu_scratch.mkdir(exist_ok=True)
        device_student = StudentCode(devices.worker_spec(device, spec), tier, gpu_scratch,
                                     *devices.limits_of(device, rubric))
    conftest.SESSION.update(student=student, reference_dir=str(reference_dir), gpu=device is not None,
                            device=device, device_student=device_student, gpu_skip=gpu_skip)
    plugin = JSONReport()
    args = [str(SUITE_DIR), "-c", os.devnull, "--rootdir", str(SUITE_DIR), "-p", "pytest_jsonreport.plugin", "-qq", "--tb=no", "-rN", "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:stepwise",
            "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:logging", "-p", "no:faulthandler",
            "-p", "no:tmpdir", "-p", "no:monkeypatch", "-p", "no:recwarn",
            "-p", "no:setuponly", "-p", "no:setupplan", "--capture=no", "--json-report-file=none",
            "--json-report-omit", "collectors", "log", "streams", "warnings", "keywords"]
    conftest.SESSION["keys"] = set(keys)
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            pytest.main(args, plugins=[plugin])
    finally:
        student.close()
        if device_student is not None:
            device_student.close()
    skipped = [{"nodeid": nodeid, "outcome": "skipped", "metadata": {"skip_reason": gpu_skip}}
               for nodeid in conftest.SESSION["not_run"]]
    return {"records": plugin.report.get("tests", []) + skipped, "starts": student.starts,
            "printed": student.printed()}


def start_shard(keys, scratch_dir, setup):
    """Fork a process that runs `keys` (run_shard) and sends back its result; returns (pid, pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            result = json.dumps(run_shard(keys, scratch_dir, **setup)).encode()
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(result)
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    return pid, read_end


def finish_shard(helper):
    """The result a shard process sent; a shard that failed is a grader failure."""
    pid, read_end = helper
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0 or not data:
        raise RuntimeError(f"a grading shard failed (exit status {os.waitstatus_to_exitcode(status)})")
    return json.loads(data)
