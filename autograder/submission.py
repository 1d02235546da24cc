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
import keyword
import os
import re
import stat
import sys
import zipfile
from pathlib import Path, PurePosixPath

from .contract import MODULES
from .devices import DEVICE_MODULES

MAX_FILE_BYTES = 2 << 20          # one source file
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL_BYTES = 64 << 20    # everything a zip inflates to
MAX_HELPERS = 20                  # helper modules beside the contract files
MAX_REFUSED = 40                  # files left out whose reason the worker is told (its config stays small)
NOTEBOOK_MODULE = "_notebook"
MANIFEST = ".submission.json"     # in the prepared folder: {"helpers": [...], "refused": {file: why}}
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Top-level modules the worker may import besides the standard library, and
# the grader's own modules in the worker: a helper must not take their place.
SHADOWED = {"numpy": "NumPy", "cupy": "CuPy", "cupyx": "CuPy", "cupy_backends": "CuPy", "fastrlock": "CuPy",
            "cuda": "CUDA's Python bindings", "nvidia": "NVIDIA's CUDA libraries"}
GRADERS = (NOTEBOOK_MODULE, *DEVICE_MODULES)


class SubmissionError(Exception):
    """The submission cannot be read at all; the message is one clear line."""


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
            found = _from_folder(path, dest, helpers)
        elif path.suffix == ".ipynb":
            found = _from_notebook_bytes(_read_limited(path), path.name, dest)
        elif path.suffix == ".zip":
            _check_regular(path, MAX_ZIP_TOTAL_BYTES)
            found = _from_zip(path, dest, helpers)
        elif path.suffix == ".py" and path.stem in MODULES:
            found = _from_files({path.name: _read_limited(path)}, dest)
        else:
            raise SubmissionError(f"{path}: not a submission (expected a folder, a .ipynb notebook or a .zip)")
    except OSError as error:  # e.g. a folder it may not list
        raise SubmissionError(f"{path}: cannot read ({error.strerror or error})") from None
    _from_files(helpers.files, dest)
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


def helper_name_problem(stem):
    """Why a helper file named `stem`.py cannot be a module of the submission's own, or ''."""
    if not MODULE_NAME.fullmatch(stem) or keyword.iskeyword(stem) or stem.startswith("__"):
        return "its name is not a valid module name (letters, digits and underscores; rename it)"
    if len(stem) > 100:
        return "its name is longer than 100 characters (rename it)"
    if stem in sys.stdlib_module_names:
        return f"its name shadows the standard library's {stem} module (rename it)"
    if stem in SHADOWED:
        return f"its name shadows {SHADOWED[stem]} (rename it)"
    if stem in GRADERS:
        return "its name is reserved for the grader's own module (rename it)"
    return ""


class Helpers:
    """The helper modules found beside the contract files: `files` {name: bytes}
    to copy, `refused` {name: why it was left out}."""

    def __init__(self):
        self.files, self.refused = {}, {}

    def consider(self, candidates, read):
        """Take the acceptable ones of `candidates` {file name: (size or None, why not or '')},
        reading each with `read(name)`; at most MAX_HELPERS, first by name."""
        accepted = []
        for name, (size, problem) in sorted(candidates.items()):
            problem = problem or helper_name_problem(PurePosixPath(name).stem)
            if not problem and size is not None and size > MAX_FILE_BYTES:
                problem = f"it is larger than {MAX_FILE_BYTES >> 20} MiB"
            if not problem and len(accepted) >= MAX_HELPERS:
                problem = f"a submission may have at most {MAX_HELPERS} helper modules (the first by name are included)"
            if problem:
                if len(self.refused) < MAX_REFUSED:
                    self.refused[name[:120]] = problem
            else:
                accepted.append(name)
        for name in accepted:
            self.files[name] = read(name)


def _check_regular(path, limit):
    """Refuse what is not a plain file (a fifo would block the read forever) or is too large."""
    try:
        info = path.stat()
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise SubmissionError(f"{path}: not a regular file")
    if info.st_size > limit:
        raise SubmissionError(f"{path}: larger than {limit >> 20} MiB")


def _read_limited(path):
    _check_regular(path, MAX_FILE_BYTES)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    if len(data) > MAX_FILE_BYTES:  # it grew since the check
        raise SubmissionError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def _from_folder(folder, dest, helpers):
    _helpers_in_folder(folder, helpers)
    files = {}
    for name in [f"{m}.py" for m in MODULES]:
        candidate = folder / name
        if candidate.is_symlink():
            raise SubmissionError(f"{candidate}: symbolic links are not accepted")
        if candidate.is_file():
            files[name] = _read_limited(candidate)
    if not files:
        notebooks = sorted(folder.glob("*.ipynb"))
        if len(notebooks) == 1:
            if notebooks[0].is_symlink():
                raise SubmissionError(f"{notebooks[0]}: symbolic links are not accepted")
            return _from_notebook_bytes(_read_limited(notebooks[0]), notebooks[0].name, dest)
        if len(notebooks) > 1:
            raise SubmissionError(f"{folder}: holds {len(notebooks)} notebooks and no module files; "
                                  f"submit one notebook")
        raise SubmissionError(f"{folder}: holds none of {', '.join(m + '.py' for m in MODULES)} "
                              f"and no notebook")
    return _from_files(files, dest)


def _helpers_in_folder(folder, helpers):
    candidates = {}
    for candidate in folder.glob("*.py"):
        if candidate.stem in MODULES or candidate.name.startswith("."):
            continue
        try:
            info = candidate.lstat()
        except OSError as error:
            candidates[candidate.name] = (None, f"it cannot be read ({error.strerror})")
            continue
        problem = ("it is a symbolic link" if stat.S_ISLNK(info.st_mode) else
                   "" if stat.S_ISREG(info.st_mode) else "it is not a regular file")
        candidates[candidate.name] = (info.st_size, problem)
    helpers.consider(candidates, lambda name: _read_no_link(folder / name))


def _read_no_link(path):
    """A regular file's bytes (at most MAX_FILE_BYTES), opened without following a link:
    a helper swapped for a link after it was looked at is refused, not followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise SubmissionError(f"{path}: cannot read ({error.strerror})") from None
    with open(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SubmissionError(f"{path}: not a regular file")
        data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionError(f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def _from_files(files, dest):
    for name, data in files.items():
        target = dest / name
        target.write_bytes(data)
        target.chmod(0o644)
    return sorted(PurePosixPath(n).stem for n in files)


def _from_zip(path, dest, helpers):
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SubmissionError(f"{path}: not a readable zip file ({error})") from None
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise SubmissionError(f"{path}: more than {MAX_ZIP_ENTRIES} entries")
        if sum(e.file_size for e in entries) > MAX_ZIP_TOTAL_BYTES:
            raise SubmissionError(f"{path}: inflates to more than {MAX_ZIP_TOTAL_BYTES >> 20} MiB")
        wanted, others = {}, []
        for entry in entries:
            name = PurePosixPath(entry.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in entry.filename:
                raise SubmissionError(f"{path}: entry {entry.filename!r} points outside the archive")
            if stat.S_ISLNK(entry.external_attr >> 16):
                raise SubmissionError(f"{path}: entry {entry.filename!r} is a symbolic link")
            if entry.is_dir() or "__MACOSX" in name.parts or name.name.startswith("._"):
                continue
            if (name.suffix == ".py" and name.stem in MODULES) or name.suffix == ".ipynb":
                wanted.setdefault(name.name, []).append(entry)
            elif name.suffix == ".py":
                others.append(entry)
        duplicates = [n for n, found in wanted.items() if len(found) > 1]
        if duplicates:
            raise SubmissionError(f"{path}: holds {duplicates[0]} more than once")
        files = {n: _read_entry(archive, found[0], path) for n, found in wanted.items()}
        _helpers_in_zip(archive, path, wanted, others, helpers)
    modules = {n: d for n, d in files.items() if n.endswith(".py")}
    if modules:
        return _from_files(modules, dest)
    notebooks = sorted(n for n in files if n.endswith(".ipynb"))
    if len(notebooks) == 1:
        return _from_notebook_bytes(files[notebooks[0]], notebooks[0], dest)
    raise SubmissionError(f"{path}: holds none of {', '.join(m + '.py' for m in MODULES)} "
                          f"and {'no notebook' if not notebooks else 'several notebooks'}")


def _helpers_in_zip(archive, path, wanted, others, helpers):
    """The .py entries in the folders of the zip that hold the contract files
    (or, without them, the notebook)."""
    modules = [found[0] for name, found in wanted.items() if name.endswith(".py")]
    homes = {PurePosixPath(entry.filename).parent for entry in modules or [f[0] for f in wanted.values()]}
    beside = {}
    for entry in others:
        if PurePosixPath(entry.filename).parent in homes:
            beside.setdefault(PurePosixPath(entry.filename).name, []).append(entry)
    candidates = {name: (found[0].file_size, "it is in the zip more than once" if len(found) > 1 else "")
                  for name, found in beside.items()}
    helpers.consider(candidates, lambda name: _read_entry(archive, beside[name][0], path))


def _read_entry(archive, entry, path):
    """An entry's bytes, refusing to inflate past the size it declares or the cap."""
    if entry.file_size > MAX_FILE_BYTES:
        raise SubmissionError(f"{path}: {entry.filename} is larger than {MAX_FILE_BYTES >> 20} MiB")
    try:
        with archive.open(entry) as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as error:
        raise SubmissionError(f"{path}: cannot extract {entry.filename} ({error})") from None
    if len(data) > MAX_FILE_BYTES:
        raise SubmissionError(f"{path}: {entry.filename} inflates past {MAX_FILE_BYTES >> 20} MiB")
    return data


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


def _from_notebook_bytes(data, label, dest):
    source = notebook_source(data, label)
    files = {f"{NOTEBOOK_MODULE}.py": source.encode()}
    # Each contract module re-exports the notebook's names, so that code which
    # imports `from activations import sigmoid` finds the notebook's sigmoid.
    shim = f"from {NOTEBOOK_MODULE} import *  # noqa: F401,F403  (generated from {label})\n"
    for module in MODULES:
        files[f"{module}.py"] = shim.encode()
    _from_files(files, dest)
    return list(MODULES)
