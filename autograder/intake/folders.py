"""Turn what a student handed in (a folder, a notebook or a zip of either) into
a clean folder holding only the contract's module files and the student's own
helper modules beside them.

Nothing of the student's is executed here. A zip is read entry by entry with
limits (no absolute paths, no `..`, no links, bounded sizes); a notebook's code
cells become one module that the contract modules re-export.

Helper modules are the other `.py` files beside the contract files (or beside
the notebook): in the submitted folder, or in the zip's folder that holds
them. At most MAX_HELPERS are copied, each within MAX_FILE_BYTES; a file
whose name is not a module name, or would shadow the standard library, NumPy,
CuPy or a module of the grader's, is left out. The prepared folder's MANIFEST
lists the helpers copied and why each other file was left out: the worker's
import guard allows exactly those helpers, and an import that fails names
the reason (see `worker_fields`).
"""
import json
from pathlib import Path, PurePosixPath

from ..contract import MODULES
from .helpers import Helpers, helpers_in_folder
from .files import MAX_ZIP_TOTAL_BYTES, SubmissionError, check_regular, write_files, read_limited
from .notebooks import from_notebook
from .zips import from_zip

MANIFEST = ".submission.json"     # in the prepared folder: {"helpers": [...], "refused": {file: why}}


def name_of(path):
    """The report name: the file or folder name without its extension."""
    path = Path(path)
    if path.name in ("", ".", ".."):  # "." or "../": name it after the folder it means
        path = path.resolve()
    return path.name if path.is_dir() else path.stem


def prepare(path, dest):
    """Write the submission at `path` into the empty folder `dest` as module files.

    Returns the list of contract module names found. Raises SubmissionError.
    """
    path, dest = Path(path), Path(dest)
    helpers = Helpers()
    try:
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        if path.is_dir():
            found = from_folder(path, dest, helpers)
        elif path.suffix == ".ipynb":
            found = from_notebook(read_limited(path), path.name, dest)
        elif path.suffix == ".zip":
            check_regular(path, MAX_ZIP_TOTAL_BYTES)
            found = from_zip(path, dest, helpers)
        elif path.suffix == ".py" and path.stem in MODULES:
            found = write_files({path.name: read_limited(path)}, dest)
        else:
            raise SubmissionError(f"{path}: not a submission (expected a folder, a .ipynb notebook or a .zip)")
    except OSError as error:  # e.g. a folder it may not list
        raise SubmissionError(f"{path}: cannot read ({error.strerror or error})") from None
    write_files(helpers.files, dest)
    manifest = dest / MANIFEST
    manifest.write_text(json.dumps({"helpers": sorted(PurePosixPath(n).stem for n in helpers.files),
                                    "refused": helpers.refused}, indent=1) + "\n")
    manifest.chmod(0o644)
    dest.chmod(0o755)
    return found


def worker_fields(folder):
    """WorkerSpec's `helpers` and `refused` of a folder `prepare` wrote ({} for any other folder)."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text())
        helpers, refused = manifest["helpers"], manifest["refused"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {"helpers": tuple(helpers), "refused": tuple(sorted(refused.items()))}


def from_folder(folder, dest, helpers):
    helpers_in_folder(folder, helpers)
    files = {}
    for name in [f"{m}.py" for m in MODULES]:
        candidate = folder / name
        if candidate.is_symlink():
            raise SubmissionError(f"{candidate}: symbolic links are not accepted")
        if candidate.is_file():
            files[name] = read_limited(candidate)
    if not files:
        notebooks = sorted(folder.glob("*.ipynb"))
        if len(notebooks) == 1:
            if notebooks[0].is_symlink():
                raise SubmissionError(f"{notebooks[0]}: symbolic links are not accepted")
            return from_notebook(read_limited(notebooks[0]), notebooks[0].name, dest)
        if len(notebooks) > 1:
            raise SubmissionError(f"{folder}: holds {len(notebooks)} notebooks and no module files; "
                                  f"submit one notebook")
        raise SubmissionError(f"{folder}: holds none of {', '.join(m + '.py' for m in MODULES)} "
                              f"and no notebook")
    return write_files(files, dest)


