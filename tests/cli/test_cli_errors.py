"""Does the command line treat bad input the way it treats hostile code?

Each bad input gets one clear line on stderr (never a traceback), the
contract's exit status, a report where one is due, and no other report is
lost or overwritten. Unreadable submissions (corrupt, escaping, too large,
not a file at all) are graded: a report with every test failed and an
`error` saying why, exit 0. Bad command lines are usage errors: exit 2,
nothing graded, nothing written.
"""
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.report.schema import validate_report

try:
    from corpus.materialize import solution_copy
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus.materialize import solution_copy

REPO = Path(__file__).resolve().parents[2]
PREVIOUS = '{"submission": "previous", "note": "a report from an earlier run"}\n'


def run_cli(*args, drop_dac=False, timeout=300):
    """`python -m autograder ARGS`; as root with drop_dac, without the power to read any file."""
    argv = [sys.executable, "-m", "autograder", *map(str, args)]
    if drop_dac and os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        argv = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *argv]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def write_solution(folder):
    folder.mkdir(parents=True)
    for name, text in solution_copy().items():
        (folder / name).write_text(text)
    return folder


def zip_of(path, entries):
    """A zip at `path` of (ZipInfo or name, bytes) entries."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def symlink_entry(name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def lying_zip(path, real_bytes, claimed):
    """A zip whose one entry says it holds `claimed` bytes but inflates to `real_bytes`."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activations.py", b"#" * real_bytes)
    raw = bytearray(data.getvalue())
    local = raw.find(b"PK\x03\x04")
    central = raw.find(b"PK\x01\x02")
    raw[local + 22:local + 26] = claimed.to_bytes(4, "little")
    raw[central + 24:central + 28] = claimed.to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    return path


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("autograder: error: "), lines[0]
    return lines[0]


# --- unreadable submissions: graded, with a report that says why -----------------

def make_corrupt(d):
    (d / "corrupt.zip").write_bytes(os.urandom(4096))
    return d / "corrupt.zip"


def make_broken_notebook(d):
    (d / "broken_notebook.ipynb").write_text('{"cells": [')
    return d / "broken_notebook.ipynb"


DEEP_NOTEBOOK = b"[" * 100_000 + b"]" * 100_000   # 200 KB of valid JSON, far deeper than Python's parser goes


def make_deep_notebook(d):
    (d / "deep_notebook.ipynb").write_bytes(DEEP_NOTEBOOK)
    return d / "deep_notebook.ipynb"


def make_source_not_text(d):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": [["def sigmoid(z):\n"], 1]}
    (d / "source_not_text.ipynb").write_text(json.dumps({"cells": [cell], "nbformat": 4}))
    return d / "source_not_text.ipynb"


def make_empty(d):
    (d / "empty").mkdir()
    return d / "empty"


def make_fifo(d):
    os.mkfifo(d / "fifo.ipynb")
    return d / "fifo.ipynb"


def make_unreadable(d):
    (d / "unreadable.ipynb").write_text("{}")
    os.chmod(d / "unreadable.ipynb", 0)
    return d / "unreadable.ipynb"


def make_locked(d):
    write_solution(d / "locked")
    os.chmod(d / "locked", 0)
    return d / "locked"


BAD = {
    # name: (how to make it in a folder, the phrase its report's error holds)
    "corrupt": (make_corrupt, "not a readable zip file"),
    "broken_notebook": (make_broken_notebook, "not a valid Jupyter notebook"),
    "escaping": (lambda d: zip_of(d / "escaping.zip", [("../../evil/activations.py", b"x = 1\n")]),
                 "points outside the archive"),
    "absolute": (lambda d: zip_of(d / "absolute.zip", [("/tmp/activations.py", b"x = 1\n")]),
                 "points outside the archive"),
    "linked": (lambda d: zip_of(d / "linked.zip", [symlink_entry("activations.py", "/etc/passwd")]),
               "is a symbolic link"),
    "bomb": (lambda d: zip_of(d / "bomb.zip", [("activations.py", bytes(100 << 20))]),
             "inflates to more than"),
    "lying_bomb": (lambda d: lying_zip(d / "lying_bomb.zip", 8 << 20, 1000), "cannot extract"),
    "deep_notebook": (make_deep_notebook, "nested too deeply"),
    "deep_notebook_zip": (lambda d: zip_of(d / "deep_notebook_zip.zip", [("notebook.ipynb", DEEP_NOTEBOOK)]),
                          "nested too deeply"),
    "source_not_text": (make_source_not_text, "cell 1's source is not text"),
    "empty": (make_empty, "holds none of"),
    "fifo": (make_fifo, "not a regular file"),
    "unreadable": (make_unreadable, "Permission denied"),
    "locked": (make_locked, "Permission denied"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every unreadable submission and a correct one, graded in one call."""
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("as root, the unreadable cases need setpriv to drop the power to read anything")
    root = tmp_path_factory.mktemp("bad")
    inputs = root / "inputs"
    inputs.mkdir()
    paths = [write_solution(inputs / "normal")] + [make(inputs) for make, _ in BAD.values()]
    out = root / "out"
    out.mkdir()
    (out / "previous.json").write_text(PREVIOUS)
    result = run_cli("grade", *paths, "--out", out, "--jobs", "2", drop_dac=True)
    yield result, out
    for path in (inputs / "locked", inputs / "unreadable.ipynb"):
        os.chmod(path, 0o755)


def test_unreadable_submissions_are_graded_with_exit_0(graded):
    """Is a batch with unreadable submissions still graded, exit 0, without a traceback?"""
    result, out = graded
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads((out / "normal.json").read_text())["score"] == 100
    assert (out / "previous.json").read_text() == PREVIOUS


@pytest.mark.parametrize("name", list(BAD))
def test_unreadable_submission_gets_a_report_and_one_line(graded, name):
    """Does the submission get a valid report with every test failed, and one line saying why?"""
    result, out = graded
    phrase = BAD[name][1]
    report = json.loads((out / f"{name}.json").read_text())
    validate_report(report)
    assert report["score"] == 0 and report["max_score"] > 0
    assert phrase in report["error"], report["error"]
    assert "\n" not in report["error"]
    assert all(t["status"] == "failed" for t in report["tests"])
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"graded {name}:")]
    assert len(lines) == 1 and phrase in lines[0], result.stderr


def test_summary_lists_every_submission(graded):
    result, out = graded
    summary = json.loads((out / "summary.json").read_text())
    assert {row["submission"] for row in summary["submissions"]} == {"normal", *BAD}


# --- bad command lines: exit 2, one line, nothing written ------------------------

@pytest.fixture
def out_with_previous(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.json").write_text(PREVIOUS)
    return out


def assert_nothing_written(out):
    assert sorted(p.name for p in out.iterdir()) == ["previous.json"]
    assert (out / "previous.json").read_text() == PREVIOUS


def test_missing_path_is_a_usage_error(tmp_path, out_with_previous):
    """A path that does not exist: exit 2, one line naming it, nothing graded."""
    normal = write_solution(tmp_path / "normal")
    result = run_cli("grade", normal, tmp_path / "nope", "--out", out_with_previous)
    assert result.returncode == 2
    assert "no such submission" in one_error_line(result) and "nope" in result.stderr
    assert_nothing_written(out_with_previous)


def test_two_submissions_with_the_same_name_are_a_usage_error(tmp_path, out_with_previous):
    """alice/ and alice.zip would both write alice.json: exit 2 before anything is written."""
    first = write_solution(tmp_path / "a" / "alice")
    second = zip_of(tmp_path / "alice.zip", [("activations.py", b"x = 1\n")])
    result = run_cli("grade", first, second, "--out", out_with_previous)
    assert result.returncode == 2
    assert "alice.json" in one_error_line(result)
    assert_nothing_written(out_with_previous)


@pytest.mark.parametrize("args", [["--frobnicate"], ["--jobs", "0"], ["--sandbox", "chroot"]],
                         ids=["unknown-flag", "jobs-0", "unknown-tier"])
def test_bad_flags_are_usage_errors(tmp_path, out_with_previous, args):
    normal = write_solution(tmp_path / "normal")
    result = run_cli("grade", normal, "--out", out_with_previous, *args)
    assert result.returncode == 2
    one_error_line(result)
    assert_nothing_written(out_with_previous)


def test_out_that_is_a_file_is_a_usage_error(tmp_path):
    normal = write_solution(tmp_path / "normal")
    target = tmp_path / "reports.txt"
    target.write_text("keep me\n")
    result = run_cli("grade", normal, "--out", target)
    assert result.returncode == 2
    assert "not a folder" in one_error_line(result)
    assert target.read_text() == "keep me\n"


def test_out_writable_by_everyone_is_a_usage_error(tmp_path):
    """Sandboxed code runs as another user: a world-writable --out would let it forge reports."""
    normal = write_solution(tmp_path / "normal")
    out = tmp_path / "open"
    out.mkdir()
    out.chmod(0o777)
    result = run_cli("grade", normal, "--out", out)
    assert result.returncode == 2
    assert "writable by every user" in one_error_line(result)
    assert list(out.iterdir()) == []


def test_reserved_name_is_a_usage_error(tmp_path, out_with_previous):
    summary = write_solution(tmp_path / "summary")
    result = run_cli("grade", summary, "--out", out_with_previous)
    assert result.returncode == 2
    assert "reserved" in one_error_line(result)
    assert_nothing_written(out_with_previous)
