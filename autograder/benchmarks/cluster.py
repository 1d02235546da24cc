"""The cost of grading on a Dask cluster, printed (never asserted).

The same batch of copies of the reference solution is graded, alternately,
by local grading (`grade --jobs 2`) and through a LocalCluster of 2
workers (`grade --scheduler local:2`), each as a user runs it: one whole
process, the cluster's start and stop included. Alternating spreads the
noise of a shared machine over both sides; the medians are compared, and
so is each cluster run with the local run just before it.

CPU is that of every process of a run: this process becomes the subreaper
of the run's descendants, so that a process that outlives its parent (a
grading service that exits once its worker is gone, say) is still waited
for and counted.

    python -m autograder bench cluster [--runs 3] [--batch 50]
"""
import ctypes
import importlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .grading import SUBMISSION, compile_ahead

TARGET_RATIO = 1.15
PR_SET_CHILD_SUBREAPER = 36   # linux/prctl.h


def become_subreaper():
    """Orphans of our runs become our children (and are counted); False where that is not possible."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(command):
    """(wall seconds, CPU seconds of every process it started) of one command; exits if it fails."""
    cpu, start = children_cpu(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    while True:  # what outlived the command, once it ends
        try:
            os.wait()
        except ChildProcessError:
            break
    if done.returncode != 0:
        raise SystemExit(f"grading failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, children_cpu() - cpu


def main(*, runs=3, batch=50, workers=2):
    """Print the comparison (`python -m autograder bench cluster`; `make bench` runs it)."""
    try:
        importlib.import_module("distributed")
    except ImportError:
        print("cluster: dask.distributed is not installed (pip install -e '.[cluster]'); not measured")
        return 0
    compile_ahead()
    counted = become_subreaper()
    sides = {"local": ["--jobs", str(workers)], "cluster": ["--scheduler", f"local:{workers}"]}
    measured = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        copies = []
        for i in range(batch):
            copies.append(scratch / "in" / f"student{i:03d}")
            shutil.copytree(SUBMISSION, copies[-1])
        for run in range(runs):
            for side, options in sides.items():
                out = scratch / f"{side}-{run}"
                measured[side].append(timed_run([sys.executable, "-m", "autograder", "grade", *map(str, copies),
                                                 "--out", str(out), *options]))
    wall = {side: statistics.median(s for s, _ in runs_) for side, runs_ in measured.items()}
    cpu = {side: statistics.median(c for _, c in runs_) for side, runs_ in measured.items()}
    ratio = wall["cluster"] / wall["local"]
    # Each cluster run against the local run just before it: on a machine whose
    # speed swings between runs, the median of these is the steadier figure.
    paired = statistics.median(c / l for (l, _), (c, _) in zip(measured["local"], measured["cluster"]))
    print(f"{'measure (batch of %d, median of %d alternating runs)' % (batch, runs):<60} {'local':>8} {'cluster':>8}")
    print(f"{'  wall-clock seconds, whole process':<60} {wall['local']:>8.1f} {wall['cluster']:>8.1f}   "
          f"(local: {', '.join(f'{s:.1f}' for s, _ in measured['local'])}; "
          f"cluster: {', '.join(f'{s:.1f}' for s, _ in measured['cluster'])})")
    print(f"{'  CPU seconds per submission, every process' + ('' if counted else ' (orphans missed)'):<60} "
          f"{cpu['local'] / batch:>8.2f} {cpu['cluster'] / batch:>8.2f}")
    print(f"{'  overhead ratio, cluster / local wall-clock (medians)':<60} {ratio:>17.2f}   target <= {TARGET_RATIO}")
    print(f"{'  overhead ratio, median of the runs, each with its pair':<60} {paired:>17.2f}   target <= {TARGET_RATIO}")
    return 0
