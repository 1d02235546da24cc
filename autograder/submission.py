"""Turn what a student handed in (a folder, a notebook or a zip of either) into
a clean folder holding only the contract's module files.

Nothing of the student's is executed here. A zip is read entry by entry with
limits (no absolute paths, no `..`, no links, bounded sizes); a notebook's code
cells become one module that the four contract modules re-export.
"""
import json
import stat
import zipfile
from pathlib import Path, PurePosixPath

from .contract import MODULES

MAX_FILE_BYTES = 2 << 20          # one source file
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_TOTAL_BYTES = 64 << 20    # everything a zip inflates to
NOTEBOOK_MODULE = "_notebook"


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

    Returns the list of module names found. Raises SubmissionError.
    """
    path, dest = Path(path), Path(dest)
    try:
        if not path.exists():
            raise SubmissionError(f"{path}: no such file or folder")
        if path.is_dir():
            found = _from_folder(path, dest)
        elif path.suffix == ".ipynb":
            found = _from_notebook_bytes(_read_limited(path), path.name, dest)
        elif path.suffix == ".zip":
            _check_regular(path, MAX_ZIP_TOTAL_BYTES)
            found = _from_zip(path, dest)
        elif path.suffix == ".py" and path.stem in MODULES:
            found = _from_files({path.name: _read_limited(path)}, dest)
        else:
            raise SubmissionError(f"{path}: not a submission (expected a folder, a .ipynb notebook or a .zip)")
    except OSError as error:  # e.g. a folder it may not list
        raise SubmissionError(f"{path}: cannot read ({error.strerror or error})") from None
    dest.chmod(0o755)
    return found


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


def _from_folder(folder, dest):
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


def _from_files(files, dest):
    for name, data in files.items():
        target = dest / name
        target.write_bytes(data)
        target.chmod(0o644)
    return sorted(PurePosixPath(n).stem for n in files)


def _from_zip(path, dest):
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
        wanted = {}
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
        duplicates = [n for n, found in wanted.items() if len(found) > 1]
        if duplicates:
            raise SubmissionError(f"{path}: holds {duplicates[0]} more than once")
        files = {n: _read_entry(archive, found[0], path) for n, found in wanted.items()}
    modules = {n: d for n, d in files.items() if n.endswith(".py")}
    if modules:
        return _from_files(modules, dest)
    notebooks = sorted(n for n in files if n.endswith(".ipynb"))
    if len(notebooks) == 1:
        return _from_notebook_bytes(files[notebooks[0]], notebooks[0], dest)
    raise SubmissionError(f"{path}: holds none of {', '.join(m + '.py' for m in MODULES)} "
                          f"and {'no notebook' if not notebooks else 'several notebooks'}")


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
