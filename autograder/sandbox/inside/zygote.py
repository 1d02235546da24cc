"""The zygote: a process that has imported NumPy once and forks a fresh
worker per request (the namespaces and limits tiers' fast start). It never
runs student code.

Standard library and NumPy only: this runs where workers start.
"""
import json
import os
import sys

from .confine import one_blas_thread
from .worker import start

def zygote_main(site):
    """Fork a fresh worker per request: the limits tier's fast start.

    A new worker costs a Python start and a NumPy import (about 0.2 s of CPU);
    a fork of this process, which has done both and never runs student code,
    costs a few milliseconds. fd 0 is a SOCK_SEQPACKET socket: each request
    is a worker's config (JSON) with four descriptors, the worker's stdin,
    stdout and stderr and a status socket. On the status socket the zygote
    answers {"pid": N} and, once the worker has ended, {"returncode": R}
    (negative: killed by that signal). When the grader closes its end, the
    zygote kills the worker's process group and only then reaps it, so that
    the pid cannot be reused while the grader may still signal it.
    """
    import select
    import signal
    import socket
    one_blas_thread()
    sys.path[:0] = site
    import ctypes  # noqa: F401  (what every worker imports: imported once, here)
    import inspect  # noqa: F401
    import resource  # noqa: F401
    import warnings  # noqa: F401
    import numpy  # noqa: F401
    # No death signal with the parent: the thread that started us may end
    # first. The zygote ends when the last grader process closes fd 0's peer.
    control = socket.socket(fileno=0)
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a worker's end wakes the select below
    workers = {}   # pid -> [its status socket (None once the grader let go), its end reported]
    while True:
        watched = [control, wake_read] + [entry[0] for entry in workers.values() if entry[0] is not None]
        ready, _, _ = select.select(watched, [], [])
        if wake_read in ready:
            while len(os.read(wake_read, 512)) == 512:
                pass
        if control in ready:
            try:
                message, fds, _, _ = socket.recv_fds(control, 1 << 16, 4)
            except OSError:
                message, fds = b"", []
            if not message:  # the grader is done: so are its workers
                for pid in workers:
                    _kill_group(pid)
                return
            if len(fds) == 4:
                pid = os.fork()
                if pid == 0:
                    _become_worker(json.loads(message), fds)
                status = socket.socket(fileno=fds.pop())
                workers[pid] = [status, False]
                status.send(json.dumps({"pid": pid}).encode())
            for fd in fds:
                os.close(fd)
        for pid, entry in list(workers.items()):
            status, reported = entry
            if status is not None and status in ready:  # the grader let go of this worker
                _kill_group(pid)
                status.close()
                entry[0] = status = None
            if status is None:  # reap it now (the grader will not signal it again)
                if _ended(pid, keep=False) is not None:
                    del workers[pid]
            elif not reported:
                ended = _ended(pid, keep=True)
                if ended is not None:
                    code = ended.si_status if ended.si_code == os.CLD_EXITED else -ended.si_status
                    try:
                        status.send(json.dumps({"returncode": code}).encode())
                    except OSError:
                        pass
                    entry[1] = True
                    _kill_group(pid)  # what the worker started goes with it


def _ended(pid, keep):
    """os.waitid's answer if `pid` has ended, else None; keep: leave it unreaped."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | (os.WNOWAIT if keep else 0))
    except ChildProcessError:  # already reaped
        return os.waitid_result((pid, 0, 0, 0, os.CLD_EXITED))


def _kill_group(pid):
    import signal
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _become_worker(config, fds):
    """In a process the zygote just forked: take the request's descriptors as
    stdin, stdout and stderr, close every other, and start."""
    import signal
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for name in os.listdir("/proc/self/fd"):
            if int(name) > 2:
                try:
                    os.close(int(name))
                except OSError:
                    pass
        start(config)
    except BaseException as error:  # e.g. the sandbox could not be built: say why, on stderr
        print(f"worker: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)
