"""nbgrader: the grade cells' scores, the gradebook, and the pipeline end to end.

In the notebook's kernel, `part_score(part, points)` (called by each
read-only grade cell of nbgrader/source/module6/module6.ipynb) grades the code
the kernel ran, once for all the grade cells, by running `python -m
autograder grade` on it: student code runs in the grader's sandboxed worker,
never in the grader itself. It prints the part's tests and returns the part's
score, which nbgrader records as the cell's partial credit. So the gradebook
holds, per part, the scores of our JSON report. (In autograde,
nbgrader_preprocessors.RegradeOutsideKernel then grades the same code from
nbgrader's process, which the student's code in the kernel cannot reach.)

`run_pipeline` is `make nbgrader-demo`: a scratch copy of the course folder,
then the real nbgrader commands (generate_assignment, autograde,
generate_feedback, export), with the given submissions entered as students'
nbgrader submissions, and the gradebook compared with our reports.

    python -m autograder nbgrader demo [--work DIR] PATH...
"""
import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..report.model import Report
from ..report.text import part_text
from .notebook import ASSIGNMENT, COURSE_DIR, ROOT, code_cell, dumps, is_grade_cell_code, notebook, student_notebook

GRADE_TIMEOUT_S = 280     # under the course's Execute.timeout (300 s), so our message shows
NBGRADER_TIMEOUT_S = 900  # one nbgrader command of the demo
DEFAULT_STUDENTS = [ROOT / "examples" / "submissions" / name for name in ("alice.zip", "bob.ipynb", "carol")]
TOLERANCE = 1e-6          # scores are rounded to 4 decimals on both sides

_reports = {}  # sha256 of the graded code -> report, for the other grade cells


class GradingFailed(RuntimeError):
    """The grader could not grade the notebook (not the student's fault)."""


# --- in the notebook's kernel -----------------------------------------------

def kernel_code():
    """The code cells the kernel has run, in order, without the grade cells."""
    from IPython import get_ipython
    shell = get_ipython()
    if shell is None:
        raise RuntimeError("part_score() runs in a notebook's kernel")
    return [source for source in shell.history_manager.input_hist_raw[1:]
            if source.strip() and not is_grade_cell_code(source)]


def grade_code(cells, name="notebook"):
    """Our Report for a notebook made of `cells`, by `python -m autograder grade`.

    Through the command line, in a process of its own, from the kernel and
    from nbgrader's process alike: grading forks and runs pytest, which
    neither a student's kernel nor nbgrader's own process should host."""
    key = hashlib.sha256("\0".join(cells).encode()).hexdigest()
    if key in _reports:
        return _reports[key]
    with tempfile.TemporaryDirectory(prefix="autograder-nbgrader-") as tmp:
        path = Path(tmp) / f"{name}.ipynb"
        path.write_text(dumps(notebook([code_cell(f"cell-{i}", c) for i, c in enumerate(cells)])))
        command = [sys.executable, "-m", "autograder", "grade", str(path), "--out", str(Path(tmp) / "out"),
                   "--jobs", "1"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  cwd=tmp, timeout=GRADE_TIMEOUT_S)  # its scratch files go with tmp
        except subprocess.TimeoutExpired:
            raise GradingFailed(f"the grader took more than {GRADE_TIMEOUT_S} s") from None
        report_path = Path(tmp) / "out" / f"{name}.json"
        if done.returncode != 0 or not report_path.exists():
            raise GradingFailed(f"the grader failed (exit status {done.returncode}):\n{done.stderr[-2000:]}")
        report = Report.from_dict(json.loads(report_path.read_text()))
    _reports[key] = report
    return report


def part_score(part, points=None):
    """In a grade cell worth `points`: print part `part`'s tests and return its score
    (nbgrader's partial credit). Raises GradingFailed, so that the cell shows an
    error, when the rubric no longer gives the part those points."""
    report = grade_code(kernel_code())
    entry = next(p for p in report.parts if p.key == part)
    if points is not None and abs(entry.max_score - points) > TOLERANCE:
        raise GradingFailed(f"this cell is worth {points:g} points, but the rubric gives part {part!r} "
                            f"{entry.max_score:g}: regenerate the notebook (python -m autograder release) "
                            f"and run generate_assignment again")
    print(part_text(report, part))
    return entry.score


# --- the pipeline -----------------------------------------------------------

@dataclass
class PipelineResult:
    """What `run_pipeline` produced."""
    course: Path
    grades_csv: str                 # what `nbgrader export` wrote
    gradebook: dict                 # student -> {part: score}, from nbgrader's gradebook
    reports: dict                   # student -> our JSON report of the original submission
    mismatches: list = field(default_factory=list)   # lines saying where the two differ


def hermetic_env(work):
    """The environment for nbgrader: this Python's tools first, and Jupyter's
    config, data and runtime folders (with a kernel spec for this Python) inside `work`."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    jupyter = Path(work) / "jupyter"
    env.update(JUPYTER_CONFIG_DIR=str(jupyter / "config"), JUPYTER_DATA_DIR=str(jupyter / "data"),
               JUPYTER_RUNTIME_DIR=str(jupyter / "runtime"), IPYTHONDIR=str(jupyter / "ipython"),
               PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.pop("JUPYTER_PATH", None)
    kernel = jupyter / "data" / "kernels" / "python3"
    kernel.mkdir(parents=True, exist_ok=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    return env


class Job:
    """A command running in the background, its output going to a log file."""

    def __init__(self, title, command, log, **options):
        self.title, self.log, self.started = title, Path(log), time.monotonic()
        with open(self.log, "w") as stream:
            self.process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, **options)
        print(f"$ {title}", flush=True)

    def wait(self, timeout=NBGRADER_TIMEOUT_S):
        """Wait for it; raise with the end of its log unless it succeeded."""
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise RuntimeError(f"{self.title}: still running after {timeout} s") from None
        if status != 0:
            raise RuntimeError(f"{self.title} failed (exit status {status}):\n{self.log.read_text()[-3000:]}")
        print(f"  done: {self.title} ({time.monotonic() - self.started:.1f} s)", flush=True)


def gradebook_parts(course):
    """{student: {part key: score}} from the course's gradebook (grade cells are part_<key>)."""
    from nbgrader.api import Gradebook
    scores = {}
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}", course_id="module6") as gradebook:
        for student in gradebook.students:
            submitted = gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student.id)
            scores[student.id] = {grade.name.removeprefix("part_"): float(grade.score)
                                  for grade in submitted.grades}
    return scores


def read_reports(out):
    """{submission: report} from a reports folder written by `autograder grade`."""
    summary = json.loads((Path(out) / "summary.json").read_text())
    return {row["submission"]: json.loads((Path(out) / row["report"]).read_text())
            for row in summary["submissions"]}


def compare(gradebook, reports, grades_csv):
    """Lines naming every score where nbgrader and our reports disagree (none when they agree)."""
    problems = []
    exported = {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(io.StringIO(grades_csv))}
    for student, report in sorted(reports.items()):
        parts = gradebook.get(student)
        if parts is None:
            problems.append(f"{student}: not in nbgrader's gradebook")
            continue
        for part in report["parts"]:
            theirs = parts.get(part["key"], None if part["max_score"] else 0.0)  # no cell for 0 points
            if theirs is None or abs(theirs - part["score"]) > TOLERANCE:
                problems.append(f"{student}: part {part['key']}: nbgrader {theirs}, ours {part['score']}")
        if abs(exported.get(student, float("nan")) - report["score"]) > TOLERANCE:
            problems.append(f"{student}: exported total {exported.get(student)}, ours {report['score']}")
    return problems


def run_pipeline(submissions, work, *, jobs=1, edit=None):
    """generate_assignment, the submissions as students' notebooks, autograde,
    generate_feedback and export, in a scratch course folder in `work`; and,
    beside them, our reports of the same submissions by `autograder grade`.
    edit(student, notebook) may change a student's notebook before autograde."""
    from ..intake import name_of
    work = Path(work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    course, logs = work / "course", work / "logs"
    (course / "source").mkdir(parents=True)
    logs.mkdir()
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    shutil.copytree(COURSE_DIR / "source" / ASSIGNMENT, course / "source" / ASSIGNMENT)
    env = hermetic_env(work)
    print(f"nbgrader course in {course} (logs in {logs})", flush=True)

    def nbgrader(*args):
        return Job(f"nbgrader {' '.join(args)}", [sys.executable, "-m", "nbgrader", *args],
                   logs / f"{args[0]}.log", cwd=course, env=env)

    nbgrader("generate_assignment", ASSIGNMENT).wait()
    released = json.loads((course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    for path in submissions:
        student = name_of(path)
        target = course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True)
        submitted = student_notebook(released, path)
        target.write_text(dumps(edit(student, submitted) if edit else submitted))
        print(f"submitted {student} ({Path(path).name}) as {target.relative_to(course)}", flush=True)
    # Our reports are independent of nbgrader's steps: they run beside them.
    ours = Job("python -m autograder grade (the original submissions, for comparison)",
               [sys.executable, "-m", "autograder", "grade", *map(str, submissions), "--out",
                str(work / "reports"), "--jobs", str(jobs)], logs / "autograder.log")
    nbgrader("autograde", ASSIGNMENT).wait()
    feedback, export = nbgrader("generate_feedback", ASSIGNMENT), nbgrader("export")
    for job in (feedback, export, ours):
        job.wait()
    grades_csv = (course / "grades.csv").read_text()
    gradebook, reports = gradebook_parts(course), read_reports(work / "reports")
    return PipelineResult(course, grades_csv, gradebook, reports, compare(gradebook, reports, grades_csv))


def comparison_table(result):
    """Per student and part: nbgrader's score beside our report's."""
    rows = [("student", "part", "nbgrader", "ours", "")]
    for student, report in sorted(result.reports.items()):
        for part in report["parts"]:
            if not part["max_score"]:
                continue
            theirs = result.gradebook.get(student, {}).get(part["key"])
            same = theirs is not None and abs(theirs - part["score"]) <= TOLERANCE
            rows.append((student, part["key"], "-" if theirs is None else f"{theirs:g}",
                         f"{part['score']:g}", "" if same else "DIFFERENT"))
        total = sum(result.gradebook.get(student, {}).values())
        rows.append((student, "total", f"{total:g}", f"{report['score']:g}", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


