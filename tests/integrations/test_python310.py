"""Does the grader run on Python 3.10, the python3 of Gradescope's usual Ubuntu 22.04 image?

The Gradescope zip's setup.sh installs Ubuntu's python3 and the zip's
requirements.txt into a venv. Here a venv is made the same way with a 3.10
interpreter (built once per session), and the zip's own run_autograder
grades with it; then the bundled examples are graded with it and with this
interpreter, and must get the same per-test results.

Without a 3.10 interpreter these tests skip, saying so; in CI (CI=true) they
fail instead: .ci/run provides one (AUTOGRADER_PYTHON310).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.integrations import gradescope
from autograder.report import gradescope as results_format

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "submissions"
VENV_TIMEOUT_S = 900       # bounds, never reached when things work (about 20 s to build the venv)
RUN_TIMEOUT_S = 300


def is_python310(path):
    try:
        done = subprocess.run([path, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
                              capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.stdout.strip() == "True"


def find_python310():
    """$AUTOGRADER_PYTHON310, python3.10 on PATH, or pyenv's 3.10 (as on this project's machines)."""
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [os.environ.get("AUTOGRADER_PYTHON310"), shutil.which("python3.10"),
                  *sorted(glob.glob(os.path.join(pyenv, "versions", "3.10.*", "bin", "python3.10")), reverse=True)]
    return next((c for c in candidates if c and is_python310(c)), None)


@pytest.fixture(scope="session")
def python310():
    path = find_python310()
    if path is None:
        why = ("no Python 3.10 interpreter here ($AUTOGRADER_PYTHON310 unset, no python3.10 on PATH, none in "
               "pyenv's versions/): cannot check that the grader runs on Gradescope's Ubuntu 22.04 python3")
        if os.environ.get("CI") == "true":
            pytest.fail(why + "; in CI, .ci/run must provide one")
        pytest.skip(why)
    return path


@pytest.fixture(scope="session")
def autograder_zip(tmp_path_factory):
    return gradescope.build(tmp_path_factory.mktemp("gradescope-310") / "autograder.zip")


@pytest.fixture(scope="session")
def venv310(python310, autograder_zip, tmp_path_factory):
    """A 3.10 venv holding the zip's requirements.txt, as setup.sh makes /autograder/venv; its python."""
    folder = tmp_path_factory.mktemp("venv-310")
    with zipfile.ZipFile(autograder_zip) as archive:
        (folder / "requirements.txt").write_bytes(archive.read("requirements.txt"))
    venv = folder / "venv"
    for command in ([python310, "-m", "venv", str(venv)],
                    [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check",
                     "-r", str(folder / "requirements.txt")]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=VENV_TIMEOUT_S)
        assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return venv / "bin" / "python"


def fake_autograder_root(tmp_path, autograder_zip):
    """ROOT/source (the zip unpacked, with executable bits), ROOT/submission, ROOT/results."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    return root


def test_the_venv_is_python_3_10(venv310):
    done = subprocess.run([str(venv310), "-c", "import sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "(3, 10)"


@pytest.mark.parametrize("example, score", [("reference_solution", 100), ("blank_release", 0)])
def test_run_autograder_on_python_3_10_grades_an_example(tmp_path, autograder_zip, venv310, example, score):
    """With AUTOGRADER_PYTHON a 3.10 venv made from the zip's requirements.txt, does the zip's own
    run_autograder grade the reference solution 100 and the blank release 0?"""
    root = fake_autograder_root(tmp_path, autograder_zip)
    shutil.copytree(EXAMPLES / example, root / "submission", dirs_exist_ok=True)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=str(venv310))
    done = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"grader: {root / 'source' / 'autograder'}" in done.stdout  # the zip's copy ran
    results = json.loads((root / "results" / "results.json").read_text())
    results_format.validate(results)
    assert results["score"] == score
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(100)


def grade_examples(python, source, out):
    """The bundled examples graded by `python -m autograder` from the grader in `source`."""
    paths = sorted(str(p) for p in EXAMPLES.iterdir())
    env = dict(os.environ, PYTHONPATH=str(source))
    done = subprocess.run([str(python), "-m", "autograder", "grade", *paths, "--out", str(out), "--jobs", "2"],
                          cwd=source, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    return {p.stem: json.loads(p.read_text()) for p in out.glob("*.json") if p.stem != "summary"}


def test_the_examples_get_the_same_results_on_python_3_10(tmp_path, autograder_zip, venv310):
    """Graded with the zip's grader on 3.10 and with this checkout on this interpreter, does every
    bundled example get the same per-test scores and statuses?"""
    source = fake_autograder_root(tmp_path, autograder_zip) / "source"
    on_310 = grade_examples(venv310, source, tmp_path / "out-310")
    here = grade_examples(sys.executable, REPO, tmp_path / "out-here")
    assert sorted(on_310) == sorted(here) == sorted(p.name.split(".")[0] for p in EXAMPLES.iterdir())
    assert on_310["reference_solution"]["score"] == 100 and on_310["blank_release"]["score"] == 0

    def results(report):
        return [(t["number"], t["score"], t["status"]) for t in report["tests"]]
    for name in here:
        assert results(on_310[name]) == results(here[name]), name
