"""Which isolation tier works on this machine: the grader probes once, at
start-up, and uses the strongest that starts a worker-like process.
"""
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

from .tiers import TIERS, WorkerSpec, command, numpy_site_entries, INSIDE
from .uids import NOBODY
from .zygote_client import start_zygote, stop_zygote

@lru_cache(maxsize=None)
def probe(forced=None):
    """The strongest tier that starts a worker-like process here.

    `forced` (or the AUTOGRADER_SANDBOX environment variable) names a tier to
    use instead; it is still checked, so a forced tier that cannot run fails
    loudly rather than silently running weaker.
    """
    forced = forced or os.environ.get("AUTOGRADER_SANDBOX") or None
    candidates = [forced] if forced else list(TIERS)
    for tier in candidates:
        if tier not in TIERS:
            raise ValueError(f"unknown sandbox tier {tier!r}; choose one of {', '.join(TIERS)}")
        if tier == "bwrap" and not shutil.which("bwrap"):
            continue
        if tier == TIERS[-1] and not forced:
            return tier  # the last resort: checking it could not change the answer
        if _tier_works(tier):
            return tier
    if forced:
        raise RuntimeError(f"sandbox tier {forced!r} does not work on this machine")
    return "limits"


def _tier_works(tier):
    """Start a tiny Python in the tier and check it can import NumPy.

    The namespaces tier (root only) asks this batch's zygote, which it
    starts, for a probe worker instead: its workers will come from there."""
    if tier == "namespaces":
        zygote = start_zygote(tier) if os.geteuid() == 0 else None
        if zygote is not None and zygote.works():
            return True
        stop_zygote()
        return False
    with tempfile.TemporaryDirectory() as empty:
        os.chmod(empty, 0o755)
        spec = WorkerSpec(Path(empty), Path(empty))
        argv, kwargs = command(tier, spec, uid=NOBODY)
        # Same sandbox, but run a check instead of the worker.
        argv = argv[:-4] + ["-I", "-S", "-c",
                            "import sys; sys.path[:0] = %r; import numpy" % _probe_site(tier)]
        try:
            done = subprocess.run(argv, capture_output=True, timeout=20, **kwargs)
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0


def _probe_site(tier):
    if tier == "bwrap":
        return [INSIDE["site"]]
    return [str(numpy_site_entries()[0].parent)]
