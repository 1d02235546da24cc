"""A notebook's code cells become one module (`_notebook`), which every
contract module re-exports, so that `from activations import sigmoid` finds
the notebook's sigmoid. IPython magics and shell escapes are dropped."""
import json

from ..contract import MODULES
from .helpers import NOTEBOOK_MODULE
from .files import SubmissionError, write_files

def notebook_source(data, label):
    """The code of a notebook's code cells, in order, magics and shell escapes dropped."""
    try:
        notebook = json.loads(data)
        cells = notebook["cells"]
        if not isinstance(cells, list):
            raise TypeError
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise SubmissionError(f"{label}: not a valid Jupyter notebook (cannot read its cells)") from None
    except RecursionError:  # e.g. 100000 nested brackets: JSON, but deeper than Python's parser goes
        raise SubmissionError(f"{label}: not a valid Jupyter notebook (nested too deeply to read)") from None
    chunks = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        elif not isinstance(source, str):  # nbformat: a string or a list of strings
            raise SubmissionError(f"{label}: not a valid Jupyter notebook (cell {number}'s source is not text)")
        lines = [line for line in source.splitlines()
                 if not line.lstrip().startswith(("%", "!"))]
        if any(line.strip() for line in lines):
            chunks.append(f"# --- cell {number} ---\n" + "\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def from_notebook(data, label, dest):
    source = notebook_source(data, label)
    files = {f"{NOTEBOOK_MODULE}.py": source.encode()}
    # Each contract module re-exports the notebook's names, so that code which
    # imports `from activations import sigmoid` finds the notebook's sigmoid.
    shim = f"from {NOTEBOOK_MODULE} import *  # noqa: F401,F403  (generated from {label})\n"
    for module in MODULES:
        files[f"{module}.py"] = shim.encode()
    write_files(files, dest)
    return list(MODULES)
