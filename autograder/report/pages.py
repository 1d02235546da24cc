"""The HTML pages of a reports folder (what `class-report DIR` and `grade --html` write).

Every report in DIR (each DIR/<name>.json but summary.json) is read and
checked against report.schema.json; DIR/<name>.html (html.py) is written for
each report whose page is missing or older than its JSON, in parallel
processes (matplotlib is the slow part); then the class overview
DIR/index.html (overview.py). The pages are made from the reports alone,
after grading, so grading never waits for matplotlib.
"""
import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from .json_report import write_atomic
from .model import Report
from .overview import PAGE_NAME, class_page
from .schema import ReportInvalid, validate_report

NOT_REPORTS = ("summary.json",)


class NotReports(ValueError):
    """The folder cannot be read as a reports folder; the message is one line."""


def report_paths(folder):
    """The report files of `folder`, by name."""
    path = Path(folder)
    if not path.is_dir():
        raise NotReports(f"{folder}: no such folder" if not path.exists() else f"{folder}: not a folder")
    paths = sorted(p for p in path.glob("*.json") if p.name not in NOT_REPORTS and not p.name.startswith("."))
    if not paths:
        raise NotReports(f"{folder}: holds no reports (*.json); grade into it first with "
                         f"`python -m autograder grade PATH... --out {folder}`")
    return paths


def read_report(path):
    """The Report in `path`, checked against report.schema.json and for totals that add up (NotReports if not)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NotReports(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict):
        raise NotReports(f"{path}: not a valid report: a JSON {type(data).__name__}, not an object")
    try:
        validate_report(data)
    except ReportInvalid as invalid:
        more = f" (and {len(invalid.problems) - 1} more problems)" if len(invalid.problems) > 1 else ""
        raise NotReports(f"{path}: not a valid report: {invalid.problems[0]}{more}") from None
    return Report.from_dict(data)


def stale(report_path):
    """Whether the page of `report_path` is missing or older than the report."""
    page = Path(report_path).with_suffix(".html")
    return not page.exists() or page.stat().st_mtime < Path(report_path).stat().st_mtime


def write_page(report_path):
    """Write the page of the report in `report_path` beside it; returns the page's path."""
    from .html import write_page as write
    return write(Path(report_path).parent, read_report(report_path), overview=PAGE_NAME)


def write_pages(paths, jobs=1):
    """Write the pages of the reports in `paths`, in `jobs` processes."""
    if jobs <= 1 or len(paths) <= 1:
        return [write_page(p) for p in paths]
    with ProcessPoolExecutor(min(jobs, len(paths)), mp_context=get_context("fork")) as pool:
        return list(pool.map(write_page, paths))


def write_class_report(folder, *, jobs=None):
    """The pages of `folder`'s reports that are missing or stale, and index.html.
    Returns (the pages written, the overview's path). Raises NotReports, or OSError
    when the folder cannot be written."""
    paths = report_paths(folder)
    reports = [read_report(p) for p in paths]
    written = write_pages([p for p in paths if stale(p)], jobs or os.cpu_count() or 1)
    index = Path(folder) / PAGE_NAME
    write_atomic(index, class_page(reports))
    return written, index
