"""`grade --resume`: the reports an interrupted run already wrote, taken as
they are, so that running the same command again grades only the rest.

A report counts when it is complete: it reads back, validates against the
report schema (and adds up), and names its submission. Reports are written
atomically, so an interruption leaves whole reports or none; a file that
does not count (broken, of another submission, or with tests in which the
grader itself failed) is graded again and replaced.
"""
import json
from pathlib import Path

from ..intake import name_of
from .model import Report
from .schema import ReportInvalid, validate_report


def written_reports(out_dir, paths):
    """{name: Report} of the submissions at `paths` whose complete report is already in `out_dir`."""
    found = {}
    for path in paths:
        name = name_of(path)
        report = complete_report(Path(out_dir) / f"{name}.json", name)
        if report is not None:
            found[name] = report
    return found


def complete_report(file, name):
    """The Report in `file` if it is a complete report of submission `name`, else None."""
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
        validate_report(data)
    except (OSError, ValueError, ReportInvalid):
        return None
    if data.get("submission") != name or data.get("grader_errors"):
        return None
    return Report.from_dict(data)
