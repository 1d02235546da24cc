"""The hidden suite against one submission at a time: pytest collects it
once, and its tests run, for each submission, against a sandboxed worker.

    session = SuiteSession(rubric, gpu=False)
    value = session.run(plan)     # pytest collects the suite, then returns plan(session)

`plan` runs in place of pytest's own test loop (the `pytest_runtestloop`
hook, as pytest-xdist takes it over): it typically forks one process per
submission (batch.py), in which `session.grade(...)` grades a prepared
submission, so that pytest's start, its collection and hypothesis's warm-up
are paid once for many. Between the engine and the suite there is one typed
object, the SuiteState in pytest's config.stash (state.py), owned by this
plugin. The tests' records come from pytest-json-report: its
`pytest_json_runtest_metadata` hook (in the suite's conftest) adds the rubric
key, the feedback and the functions called, and its `report` is made at the
end of each process's tests by pytest's `pytest_sessionfinish` hook.
"""
import contextlib
import dataclasses
import os
import sys
import time
from pathlib import Path

import pytest
from pytest_jsonreport.plugin import JSONReport

from .. import paths, scoring
from ..intake import worker_fields
from ..sandbox.outside import devices
from ..sandbox.outside.student_code import StudentCode
from ..sandbox.outside.tiers import TIER_DESCRIPTIONS, WorkerSpec
from . import forking, hypothesis_setup, shards
from .replay import ExampleReplay
from .state import STATE, SuiteState

# --confcutdir: pytest looks at nothing above the suite's folder (no walk of
# every folder up to /, no conftest.py from there).
PYTEST_ARGS = ["-c", os.devnull, "--rootdir", str(paths.SUITE_DIR), "--confcutdir", str(paths.SUITE_DIR),
               "-p", "pytest_jsonreport.plugin", "-qq", "--tb=no", "-rN", "-p", "no:unraisableexception",
               "-p", "no:threadexception", "-p", "no:doctest", "-p", "no:junitxml", "-p", "no:pastebin",
               "-p", "no:stepwise", "-p", "no:cacheprovider", "-p", "no:warnings", "-p", "no:logging",
               "-p", "no:faulthandler", "-p", "no:tmpdir", "-p", "no:monkeypatch", "-p", "no:recwarn",
               "-p", "no:setuponly", "-p", "no:setupplan", "--capture=no", "--json-report-file=none",
               "--json-report-omit", "collectors", "log", "streams", "warnings", "keywords"]


class SuiteSession:
    """The hidden suite, collected once by pytest, run for one submission at a time.

    rubric: the Rubric; select: a predicate on rubric entries (e.g. only the
    public tests) or None; gpu: run the GPU parity tests: False, True (pick a
    device), or what devices.select() returned.
    """

    def __init__(self, rubric, *, select=None, gpu=False, reference_dir=paths.REFERENCE_DIR,
                 stubs_dir=paths.STUBS_DIR):
        self.rubric = rubric
        self.keys = [key for key, entry in rubric.tests.items() if select is None or select(entry)]
        self.device, gpu_skip = devices.resolve(gpu)
        self.gpu_requested = bool(gpu)
        self.reference_dir, self.stubs_dir = Path(reference_dir), Path(stubs_dir)
        self.state = SuiteState(grading=True, keys=set(self.keys), device=self.device, gpu_skip=gpu_skip,
                                reference_dir=str(reference_dir))
        self.report_plugin = JSONReport()
        self.replay = ExampleReplay(lambda: (self.state.student, self.state.device_student))
        self.session = None   # pytest's, once collected
        self.items = []       # the tests to run, in order
        self._plan, self._outcome, self._stdout = None, {}, None

    # --- the session's life: pytest collects, then the plan runs --------------

    def run(self, plan):
        """Have pytest collect the suite, then call plan(self) in place of pytest's
        test loop; returns what plan returned (and raises what it raised)."""
        hypothesis_setup.prepare()
        self._plan, self._outcome, self._stdout = plan, {}, sys.stdout
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            exit_code = pytest.main([str(paths.SUITE_DIR), *PYTEST_ARGS],
                                    plugins=[self.report_plugin, self.replay, self])
        if "error" in self._outcome:
            raise self._outcome["error"]
        if "value" not in self._outcome:
            if exit_code == pytest.ExitCode.INTERRUPTED:
                raise KeyboardInterrupt
            raise RuntimeError(f"the grading suite could not be collected (pytest exit code {int(exit_code)})")
        return self._outcome["value"]

    def pytest_configure(self, config):
        config.stash[STATE] = self.state

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        if session.testsfailed:
            return None  # a collection error: pytest reports it
        self.session, self.items = session, list(session.items)
        from ..suite import conftest, work_done
        # What the reference says on the functions' telling inputs is the same
        # for every submission: worked out once, here, before any fork.
        work_done.precompute(conftest.reference(str(self.reference_dir)))
        try:
            with contextlib.redirect_stdout(self._stdout):  # pytest's own output stays quiet, ours does not
                self._outcome["value"] = self._plan(self)
        except BaseException as error:  # raised again by run(), past pytest's own handling
            self._outcome["error"] = error
        return True

    # --- grading one submission ----------------------------------------------

    def grade(self, submission_dir, name, *, tier, scratch_dir, shards_wanted=1):
        """The Report of the prepared folder `submission_dir`, its tests run by
        `shards_wanted` processes, each with a worker of its own (a lone
        submission on an idle machine then uses every core); each takes the
        next test when it is free. Every test draws the same examples wherever it runs."""
        start = time.monotonic()
        scratch_dir = Path(scratch_dir)
        count = 1 if self.device is not None else shards_wanted  # one device, one device worker
        claim, close = shards.share_out(self.keys) if count > 1 else shards.all_at_once(self.keys)
        others = [forking.fork(self.run_tests, claim, scratch_dir / f"shard-{i}", submission_dir, tier)
                  for i in range(1, count)]
        try:
            runs = [self.run_tests(claim, scratch_dir, submission_dir, tier)]
        finally:  # reap the other shards even when this one failed
            runs += [other.wait() for other in others]
            close()
        return self.score(name, runs, tier, time.monotonic() - start)

    def run_tests(self, claim, scratch_dir, submission_dir, tier):
        """Run the tests of the keys `claim()` hands out (a list of keys at a
        time, None when there are no more) against a worker of this process's
        own; returns {"records", "starts", "printed", "replayed"} (JSON-able).

        Meant for a forked process: the records stay in its copy of the report plugin."""
        scratch_dir = Path(scratch_dir)
        scratch_dir.mkdir(exist_ok=True)
        rubric = self.rubric
        spec = WorkerSpec(Path(submission_dir), self.stubs_dir, rubric.limits, rubric.allowed_imports or (),
                          **worker_fields(submission_dir))
        student = StudentCode(spec, tier, scratch_dir, rubric.call_timeout_s, rubric.budget_s)
        device_student = None  # --gpu: a second worker whose calls may run on the device (suite/test_gpu.py)
        if self.device is not None:
            (scratch_dir / "gpu").mkdir(exist_ok=True)
            device_student = StudentCode(devices.worker_spec(self.device, spec), tier, scratch_dir / "gpu",
                                         *devices.limits_of(self.device, rubric))
        self.state.student, self.state.device_student = student, device_student
        self.replay.start_submission()
        from ..suite.conftest import test_key
        items_of = {}
        for item in self.items:
            items_of.setdefault(test_key(item), []).append(item)
        wanted = set()
        try:
            with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
                while (keys := claim()) is not None:
                    wanted.update(keys)
                    items = [item for key in keys for item in items_of.get(key, [])]
                    for item, following in zip(items, items[1:] + [None]):
                        item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
        finally:
            student.close()
            if device_student is not None:
                device_student.close()
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
            self.session.config.hook.pytest_sessionfinish(session=self.session, exitstatus=self.session.exitstatus)
        skipped = [{"nodeid": item.nodeid, "outcome": "skipped",
                    "metadata": {"key": test_key(item), "param": getattr(getattr(item, "callspec", None), "id", ""),
                                 "skip_reason": self.state.gpu_skip}}
                   for item in self.state.not_run if test_key(item) in wanted]
        return {"records": self.report_plugin.report.get("tests", []) + skipped, "starts": student.starts,
                "printed": student.printed(), "replayed": self.replay.replayed}

    def score(self, name, runs, tier, seconds):
        """The Report from the runs of a submission's tests."""
        records = [record for run in runs for record in run["records"]]
        sandbox = {"tier": tier, "description": TIER_DESCRIPTIONS[tier], "degraded": tier == "limits"}
        printed = "".join(dict.fromkeys(run["printed"] for run in runs))  # each worker may print the same
        extra = {"worker_starts": sum(run["starts"] for run in runs), "printed": printed[:1000],
                 "tests_replayed": sum(run["replayed"] for run in runs)}
        if self.gpu_requested:
            extra["gpu"] = {"device": self.device.description if self.device else "", "skipped": self.state.gpu_skip}
        rubric = self.rubric
        if len(self.keys) != len(rubric.tests):
            rubric = dataclasses.replace(rubric, tests={k: rubric.tests[k] for k in self.keys})
        return scoring.score(name, records, rubric, seconds=seconds, sandbox=sandbox, gpu=self.device is not None,
                             extra=extra)
