"""Grade many submissions in parallel: one forked grader process per submission.

The parent imports pytest, hypothesis and the suite, and has pytest collect
the suite, once (runner.with_suite); then it forks a child per submission, at
most `jobs` at a time.
A child prepares its submission, grades it, writes its report atomically and
exits; the parent only collects. A child that crashes is a grader failure,
reported as such; a submission that crashes its worker is just graded.
A child also leaves the examples of the hypothesis tests it passed, which the
parent hands on to the children it forks later (replay.py).
"""
import gc
import json
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from . import report, runner, sandbox
from .suite import conftest, work_done
from .submission import SubmissionError, name_of, prepare

# Each shard pays for a process and a worker (about 0.25 s of CPU): past a few,
# more shards cost more than they save.
MAX_SHARDS = 4


@dataclass
class Outcome:
    """What happened to one submission of a batch."""
    path: str
    name: str
    report: dict = None
    failure: str = ""     # the grader itself failed on this submission


def grade_batch(paths, out_dir, *, rubric, tier, jobs, gpu=False, select=None, progress=None,
                reference_dir=runner.REFERENCE_DIR, stubs_dir=runner.STUBS_DIR):
    """Grade `paths` into `out_dir`; returns a list of Outcomes in input order."""
    def grade_all(suite):
        # What the reference says on the functions' telling inputs is the same
        # for every submission: worked out once, here, for all children.
        work_done.precompute(conftest.reference(str(reference_dir)))
        # The children's garbage collections skip what is loaded by now:
        # walking it would copy, in every child, the memory it shares with us.
        gc.freeze()
        try:
            return _fork_children(paths, out_dir, suite, rubric, tier, jobs, progress, reference_dir, stubs_dir)
        finally:
            gc.unfreeze()
    # At the limits tier, workers are forked from a zygote that has imported
    # NumPy once (it starts up while pytest collects the suite).
    sandbox.start_zygote(tier)
    try:
        return runner.with_suite(rubric, grade_all, select=select, gpu=gpu)
    finally:
        sandbox.stop_zygote()


def _fork_children(paths, out_dir, suite, rubric, tier, jobs, progress, reference_dir, stubs_dir):
    out_dir = Path(out_dir)
    scratch_root = Path(tempfile.mkdtemp(prefix="autograder-"))
    scratch_root.chmod(0o711)  # the worker may traverse to its own folder, not list others
    outcomes = [Outcome(str(p), name_of(p)) for p in paths]
    # Fewer submissions than jobs: each submission's tests are split among
    # the spare cores instead (runner.grade's shards), up to MAX_SHARDS.
    shards = min(MAX_SHARDS, max(1, jobs // max(1, len(paths))))
    running = {}
    try:
        queue = list(outcomes)
        while queue or running:
            while queue and len(running) < max(1, jobs):
                outcome = queue.pop(0)
                # An unnamed file: the child leaves its recorded examples there.
                recording = tempfile.TemporaryFile()
                pid = os.fork()
                if pid == 0:
                    _child(outcome, out_dir, scratch_root, suite, rubric, tier, reference_dir, stubs_dir, shards,
                           recording)
                running[pid] = (outcome, time.monotonic(), recording)
            pid, status = os.wait()
            if pid not in running:
                continue
            outcome, started, recording = running.pop(pid)
            exit_code = os.waitstatus_to_exitcode(status)
            _collect(outcome, out_dir, exit_code)
            with recording:
                if exit_code == 0:
                    _learn(suite, recording)
            if progress:
                progress(outcome, time.monotonic() - started)
    finally:
        import shutil
        shutil.rmtree(scratch_root, ignore_errors=True)
    return outcomes


def _child(outcome, out_dir, scratch_root, suite, rubric, tier, reference_dir, stubs_dir, shards, recording):
    """In the forked child: grade one submission, write its report and the
    examples it recorded (`recording`), never return."""
    code = 0
    try:
        scratch = Path(tempfile.mkdtemp(dir=scratch_root))
        scratch.chmod(0o711)
        folder = scratch / "submission"
        folder.mkdir(mode=0o755)
        start = time.monotonic()
        try:
            prepare(outcome.path, folder)
        except SubmissionError as error:
            result = report.error_report(outcome.name, str(error), rubric, seconds=time.monotonic() - start)
        else:
            result = runner.grade(folder, outcome.name, rubric, tier=tier, scratch_dir=scratch,
                                  reference_dir=reference_dir, stubs_dir=stubs_dir, shards=shards, suite=suite)
        report.write_json(out_dir / f"{outcome.name}.json", result)
        recording.write(json.dumps(suite.replay.learned).encode())
        recording.flush()
    except BaseException:
        traceback.print_exc(file=sys.stderr)
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _learn(suite, recording):
    """Hand a finished child's recorded examples on to the children forked from now on."""
    recording.seek(0)
    suite.replay.learn(json.loads(recording.read()))


def _collect(outcome, out_dir, exit_code):
    if exit_code != 0:
        outcome.failure = f"the grader failed on {outcome.path} (exit status {exit_code}); see the error above"
        return
    try:
        outcome.report = json.loads((out_dir / f"{outcome.name}.json").read_text())
    except (OSError, ValueError) as error:
        outcome.failure = f"the report of {outcome.path} could not be read back ({error})"
