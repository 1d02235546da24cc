"""What diagnosing failures costs the grader, per submission.

Grades one submission in this process (the suite's tests all in one
process, as a batch's child does) and times what the diagnosis adds:

- on failures: the time inside `diagnosis.annotate` (the mutants built and
  run, the first one of a process building the catalogue and the unmutated
  reference too), and how many failed tests it named a mistake for;
- on every check: the `observing` contexts the checks open (what a passing
  submission pays), counted, times their cost measured apart.

    python -m tests.corpus.diagnosis_cost PATH [PATH ...]   # one process per PATH
"""
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np


def context_cost():
    """Seconds one observing context costs a check that passes: made, entered,
    a call's result recorded, left (median of 7 runs of 10,000)."""
    from autograder.suite import diagnosis, problems
    from autograder.suite.inputs import TELLING
    problem = problems.lstm_sequence(TELLING)

    def one():
        with diagnosis.observing(diagnosis.backward_example(problem)) as seen:
            seen(None)
    return float(np.median(timeit.repeat(one, number=10_000, repeat=7))) / 10_000


def measure(path):
    """Grade `path` here; returns (grading seconds, annotate seconds, failed tests annotated,
    tests diagnosed, contexts opened)."""
    from autograder import rubric as rubrics
    from autograder.intake import prepare
    from autograder.sandbox.outside import probing
    from autograder.session.suite import SuiteSession
    from autograder.suite import diagnosis

    spent, counts = [0.0], {"annotated": 0, "diagnosed": 0, "contexts": 0}
    annotate, init = diagnosis.annotate, diagnosis.observing.__init__

    def timed_annotate(metadata, failure, ref):
        start = time.perf_counter()
        annotate(metadata, failure, ref)
        spent[0] += time.perf_counter() - start
        counts["annotated"] += 1
        counts["diagnosed"] += "diagnosis" in metadata

    def counted_init(self, example):
        counts["contexts"] += 1
        init(self, example)

    diagnosis.annotate, diagnosis.observing.__init__ = timed_annotate, counted_init
    with tempfile.TemporaryDirectory(prefix="diagnosis-cost-") as scratch:
        Path(scratch).chmod(0o711)
        folder = Path(scratch) / "submission"
        folder.mkdir(mode=0o755)
        prepare(path, folder)
        start = time.perf_counter()
        tier = probing.probe(None)
        SuiteSession(rubrics.load()).run(   # in this process: what the hooks spend is seen here
            lambda session: session.grade(folder, Path(path).stem, tier=tier, scratch_dir=Path(scratch)))
        seconds = time.perf_counter() - start
    return seconds, spent[0], counts["annotated"], counts["diagnosed"], counts["contexts"]


if __name__ == "__main__":
    if len(sys.argv) > 2:   # one process per submission: each pays its own first diagnosis
        for one in sys.argv[1:]:
            subprocess.run([sys.executable, "-m", "tests.corpus.diagnosis_cost", one], check=True)
        sys.exit(0)
    seconds, diagnosing, annotated, diagnosed, contexts = measure(sys.argv[1])
    per_context = context_cost()
    print(f"{Path(sys.argv[1]).stem}: graded in {seconds:.2f} s; diagnosis of {annotated} failed tests "
          f"({diagnosed} named) {diagnosing * 1000:.0f} ms; {contexts} checks observed, "
          f"{contexts * per_context * 1000:.2f} ms ({per_context * 1e6:.2f} µs each)")
