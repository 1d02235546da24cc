"""Validate reports and batch summaries against their JSON Schemas.

`report.schema.json` and `summary.schema.json` (beside this file) describe the
files `python -m autograder grade` writes. The schemas fix the shape; the
checks here add what a schema cannot say: totals add up, a passed test earns
its points, a failed one says why.

    from autograder.report.schema import validate_report
    validate_report(json.loads(path.read_text()))   # raises ReportInvalid

Every report is validated as it is written, so validation is made fast: a
schema compiled to Python code (fastjsonschema) says whether the data is
valid, and only invalid data is walked again (jsonschema) to list every
problem. The schemas use the keywords both understand.
"""
import functools
import json
from importlib import resources

import fastjsonschema

TOLERANCE = 1e-3   # scores are rounded to 4 decimals before they are summed again


class ReportInvalid(ValueError):
    """A report or summary breaks its schema or does not add up; lists every problem."""

    def __init__(self, what, problems):
        self.problems = list(problems)
        super().__init__(f"{what}: " + "; ".join(self.problems))


@functools.cache
def load_schema(name):
    """The parsed schema `name` ("report" or "summary")."""
    return json.loads(resources.files("autograder.report").joinpath(f"{name}.schema.json").read_text("utf-8"))


@functools.cache
def _validator(name):
    # Imported only here, for invalid data: with the format checkers some
    # installs bring along, importing jsonschema costs about a second of CPU
    # in every grader process (a cluster's grading services included).
    import jsonschema
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@functools.cache
def _compiled(name):
    return fastjsonschema.compile(load_schema(name))


def schema_errors(name, data):
    """The schema violations of `data`, one line each (path: message)."""
    try:
        _compiled(name)(data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]


def validate_report(data, *, consistency=True):
    """Raise ReportInvalid unless `data` is a valid report (and, by default, adds up)."""
    problems = schema_errors("report", data)
    if consistency and not problems:
        problems = report_inconsistencies(data)
    if problems:
        raise ReportInvalid(f"report {data.get('submission', '?') if isinstance(data, dict) else '?'}", problems)
    return data


def validate_summary(data, reports=None):
    """Raise ReportInvalid unless `data` is a valid summary.json (matching `reports`, if given)."""
    problems = schema_errors("summary", data)
    if not problems:
        rows = data["submissions"]
        if data["count"] != len(rows):
            problems.append(f"count is {data['count']} but there are {len(rows)} rows")
        if reports is not None:
            expected = [(r["submission"], r["score"], r["max_score"]) for r in reports]
            got = [(r["submission"], r["score"], r["max_score"]) for r in rows]
            if got != expected:
                problems.append(f"rows {got} do not match the reports {expected}")
    if problems:
        raise ReportInvalid("summary", problems)
    return data


def report_inconsistencies(report):
    """What does not add up in a schema-valid report (empty when all is well)."""
    problems = []
    tests = report["tests"]

    def close(a, b):
        return abs(a - b) <= TOLERANCE

    for total, field in (("score", "score"), ("max_score", "max_score")):
        summed = sum(t[field] for t in tests)
        if not close(report[total], summed):
            problems.append(f"{total} {report[total]} is not the sum of the tests' {field} ({summed:g})")
    if report["score"] > report["max_score"] + TOLERANCE:
        problems.append(f"score {report['score']} exceeds max_score {report['max_score']}")
    numbers = [t["number"] for t in tests]
    if len(set(numbers)) != len(numbers):
        problems.append(f"test numbers repeat: {sorted(n for n in set(numbers) if numbers.count(n) > 1)}")
    for t in tests:
        where = f"test {t['number']} ({t['key']})"
        if t["score"] > t["max_score"] + TOLERANCE:
            problems.append(f"{where}: score {t['score']} exceeds max_score {t['max_score']}")
        if t["status"] == "passed" and not close(t["score"], t["max_score"]):
            problems.append(f"{where}: passed but scored {t['score']} of {t['max_score']}")
        kept = t.get("carried_forward", {}).get("kept", 0)
        if t["status"] == "failed" and not close(t["score"], kept):
            problems.append(f"{where}: failed but scored {t['score']}"
                            + (f", not the {kept} its carried-forward error keeps" if kept else ""))
        if t["status"] == "failed" and not t["output"].strip():
            problems.append(f"{where}: failed without saying why (empty output)")
        if t["outcome"] == "skipped" and (t["status"] != "passed" or t["max_score"] != 0):
            problems.append(f"{where}: skipped tests must count 0 of 0 and not fail")
    parts = {p["number"]: p for p in report["parts"]}
    for t in tests:
        if int(t["number"].split(".")[0]) not in parts:
            problems.append(f"test {t['number']} belongs to no part")
    for number, part in parts.items():
        mine = [t for t in tests if int(t["number"].split(".")[0]) == number]
        if not close(part["score"], sum(t["score"] for t in mine)) or \
                not close(part["max_score"], sum(t["max_score"] for t in mine)):
            problems.append(f"part {number} ({part['key']}): subtotal {part['score']}/{part['max_score']} "
                            f"is not the sum of its tests")
    return problems
