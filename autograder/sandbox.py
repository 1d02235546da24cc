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

As root, every worker runs as a uid of its own, leased from SANDBOX_UIDS for
the worker's life (`lease_uid`): RLIMIT_NPROC then counts only that worker's
processes, and when the worker ends `UidLease.release` kills every process of
that uid (children that left the process group included) and deletes what
the uid left in the machine's shared temporary folders.
"""
import fcntl
import json
import os
import random
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy

from . import contract

WORKER_SOURCE = Path(__file__).with_name("worker.py")
TIERS = ("namespaces", "bwrap", "limits")
TIER_DESCRIPTIONS = {
    "namespaces": "namespace sandbox: own pid/net/ipc/mount namespaces, read-only minimal filesystem, no network",
    "bwrap": "bubblewrap sandbox: own pid/net/ipc namespaces, read-only minimal filesystem, no network",
    "limits": "degraded isolation: resource limits and a separate process only (no namespaces)",
}
NOBODY = 65534
PRIVATE_TMP_TIERS = ("namespaces", "bwrap")  # nothing of the machine's /tmp is in sight
# Uids leased to workers when the grader is root: one per running worker, so
# that a worker's processes can be counted and killed by uid. No account owns
# them; pick another range if yours does (AUTOGRADER_SANDBOX_UIDS=first:count).
SANDBOX_UIDS = range(1_900_000_000, 1_900_000_000 + 256)
LEASE_DIR = "/run/autograder-uids"
NEW_ROOT = "/run/autograder-root"   # see _new_root_folder
PROBE_TIMEOUT_S = 20
# World-writable folders where a worker at the limits tier can leave files.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")
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
             "--ro-bind", str(WORKER_SOURCE), INSIDE["worker"],
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
    argv += [base_python(), "-I", "-S", INSIDE["worker"], json.dumps(config)]
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


# --- the zygote: fast worker starts at the namespaces and limits tiers -------

ZYGOTE_TIERS = ("namespaces", "limits")


class Zygote:
    """A process that has imported NumPy and forks a fresh worker on request
    (worker.zygote_main), for workers of one tier. A batch starts one before
    it forks its graders; every grader process it forks may then ask it for
    workers."""

    def __init__(self, tier):
        self.tier = tier
        parent_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [base_python(), "-I", "-S", str(WORKER_SOURCE), "--zygote", json.dumps(_limits_site())],
            stdin=zygote_end.fileno(), stdout=subprocess.DEVNULL, env=dict(LIMITS_ENVIRONMENT), cwd="/",
            start_new_session=True)
        zygote_end.close()
        self.control = parent_end

    def fork_worker(self, spec, uid, stderr_file, probe=False):
        """A ForkedWorker for `spec`, or None if the zygote cannot make one.
        probe: the worker only builds its sandbox and says it is ready."""
        if spec.device_module or spec.extra_site:  # the GPU worker: its own environment, a plain start
            return None
        make_config = _namespaces_config if self.tier == "namespaces" else _limits_config
        config, _ = make_config(spec, worker_config(spec), NOBODY if uid is None else uid)
        config["probe"] = probe
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        status, status_for_worker = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            socket.send_fds(self.control, [json.dumps(config).encode()],
                            [stdin_read, stdout_write, stderr_file.fileno(), status_for_worker.fileno()])
            status.settimeout(10)
            answer = json.loads(status.recv(1 << 12) or b"{}")
        except (OSError, ValueError):
            answer = {}
        finally:
            for fd in (stdin_read, stdout_write):
                os.close(fd)
            status_for_worker.close()
        if not isinstance(answer.get("pid"), int):
            for fd in (stdin_write, stdout_read):
                os.close(fd)
            status.close()
            return None
        return ForkedWorker(answer["pid"], os.fdopen(stdin_write, "wb"), os.fdopen(stdout_read, "rb"), status)

    def works(self):
        """Whether a worker forked here builds its sandbox and gets ready (sandbox.probe)."""
        with tempfile.TemporaryDirectory() as empty, open(os.devnull, "wb") as stderr:
            os.chmod(empty, 0o755)
            worker = self.fork_worker(WorkerSpec(Path(empty), Path(empty)), NOBODY, stderr, probe=True)
            if worker is None:
                return False
            try:
                answer = _read_until_end(worker.stdout.fileno(), PROBE_TIMEOUT_S)
                return b'"ready": true' in answer and worker.wait(PROBE_TIMEOUT_S) == 0
            except subprocess.TimeoutExpired:
                return False
            finally:
                worker.kill()
                worker.release()
                worker.stdin.close()
                worker.stdout.close()

    def close(self):
        self.control.close()  # the zygote sees the end of its requests, kills its workers and exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ForkedWorker:
    """A worker forked by the Zygote, with the part of Popen's interface that
    proxy.WorkerProcess uses. Its end is reported on the status socket."""

    def __init__(self, pid, stdin, stdout, status):
        self.pid, self.stdin, self.stdout, self.status = pid, stdin, stdout, status
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            self._read_status(0)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None and not self._read_status(timeout):
            raise subprocess.TimeoutExpired("worker", timeout)
        return self.returncode

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def release(self):
        """The grader is done with this worker: the zygote may reap it."""
        self.status.close()

    def _read_status(self, timeout):
        ready, _, _ = select.select([self.status], [], [], timeout)
        if not ready:
            return False
        try:
            message = self.status.recv(1 << 12)
        except OSError:
            message = b""
        try:
            self.returncode = int(json.loads(message)["returncode"]) if message else -signal.SIGKILL
        except (ValueError, KeyError, TypeError):
            self.returncode = -signal.SIGKILL
        return True


ZYGOTE = None   # the running Zygote of this batch, if any (start_zygote)


def start_zygote(tier):
    """Start this batch's zygote for `tier` (one of ZYGOTE_TIERS); returns it or None."""
    global ZYGOTE
    if ZYGOTE is not None and ZYGOTE.tier != tier:
        stop_zygote()
    if tier in ZYGOTE_TIERS and ZYGOTE is None:
        try:
            ZYGOTE = Zygote(tier)
        except OSError:
            ZYGOTE = None
    return ZYGOTE


def stop_zygote():
    global ZYGOTE
    if ZYGOTE is not None:
        ZYGOTE.close()
        ZYGOTE = None


def start_worker(tier, spec, uid, stderr_file):
    """The worker process for `spec`: forked by the zygote where there is
    one, else started as `command` says (subprocess.Popen)."""
    if ZYGOTE is not None and ZYGOTE.tier == tier:
        forked = ZYGOTE.fork_worker(spec, uid, stderr_file)
        if forked is not None:
            return forked
    argv, kwargs = command(tier, spec, uid=uid)
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr_file, **kwargs)


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


def _read_until_end(fd, seconds):
    """What `fd` gives until its end of file, waiting at most `seconds` in all."""
    deadline, data = time.monotonic() + seconds, b""
    while select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return data
        data += chunk
    raise subprocess.TimeoutExpired("probe", seconds)


def _probe_site(tier):
    if tier == "bwrap":
        return [INSIDE["site"]]
    return [str(numpy_site_entries()[0].parent)]


# --- uids of workers (root only) -------------------------------------------

class UidLease:
    """A uid no other worker on this machine uses until `release`.

    `uid` is None when the grader is not root (the worker runs as the
    grader's own uid) and `exclusive` is False when every uid of the range
    was taken (the worker then runs as nobody, shared, and nothing is
    killed by uid).
    """

    def __init__(self, uid=None, lock_fd=None):
        self.uid, self.lock_fd = uid, lock_fd

    @property
    def exclusive(self):
        return self.lock_fd is not None

    def reap(self, sweep=True):
        """Kill every process of this uid and (sweep) delete what it left in SHARED_TMP."""
        if not self.exclusive:
            return
        kill_uid(self.uid)
        if sweep:
            sweep_uid(self.uid)

    def release(self, sweep=True):
        """Reap, then give the uid back. sweep=False: the worker could not
        reach SHARED_TMP (a tier with a private /tmp and a read-only root)."""
        self.reap(sweep)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # closing drops the flock
            self.lock_fd = None


def sandbox_uids():
    """SANDBOX_UIDS, or the range AUTOGRADER_SANDBOX_UIDS=first:count names."""
    text = os.environ.get("AUTOGRADER_SANDBOX_UIDS", "")
    try:
        first, count = (int(n) for n in text.split(":"))
    except ValueError:
        return SANDBOX_UIDS
    if first < 1000 or count < 1:
        return SANDBOX_UIDS
    return range(first, first + count)


def lease_uid():
    """A fresh uid for one worker: locked with flock in LEASE_DIR (root only)."""
    if os.geteuid() != 0:
        return UidLease()
    folder = _lease_dir()
    if folder is None:
        return UidLease(NOBODY)
    uids = sandbox_uids()
    start = random.randrange(len(uids))  # a uid just given back may still have zombies: spread out
    for uid in list(uids[start:]) + list(uids[:start]):
        try:
            fd = os.open(os.path.join(folder, str(uid)),
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        lease = UidLease(uid, fd)
        if processes_of(uid, zombies=True):  # whatever a crashed grader left under this uid
            lease.reap()
            if processes_of(uid, zombies=True):  # not reaped yet: they count against its process limit
                os.close(fd)
                continue
        return lease
    return UidLease(NOBODY)


def _lease_dir():
    """LEASE_DIR (or a folder in the temp dir), created 0700 and owned by root; None if unsafe."""
    for folder in (LEASE_DIR, os.path.join(tempfile.gettempdir(), "autograder-uids")):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        except OSError:
            continue
        info = os.lstat(folder)
        if stat.S_ISDIR(info.st_mode) and info.st_uid == 0 and not info.st_mode & 0o077:
            return folder
    return None


def kill_uid(uid, attempts=5):
    """SIGKILL every process whose real uid is `uid` (root only).

    A child switches to `uid` and calls kill(-1): the kernel signals every
    process of that uid in one sweep, so a fork storm cannot outrun it.
    """
    for _ in range(attempts):
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            except BaseException:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
        if not processes_of(uid):
            return True
        time.sleep(0.01)
    return False


def processes_of(uid, zombies=False):
    """Pids of the processes whose real uid is `uid` (zombies too if asked)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", "rb") as f:
                status = f.read()
        except OSError:
            continue
        line = status.find(b"\nUid:")  # "Uid:\t<real>\t<effective>..."
        if line < 0 or int(status[line + 5:].split(None, 1)[0]) != uid:
            continue
        if zombies or b"\nState:\tZ" not in status:
            found.append(int(entry))
    return found


def sweep_uid(uid, folders=SHARED_TMP):
    """Delete the entries of `folders` owned by `uid` (never following links)."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass
