"""Paths a sandboxed worker can reach, wherever the checkout lives.

As root, the grader runs each worker under a leased uid of its own, which
reaches only what every user may reach. A checkout inside a folder that other
users cannot enter (what `mktemp -d` makes, mode 0700; or /root) is out of
its reach. Grading copies each submission to a folder the worker can read
(batch._child); a test that hands a worker a submission itself does the same.
"""
import atexit
import os
import shutil
import stat
import tempfile
from pathlib import Path


def worker_readable_copy(folder):
    """A copy of the submission `folder` that any uid can read, as grading makes one:
    in a fresh temporary folder that every user may enter but not list (0711),
    folders 0755, files 0644. Removed when the process that made it exits."""
    parent = Path(tempfile.mkdtemp(prefix="autograder-test-"))
    parent.chmod(0o711)
    atexit.register(_remove, parent, os.getpid())
    copy = Path(shutil.copytree(folder, parent / Path(folder).name))
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


def _remove(folder, owner):
    if os.getpid() == owner:  # not in a forked child that exits normally
        shutil.rmtree(folder, ignore_errors=True)


def others_can_read(path):
    """Can a uid other than its owner's (a worker's leased uid) read `path`: is every
    folder above it open to all users (o+x), and it readable by all (o+r)?"""
    path = Path(os.path.realpath(path))
    if not path.exists() or not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)
