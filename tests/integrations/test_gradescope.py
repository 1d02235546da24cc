"""The Gradescope autograder zip, and its run_autograder on a fake /autograder
tree: the zip unpacked into ROOT/source, the student's upload in
ROOT/submission, results.json expected in ROOT/results, as Gradescope lays
them out. The grader that runs is the zip's copy (the test checks where it
was imported from).
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.integrations import gradescope
from autograder.report import figures, gradescope as results_format

from made_up_reports import PER_STEP, made_test, report

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "submissions"
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    return gradescope.build(tmp_path_factory.mktemp("gradescope") / "autograder.zip")


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


def run_autograder(root):
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    return subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)


def test_zip_holds_what_gradescope_runs(autograder_zip):
    """Are setup.sh and run_autograder at the top, executable, beside the grader, the reference and requirements?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        requirements = archive.read("requirements.txt").decode()
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & stat.S_IXUSR, script
    for name in ("autograder/api.py", "autograder/cli/grade.py", "autograder/rubric.toml", "autograder/suite/conftest.py",
                 "autograder/sandbox/inside/run.py", "autograder/report/report.schema.json",
                 "reference/lstm.py", "assignments/rnn.py"):
        assert name in infos, name
    assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc")]
    assert "numpy" in requirements and "hypothesis" in requirements
    assert "matplotlib" in requirements   # the first plot of a failed test, drawn into results.json


def test_zip_is_reproducible(autograder_zip, tmp_path):
    """Do the same sources give the same zip, byte for byte?"""
    again = gradescope.build(tmp_path / "again.zip")
    assert again.read_bytes() == autograder_zip.read_bytes()


def test_run_autograder_grades_an_uploaded_zip(tmp_path, autograder_zip):
    """Given alice's zip as Gradescope unpacks it (a folder inside), does it write a valid results.json with her grade?"""
    root = fake_autograder_root(tmp_path, autograder_zip)
    with zipfile.ZipFile(EXAMPLES / "alice.zip") as archive:
        archive.extractall(root / "submission")
    done = run_autograder(root)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"grader: {root / 'source' / 'autograder'}" in done.stdout  # the zip's copy ran
    results = json.loads((root / "results" / "results.json").read_text())
    results_format.validate(results)
    assert 0 < results["score"] < 100
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(100)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] and t["score"] < t["max_score"] for t in failed)
    assert any(t.get("output_format") == "html" for t in failed)   # her wrong values, with a plot
    assert {p["key"] for p in results["extra_data"]["parts"]} >= {"lstm", "gru"}


def test_run_autograder_explains_an_empty_submission(tmp_path, autograder_zip):
    """With nothing gradable uploaded, is there still a results.json: score 0 and why?"""
    root = fake_autograder_root(tmp_path, autograder_zip)
    (root / "submission" / "notes.txt").write_text("I forgot my files\n")
    done = run_autograder(root)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    results_format.validate(results)
    assert results["score"] == 0
    assert "activations.py" in results["tests"][0]["output"]


def test_locate_finds_the_upload(tmp_path):
    """Does run_autograder grade the four files, a lone notebook, a lone zip, or the one folder holding them?"""
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "rnn.py").write_text("")
    assert gradescope.locate(tmp_path / "files") == tmp_path / "files"
    (tmp_path / "nb").mkdir()
    shutil.copy(EXAMPLES / "bob.ipynb", tmp_path / "nb")
    assert gradescope.locate(tmp_path / "nb") == tmp_path / "nb" / "bob.ipynb"
    (tmp_path / "zip").mkdir()
    shutil.copy(EXAMPLES / "alice.zip", tmp_path / "zip")
    assert gradescope.locate(tmp_path / "zip") == tmp_path / "zip" / "alice.zip"
    (tmp_path / "nested" / "carol").mkdir(parents=True)
    shutil.copy(EXAMPLES / "carol" / "rnn.py", tmp_path / "nested" / "carol")
    assert gradescope.locate(tmp_path / "nested") == tmp_path / "nested" / "carol"


def test_results_json_rejects_what_gradescope_would():
    """Does the schema catch a test with a status Gradescope does not know?"""
    import jsonschema
    bad = {"score": 1, "tests": [{"name": "x", "score": 1, "max_score": 1, "status": "ok"}]}
    with pytest.raises(jsonschema.ValidationError):
        results_format.validate(bad)
    bad_format = {"score": 1, "tests": [{"name": "x", "score": 1, "max_score": 1, "output_format": "pdf"}]}
    with pytest.raises(jsonschema.ValidationError):
        results_format.validate(bad_format)


def results_of(tests):
    results = results_format.results_json(report("eve", tests))
    results_format.validate(results)
    return results["tests"]


def test_a_diagnosis_and_the_first_plot_are_shown_as_html():
    """Is a failed test with a diagnosis and plots written as HTML (the likely mistake, the feedback
    escaped, the first plot inline), and a plain failed test left as text?"""
    import base64
    import re
    diagnosis = {"id": "no_carry", "title": "dh is not carried back", "explanation": "Add dh_next to dH[:, t]."}
    shown, plain = results_of([made_test("3.2", "failed", output="rnn_backward: dX differs <at t=0>",
                                         diagnosis=diagnosis, plots=[PER_STEP, PER_STEP]),
                               made_test("3.3", "failed", output="rnn_backward: dX differs <at t=0>")])
    assert shown["output_format"] == "html"
    assert "Likely mistake: dh is not carried back" in shown["output"] and "Add dh_next" in shown["output"]
    assert "dX differs &lt;at t=0&gt;" in shown["output"]
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', shown["output"])
    if figures.available():
        assert len(images) == 1 and base64.b64decode(images[0][0]).startswith(b"\x89PNG")
    assert "output_format" not in plain and plain["output"] == "rnn_backward: dX differs <at t=0>"


def test_results_json_carries_a_bounded_number_of_images():
    """With many plotted failures, do only the first MAX_IMAGES carry an image (the rest their text, as HTML)?"""
    if not figures.available():
        pytest.skip("matplotlib is not installed (the plot extra): no images to count")
    tests = results_of([made_test(f"1.{i}", "failed", plots=[PER_STEP]) for i in range(results_format.MAX_IMAGES + 3)])
    assert sum("<img" in t["output"] for t in tests) == results_format.MAX_IMAGES
    assert all(t["output_format"] == "html" and "<pre>" in t["output"] for t in tests)
