"""Grade one prepared submission: start its worker, run the hidden suite with
pytest (hypothesis under the derandomized grading profile, results collected
by pytest-json-report), and build the report.

`preload()` imports everything the suite needs once, so that a batch can fork
one grader process per submission without paying for the imports again.
"""
import contextlib
import dataclasses
import functools
import os
import time
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
    for module in sorted(SUITE_DIR.glob("*.py")):
        importlib.import_module(f"autograder.suite.{module.stem}")
    return hypothesis


def grade(submission_dir, name, rubric, *, tier, scratch_dir, reference_dir=REFERENCE_DIR,
          stubs_dir=STUBS_DIR, gpu=False, select=None):
    """Grade the prepared folder `submission_dir`; returns the report dict.

    select: a predicate on rubric entries (e.g. only public tests), or None.
    gpu: run the GPU parity tests: False, True (pick a device), or what
    devices.select() returned (a Device, or Unavailable: they are skipped).
    """
    import pytest
    from pytest_jsonreport.plugin import JSONReport

    from .suite import conftest

    preload()
    start = time.monotonic()
    spec = sandbox.WorkerSpec(Path(submission_dir), Path(stubs_dir), rubric.limits,
                              rubric.allowed_imports or ())
    student = StudentCode(spec, tier, scratch_dir, rubric.call_timeout_s, rubric.budget_s)
    # --gpu: a second worker whose calls may run on the device (suite/test_gpu.py).
    device, gpu_skip = devices.resolve(gpu)
    device_student = None
    if device is not None:
        gpu_scratch = Path(scratch_dir) / "gpu"
        gpu_scratch.mkdir(exist_ok=True)
        device_student = StudentCode(devices.worker_spec(device, spec), tier, gpu_scratch,
                                     *devices.limits_of(device, rubric))
    conftest.SESSION.update(student=student, reference_dir=str(reference_dir), gpu=device is not None,
                            device=device, device_student=device_student, gpu_skip=gpu_skip)
    plugin = JSONReport()
    args = [str(SUITE_DIR), "-c", os.devnull, "--rootdir", str(SUITE_DIR), "-p", "pytest_jsonreport.plugin", "-qq", "--tb=no", "-rN", "-p", "no:unraisableexception", "-p", "no:threadexception",
            "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:stepwise",
            "-p", "no:cacheprovider", "-p", "no:warnings", "--json-report-file=none",
            "--json-report-omit", "collectors", "log", "streams", "warnings", "keywords"]
    keys = [key for key, entry in rubric.tests.items() if select is None or select(entry)]
    conftest.SESSION["keys"] = set(keys)
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            pytest.main(args, plugins=[plugin])
    finally:
        student.close()
        if device_student is not None:
            device_student.close()
    records = plugin.report.get("tests", [])
    tier_info = {"tier": tier, "description": sandbox.TIER_DESCRIPTIONS[tier], "degraded": tier != "bwrap"}
    extra = {"worker_starts": student.starts, "printed": student.printed()[:1000]}
    if gpu:
        extra["gpu"] = {"device": device.description if device else "", "skipped": gpu_skip}
    if select is not None:
        rubric = dataclasses.replace(rubric, tests={k: rubric.tests[k] for k in keys})
    return report.build(name, records, rubric, seconds=time.monotonic() - start, sandbox=tier_info,
                        gpu=device is not None, extra=extra)
