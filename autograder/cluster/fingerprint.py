"""Which grader a machine has: a digest of the files that decide a grade.

The client and every worker's grading services compute it; a service whose
grader is not the client's refuses to grade (service.py), so that a worker
left on another version of the reference, the suite or the grader is a
grader failure saying so, never a silently different score.
"""
import hashlib
from functools import lru_cache
from pathlib import Path

from .. import paths

PACKAGE = Path(__file__).resolve().parents[1]     # autograder/
SUFFIXES = (".py", ".toml", ".json")


@lru_cache(maxsize=None)
def of_grader(roots=(PACKAGE, paths.REFERENCE_DIR, paths.STUBS_DIR)):
    """The hex digest of every .py, .toml and .json file of the grader's package,
    the reference and the stubs, by path and content (caches left out)."""
    digest = hashlib.sha256()
    for root in map(Path, roots):
        for file in sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                           and "__pycache__" not in p.parts):
            digest.update(f"{root.name}/{file.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()
