"""Which reports does `grade --resume` keep (autograder/report/resume.py)?

Only complete ones: a report that reads back, is valid against the report
schema, names its own submission and has no test in which the grader itself
failed. Anything else in its place is graded again.
"""
import json

from autograder import rubric as rubric_module, scoring
from autograder.report.resume import written_reports

RUBRIC = rubric_module.load()


def report_text(name, **changes):
    data = scoring.error_report(name, "could not be read", RUBRIC).to_dict()
    data.update(changes)
    return json.dumps(data)


def test_only_complete_reports_of_their_own_submission_are_kept(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.json").write_text(report_text("kept"))
    (out / "truncated.json").write_text(report_text("truncated")[:200])
    (out / "someone_else.json").write_text(report_text("another_student"))
    (out / "invalid.json").write_text(report_text("invalid", score="full marks"))
    (out / "grader_errors.json").write_text(report_text("grader_errors", grader_errors=1))
    (out / "not_json.json").write_text("{")
    paths = [f"submissions/{name}" for name in
             ("kept", "truncated", "someone_else", "invalid", "grader_errors", "not_json", "missing")]
    paths[0] += ".zip"

    found = written_reports(out, paths)

    assert list(found) == ["kept"]
    assert found["kept"].submission == "kept" and found["kept"].error == "could not be read"
