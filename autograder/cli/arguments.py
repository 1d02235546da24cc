"""What several commands take, checked once: the output folder, submission
paths, the rubric, the isolation tier (probed while the grader loads)."""
import argparse
import os
import stat
import sys
import threading
from pathlib import Path

from .errors import UsageError

TIERS = ("namespaces", "bwrap", "limits")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def score_value(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a score, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a score of at least 0, got {text!r}")
    return value


def out_dir(out):
    """--out DIR: created if missing; refused when it is a file, unwritable, or writable by everyone."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out {out}: cannot create ({error.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out}: not writable")
    if folder.stat().st_mode & 0o002:
        raise UsageError(f"--out {out}: writable by every user, so sandboxed code could tamper with "
                         f"the reports; use a folder of your own")
    return folder


def submission_paths(paths):
    """The submissions exist, and no two would write the same report (or the summary's)."""
    from ..intake import name_of
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise UsageError(f"no such submission: {', '.join(missing)}")
    seen = {}
    for path in paths:
        name = name_of(path)
        if name in ("summary",):
            raise UsageError(f"{path}: the name {name!r} is reserved for the batch summary")
        if name in seen:
            raise UsageError(f"{seen[name]} and {path} would both write {name}.json; rename one")
        seen[name] = path


def rubric(path):
    from .. import rubric as rubric_module
    try:
        return rubric_module.load(path) if path else rubric_module.load()
    except rubric_module.RubricError as error:
        raise UsageError(str(error)) from None


def tier_while_loading(forced):
    """The isolation tier. Its probe (a sandboxed Python start) and, at the
    namespaces and limits tiers, the start of the worker zygote run while the
    grader imports pytest, hypothesis and the suite, which it needs anyway."""
    from ..sandbox.outside import probing, zygote_client
    from ..session import hypothesis_setup
    outcome = {}

    def probe():
        try:
            outcome["tier"] = probing.probe(forced)
        except (RuntimeError, ValueError) as error:
            outcome["error"] = str(error)
            return
        zygote_client.start_zygote(outcome["tier"])  # it imports NumPy meanwhile too

    thread = threading.Thread(target=probe)
    thread.start()
    hypothesis_setup.prepare()
    thread.join()  # no thread may outlive this: grading forks next
    if "error" in outcome:
        raise UsageError(outcome["error"])
    return outcome["tier"]


def warn_if_exposed(tier):
    """One line when submissions at this tier can read the hidden reference (docs/security.md)."""
    from .. import paths
    same_user = os.geteuid() != 0  # the worker then runs as this user
    if tier == "limits" and (same_user or any(readable_by_others(p) for p in paths.REFERENCE_DIR.glob("*.py"))):
        print(f"autograder: warning: at the {tier} tier a submission can read {paths.REFERENCE_DIR}; "
              f"grade untrusted code as root or with bubblewrap (see docs/security.md)", file=sys.stderr)


def readable_by_others(path):
    """Whether a user with no relation to the file's owner may read `path`."""
    path = Path(path).resolve()
    if not path.stat().st_mode & stat.S_IROTH:
        return False
    return all(folder.stat().st_mode & stat.S_IXOTH for folder in path.parents)
