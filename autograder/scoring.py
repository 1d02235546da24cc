"""Scoring: the suite's test records and the rubric -> a Report.

A record is what pytest-json-report keeps of a test (its nodeid, outcome and
stages), with the metadata the suite's conftest adds: the test's rubric key
and parametrization, the functions it called, and a failed test's feedback,
cause and failing example. A parametrized test splits its rubric points
evenly over its instances; a test that does not count (a GPU test without
--gpu) scores 0 of 0.
"""
import re

from . import contract
from .report.model import PartResult, Report, TestResult
from .rubric import RubricError


def score(submission, records, rubric, *, seconds, sandbox, gpu=False, extra=None):
    """The Report of one submission from its test records."""
    instances = {}
    for record in records:
        key = record.get("metadata", {}).get("key")
        if key not in rubric.tests:
            raise RubricError(f"suite test {record['nodeid']} has no entry in the rubric")
        instances.setdefault(key, []).append(record)
    tests = [test_result(entry, record, len(instances[key]), gpu, rubric.causes)
             for key, entry in rubric.tests.items() for record in instances.get(key, [])]
    tests.sort(key=lambda test: tuple(int(x) for x in re.findall(r"\d+", test.number)))
    total = round(sum(test.score for test in tests), 4)
    max_score = round(sum(test.max_score for test in tests), 4)
    parts = part_results(rubric, tests)
    return Report(submission, total, max_score, round(seconds, 3), summary_text(parts, total, max_score, sandbox),
                  tests, parts, sandbox, grader_errors=sum(1 for test in tests if test.grader_error),
                  extra=dict(extra or {}))


def test_result(entry, record, count, gpu, causes):
    """One TestResult from its rubric entry and record (one of `count` instances)."""
    metadata = record.get("metadata", {})
    param = metadata.get("param") or None
    outcome = record.get("outcome")
    counted = gpu or not entry.gpu
    max_points = round(entry.points / count, 6) if counted else 0.0
    passed = outcome == "passed"
    skipped = outcome == "skipped" or not counted
    tags = list(dict.fromkeys(
        ([param] if param in contract.FUNCTIONS else list(entry.tags)) + metadata.get("called", [])))
    failed = not passed and not skipped
    extra = {"diagnosis": metadata["diagnosis"]} if failed and metadata.get("diagnosis") else {}  # suite/diagnosis.py
    return TestResult(
        name=test_name(metadata.get("doc", entry.key.replace("_", " ")), param),
        number=entry.number + (f".{param}" if param else ""),
        score=max_points if passed else 0.0, max_score=max_points,
        status="passed" if passed or skipped else "failed",
        output="" if passed else feedback(entry, metadata, skipped, record, causes),
        tags=tags + (["gpu"] if entry.gpu else []), key=entry.key, outcome="skipped" if skipped else outcome,
        grader_error=metadata.get("grader_error"), cause=metadata.get("cause") if failed else None, extra=extra)


def test_name(doc, param):
    """A test's title: its docstring's first line, with the parametrized function
    in place of "{function}", or in front of it."""
    if not param:
        return doc
    if "{function}" in doc:
        return doc.replace("{function}", param)
    return doc if doc.startswith(param) else f"{param}: {doc}"


def feedback(entry, metadata, skipped, record, causes):
    """What a test that did not pass says: why it failed (or was skipped), its
    failing example, and the hint of its cause (the maths: the test's own)."""
    if skipped:
        return "skipped: " + (metadata.get("skip_reason") or skip_reason(record) or "not requested")
    if metadata.get("grader_error"):
        return ("The grader itself failed while checking this (not your fault; please tell your "
                "instructor): " + metadata["grader_error"])
    lines = [metadata.get("feedback") or "failed"]
    if metadata.get("example"):
        label = "Smallest failing example" if metadata.get("example_shrunk") else "Failing example"
        lines.append(f"{label}: {metadata['example']}")
    hint = causes.get(metadata.get("cause"), entry.hint)
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def skip_reason(record):
    """The reason of a test pytest skipped, from its longrepr "('file', line, 'Skipped: reason')"."""
    longrepr = (record.get("setup") or {}).get("longrepr") or (record.get("call") or {}).get("longrepr")
    if isinstance(longrepr, str) and "Skipped: " in longrepr:
        reason = longrepr.rsplit("Skipped: ", 1)[1].strip()
        for closing in ("')", '")'):  # the tuple's, not the reason's own parentheses
            reason = reason.removesuffix(closing)
        return reason
    return ""


def part_results(rubric, tests):
    """Each rubric part's subtotal, in the rubric's order."""
    parts = []
    for part in rubric.parts.values():
        mine = [test for test in tests if test.part_number == part.number]
        parts.append(PartResult(part.key, part.number, part.title, round(sum(t.score for t in mine), 4),
                                round(sum(t.max_score for t in mine), 4),
                                sum(t.status == "passed" and t.counted for t in mine), sum(t.counted for t in mine)))
    return parts


def summary_text(parts, total, max_score, sandbox):
    """The report's output: the score, each part's, and a note on degraded isolation."""
    lines = [f"Score: {total:g} / {max_score:g}"]
    for part in parts:
        if part.tests:
            lines.append(f"Part {part.number} {part.title}: {part.score:g} / {part.max_score:g} "
                         f"({part.passed} of {part.tests} tests passed)")
    if sandbox.get("degraded"):
        lines.append(f"Note: graded with degraded isolation ({sandbox['tier']}).")
    return "\n".join(lines)


def error_report(submission, message, rubric, *, seconds=0.0, sandbox=None):
    """The Report of a submission that could not be graded at all (e.g. a corrupt
    zip): every test failed with the same one-line reason."""
    tests = [TestResult(entry.key.replace("_", " "), entry.number, 0.0, entry.points, "failed", message,
                        list(entry.tags), entry.key, "failed")
             for entry in rubric.tests.values() if not entry.gpu]
    max_score = round(sum(test.max_score for test in tests), 4)
    return Report(submission, 0.0, max_score, round(seconds, 3), f"Score: 0 / {max_score:g}\n{message}", tests,
                  part_results(rubric, tests), sandbox or {}, error=message)
