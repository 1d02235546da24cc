"""A uid of its own for every worker (root only).

As root, every worker runs as a uid leased from SANDBOX_UIDS for the
worker's life (`lease_uid`, a flock in LEASE_DIR): RLIMIT_NPROC then counts
only that worker's processes, and when the worker ends `UidLease.release`
kills every process of that uid (children that left the process group
included) and deletes what the uid left in the machine's shared temporary
folders. A uid whose processes a crashed grader left behind has them killed
before it is leased again.
"""
import fcntl
import os
import random
import shutil
import signal
import stat
import tempfile
import time

NOBODY = 65534


# Uids leased to workers when the grader is root: one per running worker, so
# that a worker's processes can be counted and killed by uid. No account owns
# them; pick another range if yours does (AUTOGRADER_SANDBOX_UIDS=first:count).
SANDBOX_UIDS = range(1_900_000_000, 1_900_000_000 + 256)


LEASE_DIR = "/run/autograder-uids"


# World-writable folders where a worker at the limits tier can leave files.
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock")


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
