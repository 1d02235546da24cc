"""Grade many submissions in parallel: one forked grader process per submission.

Inside a SuiteSession's plan (pytest has collected the suite once), the
parent forks a child per submission, at most `jobs` at a time. A child
takes its submission in (intake), grades it (SuiteSession.grade) and returns
its report as data, with the examples of the hypothesis tests it passed,
which the parent hands on to the children it forks later (replay.py). The
parent only collects: a child that fails is a grader failure on that
submission, reported as such; a submission that crashes its worker is
simply graded.
"""
import contextlib
import gc
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .. import scoring
from ..intake import SubmissionError, prepare
from ..report.model import Report
from . import forking

# Each shard pays for a process and a worker (about 0.25 s of CPU): past a few,
# more shards cost more than they save.
MAX_SHARDS = 4


@dataclass
class Outcome:
    """What happened to one submission of a batch."""
    path: str
    name: str
    report: Report = None
    failure: str = ""     # the grader itself failed on this submission


def grade_batch(session, outcomes, *, tier, jobs, on_graded=None, intake=prepare):
    """Grade each of `outcomes` (Outcomes with path and name), filling in its
    report or failure; on_graded(outcome, seconds) is called as each is done.
    intake(path, folder): how a child takes its submission in (a cluster's
    grading service unpacks what its client took in: cluster/packing.py)."""
    # The children's garbage collections skip what is loaded by now:
    # walking it would copy, in every child, the memory it shares with us.
    gc.freeze()
    scratch_root = Path(tempfile.mkdtemp(prefix="autograder-"))
    scratch_root.chmod(0o711)  # the worker may traverse to its own folder, not list others
    # Fewer submissions than jobs: each submission's tests are shared out
    # among the spare cores instead (SuiteSession.grade's shards).
    shards = min(MAX_SHARDS, max(1, jobs // max(1, len(outcomes))))
    running, queue = {}, list(outcomes)
    try:
        while queue or running:
            while queue and len(running) < max(1, jobs):
                outcome = queue.pop(0)
                child = forking.fork(grade_one_child, session, outcome.path, outcome.name, scratch_root, tier,
                                     shards, intake)
                running[child.pid] = (outcome, child, time.monotonic())
            pid, status = os.wait()
            if pid not in running:
                continue
            outcome, child, started = running.pop(pid)
            try:
                result = child.collect(status)
            except forking.ChildFailed as failure:
                outcome.failure = f"the grader failed on {outcome.path} ({failure}); see the error above"
            else:
                outcome.report = Report.from_dict(result["report"])
                session.replay.learn(result["learned"])
            if on_graded:
                on_graded(outcome, time.monotonic() - started)
    finally:
        for _, child, _ in running.values():  # interrupted (Ctrl-C): the graders still running end with us
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child.pid, 0)
        gc.unfreeze()
        shutil.rmtree(scratch_root, ignore_errors=True)
    return outcomes


def grade_one_child(session, path, name, scratch_root, tier, shards, intake=prepare):
    """In a forked child: the submission at `path` taken in and graded.
    Returns {"report": its JSON object, "learned": the examples recorded}."""
    scratch = Path(tempfile.mkdtemp(dir=scratch_root))
    scratch.chmod(0o711)
    folder = scratch / "submission"
    folder.mkdir(mode=0o755)
    start = time.monotonic()
    try:
        intake(path, folder)
    except SubmissionError as error:
        report = scoring.error_report(name, str(error), session.rubric, seconds=time.monotonic() - start)
    else:
        report = session.grade(folder, name, tier=tier, scratch_dir=scratch, shards_wanted=shards)
    return {"report": report.to_dict(), "learned": session.replay.learned}
