"""The worker's confinement, set up before any student code loads: resource
limits, an unprivileged uid, no new privileges, death with the grader, one
BLAS thread, and the import guard.

Standard library only: this runs inside the sandbox.
"""
import os
import sys

def one_blas_thread():
    """Before NumPy loads: BLAS runs on one thread (a worker must not use the grader's cores)."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


def apply_limits(limits):
    """Hard resource limits, set before any student code is imported."""
    import resource
    names = {"cpu_s": resource.RLIMIT_CPU, "memory_bytes": resource.RLIMIT_AS,
             "file_bytes": resource.RLIMIT_FSIZE, "processes": resource.RLIMIT_NPROC,
             "open_files": resource.RLIMIT_NOFILE, "core_bytes": resource.RLIMIT_CORE}
    for name, value in limits.items():
        try:
            resource.setrlimit(names[name], (value, value))
        except (ValueError, OSError):
            pass  # a limit already lower than ours stays


def drop_privileges(uid):
    """Become `uid` with no supplementary groups (the limits tier, started as root).

    The interpreter may live where `uid` cannot reach (a 0700 /root): import
    path entries it could not read, and the paths of packages already
    imported from them, are rerouted through directories opened now, so that
    later imports of the standard library still work.
    """
    opened = {}  # unreachable folder -> the same folder as /proc/self/fd/N
    for i, entry in enumerate(sys.path):
        if os.path.isdir(entry) and not _others_can_reach(entry):
            opened[os.path.realpath(entry)] = f"/proc/self/fd/{os.open(entry, os.O_RDONLY | os.O_DIRECTORY)}"
            sys.path[i] = opened[os.path.realpath(entry)]
    for module in list(sys.modules.values()):
        package_path = getattr(module, "__path__", None)
        if opened and isinstance(package_path, list):
            package_path[:] = [_rerouted(entry, opened) for entry in package_path]
    sys.path_importer_cache.clear()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.getgroups():
        raise SystemExit("worker: could not drop privileges")


def _rerouted(path, opened):
    real = os.path.realpath(path)
    for folder, alias in opened.items():
        if real == folder or real.startswith(folder + os.sep):
            return alias + real[len(folder):]
    return path


def _others_can_reach(path):
    import stat
    path = os.path.realpath(path)
    while True:
        if not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        if path == "/":
            return True
        path = os.path.dirname(path)


def stay_contained():
    """No privileges gained through exec (setuid programs), death with the grader,
    and orphaned descendants reparented to this process (so `Leftovers` sees them)."""
    import ctypes
    import signal
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)                        # PR_SET_NO_NEW_PRIVS
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)       # PR_SET_PDEATHSIG
        libc.prctl(36, 1, 0, 0, 0)                        # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


class ImportGuard:
    """Refuses top-level imports outside the rubric's allowlist, the contract's
    modules and the submission's own helper modules, saying why.

    A hint, not a wall: in-process code can remove it. The sandbox tiers that
    mount only NumPy are the wall; this guard gives the clear message.
    refused: {file name: why it was not copied}, for helper files the grader
    left out of the submission.
    """

    def __init__(self, allowed, modules=(), helpers=(), refused=None):
        self.allowed = set(allowed) | set(modules) | set(helpers) | set(sys.stdlib_module_names) | {"numpy"}
        self.refused = {file.removesuffix(".py"): (file, why) for file, why in (refused or {}).items()}

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in self.allowed or top.startswith("_"):
            return None
        if top in self.refused:
            file, why = self.refused[top]
            raise ModuleNotFoundError(f"No module named {top!r}: {file} was not included in your submission: {why}",
                                      name=top)
        raise ModuleNotFoundError(f"No module named {top!r}: your submission has no {top}.py beside the contract "
                                  f"files, and only numpy, the standard library and a submission's own modules "
                                  f"may be imported", name=top)
