"""The report model (reports/model.py): a Report read back from its JSON is
the same report, field for field, whatever fields the suite added."""
import pytest

from autograder.report.model import Report


def test_reports_read_back_write_the_same_json(examples_batch):
    """Does every report of the examples batch (passed, failed, unreadable) come back from
    Report.from_dict as a Report whose JSON is the report's own?"""
    assert examples_batch.reports
    for name, data in examples_batch.reports.items():
        report = Report.from_dict(data)
        assert report.to_dict() == data, name
        assert report.score == pytest.approx(sum(test.score for test in report.tests), abs=1e-3)


def test_a_parts_tests_are_those_numbered_in_it(reference_report):
    report = Report.from_dict(reference_report)
    for part in report.parts:
        tests = report.tests_of_part(part)
        assert sum(test.counted for test in tests) == part.tests
        assert all(test.number.split(".")[0] == str(part.number) for test in tests)
