"""The Module 6 notebook: reference/ as nbgrader cells, and submissions poured into it.

`source_notebook()` builds nbgrader/source/module6/module6.ipynb, the
instructor's version, from reference/ and the rubric:

    markdown  title and instructions
    for each module (activations, rnn, lstm, gru, sequences):
      markdown  the module's docstring
      code      read-only: its imports and given functions (array_module)
      code      solution: its helpers (the module-level solution regions)
      code      solution: one cell per function to write
    markdown  how grading works
    code      one read-only grade cell per rubric part, worth the part's points
              (parts worth nothing without --gpu have none)

nbgrader's generate_assignment turns it into the students' notebook with
release.strip_solutions (see nbgrader_preprocessors.py), so the notebook's
stubs are assignments/' stubs. All cells share one namespace: the modules'
`from activations import ...` lines are dropped, and a helper name that two
modules define is renamed in the later one.

`student_notebook()` pours a submission (folder, zip or notebook) into the
released notebook's cells, function by function, as a student would have.

    python -m autograder release [--check]     # regenerates (or checks) it with the rest of the release
"""
import ast
import copy
import json
import re
import tempfile
from pathlib import Path
from typing import NamedTuple

from .. import release
from ..contract import FUNCTIONS, MODULES
from ..intake import prepare
from ..intake.helpers import NOTEBOOK_MODULE

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "reference"
COURSE_DIR = ROOT / "nbgrader"
ASSIGNMENT = "module6"
SOURCE_NOTEBOOK = COURSE_DIR / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

SIBLING_IMPORT = re.compile(rf"^from ({'|'.join(MODULES)}) import [^\n]*(\n|$)", re.M)
HELPERS_COMMENT = "# Your helpers for this part, if you want any: classes, functions, imports."
GRADE_CELL_IMPORT = "from autograder.integrations.nbgrader import part_score"
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

INTRO = """\
# Module 6: recurrent neural networks in NumPy

Write, from the equations on the slides, a simple RNN with backpropagation
through time, an LSTM (and a bidirectional and a stacked one) and a GRU:
forward and backward passes, in NumPy. Then turn a customer review into a
sequence and measure, with your own passes, how far back through it the
gradient of the last hidden state reaches.

Every function to write is in a cell below, with its signature and a docstring
that gives the equation and the shapes; its body is one line,
`raise NotImplementedError(...)`: replace that line with your code. Do not
rename the functions or change their arguments. Each part has a helpers cell
for anything else you want to define.

Run the cells in order. All cells share one namespace, so a helper you define
must not reuse a name defined in another part.

Notation (the slides'): row vectors, batch first. N batch size, T time steps,
D input size, H hidden size; `x` is (N, D), `h_prev` (N, H), `X` (N, T, D).
Return arrays of exactly the documented shape and of the input's dtype, leave
the arguments unmodified, and create arrays with `xp = array_module(x)`."""

GRADING = """\
## Grading

The read-only cells below are run by the grader (nbgrader's autograder). Each
grades all of this notebook's code with the Module 6 grading suite (your
functions run in a sandboxed process and are checked with property tests and
gradient checks against a hidden reference) and shows one part's score and
what failed. Running them yourself needs the grader installed."""

GRADE_CELL = """\
# Part {number}: {title} ({points:g} points). Read-only: the grader runs this cell.
# It grades the code of this whole notebook and shows this part's score.
if __name__ == "__main__":  # skipped when the grader imports this notebook's code
    {import_line}
part_score("{key}", {points:g}) if __name__ == "__main__" else None"""


class ModuleCells(NamedTuple):
    """One reference module cut into notebook cells."""
    docstring: str
    given: str        # read-only code: imports, given functions
    helpers: str      # the module-level solution regions' code, as one region
    functions: list   # [(name, code with its solution region)], in order


# --- cutting Python source into top-level pieces ----------------------------

def top_level_items(source):
    """[(name or None, text)] for each top-level statement of `source`, in order.

    A def or class gives its name; the comments and blank lines before a
    statement, and the indented comments right after it, belong to it.
    Raises SyntaxError.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    items, done = [], 0
    for node in tree.body:
        end = node.end_lineno
        while end < len(lines) and lines[end][:1] in (" ", "\t") and lines[end].strip():
            end += 1  # indented comments after the last statement (### END SOLUTION)
        name = node.name if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) else None
        text = "\n".join(lines[done:end]).strip("\n")
        items.append((name, text))
        done = end
    tail = "\n".join(lines[done:]).strip("\n")
    if tail and items:  # trailing comments
        items[-1] = (items[-1][0], items[-1][1] + "\n" + tail)
    return items


def top_level_names(source):
    """The names a module defines at top level (defs, classes, simple assignments)."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def rename_shared_helpers(sources):
    """{module: source} with every non-contract name defined by several modules
    renamed in all but the first (StepCache in gru.py -> GruStepCache), so that
    the modules can share one namespace."""
    renamed, seen = {}, set()
    for module, source in sources.items():
        shared = sorted(n for n in top_level_names(source) & seen if n not in FUNCTIONS)
        for name in shared:
            source = re.sub(rf"\b{re.escape(name)}\b", _renamed(module, name), source)
        renamed[module] = source
        seen |= top_level_names(source)
    return renamed


def _renamed(module, name):
    if name[:1].isupper():
        return module.capitalize() + name
    if name.startswith("_"):
        return f"_{module}{name}"
    return f"{module}_{name}"


def split_module(source):
    """A reference module (with its solution markers) as ModuleCells."""
    tree = ast.parse(source)
    docstring = ast.get_docstring(tree) or ""
    lines = source.splitlines()
    start = tree.body[0].end_lineno if docstring else 0
    body = SIBLING_IMPORT.sub("", "\n".join(lines[start:]) + "\n")
    lines = body.splitlines()
    regions = [r for r in release.find_regions(lines) if not r.indent]
    helpers = [line for r in regions for line in lines[r.begin + 1:r.end] + [""]]
    in_region = {i for r in regions for i in range(r.begin, r.end + 1)}
    outside = "\n".join("" if i in in_region else line for i, line in enumerate(lines))
    given, functions = [], []
    for name, text in top_level_items(outside):
        if any(release.BEGIN.match(line) for line in text.splitlines()):
            functions.append((name, text))
        else:
            given.append(text)
    helpers_code = "\n".join(helpers).strip("\n")
    helpers_text = (f"{HELPERS_COMMENT}\n### BEGIN SOLUTION\n"
                    + (helpers_code + "\n" if helpers_code else "") + "### END SOLUTION")
    return ModuleCells(docstring, "\n\n\n".join(given), helpers_text, functions)


# --- notebook JSON ----------------------------------------------------------

def _source(text):
    return text.splitlines(keepends=True)


def markdown_cell(cell_id, text):
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(text)}


def code_cell(cell_id, text, *, solution=False, locked=False, points=None):
    """A code cell; with nbgrader metadata when it is a solution, locked or grade cell."""
    metadata = {}
    if solution or locked or points is not None:
        metadata["nbgrader"] = {"grade": points is not None, "grade_id": cell_id, "locked": locked,
                                "schema_version": 3, "solution": solution, "task": False}
        if points is not None:
            metadata["nbgrader"]["points"] = points
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": metadata,
            "outputs": [], "source": _source(text)}


def notebook(cells):
    return {"cells": cells, "metadata": {"kernelspec": dict(KERNELSPEC),
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def dumps(nb):
    """Notebook JSON the way nbformat writes it (so Jupyter rewrites it unchanged)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def part_points(rubric):
    """{part key: the points the part is worth without --gpu}."""
    points = {key: 0.0 for key in rubric.parts}
    for entry in rubric.tests.values():
        if not entry.gpu:
            points[entry.part] += entry.points
    return {key: round(value, 4) for key, value in points.items()}


def source_notebook(reference_dir=REFERENCE_DIR, rubric=None):
    """The instructor's nbgrader notebook, generated from reference/ and the rubric."""
    from .. import rubric as rubric_module
    rubric = rubric or rubric_module.load()
    sources = {m: (Path(reference_dir) / f"{m}.py").read_text(encoding="utf-8") for m in MODULES}
    sources = rename_shared_helpers(sources)
    cells = [markdown_cell("intro", INTRO)]
    for number, module in enumerate(MODULES, start=1):
        parts = split_module(sources[module])
        cells.append(markdown_cell(f"{module}-about", f"## {number}. `{module}.py`\n\n{parts.docstring}"))
        if parts.given:
            cells.append(code_cell(f"{module}_given", parts.given, locked=True))
        cells.append(code_cell(f"{module}_helpers", parts.helpers, solution=True))
        cells += [code_cell(name, text, solution=True) for name, text in parts.functions]
    cells.append(markdown_cell("grading", GRADING))
    points = part_points(rubric)
    for part in rubric.parts.values():
        if not points[part.key]:
            continue  # a part that counts only with --gpu: nothing to grade here
        text = GRADE_CELL.format(number=part.number, title=part.title, points=points[part.key],
                                 key=part.key, import_line=GRADE_CELL_IMPORT)
        cells.append(code_cell(f"part_{part.key}", text, locked=True, points=points[part.key]))
    return notebook(cells)


def is_grade_cell_code(text):
    """Whether `text` is one of the notebook's grade cells (not code to grade)."""
    return GRADE_CELL_IMPORT in text


# --- a submission poured into the released notebook -------------------------

def submission_sources(path):
    """{module: source} of a submission (folder, zip or notebook); a notebook
    gives {None: all its code}. Raises submission.SubmissionError."""
    with tempfile.TemporaryDirectory() as tmp:
        prepare(path, tmp)
        folder = Path(tmp)
        notebook_code = folder / f"{NOTEBOOK_MODULE}.py"
        if notebook_code.exists():
            return {None: notebook_code.read_text(encoding="utf-8")}
        return {m: (folder / f"{m}.py").read_text(encoding="utf-8")
                for m in MODULES if (folder / f"{m}.py").exists()}


def student_notebook(release_nb, path):
    """The released notebook with the submission at `path` written into its cells:
    each contract function into its cell, everything else into the helpers cell
    of its module (of the first part, for a notebook submission)."""
    nb = copy.deepcopy(release_nb)
    cells = {cell["id"]: cell for cell in nb["cells"]}
    sources = submission_sources(path)
    modules = [m for m in sources if m is not None]
    sources.update(rename_shared_helpers({m: sources[m] for m in modules}))
    for module, source in sources.items():
        helpers_cell = cells[f"{module or MODULES[0]}_helpers"]
        source = SIBLING_IMPORT.sub("", source)
        try:
            items = top_level_items(source)
        except SyntaxError:
            helpers_cell["source"] = _source(source)
            continue
        extra = []
        for name, text in items:
            mine = name in FUNCTIONS and (module is None or FUNCTIONS[name][0] == module)
            if mine and name in cells:
                cells[name]["source"] = _source(text)
            else:
                extra.append(text)
        helpers_cell["source"] = _source("\n\n\n".join([HELPERS_COMMENT] + extra))
    return nb


# --- command line -----------------------------------------------------------

def write_source_notebook(path=SOURCE_NOTEBOOK):
    """Write the generated notebook; returns True when the file changed."""
    text = dumps(source_notebook())
    path = Path(path)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def in_sync(path=SOURCE_NOTEBOOK):
    path = Path(path)
    return path.is_file() and path.read_text(encoding="utf-8") == dumps(source_notebook())
