"""How a worker is started: the isolation tiers and the command line of each.

Tiers, strongest first; the grader probes once and uses the first that works:

- "namespaces" (root only): what "bwrap" does, built by the worker itself
  (namespaces.py) as it starts: new pid, mount, net, ipc and uts namespaces,
  a filesystem holding only /usr, the Python installation, NumPy, the
  student's files and the stubs (all read-only), a private size-capped /tmp;
  then the worker drops to its uid with no groups. Workers are forked from a
  zygote that has imported NumPy, so a worker starts in milliseconds.
- "bwrap": bubblewrap with new pid, net, ipc and uts namespaces, a filesystem
  holding only /usr, the Python installation, NumPy, the student's files and
  the stubs (all read-only) and a private size-capped /tmp; it dies with its
  parent. As root it also drops to an unprivileged uid with no groups
  (setpriv, inside the namespaces); unprivileged, it adds a user namespace.
- "limits": a plain child process in a new session. When the grader is root
  the worker drops to an unprivileged uid with no groups itself, before any
  student code loads. Resource limits and the import guard only: the report
  says isolation is degraded.

Both tiers set the same rlimits (in worker.py, before student code loads) and
the grader enforces every timeout with SIGKILL on the whole process group.

As root, every worker runs as a uid of its own (uids.py). Workers of the
namespaces and limits tiers are forked from a zygote (zygote_client.py).
"""
import json
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy

from ... import contract
from .uids import NOBODY, SHARED_TMP

INSIDE_FOLDER = Path(__file__).resolve().parents[1] / "inside"   # what runs in the sandbox
WORKER_SOURCE = INSIDE_FOLDER / "run.py"                              # its entry point


TIERS = ("namespaces", "bwrap", "limits")


TIER_DESCRIPTIONS = {
    "namespaces": "namespace sandbox: own pid/net/ipc/mount namespaces, read-only minimal filesystem, no network",
    "bwrap": "bubblewrap sandbox: own pid/net/ipc namespaces, read-only minimal filesystem, no network",
    "limits": "degraded isolation: resource limits and a separate process only (no namespaces)",
}


PRIVATE_TMP_TIERS = ("namespaces", "bwrap")  # nothing of the machine's /tmp is in sight


NEW_ROOT = "/run/autograder-root"   # see _new_root_folder


# Where a worker with a private /tmp (namespaces, bwrap) can leave files: the
# worker's config "tmp" (worker.Leftovers). /dev/shm is not writable there.
PRIVATE_TMP = {"private": "/tmp"}


# Where things appear inside the bwrap sandbox.
# Passed to a worker that binds the GPU (device_module set, /dev/nvidia* present).
GPU_ENVIRONMENT = ("LD_LIBRARY_PATH", "CUDA_PATH", "CUDA_HOME", "CUDA_VISIBLE_DEVICES")


CUDA_FILES = ("/sys", "/etc/ld.so.cache")  # what CUDA reads besides its device files


# The whole environment of a worker at the limits tier.
LIMITS_ENVIRONMENT = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8"}


INSIDE = {"submission": "/sandbox/submission", "stubs": "/sandbox/stubs",
          "site": "/sandbox/site", "worker": "/sandbox/worker", "run": "/sandbox/worker/run.py"}


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
    helpers: tuple = ()        # the submission's own modules beside the contract's (submission.py)
    refused: tuple = ()        # (file name, why it was left out) of the helper files not copied


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


def command(tier, spec, uid=None):
    """(argv, popen_kwargs) that start a worker for `spec` in `tier`.

    uid: the unprivileged uid the worker runs as when the grader is root
    (see `lease_uid`); nobody when not given.
    """
    config = worker_config(spec)
    uid = NOBODY if uid is None else uid
    if tier == "bwrap":
        return _bwrap_command(spec, config, uid)
    if tier == "namespaces":
        config, kwargs = _namespaces_config(spec, config, uid)
        return [base_python(), "-I", "-S", str(WORKER_SOURCE), json.dumps(config)], kwargs
    if tier == "limits":
        return _limits_command(spec, config, uid)
    raise ValueError(f"unknown sandbox tier {tier!r}; choose one of {', '.join(TIERS)}")


def worker_config(spec):
    """The part of a worker's config that does not depend on the tier."""
    return {"limits": spec.limits.rlimits(), "allowed_imports": list(spec.allowed_imports),
            "device_module": spec.device_module, "modules": list(contract.MODULES),
            "helpers": list(spec.helpers), "refused": dict(spec.refused)}


def _bwrap_command(spec, config, uid):
    site_entries = numpy_site_entries() + [Path(p) for p in spec.extra_site]
    config = {**config, "submission": INSIDE["submission"], "stubs": INSIDE["stubs"],
              "site": [INSIDE["site"]], "tmp": PRIVATE_TMP}
    prefix = os.path.realpath(sys.base_prefix)
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--die-with-parent", "--new-session", "--clearenv",
            "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8"]
    # Mount points' parent folders must be traversable by the unprivileged uid.
    for folder in _ancestors(prefix) + ["/sandbox", INSIDE["site"]]:
        argv += ["--perms", "0755", "--dir", folder]
    folders, symlinks = _system_folders()
    for folder in folders:
        argv += ["--ro-bind", folder, folder]
    for target, link in symlinks:
        argv += ["--symlink", target, link]
    for entry in site_entries:
        argv += ["--ro-bind", str(entry), f"{INSIDE['site']}/{entry.name}"]
    argv += ["--ro-bind", str(spec.submission_dir), INSIDE["submission"],
             "--ro-bind", str(spec.stubs_dir), INSIDE["stubs"],
             "--ro-bind", str(INSIDE_FOLDER), INSIDE["worker"],
             "--size", str(spec.limits.tmp_bytes), "--perms", "1777", "--tmpfs", "/tmp",
             "--proc", "/proc", "--dev", "/dev", "--chdir", INSIDE["submission"]]
    gpus = _gpu_devices() if spec.device_module else []
    for device in gpus:
        argv += ["--dev-bind", device, device]
    if gpus:
        for path in CUDA_FILES:
            argv += ["--ro-bind-try", path, path]
        for name, value in _gpu_environment().items():
            argv += ["--setenv", name, value]
    if os.geteuid() == 0:
        # Namespaces first, then drop to nobody with no supplementary groups.
        argv += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                 "--no-new-privs", "--bounding-set=-all", "--inh-caps=-all"]
    else:
        argv += ["--unshare-user", "--"]
    argv += [base_python(), "-I", "-S", INSIDE["run"], json.dumps(config)]
    return argv, {"start_new_session": True, "env": {}}


def _system_folders():
    """What the namespaces and bwrap sandboxes show of the machine, read-only:
    (folders bound at their own paths, [target, link] symbolic links).
    /usr, the other system folders (or their links into /usr on a merged
    /usr) and the Python installation."""
    folders, symlinks = ["/usr"], []
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink(f"/{link}"):
            symlinks.append([os.readlink(f"/{link}"), f"/{link}"])
        elif os.path.isdir(f"/{link}"):
            folders.append(f"/{link}")
    prefix = os.path.realpath(sys.base_prefix)
    if not prefix.startswith("/usr/"):
        folders.append(prefix)
    return folders, symlinks


def _limits_command(spec, config, uid):
    config, kwargs = _limits_config(spec, config, uid)
    return [base_python(), "-I", "-S", str(WORKER_SOURCE), json.dumps(config)], kwargs


def _limits_config(spec, config, uid):
    """(the worker's config, Popen's keyword arguments) at the limits tier."""
    config = {**config, "submission": str(spec.submission_dir), "stubs": str(spec.stubs_dir),
              "site": _limits_site(spec.extra_site)}
    if os.geteuid() == 0:
        # The worker starts as root (so that an interpreter under a 0700 folder
        # such as /root still loads) and drops to `uid` before student code runs.
        config["uid"] = uid
        if uid != NOBODY:  # a uid of its own: what it owns in the shared folders is what it left there
            config["tmp"] = {"shared": list(SHARED_TMP), "uid": uid}
    kwargs = {"start_new_session": True, "env": dict(LIMITS_ENVIRONMENT), "cwd": str(spec.submission_dir)}
    if spec.device_module and _gpu_devices():
        kwargs["env"].update(_gpu_environment())
    return config, kwargs


def _namespaces_config(spec, config, uid):
    """(the worker's config, Popen's keyword arguments) at the namespaces tier:
    the limits tier's, with the plan of the sandbox the worker builds first
    (namespaces.enter). NumPy keeps its own path inside, where the zygote
    imported it from."""
    config, kwargs = _limits_config(spec, config, uid)
    folders, symlinks = _system_folders()
    binds = [[folder, folder, "ro"] for folder in folders]
    binds += [[str(entry), str(entry), "ro"] for entry in numpy_site_entries() + [Path(p) for p in spec.extra_site]]
    binds += [[str(spec.submission_dir), INSIDE["submission"], "ro"], [str(spec.stubs_dir), INSIDE["stubs"], "ro"]]
    binds += [[f"/dev/{name}", f"/dev/{name}", "dev"] for name in ("null", "zero", "full", "random", "urandom")]
    if spec.device_module and _gpu_devices():
        binds += [[device, device, "dev"] for device in _gpu_devices()]
        binds += [[path, path, "ro"] for path in CUDA_FILES if os.path.exists(path)]
    config.update(submission=INSIDE["submission"], stubs=INSIDE["stubs"], tmp=PRIVATE_TMP,
                  namespaces={"root": _new_root_folder(), "binds": binds, "symlinks": symlinks,
                              "tmp_bytes": spec.limits.tmp_bytes})
    kwargs["cwd"] = "/"
    return config, kwargs


@lru_cache(maxsize=None)
def _new_root_folder():
    """An empty folder each namespaces-tier worker mounts its own root on
    (privately: no worker sees another's, nor does the machine)."""
    os.makedirs(NEW_ROOT, mode=0o700, exist_ok=True)
    return NEW_ROOT


def _limits_site(extra_site=()):
    """The import-path folders of a limits-tier worker: NumPy's site-packages and the extra sites'."""
    site = [str(p.parent) for p in numpy_site_entries()[:1]] + [str(Path(p).parent) for p in extra_site]
    return sorted(set(site))


def _ancestors(path):
    """'/a/b/c' -> ['/a', '/a/b'] (not the path itself, nor anything under /usr)."""
    parts = Path(path).parts[1:-1]
    folders = ["/" + "/".join(parts[:i + 1]) for i in range(len(parts))]
    return [f for f in folders if f != "/usr" and not f.startswith("/usr/")]


def _gpu_devices():
    return [str(p) for p in sorted(Path("/dev").glob("nvidia*"))]


def _gpu_environment():
    """The grader's CUDA settings (library path, toolkit, visible devices), for a GPU worker."""
    return {name: os.environ[name] for name in GPU_ENVIRONMENT if name in os.environ}


