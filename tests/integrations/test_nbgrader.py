"""The nbgrader integration: the notebook generated from reference/, and the
real nbgrader pipeline (generate_assignment, autograde with an ipykernel per
student, generate_feedback, export) on the three bundled wrong examples,
whose gradebook must hold our JSON reports' per-part scores.

The pipeline tests need `pip install -e '.[nbgrader]'` (CI installs it) and
are skipped, saying so, without it. Nothing here uses the network.
"""
import ast
import importlib.util
import json
import re
from pathlib import Path

import pytest

from autograder import release, rubric as rubric_module
from autograder.contract import FUNCTIONS, MODULES
from autograder.integrations import notebook

ROOT = Path(__file__).resolve().parents[2]
STUDENTS = ("alice", "bob", "carol")  # examples/submissions: a zip, a notebook, a partial folder

needs_nbgrader = pytest.mark.skipif(
    not all(importlib.util.find_spec(m) for m in ("nbgrader", "ipykernel")),
    reason="nbgrader and ipykernel are not installed (pip install -e '.[nbgrader]')")


def code_of(cell):
    return "".join(cell["source"])


def stripped(nb):
    """`nb` with its solution regions cleared as generate_assignment does (release.strip_solutions)."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and release.find_regions(code_of(cell).splitlines()):
            cell["source"] = notebook._source(release.strip_solutions(code_of(cell)).rstrip("\n"))
    return nb


def functions_in(source):
    """{function name: its ast dump} for the contract functions defined in `source`."""
    return {node.name: ast.dump(node) for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef) and node.name in FUNCTIONS}


# --- the committed notebook -------------------------------------------------

def test_committed_notebook_is_generated_from_reference():
    """Is nbgrader/source/module6/module6.ipynb what reference/ and the rubric generate now?"""
    assert notebook.in_sync(), ("nbgrader/source/module6/module6.ipynb is out of date: "
                                "run `python -m autograder.integrations.notebook`")


def test_every_solution_region_is_in_a_solution_cell():
    """Would nbgrader find each solution in a cell it clears, and no solution in a read-only cell?"""
    nb = notebook.source_notebook()
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        has_region = bool(release.find_regions(code_of(cell).splitlines())) if cell["cell_type"] == "code" else False
        assert has_region == meta.get("solution", False), cell["id"]
    solution_ids = {c["id"] for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    assert set(FUNCTIONS) <= solution_ids


def test_grade_cells_are_worth_the_rubric_parts():
    """Is there one locked grade cell per part, worth the part's points (100 in all)?"""
    rubric = rubric_module.load()
    grade_cells = [c for c in notebook.source_notebook()["cells"]
                   if c["metadata"].get("nbgrader", {}).get("grade")]
    points = {c["id"].removeprefix("part_"): c["metadata"]["nbgrader"]["points"] for c in grade_cells}
    assert points == {k: v for k, v in notebook.part_points(rubric).items() if v}
    assert sum(points.values()) == pytest.approx(rubric.max_score())
    assert all(c["metadata"]["nbgrader"]["locked"] for c in grade_cells)


def test_release_notebook_has_the_assignments_stubs():
    """Does the student's notebook define each function exactly as assignments/ does, with no solution left?"""
    release_code = "\n\n".join(code_of(c) for c in stripped(notebook.source_notebook())["cells"]
                               if c["cell_type"] == "code")
    ours = functions_in(release_code)
    for module in MODULES:
        stubs = functions_in((ROOT / "assignments" / f"{module}.py").read_text())
        assert {name: ours[name] for name in stubs} == stubs, module
    assert "### BEGIN SOLUTION" not in release_code


def test_grade_cells_stay_out_of_the_graded_code():
    """Run as the grader imports a notebook (not as __main__), does a grade cell call nothing?"""
    cell = next(c for c in notebook.source_notebook()["cells"] if c["id"] == "part_activations")
    namespace = {"__name__": "_notebook"}
    exec(compile(code_of(cell), "grade cell", "exec"), namespace)
    assert "part_score" not in namespace
    assert notebook.is_grade_cell_code(code_of(cell))


def test_student_notebook_puts_each_function_in_its_cell():
    """Does carol's partial folder land in her rnn cells, leaving the LSTM stubs untouched?"""
    released = stripped(notebook.source_notebook())
    filled = notebook.student_notebook(released, ROOT / "examples" / "submissions" / "carol")
    cells = {c["id"]: code_of(c) for c in filled["cells"]}
    carol = functions_in((ROOT / "examples" / "submissions" / "carol" / "rnn.py").read_text())
    assert functions_in(cells["rnn_backward"]) == {"rnn_backward": carol["rnn_backward"]}
    assert cells["lstm_forward"] == code_of(next(c for c in released["cells"] if c["id"] == "lstm_forward"))
    assert "NotImplementedError" in cells["lstm_forward"]


# --- the real pipeline ------------------------------------------------------

# carol's notebook also tries to give herself full marks: in her kernel, every
# grade cell returns its points. (It does nothing where the grader imports her
# code, so her real scores stay those of her folder.)
TAMPERING = """
try:
    import autograder.integrations.nbgrader as _grading
    _grading.part_score = lambda part, points=None: points
except ImportError:
    pass
"""


def tamper(student, nb):
    if student == "carol":
        cell = next(c for c in nb["cells"] if c["id"] == "gru_helpers")
        cell["source"] = notebook._source(code_of(cell) + "\n" + TAMPERING)
    return nb


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    from autograder.integrations import nbgrader as integration
    work = tmp_path_factory.mktemp("nbgrader")
    submissions = [ROOT / "examples" / "submissions" / n for n in ("alice.zip", "bob.ipynb", "carol")]
    return integration.run_pipeline(submissions, work, edit=tamper)


@needs_nbgrader
def test_gradebook_holds_our_per_part_scores(pipeline):
    """After nbgrader autograde, is each student's score per part the one in our JSON report?"""
    assert set(pipeline.gradebook) == set(STUDENTS)
    assert pipeline.mismatches == []
    for student in STUDENTS:
        ours = {p["key"]: p["score"] for p in pipeline.reports[student]["parts"] if p["max_score"]}
        assert pipeline.gradebook[student] == pytest.approx(ours), student
    scores = {s: pipeline.reports[s]["score"] for s in STUDENTS}
    assert 0 < min(scores.values()) and max(scores.values()) < 100  # the examples are partly wrong


@needs_nbgrader
def test_export_lists_the_report_totals(pipeline):
    """Does `nbgrader export`'s grades.csv give each student our report's total?"""
    import csv
    import io
    rows = {r["student_id"]: r for r in csv.DictReader(io.StringIO(pipeline.grades_csv))}
    assert set(rows) == set(STUDENTS)
    for student in STUDENTS:
        assert float(rows[student]["raw_score"]) == pytest.approx(pipeline.reports[student]["score"])
        assert float(rows[student]["max_score"]) == pytest.approx(100)


@needs_nbgrader
def test_release_has_our_stubs_and_no_solution(pipeline):
    """Did nbgrader generate_assignment write assignments/' stubs, with nothing of the solution?"""
    released = json.loads((pipeline.course / "release" / "module6" / "module6.ipynb").read_text())
    code = "\n\n".join(code_of(c) for c in released["cells"] if c["cell_type"] == "code")
    ours = functions_in(code)
    for module in MODULES:
        stubs = functions_in((ROOT / "assignments" / f"{module}.py").read_text())
        assert {name: ours[name] for name in stubs} == stubs, module
    solution = release.solution_only((ROOT / "reference" / "lstm.py").read_text())
    leaked = [line for line in solution.splitlines() if "_cell_backward(" in line]
    assert leaked and not any(line in code for line in leaked)


@needs_nbgrader
def test_feedback_shows_each_part_and_what_failed(pipeline):
    """Does generate_feedback's page show the grade cells' output: part scores and our failure messages?"""
    import html
    for student in STUDENTS:
        page = html.unescape((pipeline.course / "feedback" / student / "module6" / "module6.html").read_text())
        report = pipeline.reports[student]
        for part in report["parts"]:
            if part["max_score"]:
                assert f"Part {part['number']} {part['title']}: {part['score']:g} / {part['max_score']:g}" in page
        failed = next(t for t in report["tests"] if t["status"] == "failed")
        assert failed["name"] in page and failed["output"].splitlines()[0] in page


@needs_nbgrader
def test_code_that_alters_the_grade_cells_in_the_kernel_gains_nothing(pipeline):
    """carol's kernel claimed full marks: does the gradebook hold the grader's scores, with a note?"""
    autograded = json.loads((pipeline.course / "autograded" / "carol" / "module6" / "module6.ipynb").read_text())
    notes = ["".join(o.get("text", "")) for c in autograded["cells"] if c["id"].startswith("part_")
             for o in c["outputs"] if o["output_type"] == "stream"]
    altered = [n for n in notes if "changed what ran in the kernel" in n]
    assert altered and "in the notebook's kernel this cell gave 23.4" in "".join(altered)
    assert sum(pipeline.gradebook["carol"].values()) == pytest.approx(pipeline.reports["carol"]["score"])
    assert pipeline.reports["carol"]["score"] < 50


@needs_nbgrader
def test_grading_leaves_no_files_beside_the_notebooks(pipeline):
    """Do the autograded and feedback folders hold only what nbgrader puts there?"""
    for folder in ("autograded", "feedback"):
        for student in STUDENTS:
            names = {p.name for p in (pipeline.course / folder / student / "module6").iterdir()}
            assert names <= {"module6.ipynb", "module6.html", "timestamp.txt"}, (folder, student, names)


@needs_nbgrader
def test_feedback_shows_the_plots_of_failed_tests(pipeline):
    """Does carol's truncation part show, below its text, the plot of her failed test as an inline image
    in an HTML output, the cell's grade still last, and does generate_feedback's page show it in a
    real browser, decoded, with its alt text?"""
    from autograder.report import figures
    if not figures.available():
        pytest.skip("matplotlib is not installed (the plot extra): the feedback has no plots")
    autograded = json.loads((pipeline.course / "autograded" / "carol" / "module6" / "module6.ipynb").read_text())
    cell = next(c for c in autograded["cells"] if c["id"] == "part_bptt")
    shown = ["".join(o["data"]["text/html"]) for o in cell["outputs"] if o["output_type"] == "display_data"]
    assert shown and '<img src="data:image/png;base64,' in "".join(shown)
    assert [o["output_type"] for o in cell["outputs"]][-1] == "execute_result"   # the cell's grade stays last
    page = pipeline.course / "feedback" / "carol" / "module6" / "module6.html"
    assert re.search(r'<img alt="[^"]+" [^>]*src="data:image/png;base64,', page.read_text())   # alt first
    try:
        import browser
    except ModuleNotFoundError:  # tests/ became a package
        from tests import browser
    browser.require()
    with browser.Browser(ROOT / "build" / "screenshots") as session:
        visit = session.visit(page, name="nbgrader-feedback-carol")
    assert visit.images and not browser.broken_images(visit) and not browser.images_without_alt(visit)
