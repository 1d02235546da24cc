"""The namespaces tier's sandbox, built by the worker process itself (root only).

What bubblewrap does at the bwrap tier, done in Python so that a worker
forked from the zygote (which has already imported NumPy) can enter a
sandbox of its own without a new interpreter: new pid, mount, net, ipc and
uts namespaces, a root filesystem holding only what the plan binds
(read-only), a private size-capped /tmp, a /proc of its own pid namespace
and a few device nodes. The worker then drops to its leased uid in
worker.start, as at the other tiers.

    process forked by the zygote   the keeper: outside; ends as the worker ended
      └─ init                      pid 1 inside: builds the filesystem; when it
         │                         ends, the kernel kills everything inside
         └─ the worker             pid 2: runs the student's code

Standard library only: worker.py loads this file by path, outside the sandbox.
"""
import ctypes
import os
import platform
import resource
import signal

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP = 1, 24
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
DEVICE_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
                "stderr": "/proc/self/fd/2"}

_libc = ctypes.CDLL(None, use_errno=True)


def enter(plan):
    """Become the worker inside fresh namespaces whose filesystem is `plan`'s; returns there.

    plan: {"root": an empty folder to build the new root on (any: the mount
    is private), "binds": [[source, target, "ro" | "dev"]], "symlinks":
    [[target, link]], "tmp_bytes": the size cap of /tmp}. Raises OSError,
    naming the step, if the kernel refuses one.
    """
    _die_with_parent()
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
    end_read, end_write = os.pipe()  # init tells the keeper how the worker ended
    init = os.fork()  # the first process of the new pid namespace
    if init != 0:
        os.close(end_write)
        _keep(init, end_read)
    os.close(end_read)
    _die_with_parent()
    _build_root(plan)
    for capability in range(64):  # nothing inside may regain what root could do
        if _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            break
    worker = os.fork()
    if worker != 0:
        _init(worker, end_write)
    os.close(end_write)
    _die_with_parent()


def _keep(init, end_read):
    """The keeper: wait for init, then end as the worker ended (as init ended if it said nothing)."""
    _let_go_of_the_pipes()
    status = _wait_for(init)
    said = os.read(end_read, 64)
    if said:
        status = int(said)
    if os.WIFSIGNALED(status):  # die of the same signal, so the grader's message is the same
        number = os.WTERMSIG(status)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        try:
            signal.signal(number, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), number)
        os._exit(128 + number)
    os._exit(os.waitstatus_to_exitcode(status))


def _init(worker, end_write):
    """Pid 1: reap whatever is handed over until the worker ends; report its end and exit."""
    _let_go_of_the_pipes()
    while True:
        try:
            pid, status = os.wait()
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
        if pid == worker:
            os.write(end_write, str(status).encode())
            os._exit(0)


def _wait_for(pid):
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def _let_go_of_the_pipes():
    """Hold no descriptor of the worker's: the grader sees its end of file when the worker ends."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def _die_with_parent():
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")


def _build_root(plan):
    root = plan["root"]
    _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing done here shows outside
    _mount("tmpfs", root, "tmpfs", MS_NOSUID, "size=1m,mode=0755")
    # /tmp first: a folder bound below it (NumPy in a checkout under /tmp) must stay visible.
    os.makedirs(root + "/tmp")
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={int(plan['tmp_bytes'])},mode=1777")
    for source, target, mode in plan["binds"]:
        inside = root + target
        if os.path.isdir(source):
            os.makedirs(inside, mode=0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(inside), mode=0o755, exist_ok=True)
            open(inside, "ab").close()
        _mount(source, inside, None, MS_BIND | MS_REC)
        if mode == "ro":
            _mount(None, inside, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for target, link in plan["symlinks"]:
        os.makedirs(os.path.dirname(root + link), mode=0o755, exist_ok=True)
        os.symlink(target, root + link)
    os.makedirs(root + "/dev", mode=0o755, exist_ok=True)
    for name, target in DEVICE_LINKS.items():
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/proc", exist_ok=True)
    _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # The new root replaces the old one, which is then detached: nothing of
    # the machine's filesystem stays reachable.
    os.chdir(root)
    _check(_libc.syscall(SYS_PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount2")
    os.chdir("/")
    _mount(None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID)


def _mount(source, target, fstype, flags, data=None):
    encode = lambda text: None if text is None else os.fsencode(text)  # noqa: E731
    _check(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def _check(result, step):
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{step}: {os.strerror(number)}")
