"""The JSON files a batch writes: DIR/<submission>.json (the contract's report,
validated against report.schema.json as it is written), summary.json and
summary.csv. Every write is atomic: a reader sees the old file or the new one.
"""
import csv
import io
import json
import os
import statistics
import tempfile
from pathlib import Path

from .model import SCHEMA_VERSION, Report
from .schema import validate_report, validate_summary


def write_report(folder, report):
    """Write `report` (a Report) to folder/<submission>.json, validated; returns its path."""
    data = report.to_dict()
    validate_report(data)
    path = Path(folder) / f"{report.submission}.json"
    write_json(path, data)
    return path


def read_report(path):
    """The Report in a JSON file (raises OSError or ValueError)."""
    return Report.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def write_summaries(folder, reports):
    """summary.json and summary.csv of a batch's reports (Reports, in order)."""
    summary = summary_of(reports)
    validate_summary(summary)
    write_json(Path(folder) / "summary.json", summary)
    write_atomic(Path(folder) / "summary.csv", summary_csv(reports))


def summary_of(reports):
    """summary.json's content for a batch of reports."""
    scores = [r.score for r in reports]
    return {
        "schema_version": SCHEMA_VERSION,
        "count": len(reports),
        "mean": round(statistics.fmean(scores), 4) if scores else None,
        "median": round(statistics.median(scores), 4) if scores else None,
        "submissions": [{"submission": r.submission, "score": r.score, "max_score": r.max_score,
                         "report": f"{r.submission}.json", "error": r.error or "",
                         "parts": {p.key: p.score for p in r.parts}} for r in reports],
    }


def summary_csv(reports):
    """summary.csv's content: one row per submission, a column per part."""
    part_keys = [p.key for p in reports[0].parts] if reports else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", "percent", *part_keys, "error"])
    for r in reports:
        percent = round(100 * r.score / r.max_score, 2) if r.max_score else 0.0
        parts = {p.key: p.score for p in r.parts}
        writer.writerow([r.submission, r.score, r.max_score, percent, *[parts.get(k, "") for k in part_keys],
                         r.error or ""])
    return buffer.getvalue()


def write_json(path, data):
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


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
