"""For CI: `grade --format junit` writes DIR/junit.xml beside the JSON reports,
and `--fail-under SCORE` makes the exit status 1 when a submission scores
below SCORE."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.report.junit import junit_xml
from autograder.report.model import PartResult, Report, TestResult

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "submissions"
TIMEOUT_S = 600


def grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def junit_batch(tmp_path_factory):
    """carol (29.7 points) and the reference (100), with --format junit --fail-under 50."""
    out = tmp_path_factory.mktemp("junit")
    done = grade(EXAMPLES / "carol", EXAMPLES / "reference_solution", "--out", out, "--jobs", "2",
                 "--format", "junit", "--fail-under", "50")
    reports = {name: json.loads((out / f"{name}.json").read_text()) for name in ("carol", "reference_solution")}
    return done, out, reports


def test_fail_under_exits_1_and_names_the_low_scorer(junit_batch):
    """Is the exit status 1, naming carol (29.7 < 50) and not the reference (100)?"""
    done, _, reports = junit_batch
    assert reports["carol"]["score"] < 50 <= reports["reference_solution"]["score"]
    assert done.returncode == 1
    assert "carol scored 29.7, under --fail-under 50" in done.stderr
    assert "reference_solution scored" not in done.stderr


def test_junit_xml_mirrors_the_reports(junit_batch):
    """Does junit.xml hold one suite per submission, one case per test, failures where the report failed?"""
    _, out, reports = junit_batch
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == set(reports)
    for name, report in reports.items():
        suite = suites[name]
        cases = suite.findall("testcase")
        assert len(cases) == len(report["tests"]) == int(suite.get("tests"))
        failed = [t for t in report["tests"] if t["status"] == "failed"]
        assert int(suite.get("failures")) == len(failed) == len([c for c in cases if c.find("failure") is not None])
        properties = {p.get("name"): p.get("value") for p in suite.find("properties")}
        assert float(properties["score"]) == pytest.approx(report["score"])
    carol_failure = next(c.find("failure") for c in suites["carol"].findall("testcase") if c.find("failure") is not None)
    assert "points" in carol_failure.get("message") and carol_failure.text
    assert int(root.get("failures")) == sum(int(s.get("failures")) for s in suites.values())
    assert (out / "summary.json").exists()  # the JSON reports are still written


def test_a_junit_consumer_reads_the_same_results(junit_batch):
    """Does junitparser (the reader of e.g. the publish-unit-test-result action) see our counts and messages?"""
    junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")
    _, out, reports = junit_batch
    suites = {suite.name: suite for suite in junitparser.JUnitXml.fromfile(str(out / "junit.xml"))}
    for name, report in reports.items():
        suite = suites[name]
        failed = [t for t in report["tests"] if t["status"] == "failed"]
        assert (suite.tests, suite.failures, suite.errors) == (len(report["tests"]), len(failed), 0)
        messages = {case.name: case.result[0].message for case in suite
                    if case.result and isinstance(case.result[0], junitparser.Failure)}
        for test in failed:
            message = messages[f"{test['number']} {test['name']}"]
            assert message.startswith(f"0/{test['max_score']:g} points: {test['output'].splitlines()[0]}")


def test_fail_under_is_not_met_by_an_equal_score(tmp_path):
    """Does a submission scoring exactly SCORE pass (blank stubs: 0 points, --fail-under 0)?"""
    done = grade(EXAMPLES / "blank_release", "--out", tmp_path, "--fail-under", "0", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "junit.xml").exists()  # json is the default format


@pytest.mark.parametrize("args", [("--fail-under", "lots"), ("--fail-under", "-1"), ("--format", "xml")])
def test_bad_values_are_usage_errors(tmp_path, args):
    """Is a bad --fail-under or --format a one-line usage error (exit 2), with nothing graded?"""
    done = grade(EXAMPLES / "carol", "--out", tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("autograder: error:") and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_junit_survives_any_student_output():
    """Does a message with control characters and markup still give well-formed XML?"""
    report = Report("eve<&>", 0, 1, 0.5, "", sandbox={},
                    parts=[PartResult("activations", 1, "Activations", 0, 1, 0, 1)],
                    tests=[TestResult("sigmoid <matches>", "1.1", 0, 1, "failed", "got \x1b[31mnan\x00 & ]]> here",
                                      ["sigmoid"], "sigmoid_matches_reference", "failed"),
                           TestResult("gpu", "1.2", 0, 0, "passed", "skipped: no GPU", ["gpu"], "gpu_outputs_match",
                                      "skipped")])
    root = ET.fromstring(junit_xml([report]))
    suite = root.find("testsuite")
    assert suite.get("name") == "eve<&>" and suite.get("skipped") == "1" and suite.get("failures") == "1"
    assert "]]> here" in suite.find("testcase/failure").text
