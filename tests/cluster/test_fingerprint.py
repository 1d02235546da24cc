"""Does a worker on another version of the grader refuse to grade?

The client sends its grader's fingerprint (a digest of the package, the
reference and the stubs: autograder/cluster/fingerprint.py) with the run;
a grading service whose own differs grades nothing, and each submission is
a grader failure that says why, never a score from another grader.
"""
import shutil
from pathlib import Path

from autograder.cluster import fingerprint

try:
    from on_cluster import REPO
except ModuleNotFoundError:  # tests/ became a package
    from tests.cluster.on_cluster import REPO


def test_the_fingerprint_follows_the_files_that_grade(tmp_path):
    for name in ("suite", "reference"):
        shutil.copytree(REPO / ("autograder/suite" if name == "suite" else name), tmp_path / name)
    roots = (tmp_path / "suite", tmp_path / "reference")
    before = fingerprint.of_grader.__wrapped__(roots)
    (tmp_path / "suite" / "__pycache__").mkdir(exist_ok=True)
    (tmp_path / "suite" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    (tmp_path / "reference" / "notes.txt").write_text("not a grading file")
    assert fingerprint.of_grader.__wrapped__(roots) == before
    with open(tmp_path / "reference" / "gru.py", "a") as f:
        f.write("\n# one more line\n")
    assert fingerprint.of_grader.__wrapped__(roots) != before


def test_a_worker_with_another_grader_grades_nothing(ready_cluster, tmp_path, monkeypatch):
    from autograder.api import GradingOptions
    from autograder.cluster import client
    monkeypatch.setattr(fingerprint, "of_grader", lambda: "0" * 64)   # the client is "another version"
    submission = Path(REPO / "examples" / "submissions" / "carol")
    outcomes = client.grade_on_cluster([submission], scheduler=ready_cluster.address, options=GradingOptions(),
                                       out_dir=tmp_path, say=lambda line: None)
    assert [o.report for o in outcomes] == [None]
    assert "is not the client's (000000000000): install the client's checkout on every worker" in outcomes[0].failure
    assert not list(tmp_path.iterdir())
