"""What a call leaves behind: threads, processes and files in the temporary folders.

Standard library only: this runs inside the sandbox, after every call.
"""
import os
import struct
import sys

from .errors import StudentError

class Leftovers:
    """What student code leaves behind: threads, processes, files in the temporary folders.

    Made once the worker is set up, it notes what there is then; `refuse(...)`
    fails a call (fatally: the grader kills what the worker started and
    starts a fresh one) if there is more now. Threads or processes could
    change caches or answers behind the grader's back; files could carry
    state from one call to the next and fill the disk.

    tmp (the worker's config "tmp") says where files are looked for:
    {"private": "/tmp"} where the sandbox gives the worker a /tmp of its own
    (namespaces, bwrap): one fstatvfs per call, and only when the free inodes
    or blocks changed, a walk for paths that were not there. {"shared":
    [folders], "uid": uid} at the limits tier with a uid of its own: the
    entries created in those folders (inotify: one read per call) that `uid`
    owns; where inotify is not to be had, an fstat of each folder per call
    and, when one changed (mtime, size, links), a scan of its entries. {}:
    files are not looked for. ignored: folders under the private /tmp that
    the grader's own modules write to (the device's kernel cache).
    """

    REASONS = {"thread": "threads", "process": "child processes", "file": "files left in temporary folders"}

    def __init__(self, tmp, ignored=()):
        self.threads = set(sys._current_frames())
        self.ignored = {os.path.abspath(folder) for folder in ignored}
        self.private, self.shared, self.uid, self.created = None, [], tmp.get("uid"), None
        if tmp.get("private"):
            self.private = _open_folder(tmp["private"])
        elif self.uid is not None:
            seen = set()
            for path in tmp.get("shared", ()):
                folder = _open_folder(path)
                if folder is not None and folder.identity not in seen:  # /var/lock is /run/lock
                    seen.add(folder.identity)
                    self.shared.append(folder)
            if tmp.get("inotify", True):
                self.created = _Created.watch([folder.path for folder in self.shared])
        self.fingerprint = self._fingerprint()
        self.entries = set(self._paths())

    def refuse(self, subject, raised=None, kind=None, when="after it returned"):
        """Fail, ending this worker, if `subject` (a function, or a module being
        imported) left anything behind. raised: what it did instead of returning
        ("raised X: ..."), if it did; kind: the StudentError's kind (default: what was left)."""
        file = self._new_file()
        if file is None and sys._current_frames().keys() <= self.threads and not _child_running():
            return  # the common case, in a few microseconds
        left = self.left(file)
        if not left:
            return
        things = " and ".join(what for _, what in left)
        done = f"{subject} {raised}, and left {things}" if raised else f"{subject} left {things} {when}"
        reasons = ", ".join(self.REASONS[k] for k, _ in left)
        raise StudentError(kind or left[0][0], f"{done} ({reasons} must not outlive a call; "
                                               f"the process running your code was restarted)", fatal=True)

    def left(self, file=None):
        """[(kind, description)] of what is there that was not: a thread, a process, a file
        (`file`: what _new_file found, if it was asked already)."""
        found = []
        if not set(sys._current_frames()) <= self.threads:
            found.append(("thread", "a thread running"))
        if _child_running():
            found.append(("process", "a process running"))
        file = file or self._new_file()
        if file:
            found.append(("file", f"a file in {os.path.dirname(file)} ({os.path.basename(file)[:80]!r})"))
        return found

    def _new_file(self):
        """A path in the temporary folders that was not there at the start, or None."""
        if self.created is not None:
            created = self.created.paths()  # None: events were lost; look at every entry
            if created == []:
                return None
            for path in self._paths() if created is None else created:
                if path not in self.entries and (created is None or _owner(path) == self.uid):
                    return path
            return None
        fingerprint = self._fingerprint()
        if fingerprint == self.fingerprint:
            return None
        for path in self._paths():
            if path not in self.entries:
                return path
        self.fingerprint = fingerprint  # written and removed again, or only in an ignored folder
        return None

    def _fingerprint(self):
        """What changes when an entry is added: the private /tmp's free inodes and
        blocks; the shared folders' mtimes, sizes and link counts (where inotify is not to be had)."""
        try:
            if self.private is not None:
                info = os.fstatvfs(self.private.fd)
                return info.f_ffree, info.f_bfree
            if self.created is None:
                return [(info.st_mtime_ns, info.st_size, info.st_nlink)
                        for info in (os.fstat(folder.fd) for folder in self.shared)]
        except OSError:  # a descriptor closed by the student's code: look every time
            return object()
        return None

    def _paths(self):
        """The paths to look for (a generator): everything in the private /tmp but
        the ignored folders; the shared folders' entries owned by the worker's uid."""
        if self.private is not None:
            yield from self._walk(self.private.path)
        for folder in self.shared:
            for entry in _scan(folder.path):
                try:
                    if entry.stat(follow_symlinks=False).st_uid == self.uid:
                        yield entry.path
                except OSError:
                    pass

    def _walk(self, top):
        """Every path under `top` on its filesystem, but the ignored folders."""
        for entry in _scan(top):
            if entry.path in self.ignored:
                continue
            yield entry.path
            try:
                if entry.is_dir(follow_symlinks=False) and not os.path.ismount(entry.path):
                    yield from self._walk(entry.path)
            except OSError:
                pass


class _Created:
    """The entries created in some folders, from Linux's inotify: one read a call."""

    IN_MOVED_TO, IN_CREATE, IN_Q_OVERFLOW, IN_ONLYDIR = 0x80, 0x100, 0x4000, 0x1000000

    def __init__(self, fd, folders):
        self.fd, self.folders = fd, folders   # watch descriptor -> folder

    @classmethod
    def watch(cls, paths):
        """A _Created for `paths`, or None where inotify is not to be had."""
        import ctypes
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return None
        if fd < 0:
            return None
        folders = {}
        for path in paths:
            wd = libc.inotify_add_watch(fd, os.fsencode(path), cls.IN_CREATE | cls.IN_MOVED_TO | cls.IN_ONLYDIR)
            if wd < 0:
                os.close(fd)
                return None
            folders[wd] = path
        return cls(fd, folders)

    def paths(self):
        """The paths of the entries created since the last call ([]), or None if some were not seen."""
        found = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return found
            except OSError:  # its descriptor closed by the student's code
                return None
            at = 0
            while at + 16 <= len(data):
                wd, mask, _, size = struct.unpack_from("iIII", data, at)
                name = data[at + 16:at + 16 + size].rstrip(b"\0")
                at += 16 + size
                if mask & self.IN_Q_OVERFLOW or wd not in self.folders:
                    return None
                found.append(os.path.join(self.folders[wd], os.fsdecode(name)))


def _owner(path):
    try:
        return os.lstat(path).st_uid
    except OSError:  # gone again
        return None


class _Folder:
    """A folder held open, so that checking it costs one fstat and no path lookup."""

    def __init__(self, path, fd):
        self.path, self.fd = path, fd
        info = os.fstat(fd)
        self.identity = (info.st_dev, info.st_ino)


def _open_folder(path):
    try:
        return _Folder(os.path.realpath(path), os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    except OSError:
        return None


def _scan(folder):
    """The entries of `folder` (none if it cannot be read)."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def _child_running():
    """Whether a child of this process is still running (reaping those that have ended).

    The worker is its descendants' subreaper (see stay_contained), so a
    process that double-forked into a new session is a child here too.
    """
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True
