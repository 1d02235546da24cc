"""How a worker is started: the isolation tiers and the command line of each.

Tiers, strongest first; the grader probes once and uses the first that works:

- "bwrap": bubblewrap with new pid, net, ipc and uts namespaces, a filesystem
  holding only /usr, the Python installation, NumPy, the student's files and
  the stubs (all read-only) and a private size-capped /tmp; it dies with its
  parent. As root it also drops to an unprivileged uid with no groups
  (setpriv, inside the namespaces); unprivileged, it adds a user namespace.
- "limits": a plain child process in a new session, as an unprivileged uid
  when the grader is root. Resource limits and the import guard only: the
  report says isolation is degraded.

Both tiers set the same rlimits (in worker.py, before student code loads) and
the grader enforces every timeout with SIGKILL on the whole process group.
"""
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy

WORKER_SOURCE = Path(__file__).with_name("worker.py")
TIERS = ("bwrap", "limits")
TIER_DESCRIPTIONS = {
    "bwrap": "bubblewrap sandbox: own pid/net/ipc namespaces, read-only minimal filesystem, no network",
    "limits": "degraded isolation: resource limits and a separate process only (no namespaces)",
}
NOBODY = 65534
# Where things appear inside the bwrap sandbox.
INSIDE = {"submission": "/sandbox/submission", "stubs": "/sandbox/stubs",
          "site": "/sandbox/site", "worker": "/sandbox/worker.py"}


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker (see rubric.toml [limits])."""
    cpu_s: int = 60
    memory_bytes: int = 1 << 30
    file_bytes: int = 64 << 20
    processes: int = 64
    open_files: int = 64
    core_bytes: int = 0
    tmp_bytes: int = 64 << 20

    def rlimits(self):
        return {name: getattr(self, name) for name in
                ("cpu_s", "memory_bytes", "file_bytes", "processes", "open_files", "core_bytes")}


@dataclass(frozen=True)
class WorkerSpec:
    """Everything needed to start one worker for one submission."""
    submission_dir: Path
    stubs_dir: Path
    limits: Limits = field(default_factory=Limits)
    allowed_imports: tuple = ()
    device_module: str = ""
    extra_site: tuple = ()     # more package folders to expose (e.g. CuPy for --gpu)


def base_python():
    """The real interpreter behind this (possibly virtual) environment."""
    return os.path.realpath(getattr(sys, "_base_executable", sys.executable))


def numpy_site_entries():
    """Package folders the worker needs: numpy and its bundled libraries."""
    numpy_dir = Path(numpy.__file__).parent
    entries = [numpy_dir]
    libs = numpy_dir.with_name("numpy.libs")
    if libs.is_dir():
        entries.append(libs)
    return entries


def command(tier, spec):
    """(argv, popen_kwargs) that start a worker for `spec` in `tier`."""
    config = {"limits": spec.limits.rlimits(), "allowed_imports": list(spec.allowed_imports),
              "device_module": spec.device_module}
    if tier == "bwrap":
        return _bwrap_command(spec, config)
    if tier == "limits":
        return _limits_command(spec, config)
    raise ValueError(f"unknown sandbox tier {tier!r}; choose one of {', '.join(TIERS)}")


def _bwrap_command(spec, config):
    site_entries = numpy_site_entries() + [Path(p) for p in spec.extra_site]
    config = {**config, "submission": INSIDE["submission"], "stubs": INSIDE["stubs"],
              "site": [INSIDE["site"]]}
    prefix = os.path.realpath(sys.base_prefix)
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8",
            "--ro-bind", "/usr", "/usr"]
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            argv += ["--symlink", os.readlink(f"/{link}"), f"/{link}"]
        elif os.path.isdir(f"/{link}"):
            argv += ["--ro-bind", f"/{link}", f"/{link}"]
    # Mount points' parent folders must be traversable by the unprivileged uid.
    for folder in _ancestors(prefix) + ["/sandbox", INSIDE["site"]]:
        argv += ["--perms", "0755", "--dir", folder]
    if not prefix.startswith("/usr/"):
        argv += ["--ro-bind", prefix, prefix]
    for entry in site_entries:
        argv += ["--ro-bind", str(entry), f"{INSIDE['site']}/{entry.name}"]
    argv += ["--ro-bind", str(spec.submission_dir), INSIDE["submission"],
             "--ro-bind", str(spec.stubs_dir), INSIDE["stubs"],
             "--ro-bind", str(WORKER_SOURCE), INSIDE["worker"],
             "--size", str(spec.limits.tmp_bytes), "--tmpfs", "/tmp",
             "--proc", "/proc", "--dev", "/dev", "--chdir", INSIDE["submission"]]
    for device in _gpu_devices() if spec.device_module else ():
        argv += ["--dev-bind", device, device]
    if os.geteuid() == 0:
        # Namespaces first, then drop to nobody with no supplementary groups.
        argv += ["--", "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                 "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]
    else:
        argv += ["--unshare-user", "--"]
    argv += [base_python(), "-I", "-S", INSIDE["worker"], json.dumps(config)]
    return argv, {"start_new_session": True, "env": {}}


def _limits_command(spec, config):
    site = [str(p.parent) for p in numpy_site_entries()[:1]] + [str(Path(p).parent) for p in spec.extra_site]
    config = {**config, "submission": str(spec.submission_dir), "stubs": str(spec.stubs_dir),
              "site": sorted(set(site))}
    kwargs = {"start_new_session": True, "env": {"PATH": "/usr/bin:/bin", "HOME": "/tmp",
                                                 "LANG": "C.UTF-8"},
              "cwd": str(spec.submission_dir)}
    if os.geteuid() == 0 and _others_can_run(base_python()):
        kwargs.update(user=NOBODY, group=NOBODY, extra_groups=[])
    return [base_python(), "-I", "-S", str(WORKER_SOURCE), json.dumps(config)], kwargs


def _others_can_run(path):
    """Whether an unprivileged uid can reach and execute `path` (e.g. not under a 0700 /root)."""
    import stat
    path = Path(path)
    folders_ok = all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    return folders_ok and bool(path.stat().st_mode & stat.S_IXOTH)


def _ancestors(path):
    """'/a/b/c' -> ['/a', '/a/b'] (not the path itself, nor anything under /usr)."""
    parts = Path(path).parts[1:-1]
    folders = ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
    return [f for f in folders if f != "/usr" and not f.startswith("/usr/")]


def _gpu_devices():
    return [str(p) for p in sorted(Path("/dev").glob("nvidia*"))]


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
        if _tier_works(tier):
            return tier
    if forced:
        raise RuntimeError(f"sandbox tier {forced!r} does not work on this machine")
    return "limits"


def _tier_works(tier):
    """Start a tiny Python in the tier and check it can import NumPy."""
    import tempfile
    with tempfile.TemporaryDirectory() as empty:
        os.chmod(empty, 0o755)
        spec = WorkerSpec(Path(empty), Path(empty))
        argv, kwargs = command(tier, spec)
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
