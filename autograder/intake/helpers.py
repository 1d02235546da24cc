"""A student's own helper modules: the other `.py` files beside the contract
files (or beside the notebook), in the submitted folder or in the zip's folder
that holds them. At most MAX_HELPERS are copied, each within MAX_FILE_BYTES;
a file whose name is not a module name, or would shadow the standard library,
NumPy, CuPy or a module of the grader's, is left out, and why is remembered
(the worker's import guard then names the reason when an import fails).
"""
import keyword
import os
import re
import stat
import sys
from pathlib import PurePosixPath

from ..contract import MODULES
from ..sandbox.outside.devices import DEVICE_MODULES
from .files import MAX_FILE_BYTES, SubmissionError

MAX_HELPERS = 20                  # helper modules beside the contract files


MAX_REFUSED = 40                  # files left out whose reason the worker is told (its config stays small)


NOTEBOOK_MODULE = "_notebook"


MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# Top-level modules the worker may import besides the standard library, and
# the grader's own modules in the worker: a helper must not take their place.
SHADOWED = {"numpy": "NumPy", "cupy": "CuPy", "cupyx": "CuPy", "cupy_backends": "CuPy", "fastrlock": "CuPy",
            "cuda": "CUDA's Python bindings", "nvidia": "NVIDIA's CUDA libraries"}


GRADERS = (NOTEBOOK_MODULE, *DEVICE_MODULES)


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


def helpers_in_folder(folder, helpers):
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
