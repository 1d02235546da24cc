"""Does `grade --resume` pick up where an interrupted local run stopped?

A local batch (`--jobs 2`) is interrupted (Ctrl-C: SIGINT to the command's
process group) once its first report is written; the same command run again
with --resume keeps every report already written as it is (the same file,
never rewritten), grades only the others, each once, and writes a summary of
the whole batch. A run with nothing left to grade only rewrites the summary.
(tests/cluster/test_resume_on_cluster.py: the same on a Dask cluster;
tests/report/test_written_reports.py: which files count as written.)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

try:
    import polling
    from resumed_runs import check_interrupted, check_resumed, graded_lines, reports_in
except ModuleNotFoundError:  # tests/ became a package
    from tests import polling
    from tests.resumed_runs import check_interrupted, check_resumed, graded_lines, reports_in

REPO = Path(__file__).resolve().parents[2]
REFERENCE_SOLUTION = REPO / "examples" / "submissions" / "reference_solution"
BATCH = 6


# `python -m autograder` as a terminal starts it, where SIGINT raises KeyboardInterrupt: a test
# run in the background of a non-interactive shell (as CI may be) hands its children SIGINT ignored.
AS_FROM_A_TERMINAL = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "runpy.run_module('autograder', run_name='__main__', alter_sys=True)")


def command(paths, out, *extra, python=("-m", "autograder")):
    return [sys.executable, *python, "grade", *map(str, paths), "--out", str(out), "--jobs", "2", *extra]


def test_resume_after_an_interrupted_run(tmp_path):
    paths = [shutil.copytree(REFERENCE_SOLUTION, tmp_path / "in" / f"student{i}") for i in range(BATCH)]
    out = tmp_path / "out"
    first = subprocess.Popen(command(paths, out, python=("-c", AS_FROM_A_TERMINAL)), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    assert polling.wait_until(lambda: reports_in(out) if out.is_dir() else {}, seconds=300), "no report was written"
    os.killpg(first.pid, signal.SIGINT)
    _, stderr = first.communicate(timeout=300)
    kept = check_interrupted(first.returncode, stderr, out, BATCH)

    again = subprocess.run(command(paths, out, "--resume"), cwd=REPO, capture_output=True, text=True, timeout=900)
    check_resumed(again, kept, out, paths)
    names = [p.name for p in paths]

    (out / "summary.json").unlink()
    done = subprocess.run(command(paths, out, "--resume"), cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"--resume: {BATCH} of {BATCH} submissions already graded" in done.stderr
    assert not graded_lines(done.stderr) and "sandbox:" not in done.stderr, "nothing was left to grade"
    assert [s["submission"] for s in json.loads((out / "summary.json").read_text())["submissions"]] == names
