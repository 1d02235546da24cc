"""The one way to grade: every entry point (the command line, `check`,
Gradescope's run_autograder, nbgrader's regrade) calls `grade_one` or
`grade_many` with the same GradingOptions. A Dask cluster's grading
services (cluster/service.py) run grade_many's own two steps, open_session
and session/batch.py's grade_batch, once per service instead of once per
submission: a task then pays for grading, not for pytest's start and the
suite's collection.

    from autograder.api import GradingOptions, grade_one
    report = grade_one("alice.zip", GradingOptions())     # a report.model.Report

The pipeline, per submission: intake (the submission -> a folder of module
files) -> the hidden suite against a sandboxed worker (session/) -> scoring
(scoring.py) -> a Report, which report/ writes out.
"""
import os
from dataclasses import dataclass
from pathlib import Path

from . import paths, rubric as rubric_module
from .intake import name_of
from .report.json_report import write_report
from .sandbox.outside import probing, zygote_client
from .session.batch import Outcome, grade_batch
from .session.suite import SuiteSession


@dataclass(frozen=True)
class GradingOptions:
    """How to grade."""
    rubric: object = None
    """A Rubric; None: the bundled rubric.toml."""
    tier: str = None
    """The isolation tier (namespaces, bwrap, limits); None: the strongest that works here."""
    jobs: int = os.cpu_count() or 1
    """Submissions graded in parallel (fewer submissions than jobs: their tests are shared out)."""
    gpu: object = False
    """Run the GPU parity tests: False, True, or what sandbox.outside.devices.select() returned."""
    public_only: bool = False
    """Only the rubric's public tests (`check`)."""
    reference_dir: Path = paths.REFERENCE_DIR
    stubs_dir: Path = paths.STUBS_DIR


class GraderFailed(RuntimeError):
    """The grader itself failed on a submission (never the submission's fault)."""


def grade_one(submission, options=GradingOptions(), *, name=None):
    """The Report of one submission (a folder, a notebook or a zip); one that
    cannot be read at all gets a report saying why. Raises GraderFailed."""
    outcome, = grade_many([submission], options, names=[name] if name else None)
    if outcome.failure:
        raise GraderFailed(outcome.failure)
    return outcome.report


def open_session(options):
    """The SuiteSession that grades with `options` (pytest collects the suite
    when it runs a plan): grade_many's, and a cluster's grading services'."""
    rubric = options.rubric or rubric_module.load()
    return SuiteSession(rubric, select=(lambda entry: entry.public) if options.public_only else None,
                        gpu=options.gpu, reference_dir=options.reference_dir, stubs_dir=options.stubs_dir)


def grade_many(submissions, options=GradingOptions(), *, out_dir=None, on_graded=None, names=None):
    """Grade `submissions` (paths); returns their Outcomes (report or grader
    failure) in order. out_dir: write each report there (atomically, validated)
    as soon as it is graded; on_graded(outcome, seconds): called then too.
    names: the reports' names (default: each path's name without extension)."""
    tier = options.tier or probing.probe(None)
    session = open_session(options)
    outcomes = [Outcome(str(path), name or name_of(path))
                for path, name in zip(submissions, names or [None] * len(submissions))]

    def graded(outcome, seconds):
        if out_dir is not None and outcome.report is not None:
            try:
                write_report(out_dir, outcome.report)
            except (OSError, ValueError) as error:  # ValueError: a report that breaks its schema
                outcome.failure, outcome.report = f"the report of {outcome.path} could not be written ({error})", None
        if on_graded:
            on_graded(outcome, seconds)

    # At the namespaces and limits tiers, workers are forked from a zygote
    # that has imported NumPy once (it starts up while pytest collects the suite).
    zygote_client.start_zygote(tier)
    try:
        return session.run(lambda ready: grade_batch(ready, outcomes, tier=tier, jobs=options.jobs,
                                                     on_graded=graded))
    finally:
        zygote_client.stop_zygote()
