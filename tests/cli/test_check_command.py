"""`python -m autograder check [PATH]`: the public tests on a student's working
copy, with the grader's own feedback, exit 0 when they all pass, 1 otherwise."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import rubric as rubric_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "submissions"
TIMEOUT_S = 300


def check(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", "check", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def carol(tmp_path_factory):
    """carol's partial folder, checked from inside it (PATH defaults to '.'), with --out."""
    work = tmp_path_factory.mktemp("check")
    folder = shutil.copytree(EXAMPLES / "carol", work / "carol")
    done = check("--out", work / "out", cwd=folder)
    return done, json.loads((work / "out" / "carol.json").read_text())


def test_public_set_is_small_and_covers_every_part():
    """Is there a public test in every part, and only a few in all?"""
    rubric = rubric_module.load()
    public = [t for t in rubric.tests.values() if t.public]
    parts = {t.part for t in public}
    assert parts == {p for p in rubric.parts if any(not t.gpu for t in rubric.tests.values() if t.part == p)}
    assert len(public) <= 10


def test_check_runs_only_the_public_tests(carol):
    """Does the report hold the public tests only, and does a missing file fail them with exit status 1?"""
    done, report = carol
    public = {k for k, t in rubric_module.load().tests.items() if t.public}
    assert {t["key"] for t in report["tests"]} == public
    assert done.returncode == 1
    assert "Some public tests failed" in done.stdout


def test_check_prints_the_graders_feedback(carol):
    """Does each failed test show its number, name and the grader's message, as in the JSON report?"""
    done, report = carol
    for test in report["tests"]:
        assert test["name"] in done.stdout
        for line in test["output"].splitlines():
            assert line.strip() in done.stdout
    assert "lstm.py is not in your submission" in done.stdout
    assert f"Total: {report['score']:g} / {report['max_score']:g}" in done.stdout


def test_check_passes_the_reference():
    """Does a correct solution pass every public test, with exit status 0?"""
    done = check(EXAMPLES / "reference_solution")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout and "All public tests passed" in done.stdout


def test_check_reads_a_notebook():
    """Does check take a notebook too, as the grader does (bob's GRU is wrong)?"""
    done = check(EXAMPLES / "bob.ipynb")
    assert done.returncode == 1
    assert "gru_step_forward" in done.stdout and "FAIL" in done.stdout


def test_check_of_a_missing_path_is_a_usage_error(tmp_path):
    done = check(tmp_path / "nowhere")
    assert done.returncode == 2
    assert done.stderr.startswith("autograder: error: no such file or folder")
