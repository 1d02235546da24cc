"""nbgrader preprocessors of the Module 6 course (nbgrader/nbgrader_config.py uses them).

ReleaseStubs replaces nbgrader's ClearSolutions in generate_assignment: a
solution region becomes release.strip_solutions' stub, the one assignments/
has (`raise NotImplementedError("rnn_forward: not implemented yet ...")`
inside a function; nothing at module level), instead of nbgrader's
`raise NotImplementedError()`, which at module level would stop the grader
from importing any of the notebook's code.

RegradeOutsideKernel runs in autograde right after Execute. The grade cells
run in the student's kernel, after the student's code, which could change
what they show (replace part_score, say). This grades the same code again
from nbgrader's own process and writes each grade cell's output from that
report; where the kernel had shown another score, the output says so. Below
the text, an HTML output shows the likely mistakes and the first plot of the
part's failed tests (report/html.py's part_fragment), which generate_feedback's
page shows.
"""
import nbformat
from nbgrader.converters import Autograde, GenerateAssignment
from nbgrader.preprocessors import ClearSolutions, Execute, NbGraderPreprocessor
from nbgrader.utils import determine_grade, is_grade

from .. import release
from ..report.html import part_fragment
from ..report.text import part_text
from . import nbgrader as integration
from .notebook import is_grade_cell_code

GRADE_CELL_PREFIX = "part_"
ALTERED = ("Note: in the notebook's kernel this cell gave {shown}; the grader, run outside the "
           "kernel on the same code, gives {score:g}. The notebook's code changed what ran in the kernel.")


class ReleaseStubs(ClearSolutions):
    """ClearSolutions with release.strip_solutions' stubs for Python code cells."""

    def _replace_solution_region(self, cell, language):
        if cell.cell_type != "code" or language != "python":
            return super()._replace_solution_region(cell, language)
        if not release.find_regions(cell.source.splitlines()):
            return False
        cell.source = release.strip_solutions(cell.source).rstrip("\n")
        return True


class RegradeOutsideKernel(NbGraderPreprocessor):
    """After Execute: each grade cell's output and score are the grader's, from outside the kernel."""

    def preprocess(self, nb, resources):
        cells = [cell.source for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()
                 and not is_grade_cell_code(cell.source)]
        report = integration.grade_code(cells)
        parts = {p.key: p for p in report.parts}
        self.log.info("Regraded outside the kernel: %g / %g", report.score, report.max_score)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            part = parts.get(grade_id.removeprefix(GRADE_CELL_PREFIX))
            if cell.cell_type != "code" or not is_grade(cell) or part is None:
                continue
            points = float(cell.metadata["nbgrader"]["points"])
            if abs(part.max_score - points) > integration.TOLERANCE:
                continue  # the kernel's cell already failed, saying why (see part_score)
            shown, _ = determine_grade(cell, self.log)
            text = part_text(report, part.key) + "\n"
            if shown is None or abs(shown - part.score) > integration.TOLERANCE:
                note = ALTERED.format(shown="an error" if shown == 0 and _has_error(cell) else f"{shown:g}",
                                      score=part.score)
                self.log.warning("%s: %s", grade_id, note)
                text += note + "\n"
            pictures = part_fragment(report, part.number)  # diagnoses and plots (nbgrader reads no grade here)
            cell.outputs = [  # what the grader says, whatever the kernel printed
                nbformat.v4.new_output("stream", name="stdout", text=text),
                *([nbformat.v4.new_output("display_data", data={"text/html": pictures})] if pictures else []),
                nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(part.score))},
                                       execution_count=cell.get("execution_count")),
            ]
        return nb, resources


def _has_error(cell):
    return any(o.output_type == "error" or o.get("name") == "stderr" for o in cell.outputs)


def _replaced(app, trait, old, new):
    return [new if step is old else step for step in app.class_traits()[trait].default()]


def generate_assignment_preprocessors():
    """nbgrader's generate_assignment pipeline with ReleaseStubs for ClearSolutions."""
    return _replaced(GenerateAssignment, "preprocessors", ClearSolutions, ReleaseStubs)


def autograde_preprocessors():
    """nbgrader's autograde pipeline with RegradeOutsideKernel right after Execute."""
    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    at = steps.index(Execute) + 1
    return steps[:at] + [RegradeOutsideKernel] + steps[at:]
