"""A zip, read entry by entry with limits: no absolute paths, no `..`, no
links, bounded sizes (as declared and as inflated)."""
import stat
import zipfile
from pathlib import PurePosixPath

from ..contract import MODULES
from .files import MAX_FILE_BYTES, MAX_ZIP_ENTRIES, MAX_ZIP_TOTAL_BYTES, SubmissionError, write_files
from .notebooks import from_notebook

def from_zip(path, dest, helpers):
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
        return write_files(modules, dest)
    notebooks = sorted(n for n in files if n.endswith(".ipynb"))
    if len(notebooks) == 1:
        return from_notebook(files[notebooks[0]], notebooks[0], dest)
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
