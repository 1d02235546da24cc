"""Grading throughput, printed (never asserted).

1. Whole-process seconds to grade one complete submission (the reference
   solution) with `python -m autograder grade` as a user runs it (default
   --jobs: every core, so its tests are split among them), worker start
   included: the median of several runs.
2. Submissions per second for a batch of 50 copies with `--jobs 2`.

The grader's own modules are compiled to bytecode first, as `make` does, so
that where PYTHONDONTWRITEBYTECODE is set the runs time grading, not compiling.

    python -m autograder bench grading [--runs 5] [--batch 50] [--jobs 2]
"""
import compileall
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBMISSION = REPO_ROOT / "examples" / "submissions" / "reference_solution"


def grade_seconds(paths, out_dir, jobs=None):
    """Wall-clock seconds of one `autograder grade` process (jobs None: the default)."""
    start = time.perf_counter()
    jobs_option = [] if jobs is None else ["--jobs", str(jobs)]
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, paths),
                           "--out", str(out_dir), *jobs_option],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"grading failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def compile_ahead():
    for package in ("autograder", "reference"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def main(*, runs=5, batch=50, jobs=2):
    """Print the table (`python -m autograder bench grading`)."""
    compile_ahead()
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        single = [grade_seconds([SUBMISSION], scratch / f"single-{i}") for i in range(runs)]
        copies = []
        for i in range(batch):
            copy = scratch / "batch-in" / f"student{i:03d}"
            shutil.copytree(SUBMISSION, copy)
            copies.append(copy)
        seconds = grade_seconds(copies, scratch / "batch-out", jobs)
    print(f"{'measure':<48} {'value':>10}  target")
    print(f"{'one submission, whole process (median of %d), s' % runs:<48} "
          f"{statistics.median(single):>10.2f}  <= 2.0   (runs: {', '.join(f'{s:.2f}' for s in single)})")
    print(f"{'batch of %d with --jobs %d, submissions/s' % (batch, jobs):<48} "
          f"{batch / seconds:>10.2f}  >= 1.5   ({seconds:.1f} s in all)")
    return 0

