"""Helpers of the cluster tests: the session's LocalCluster, and the command
line run against it (`grade --scheduler tcp://...`), as an instructor runs it.
conftest.py holds the fixtures built on them."""
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from resumed_runs import graded_lines, reports_in  # noqa: F401  (what the cluster tests read back)
except ModuleNotFoundError:  # tests/ became a package
    from tests.resumed_runs import graded_lines, reports_in  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
WORKERS = 2
GRADE_TIMEOUT_S = 900   # a bound, never reached when grading works


def need_distributed():
    """dask.distributed, or skip (fail in CI) saying how to install it."""
    try:
        import distributed
    except ImportError:
        why = ("dask.distributed is not installed (pip install -e '.[cluster]'): "
               "cannot check grading on a cluster")
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; in CI, .ci/run must install the cluster extra")
        pytest.skip(why)
    return distributed


@dataclass
class Cluster:
    address: str
    client: object

    def workers(self):
        """{worker address: its pid}."""
        return self.client.run(os.getpid)

    def has_all_workers(self):
        return len(self.client.scheduler_info()["workers"]) == WORKERS

    def busy_workers(self):
        """{worker address: keys of the grading tasks it is running}."""
        return {worker: [key for key in keys if str(key).startswith("grade-")]
                for worker, keys in self.client.processing().items() if keys}


def grade_command(paths, out, *extra):
    return [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out), *extra]


def run_grade(paths, out, *extra, timeout=GRADE_TIMEOUT_S):
    """`python -m autograder grade PATHS --out OUT EXTRA...`, run to its end."""
    return subprocess.run(grade_command(paths, out, *extra), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


# `python -m autograder` as a terminal starts it, where SIGINT raises KeyboardInterrupt: a test
# run in the background of a non-interactive shell (as CI may be) hands its children SIGINT ignored.
AS_FROM_A_TERMINAL = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "runpy.run_module('autograder', run_name='__main__', alter_sys=True)")


def start_grade(paths, out, *extra):
    """The same, started in a process group of its own, to which interrupt() sends a Ctrl-C."""
    command = [sys.executable, "-c", AS_FROM_A_TERMINAL, *grade_command(paths, out, *extra)[3:]]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def interrupt(process):
    """Ctrl-C: SIGINT to the command's whole process group."""
    os.killpg(process.pid, signal.SIGINT)


def results(report):
    """What grading decided of a report, without its timings: the totals, the error, the
    sandbox tier and every test's outcome."""
    return {"score": report["score"], "max_score": report["max_score"], "error": report.get("error"),
            "sandbox": report.get("sandbox"),
            "tests": [(t["key"], t["name"], t["status"], t["score"], t["max_score"]) for t in report["tests"]]}
