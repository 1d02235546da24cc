"""Shared fixtures of the project's tests: grading submissions through the CLI.

Grading costs seconds per submission, so each batch is graded once per
session, in one `python -m autograder grade ... --jobs 2` call, and the tests
read its reports. `grade_cli` is the one place that runs the grader.
"""
import ast
import csv
import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "submissions"
REFERENCE_SOLUTION = EXAMPLES / "reference_solution"
BLANK_RELEASE = EXAMPLES / "blank_release"
MODULES = ("activations", "rnn", "lstm", "gru", "sequences")
JOBS = 2
GRADE_TIMEOUT_S = 900   # a bound, never reached when the grader works (~2 s a submission)


@dataclass
class Graded:
    """One CLI call's results: exit status, output, and what it wrote to --out."""
    returncode: int
    stderr: str
    out: Path
    seconds: float
    paths: list                                       # what was graded, in order
    reports: dict = field(default_factory=dict)      # submission name -> report
    summary: dict = None                              # summary.json, or None if missing
    csv_rows: list = None                             # summary.csv as dicts, or None if missing

    def report(self, name):
        """The report of `name`; fails the calling test with the CLI's stderr if there is none."""
        if name not in self.reports:
            pytest.fail(f"no report for {name} in {self.out} (exit status {self.returncode}); "
                        f"stderr:\n{self.stderr[-3000:]}")
        return self.reports[name]


def grade_cli(paths, out, *, jobs=JOBS, extra=(), timeout=GRADE_TIMEOUT_S):
    """Run `python -m autograder grade PATHS --out OUT --jobs N` and read what it wrote."""
    out = Path(out)
    command = [sys.executable, "-m", "autograder", "grade", *map(str, paths), "--out", str(out),
               "--jobs", str(jobs), *extra]
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    graded = Graded(done.returncode, done.stderr, out, time.monotonic() - start, list(paths))
    for path in sorted(out.glob("*.json")) if out.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.name == "summary.json":
            graded.summary = data
        else:
            graded.reports[path.stem] = data
    if (out / "summary.csv").is_file():
        with open(out / "summary.csv", newline="", encoding="utf-8") as f:
            graded.csv_rows = list(csv.DictReader(f))
    return graded


# ---------------------------------------------------------------- submissions

def copy_folder(source, dest, *, without=()):
    """A copy of submission folder `source` at `dest`, leaving out the files in `without`."""
    dest = Path(dest)
    dest.mkdir(parents=True)
    for module in MODULES:
        name = f"{module}.py"
        if name not in without and (Path(source) / name).is_file():
            shutil.copyfile(Path(source) / name, dest / name)
    return dest


def _defined_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def notebook_cells_from(folder):
    """The code of a five-file submission as a notebook's code cells, as a student would paste it:
    no imports between the four modules, and names two modules both define (e.g. a cache
    class) renamed in the later one, since a notebook has a single namespace."""
    cells, seen = [], set()
    for module in MODULES:
        source = (Path(folder) / f"{module}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        lines = source.splitlines()
        for node in tree.body:  # drop `from activations import ...` (any number of lines)
            if isinstance(node, ast.ImportFrom) and node.module in MODULES:
                for i in range(node.lineno - 1, node.end_lineno):
                    lines[i] = ""
        text = "\n".join(lines)
        for name in sorted(_defined_names(tree) & seen):
            text = re.sub(rf"\b{re.escape(name)}\b", f"{module}_{name}", text)
        seen |= _defined_names(tree)
        cells.append(text)
    return cells


def write_notebook(folder, path):
    """A notebook made of `folder`'s code, with IPython magics and shell escapes the grader must drop."""
    def code(source):
        return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                "source": source.splitlines(keepends=True)}

    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Module 6: recurrent networks\n"]},
             code("%matplotlib inline\n!pip install numpy\nimport numpy as np\n")]
    for i, text in enumerate(notebook_cells_from(folder)):
        cells.append(code(("%%time\n" if i == 1 else "") + text))
        cells.append({"cell_type": "markdown", "metadata": {}, "source": ["Next part.\n"]})
    cells.append(code("  %timeit sigmoid(np.zeros(3))\nprint(sigmoid(np.zeros(3)))\n"))
    notebook = {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
                "nbformat": 4, "nbformat_minor": 5}
    Path(path).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return Path(path)


def write_zip(folder, path):
    """A .zip of `folder` as a student's file manager makes it: the folder inside, plus clutter."""
    folder = Path(folder)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for module in MODULES:
            archive.write(folder / f"{module}.py", f"{folder.name}/{module}.py")
        archive.writestr(f"{folder.name}/notes.txt", "my notes\n")
        archive.writestr(f"__MACOSX/{folder.name}/._rnn.py", b"\x00\x05\x16\x07")
    return Path(path)


# ---------------------------------------------------------------- the examples batch

EXAMPLE_NAMES = ("reference_solution", "blank_release", "reference_notebook", "reference_zip",
                 "missing_gru", "missing_sequences", "unreadable")
# Wrong submissions from the corpus whose failures hypothesis shrinks: they
# join the examples batch so that grading it twice shows grading is repeatable.
SHRINKING_CASES = ("lstm_step_backward_missing_dh_to_dc", "gru_reset_after_matmul",
                   "rnn_step_backward_bias_mean")


def corpus_module():
    try:
        from corpus import materialize
    except ModuleNotFoundError:  # tests/ became a package
        from tests.corpus import materialize
    return materialize


def shrinking_submissions(workdir, count=2):
    """Up to `count` wrong corpus cases (folders named wrong_<case>) that materialize cleanly."""
    corpus = corpus_module()
    cases = {case.name: case for case in corpus.load_wrong_cases()}
    chosen = []
    for name in [n for n in SHRINKING_CASES if n in cases] + list(cases):
        if len(chosen) == count:
            break
        dest = Path(workdir) / f"wrong_{name}"
        if dest.exists():
            continue
        try:
            chosen.append(corpus.materialize_wrong(cases[name], dest))
        except corpus.CorpusError:
            shutil.rmtree(dest, ignore_errors=True)
    return chosen


def example_submissions(workdir):
    """The examples batch: the bundled examples; the reference as a notebook, as a zip, without
    gru.py and without sequences.py; a corrupt zip; and a couple of wrong submissions (for repeatability)."""
    workdir = Path(workdir)
    (workdir / "unreadable.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    return [REFERENCE_SOLUTION, BLANK_RELEASE,
            write_notebook(REFERENCE_SOLUTION, workdir / "reference_notebook.ipynb"),
            write_zip(REFERENCE_SOLUTION, workdir / "reference_zip.zip"),
            copy_folder(REFERENCE_SOLUTION, workdir / "missing_gru", without=("gru.py",)),
            copy_folder(REFERENCE_SOLUTION, workdir / "missing_sequences", without=("sequences.py",)),
            workdir / "unreadable.zip",
            *shrinking_submissions(workdir)]


@pytest.fixture(scope="session")
def examples_batch(tmp_path_factory):
    """The examples batch, graded once per session through the CLI."""
    workdir = tmp_path_factory.mktemp("example-submissions")
    paths = example_submissions(workdir)
    return grade_cli(paths, tmp_path_factory.mktemp("example-reports"))


@pytest.fixture(scope="session")
def reference_report(examples_batch):
    return examples_batch.report("reference_solution")


_THIS = sys.modules[__name__]   # other conftest.py files are also named `conftest`


@pytest.fixture(scope="session")
def grading():
    """This module's helpers (grade_cli, write_notebook, ...), for tests to call."""
    return _THIS
