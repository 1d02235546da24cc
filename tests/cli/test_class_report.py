"""`python -m autograder class-report DIR`: the pages of a reports folder
(report/pages.py), and one clear line for what is not a reports folder. The
pages of real reports, and `grade --html`, are in tests/report/test_html_in_browser.py."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from made_up_reports import report_dict

ROOT = Path(__file__).resolve().parents[2]


def class_report(*args, drop_dac=False):
    """`python -m autograder class-report ARGS`; as root with drop_dac, without the power to write any file."""
    argv = [sys.executable, "-m", "autograder", "class-report", *map(str, args)]
    if drop_dac and os.geteuid() == 0:
        caps = "-dac_override,-dac_read_search"
        argv = ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}", "--", *argv]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


def holding(name, text, target=None):
    """A setup: write `text` to DIR/name, then point class-report at DIR (or at DIR/target)."""
    def setup(folder):
        (folder / name).write_text(text)
        return folder / target if target else folder
    return setup


UNEVEN = report_dict("x", [("1.1", "passed", {})])
UNEVEN["score"] = 5.0   # not the sum of its tests


@pytest.mark.parametrize("setup, message", [
    (lambda d: d / "nowhere", "no such folder"),
    (lambda d: d, "holds no reports"),
    (holding("x.json", "{not json"), "cannot be read as JSON"),
    (holding("x.json", '{"score": 1}'), "not a valid report"),
    (holding("x.json", "[1, 2]"), "not a valid report"),
    (holding("x.json", json.dumps(UNEVEN)), "is not the sum of the tests' score"),
    (holding("f.txt", "", target="f.txt"), "not a folder"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, setup, message):
    """Is a missing folder, an empty one, a file that is not JSON or not a report, one clear line and exit 2?"""
    done = class_report(setup(tmp_path))
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("autograder: error:") and len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_folder_it_cannot_write_is_one_line_and_exit_2(tmp_path):
    """Is a reports folder it may read but not write one clear line and exit 2 (no traceback)?"""
    (tmp_path / "ann.json").write_text(json.dumps(report_dict("ann", [("1.1", "passed", {})])))
    tmp_path.chmod(0o555)
    try:
        done = class_report(tmp_path, drop_dac=True)
    finally:
        tmp_path.chmod(0o755)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("autograder: error:") and "cannot write the pages" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_pages_are_written_for_reports_and_only_redrawn_when_stale(tmp_path):
    """Does class-report write index.html and each page, leave an up-to-date page alone the next
    time, and draw again the page of a report that changed?"""
    for data in (report_dict("ann", [("1.1", "passed", {}), ("1.2", "passed", {})]),
                 report_dict("bo b#1", [("1.1", "failed", {}), ("1.2", "failed", {})])):
        (tmp_path / f"{data['submission']}.json").write_text(json.dumps(data))
    (tmp_path / "summary.json").write_text("{}")   # not a report: left out
    first = class_report(tmp_path, "--jobs", "2")
    assert first.returncode == 0, first.stderr
    assert {p.name for p in tmp_path.glob("*.html")} == {"index.html", "ann.html", "bo b#1.html"}
    assert 'href="bo%20b%231.html"' in (tmp_path / "index.html").read_text()
    again = class_report(tmp_path)
    assert again.returncode == 0 and "and 0 submission page(s)" in again.stderr
    page = tmp_path / "ann.html"
    os.utime(page, (page.stat().st_atime, (tmp_path / "ann.json").stat().st_mtime - 10))   # older than its report
    assert "and 1 submission page(s)" in class_report(tmp_path).stderr


def test_the_command_is_listed_in_the_help():
    """Does `python -m autograder --help` list class-report, and `grade --help` its --html?"""
    top = subprocess.run([sys.executable, "-m", "autograder", "--help"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    grade = subprocess.run([sys.executable, "-m", "autograder", "grade", "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert "class-report" in top.stdout and "--html" in grade.stdout


def test_grade_html_writes_the_pages_after_grading(grading, tmp_path):
    """Does `grade --html` write each graded submission's page and the overview beside the reports?"""
    done = grading.grade_cli([grading.BLANK_RELEASE], tmp_path / "out", jobs=1, extra=("--html",))
    assert done.returncode == 0, done.stderr[-3000:]
    assert {p.name for p in (tmp_path / "out").glob("*.html")} == {"index.html", "blank_release.html"}
    assert "wrote" in done.stderr and "and 1 submission page(s)" in done.stderr
    assert "0 / 100 points" in (tmp_path / "out" / "blank_release.html").read_text()
