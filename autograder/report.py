"""The score report: pytest-json-report's test records + the rubric -> the
contract's JSON (a superset of Gradescope's results.json), and the batch
summaries. Writes are atomic: a reader sees the old file or the new one.
"""
import csv
import io
import json
import os
import re
import statistics
import tempfile
from pathlib import Path

from . import contract
from .rubric import RubricError

SCHEMA_VERSION = "1"
NODE = re.compile(r"::test_(?P<key>\w+?)(?:\[(?P<param>[^\]]*)\])?$")


def build(submission, records, rubric, *, seconds, sandbox, gpu=False, extra=None):
    """The report of one submission from its test records (pytest-json-report)."""
    instances = {}
    for record in records:
        match = NODE.search(record["nodeid"])
        if not match or match["key"] not in rubric.tests:
            raise RubricError(f"suite test {record['nodeid']} has no entry in the rubric")
        instances.setdefault(match["key"], []).append((match["param"], record))
    tests = []
    for key, entry in rubric.tests.items():
        for param, record in instances.get(key, []):
            tests.append(_test_result(entry, param, record, len(instances[key]), gpu, rubric.causes))
    tests.sort(key=lambda t: tuple(int(x) for x in re.findall(r"\d+", t["number"])))
    score = round(sum(t["score"] for t in tests), 4)
    max_score = round(sum(t["max_score"] for t in tests), 4)
    parts = _parts(rubric, tests)
    report = {
        "schema_version": SCHEMA_VERSION,
        "submission": submission,
        "score": score,
        "max_score": max_score,
        "execution_time": round(seconds, 3),
        "output": _summary_text(parts, score, max_score, sandbox),
        "visibility": "visible",
        "tests": tests,
        "parts": parts,
        "sandbox": sandbox,
        "grader_errors": sum(1 for t in tests if t.get("grader_error")),
    }
    report.update(extra or {})
    return report


def _test_result(entry, param, record, count, gpu, causes):
    metadata = record.get("metadata", {})
    outcome = record.get("outcome")
    counted = gpu or not entry.gpu
    max_points = round(entry.points / count, 6) if counted else 0.0
    passed = outcome == "passed"
    skipped = outcome == "skipped" or not counted
    doc = metadata.get("doc", entry.key.replace("_", " "))
    name = test_name(doc, param)
    tags = list(dict.fromkeys(
        ([param] if param in contract.FUNCTIONS else list(entry.tags)) + metadata.get("called", [])))
    result = {
        "name": name,
        "number": entry.number + (f".{param}" if param else ""),
        "score": max_points if passed else 0.0,
        "max_score": max_points,
        "status": "passed" if passed or skipped else "failed",
        "output": "" if passed else _feedback(entry, metadata, skipped, record, causes),
        "tags": tags + (["gpu"] if entry.gpu else []),
        "visibility": "visible",
        "key": entry.key,
        "outcome": "skipped" if skipped else outcome,
    }
    if metadata.get("grader_error"):
        result["grader_error"] = metadata["grader_error"]
    if not passed and not skipped and metadata.get("cause"):
        result["cause"] = metadata["cause"]
    if not passed and not skipped and metadata.get("diagnosis"):
        result["diagnosis"] = metadata["diagnosis"]   # the known mistake that explains it (suite/diagnosis.py)
    return result


def test_name(doc, param):
    """A test's title: its docstring's first line, with the parametrized function
    in place of "{function}", or in front of it."""
    if not param:
        return doc
    if "{function}" in doc:
        return doc.replace("{function}", param)
    return doc if doc.startswith(param) else f"{param}: {doc}"


def _feedback(entry, metadata, skipped, record, causes):
    if skipped:
        return "skipped: " + (metadata.get("skip_reason") or _skip_reason(record) or "not requested")
    if metadata.get("grader_error"):
        return ("The grader itself failed while checking this (not your fault; please tell your "
                "instructor): " + metadata["grader_error"])
    lines = [metadata.get("feedback") or "failed"]
    if metadata.get("example"):
        label = "Smallest failing example" if metadata.get("example_shrunk") else "Failing example"
        lines.append(f"{label}: {metadata['example']}")
    hint = causes.get(metadata.get("cause"), entry.hint)  # the maths ("value"): the test's own hint
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n".join(lines)


def _skip_reason(record):
    """The reason of a test pytest skipped, from its longrepr "('file', line, 'Skipped: reason')"."""
    longrepr = (record.get("setup") or {}).get("longrepr") or (record.get("call") or {}).get("longrepr")
    if isinstance(longrepr, str) and "Skipped: " in longrepr:
        reason = longrepr.rsplit("Skipped: ", 1)[1].strip()
        for closing in ("')", '")'):  # the tuple's, not the reason's own parentheses
            reason = reason.removesuffix(closing)
        return reason
    return ""


def _parts(rubric, tests):
    parts = []
    for part in rubric.parts.values():
        mine = [t for t in tests if t["number"].split(".")[0] == str(part.number)]
        parts.append({"key": part.key, "number": part.number, "title": part.title,
                      "score": round(sum(t["score"] for t in mine), 4),
                      "max_score": round(sum(t["max_score"] for t in mine), 4),
                      "passed": sum(t["status"] == "passed" and t["outcome"] != "skipped" for t in mine),
                      "tests": sum(t["outcome"] != "skipped" for t in mine)})
    return parts


def _summary_text(parts, score, max_score, sandbox):
    lines = [f"Score: {score:g} / {max_score:g}"]
    for part in parts:
        if part["tests"]:
            lines.append(f"Part {part['number']} {part['title']}: {part['score']:g} / {part['max_score']:g} "
                         f"({part['passed']} of {part['tests']} tests passed)")
    if sandbox.get("degraded"):
        lines.append(f"Note: graded with degraded isolation ({sandbox['tier']}).")
    return "\n".join(lines)


def error_report(submission, message, rubric, *, seconds=0.0, sandbox=None):
    """The report of a submission that could not be graded at all (e.g. a corrupt zip):
    every test failed with the same one-line reason."""
    tests = []
    for entry in rubric.tests.values():
        if entry.gpu:
            continue
        tests.append({"name": entry.key.replace("_", " "), "number": entry.number, "score": 0.0,
                      "max_score": entry.points, "status": "failed", "output": message,
                      "tags": list(entry.tags), "visibility": "visible", "key": entry.key,
                      "outcome": "failed"})
    max_score = round(sum(t["max_score"] for t in tests), 4)
    return {"schema_version": SCHEMA_VERSION, "submission": submission, "score": 0.0,
            "max_score": max_score, "execution_time": round(seconds, 3),
            "output": f"Score: 0 / {max_score:g}\n{message}", "visibility": "visible", "tests": tests,
            "parts": _parts(rubric, tests), "sandbox": sandbox or {}, "grader_errors": 0,
            "error": message}


def write_atomic(path, text):
    """Write `text` to `path` so that no reader ever sees half of it."""
    path = Path(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def write_json(path, data):
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def summary(reports):
    """summary.json's content for a batch of reports."""
    scores = [r["score"] for r in reports]
    return {
        "schema_version": SCHEMA_VERSION,
        "count": len(reports),
        "mean": round(statistics.fmean(scores), 4) if scores else None,
        "median": round(statistics.median(scores), 4) if scores else None,
        "submissions": [{"submission": r["submission"], "score": r["score"], "max_score": r["max_score"],
                         "report": f"{r['submission']}.json", "error": r.get("error", ""),
                         "parts": {p["key"]: p["score"] for p in r["parts"]}} for r in reports],
    }


def summary_csv(reports):
    """summary.csv's content: one row per submission, a column per part."""
    part_keys = [p["key"] for p in reports[0]["parts"]] if reports else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", "percent", *part_keys, "error"])
    for r in reports:
        percent = round(100 * r["score"] / r["max_score"], 2) if r["max_score"] else 0.0
        parts = {p["key"]: p["score"] for p in r["parts"]}
        writer.writerow([r["submission"], r["score"], r["max_score"], percent,
                         *[parts.get(k, "") for k in part_keys], r.get("error", "")])
    return buffer.getvalue()
