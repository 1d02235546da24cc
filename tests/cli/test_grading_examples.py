"""The grader end to end, through its command line, on the bundled examples.

One batch (tests/conftest.py: examples_batch) holds the reference solution,
the blank release, the reference as a notebook and as a zip, the reference
without gru.py and without sequences.py, and two wrong corpus submissions; it is graded once with
`python -m autograder grade ... --jobs 2` and graded again to show that
grading is repeatable.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import rubric as rubric_module
from autograder.report.schema import validate_report, validate_summary

try:
    import golden
except ModuleNotFoundError:  # tests/ became a package
    from tests import golden

RUBRIC = rubric_module.load()


def full_marks(report):
    failed = [f"{t['number']} {t['name']}: {t['output']}" for t in report["tests"] if t["status"] != "passed"]
    assert not failed, f"{report['submission']} lost points:\n" + "\n".join(failed)
    assert report["score"] == report["max_score"] == 100


def test_exit_status_is_zero(examples_batch):
    """Does a batch of graded submissions (whatever their scores) exit 0?"""
    assert examples_batch.returncode == 0, examples_batch.stderr[-3000:]


def test_every_report_validates(examples_batch):
    """Is every report, and the summary, valid against the published schemas?"""
    names = [p.stem if p.suffix else p.name for p in examples_batch.paths]
    assert sorted(examples_batch.reports) == sorted(names)
    for report in examples_batch.reports.values():
        validate_report(report)
    assert examples_batch.summary is not None, "summary.json is missing"
    validate_summary(examples_batch.summary, [examples_batch.reports[n] for n in names])


def test_summary_csv_has_one_row_per_submission(examples_batch):
    """Does summary.csv list each submission once, with its score and a column per part?"""
    rows = examples_batch.csv_rows
    assert rows is not None, "summary.csv is missing"
    assert [r["submission"] for r in rows] == [s["submission"] for s in examples_batch.summary["submissions"]]
    assert len(rows) == len(examples_batch.paths)
    for row in rows:
        report = examples_batch.reports[row["submission"]]
        assert float(row["score"]) == report["score"]
        assert float(row["max_score"]) == report["max_score"]
        for part in report["parts"]:
            assert float(row[part["key"]]) == part["score"]


def test_reports_are_written_atomically(examples_batch):
    """Are no temporary files left beside the reports?"""
    leftovers = [p.name for p in examples_batch.out.iterdir()
                 if p.name not in {f"{n}.json" for n in examples_batch.reports} | {"summary.json", "summary.csv"}]
    assert not leftovers


@pytest.mark.parametrize("name", ["reference_solution", "reference_notebook", "reference_zip"])
def test_reference_earns_full_marks(examples_batch, name):
    """Does the reference solution earn 100/100, as a folder, a notebook and a zip?"""
    full_marks(examples_batch.report(name))


def test_reference_runs_every_rubric_test(reference_report):
    """Is every rubric entry graded (a parametrized one once per instance), summing to 100?"""
    keys = {t["key"] for t in reference_report["tests"]}
    assert keys == set(RUBRIC.tests)
    assert reference_report["max_score"] == pytest.approx(RUBRIC.max_score()) == 100


def test_blank_release_earns_nothing(examples_batch):
    """Does the blank release fail every test it is graded on, each saying what is not implemented yet?"""
    report = examples_batch.report("blank_release")
    assert report["score"] == 0 and report["max_score"] == 100
    graded = [t for t in report["tests"] if t["outcome"] != "skipped"]  # e.g. GPU checks without --gpu
    assert sum(t["max_score"] for t in graded) == pytest.approx(100)
    for test in graded:
        assert test["status"] == "failed", test
        assert "not implemented yet" in test["output"], test
    assert all(part["score"] == 0 for part in report["parts"])


def test_missing_file_costs_exactly_its_part(examples_batch):
    """Does a submission without gru.py lose the GRU part's points, saying gru.py is missing, and
    besides them only the tests of gru_gradient_norms, which runs the GRU (saying the GRU is not there)?"""
    report = examples_batch.report("missing_gru")
    gru = next(p for p in report["parts"] if p["key"] == "gru")
    assert gru["max_score"] > 0
    callers = [t for t in report["tests"] if t["number"].split(".")[0] != str(gru["number"])
               and "gru_gradient_norms" in t["tags"] and t["outcome"] != "skipped"]
    assert callers and all(t["status"] == "failed" for t in callers)
    assert report["score"] == pytest.approx(100 - gru["max_score"] - sum(t["max_score"] for t in callers))
    for test in report["tests"]:
        in_gru = test["number"].split(".")[0] == str(gru["number"])
        if in_gru:
            assert test["status"] == "failed", test
            assert "gru.py" in test["output"] and (
                "missing" in test["output"] or "not in your submission" in test["output"]), test
        elif test in callers:
            assert "gru.py" in test["output"] or "gru_forward: not implemented yet" in test["output"], test
        else:
            assert test["status"] == "passed", test


def test_missing_sequences_costs_only_part_8(examples_batch):
    """Does a submission without sequences.py lose Part 8's points, every test saying sequences.py is
    missing, and nothing else?"""
    report = examples_batch.report("missing_sequences")
    part = next(p for p in report["parts"] if p["key"] == "sequences")
    assert part["number"] == 8 and part["max_score"] == pytest.approx(10) and part["score"] == 0
    assert report["score"] == pytest.approx(90)
    for test in report["tests"]:
        if test["number"].split(".")[0] == "8":
            assert test["status"] == "failed" and "sequences.py is not in your submission" in test["output"], test
        else:
            assert test["status"] == "passed", test


def test_unreadable_submission_is_graded_zero_with_the_reason(examples_batch):
    """Is a corrupt zip graded (0 points, every test saying why), not a grader failure?"""
    report = examples_batch.report("unreadable")
    assert report["score"] == 0 and report["max_score"] == pytest.approx(100)
    assert "zip" in report["error"]
    assert all(t["status"] == "failed" and report["error"] in t["output"] for t in report["tests"])


def test_reports_are_the_golden_ones(grading, examples_batch):
    """Does every test of every example's report say exactly what is pinned in tests/golden/ (timings aside)?"""
    work = Path(examples_batch.paths[-1]).parent   # the batch's generated submissions live here
    lines = golden.check("examples", examples_batch.reports, {work: "@@WORK@@", grading.ROOT: "@@REPO@@"})
    assert not lines, "\n".join(lines)


def test_notebook_drops_magics_and_shell_lines(grading, tmp_path):
    """Does the test notebook hold the magics and `!pip` lines that the grader must drop?"""
    notebook = json.loads(grading.write_notebook(grading.REFERENCE_SOLUTION, tmp_path / "n.ipynb").read_text())
    lines = [line for cell in notebook["cells"] if cell["cell_type"] == "code" for line in cell["source"]]
    assert any(line.startswith("!pip") for line in lines)
    assert any(line.startswith("%%time") for line in lines)
    assert any(line.lstrip().startswith("%timeit") for line in lines)
    assert len(grading.notebook_cells_from(grading.REFERENCE_SOLUTION)) == 5


def test_wrong_submissions_in_the_batch_lose_points(grading, examples_batch):
    """Do the wrong submissions used for repeatability really fail (so that shrinking happens)?"""
    wrong = [n for n in examples_batch.reports if n not in grading.EXAMPLE_NAMES]
    assert wrong, "no wrong corpus case could be materialized"
    for name in wrong:
        assert examples_batch.reports[name]["score"] < 100


def test_plots_come_with_wrong_values_only(grading, examples_batch):
    """Do the wrong submissions' failed value tests carry plot data, and no passed, crashed or unreadable test any?"""
    for name, report in examples_batch.reports.items():
        with_plots = [t for t in report["tests"] if t.get("plots")]
        assert all(t["status"] == "failed" and t.get("cause") == "value" for t in with_plots), name
        if name not in grading.EXAMPLE_NAMES:
            assert with_plots, f"{name}: no failed test has plots"
        else:   # right, blank (not implemented: a crash), missing files (crashes) or unreadable
            assert not with_plots, name


@pytest.fixture(scope="module")
def regraded(grading, examples_batch, tmp_path_factory):
    """The same batch, graded a second time by a new CLI call."""
    return grading.grade_cli(examples_batch.paths, tmp_path_factory.mktemp("example-reports-again"))


def test_grading_twice_gives_the_same_results(examples_batch, regraded):
    """Does grading the same submissions again give the same per-test scores and statuses?"""
    assert regraded.returncode == 0, regraded.stderr[-3000:]
    assert sorted(regraded.reports) == sorted(examples_batch.reports)
    for name, first in examples_batch.reports.items():
        second = regraded.reports[name]
        validate_report(second)
        assert second["score"] == first["score"], name

        def outcomes(report):
            return [(t["number"], t["score"], t["max_score"], t["status"]) for t in report["tests"]]
        assert outcomes(second) == outcomes(first), name


@pytest.fixture(scope="module")
def graded_alone_in_shards(grading, examples_batch, tmp_path_factory):
    """One wrong submission of the batch, graded alone with --jobs 2: its tests split into two shards."""
    name = next(n for n in examples_batch.reports if n.startswith("wrong_"))
    path = next(p for p in examples_batch.paths if grading.Path(p).name == name)
    return name, grading.grade_cli([path], tmp_path_factory.mktemp("sharded"), jobs=2)


def test_a_lone_submission_split_into_shards_gets_the_batch_results(examples_batch, graded_alone_in_shards):
    """Does a lone submission, its tests split between two shards with a worker each, get exactly the
    per-test results, feedback included, that it got graded in one process within the batch (where
    it ran the tests it passes on examples recorded for another submission)?"""
    name, alone = graded_alone_in_shards
    assert alone.returncode == 0, alone.stderr[-3000:]
    report, in_batch = alone.reports[name], examples_batch.reports[name]
    validate_report(report)
    assert report["worker_starts"] == 2 and in_batch["worker_starts"] == 1
    # In the batch, the tests it passes were replayed on the reference's recorded examples.
    assert report["tests_replayed"] == 0 < in_batch["tests_replayed"]

    def results(r):
        return [(t["number"], t["score"], t["status"], t["output"], t["tags"], t.get("plots")) for t in r["tests"]]
    assert results(report) == results(in_batch)
    assert report["score"] == in_batch["score"] < 100


def test_grading_leaves_nothing_in_the_folder_it_is_run_from(grading, tmp_path):
    """Does grading from some folder leave that folder as it was (no .hypothesis/ cache there)?"""
    here = tmp_path / "here"
    here.mkdir()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(grading.BLANK_RELEASE),
                           "--out", str(tmp_path / "out")], cwd=here, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "blank_release.json").is_file()
    assert list(here.iterdir()) == []
