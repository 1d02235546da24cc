"""The grader's side of the zygote (sandbox/inside/zygote.py): a process that
has imported NumPy once and forks a fresh worker on request, for the
namespaces and limits tiers. A batch starts one before it forks its graders;
every grader process it forks may then ask it for workers.
"""
import json
import os
import select
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .tiers import (LIMITS_ENVIRONMENT, WORKER_SOURCE, WorkerSpec, _limits_config, _limits_site, _namespaces_config,
                    base_python, command, worker_config)
from .uids import NOBODY

def _read_until_end(fd, seconds):
    """What `fd` gives until its end of file, waiting at most `seconds` in all."""
    deadline, data = time.monotonic() + seconds, b""
    while select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return data
        data += chunk
    raise subprocess.TimeoutExpired("probe", seconds)


PROBE_TIMEOUT_S = 20


ZYGOTE_TIERS = ("namespaces", "limits")


class Zygote:
    """A process that has imported NumPy and forks a fresh worker on request
    (sandbox/inside/zygote.py: zygote_main), for workers of one tier. A batch starts one before
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
