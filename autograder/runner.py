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

from . import devices, hypothesis_warmup, report, sandbox, submission
from .proxy import StudentCode
from .replay import ExampleReplay

SUITE_DIR = Path(__file__).with_name("suite")
REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "reference"
STUBS_DIR = REPO_ROOT / "assignments"
HYPOTHESIS_HOME = REPO_ROOT / ".hypothesis"

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
    from hypothesis import HealthCheck, Phase, configuration, settings
    from hypothesis.internal.conjecture import engine

    # Hypothesis keeps a cache (of constants in this project's source) in
    # .hypothesis/ of the working folder: keep it in the grader's own folder.
    configuration.set_hypothesis_home_dir(HYPOTHESIS_HOME)

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
    hypothesis_warmup.warm_up(suite)
    return hypothesis


@dataclasses.dataclass
class Suite:
    """The grading suite, collected once by pytest, ready to run in forked processes.

    items: the pytest tests to run, in order; not_run: the GPU tests recorded
    as skipped instead (no device), with `gpu_skip` as the reason; keys: the
    rubric keys of the selected tests; gpu_requested: --gpu was given;
    replay: the plugin that records and replays hypothesis's examples (replay.py).
    """
    session: object
    items: list
    not_run: list
    keys: list
    device: object
    gpu_skip: str
    gpu_requested: bool
    report_plugin: object
    replay: object


# --confcutdir: pytest looks at nothing above the suite's folder (no walk of
# every folder up to /, no conftest.py from there).
PYTEST_ARGS = ["-c", os.devnull, "--rootdir", str(SUITE_DIR), "--confcutdir", str(SUITE_DIR),
               "-p", "pytest_jsonreport.plugin", "-qq", "--tb=no", "-rN", "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:doctest",
               "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:stepwise", "-p", "no:cacheprovider",
               "-p", "no:warnings", "-p", "no:logging", "-p", "no:faulthandler", "-p", "no:tmpdir",
               "-p", "no:monkeypatch", "-p", "no:recwarn", "-p", "no:setuponly", "-p", "no:setupplan",
               "--capture=no", "--json-report-file=none",
               "--json-report-omit", "collectors", "log", "streams", "warnings", "keywords"]


def with_suite(rubric, then, *, select=None, gpu=False):
    """Collect the hidden suite with pytest once, then call `then(suite)` in
    place of pytest's own test loop; returns what `then` returned.

    `then` typically forks: each forked process runs some of the tests
    (run_tests), so a batch pays for pytest's start and collection once.
    select: a predicate on rubric entries (e.g. only public tests), or None.
    gpu: run the GPU parity tests: False, True (pick a device), or what
    devices.select() returned (a Device, or Unavailable: they are skipped).
    """
    import pytest
    from pytest_jsonreport.plugin import JSONReport

    from .suite import conftest

    preload()
    keys = [key for key, entry in rubric.tests.items() if select is None or select(entry)]
    device, gpu_skip = devices.resolve(gpu)
    conftest.SESSION.update(grading=True, keys=set(keys), device=device, gpu_skip=gpu_skip)
    plugin, outcome = JSONReport(), {}
    replay = ExampleReplay(lambda: (conftest.SESSION.get("student"), conftest.SESSION.get("device_student")))
    stdout = sys.stdout

    class TakeOver:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self, session):
            if session.testsfailed:
                return None  # a collection error: pytest reports it
            suite = Suite(session, list(session.items), list(conftest.SESSION["not_run"]), keys, device,
                          gpu_skip, bool(gpu), plugin, replay)
            try:
                with contextlib.redirect_stdout(stdout):  # pytest's own output stays quiet, ours does not
                    outcome["value"] = then(suite)
            except BaseException as error:  # raised again below, past pytest's own handling
                outcome["error"] = error
            return True

    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        exit_code = pytest.main([str(SUITE_DIR), *PYTEST_ARGS], plugins=[plugin, replay, TakeOver()])
    if "error" in outcome:
        raise outcome["error"]
    if "value" not in outcome:
        if exit_code == pytest.ExitCode.INTERRUPTED:
            raise KeyboardInterrupt
        raise RuntimeError(f"the grading suite could not be collected (pytest exit code {int(exit_code)})")
    return outcome["value"]


def grade(submission_dir, name, rubric, *, tier, scratch_dir, reference_dir=REFERENCE_DIR,
          stubs_dir=STUBS_DIR, gpu=False, select=None, shards=1, suite=None):
    """Grade the prepared folder `submission_dir`; returns the report dict.

    suite: what with_suite collected (a batch collects once for all its
    submissions); None collects it here, with `select` and `gpu` (see
    with_suite), which are otherwise the suite's.
    shards: split the tests among this many processes, each with a worker of
    its own (a lone submission on an idle machine then uses every core); each
    takes the next test when it is free (share_out). Every test draws the
    same examples wherever it runs.
    """
    if suite is None:
        return with_suite(rubric, lambda collected: grade(
            submission_dir, name, rubric, tier=tier, scratch_dir=scratch_dir, reference_dir=reference_dir,
            stubs_dir=stubs_dir, shards=shards, suite=collected), select=select, gpu=gpu)
    start = time.monotonic()
    keys = suite.keys
    if suite.device is not None:
        shards = 1  # one device, one device worker
    setup = dict(suite=suite, submission_dir=Path(submission_dir), rubric=rubric, tier=tier,
                 reference_dir=reference_dir, stubs_dir=Path(stubs_dir))
    if shards == 1:
        runs = [run_tests(all_at_once(keys), Path(scratch_dir), **setup)]
    else:
        claim, queue = share_out(keys)
        helpers = [start_shard(claim, Path(scratch_dir) / f"shard-{i}", setup) for i in range(1, shards)]
        try:
            runs = [run_tests(claim, Path(scratch_dir), **setup)]
        finally:  # reap the other shards even when this one failed
            others = [finish_shard(helper) for helper in helpers]
            os.close(queue)
        runs += others
    records = [record for run in runs for record in run["records"]]
    tier_info = {"tier": tier, "description": sandbox.TIER_DESCRIPTIONS[tier], "degraded": tier == "limits"}
    printed = "".join(dict.fromkeys(run["printed"] for run in runs))  # each worker may print the same
    extra = {"worker_starts": sum(run["starts"] for run in runs), "printed": printed[:1000],
             "tests_replayed": sum(run["replayed"] for run in runs)}
    if suite.gpu_requested:
        extra["gpu"] = {"device": suite.device.description if suite.device else "", "skipped": suite.gpu_skip}
    if len(keys) != len(rubric.tests):
        rubric = dataclasses.replace(rubric, tests={k: rubric.tests[k] for k in keys})
    return report.build(name, records, rubric, seconds=time.monotonic() - start, sandbox=tier_info,
                        gpu=suite.device is not None, extra=extra)


def all_at_once(keys):
    """A claim function (see run_tests) that hands out all of `keys` at once."""
    groups = [keys]
    return lambda: groups.pop() if groups else None


def share_out(keys):
    """A claim function for several processes, each taking the next key when
    it is free, so that all finish at about the same time; and the pipe it
    reads, to close when they are done.

    The keys' indices wait in a pipe, one byte each (one byte per group of
    keys past 255): reading one byte is atomic, so no two processes ever
    take the same key.
    """
    size = max(1, -(-len(keys) // 255))
    groups = [keys[i:i + size] for i in range(0, len(keys), size)]
    read_end, write_end = os.pipe()
    os.write(write_end, bytes(range(len(groups))))
    os.close(write_end)  # once the bytes are read, readers see the end

    def claim():
        token = os.read(read_end, 1)
        return groups[token[0]] if token else None
    return claim, read_end


def run_tests(claim, scratch_dir, *, suite, submission_dir, rubric, tier, reference_dir, stubs_dir):
    """Run the suite's tests of the keys `claim()` hands out (a list of keys
    at a time, None when there are no more) against a worker of this
    process's own.

    Meant for a process forked inside with_suite: the tests' records stay in
    this process's copy of the report plugin.
    Returns {"records": pytest-json-report's test records, "starts": worker
    starts, "printed": what the student's code printed}.
    """
    from .suite import conftest

    scratch_dir.mkdir(exist_ok=True)
    spec = sandbox.WorkerSpec(submission_dir, stubs_dir, rubric.limits, rubric.allowed_imports or (),
                              **submission.worker_fields(submission_dir))
    student = StudentCode(spec, tier, scratch_dir, rubric.call_timeout_s, rubric.budget_s)
    # --gpu: a second worker whose calls may run on the device (suite/test_gpu.py).
    device_student = None
    if suite.device is not None:
        gpu_scratch = scratch_dir / "gpu"
        gpu_scratch.mkdir(exist_ok=True)
        device_student = StudentCode(devices.worker_spec(suite.device, spec), tier, gpu_scratch,
                                     *devices.limits_of(suite.device, rubric))
    conftest.SESSION.update(student=student, reference_dir=str(reference_dir), device_student=device_student)
    suite.replay.start_submission()
    items_of = {}
    for item in suite.items:
        items_of.setdefault(conftest.test_key(item), []).append(item)
    wanted = set()
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            while (keys := claim()) is not None:
                wanted.update(keys)
                items = [item for key in keys for item in items_of.get(key, [])]
                for i, item in enumerate(items):
                    item.ihook.pytest_runtest_protocol(item=item, nextitem=items[i + 1] if i + 1 < len(items) else None)
    finally:
        student.close()
        if device_student is not None:
            device_student.close()
    suite.report_plugin.pytest_sessionfinish(suite.session)
    skipped = [{"nodeid": item.nodeid, "outcome": "skipped", "metadata": {"skip_reason": suite.gpu_skip}}
               for item in suite.not_run if conftest.test_key(item) in wanted]
    return {"records": suite.report_plugin.report.get("tests", []) + skipped, "starts": student.starts,
            "printed": student.printed(), "replayed": suite.replay.replayed}


def start_shard(claim, scratch_dir, setup):
    """Fork a process that runs the tests `claim` hands it (run_tests) and sends back its result;
    returns (pid, pipe)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_end)
            result = json.dumps(run_tests(claim, scratch_dir, **setup)).encode()
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
