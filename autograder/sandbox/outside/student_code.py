"""The grader's side of the worker: call a student function as if it were local.

`StudentCode.call("lstm_forward", X, h0, c0, params)` sends the arguments to
the worker as `.npy` bytes, waits at most the call's time limit, and returns
what came back decoded into plain data: NumPy arrays (only for plain ndarrays
the worker could send), dicts, lists, tuples, `Handle`s for caches kept in the
worker, and `Foreign` descriptions of anything else. Whatever went wrong (an
exception, a missing file, a timeout, a dead worker) becomes a
`StudentCallFailed` whose message is written for the student.
"""
import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ... import contract
from ...failures import StudentCallFailed
from ..inside.protocol import Handle, ProtocolError, decode_array, encode_array, recv_frame, send_frame
from . import tiers, uids, zygote_client

STDERR_SHOWN_BYTES = 2000
# What a plain NumPy array returned by a call on device arrays decodes to.
LEFT_DEVICE = "a NumPy array where a device array was expected (it left the device)"
STDERR_KEPT_BYTES = 1 << 20   # what a restarted worker's output file is cut back to
DYING_GRACE_S = 1.0            # how long a worker that closed its pipe may take to exit by itself


@dataclass(frozen=True)
class Foreign:
    """Something the student returned that is not a plain array (e.g. a list)."""
    description: str

    def __repr__(self):
        return self.description


@dataclass
class Returned:
    """One call's result, decoded, and what the worker noticed during it."""
    value: object
    mutated: list
    warnings: list
    seconds: float
    device: dict = None   # on_device calls: the device's stats (host syncs), where it counts them


class WorkerGone(Exception):
    """The worker timed out or died; the message says which."""


class WorkerProcess:
    """One running worker, spoken to over two pipes."""

    def __init__(self, spec, tier, stderr_path):
        self.tier = tier
        self.lease = uids.lease_uid()  # a uid of its own when root: see uids.py
        self.stderr_file = open(stderr_path, "ab")
        if self.stderr_file.tell() > STDERR_KEPT_BYTES:  # a flood before a restart: make room again
            self.stderr_file.truncate(STDERR_KEPT_BYTES)
        self.process = zygote_client.start_worker(tier, spec, self.lease.uid, self.stderr_file)
        self.buffer = bytearray()

    def request(self, header, blobs, timeout):
        """Send one frame and wait up to `timeout` seconds for the answer."""
        deadline = time.monotonic() + timeout
        try:
            send_frame(self.process.stdin, header, blobs)
        except (BrokenPipeError, OSError):
            raise WorkerGone(self._death()) from None

        def read_exactly(n):
            while len(self.buffer) < n:
                left = deadline - time.monotonic()
                ready, _, _ = select.select([self.process.stdout], [], [], max(left, 0))
                if not ready:
                    self.kill()
                    raise WorkerGone(f"did not return within {timeout:g} s (an endless loop, or far too slow?)")
                chunk = os.read(self.process.stdout.fileno(), 1 << 20)
                if not chunk:
                    raise WorkerGone(self._death())
                self.buffer += chunk
            data, self.buffer[:n] = bytes(self.buffer[:n]), b""
            return data

        try:
            return recv_frame(read_exactly)
        except (ProtocolError, ValueError, UnicodeDecodeError, RecursionError) as error:  # a header nested too deep
            self.kill()
            raise WorkerGone(f"sent an answer the grader refuses ({error})") from None

    def _death(self):
        try:  # it closed its end: let it finish dying (a namespaces-tier keeper reports its worker's end)
            self.process.wait(timeout=DYING_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        code = self.process.returncode
        if self.tier == "bwrap" and code is not None and code > 128:
            code = 128 - code  # bwrap exits with 128 + the signal that killed the worker
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
            why = {"SIGSEGV": "a segmentation fault", "SIGKILL": "killed (out of memory or a limit?)",
                   "SIGXCPU": "the CPU-time limit", "SIGXFSZ": "the file-size limit"}.get(name, name)
            return f"the process running your code died ({why})"
        return f"the process running your code exited (exit status {code}) instead of returning"

    def kill(self):
        """SIGKILL the worker's whole process group (the sandbox and all it started)."""
        try:  # even when the worker itself has exited: its children may not have
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            if self.process.poll() is None:
                self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        # Also kills what left the process group (setsid), as root.
        self.lease.release(sweep=self.tier not in tiers.PRIVATE_TMP_TIERS)
        getattr(self.process, "release", lambda: None)()  # a zygote's worker: it may be reaped now
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr_file.close()


class StudentCode:
    """A submission's functions, reachable only through a sandboxed worker.

    Calls within one test share the worker's caches; `begin_test` clears them.
    After a timeout, a crash or a call that left something running (the
    worker then ends itself) the rest of that test fails at once (so
    hypothesis's shrinking cannot stretch grading), and the next test gets a
    fresh worker.
    """

    def __init__(self, spec, tier, scratch_dir, call_timeout_s=5.0, budget_s=120.0):
        self.spec, self.tier = spec, tier
        self.scratch_dir = Path(scratch_dir)
        self.call_timeout_s, self.budget_left_s = call_timeout_s, budget_s
        self.worker = None
        self.poisoned = None
        self.reset_pending = False
        self.starts = 0
        self._start_worker()  # starts up while pytest collects the suite
        self.called = []          # contract functions called in the current test

    # --- lifecycle ---
    def begin_test(self):
        """A new test: no failure carried over, no calls yet, and the worker
        drops the previous test's caches with this test's first request."""
        self.poisoned, self.called = None, []
        self.reset_pending = True
        if self.worker is not None and self.worker.process.poll() is not None:
            self.worker.kill()  # it died between tests: the next call starts a fresh one
            self.worker = None

    def retry(self, budget_left_s):
        """Undo a failed attempt at the current test (see replay.py): give back
        the time it used and drop the failure it left; the test's next call
        starts afresh, as a test's first call does."""
        self.budget_left_s = budget_left_s
        self.poisoned = None
        self.reset_pending = True

    def _start_worker(self):
        self.worker = WorkerProcess(self.spec, self.tier, self.stderr_path)
        self.starts += 1

    def close(self):
        if self.worker is not None:
            self.worker.kill()
            self.worker = None

    @property
    def stderr_path(self):
        return self.scratch_dir / "worker-stderr.txt"

    def printed(self):
        """The start of what the student's code printed, for the report."""
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read(STDERR_SHOWN_BYTES).decode("utf-8", "replace")
        except OSError:
            return ""

    # --- calls ---
    def call(self, function, *args, keep=(), watch=False, on_device=False, **kwargs):
        """Call a contract function; returns a `Returned`.

        keep: positions in the returned tuple that are caches to keep in the
        worker (they come back as `Handle`s). Defaults to the contract's.
        watch: have the worker report arguments the function changed in place.
        on_device: the worker moves the arguments to its device module (GPU
        parity mode, see devices/); arrays that come back as plain NumPy
        arrays then decode to `Foreign(LEFT_DEVICE)`.
        """
        header, blobs = self._call_header(function, args, kwargs, keep)
        header["watch_arguments"] = watch
        if on_device:
            header["device"] = True
        response, out_blobs = self._request(header, blobs, function=function)
        return Returned(decode_result(response["result"], out_blobs, device=on_device), response.get("mutated", []),
                        response.get("warnings", []), response.get("seconds", 0.0), response.get("device_stats"))

    def call_many(self, function, args, variants):
        """Call `function` once per variant of `args`, in one round trip; returns decoded results.

        variants: one list per call of (path, value) replacements: the
        argument at `path` (positions and keys into args, e.g. (3, "W_xf"))
        is `value` (an array, or a Handle) in that call; an empty list calls
        `function(*args)`.
        """
        blobs, memo = [], {}
        header = {"op": "call_many", "module": contract.module_of(function), "function": function,
                  "args": [encode_arg(a, blobs, memo) for a in args],
                  "calls": [{"replace": [[list(path), encode_arg(value, blobs, memo)]
                                         for path, value in variant]} for variant in variants],
                  "discard": list(contract.cache_positions(function))}
        response, out_blobs = self._request(header, blobs, function=function,
                                            timeout=self.call_timeout_s * max(1, len(variants) / 20))
        return [decode_result(spec, out_blobs) for spec in response["results"]]

    def _call_header(self, function, args, kwargs, keep):
        blobs = []
        header = {"op": "call", "module": contract.module_of(function), "function": function,
                  "args": [encode_arg(a, blobs) for a in args],
                  "kwargs": {k: encode_arg(v, blobs) for k, v in kwargs.items()},
                  "keep": list(keep or contract.cache_positions(function))}
        return header, blobs

    def _request(self, header, blobs, function=None, timeout=None):
        if function is not None and function not in self.called:
            self.called.append(function)
        if self.poisoned:
            raise StudentCallFailed(self.poisoned)
        if self.budget_left_s <= 0:
            raise StudentCallFailed("the time budget for grading this submission is used up "
                                    "(your functions are far too slow or hang)")
        if self.worker is None:
            self._start_worker()
        timeout = min(timeout or self.call_timeout_s, self.budget_left_s)
        if self.reset_pending:
            header, self.reset_pending = {**header, "reset": True}, False
        start = time.monotonic()
        try:
            response, out_blobs = self.worker.request(header, blobs, timeout)
        except WorkerGone as gone:
            self.worker = None
            message = f"{function or 'your code'}: {gone}"
            printed = self.printed().strip()
            if printed:
                message += f"\nYour code printed (start): {printed[-300:]}"
            self.poisoned = message
            raise StudentCallFailed(message) from None
        finally:
            self.budget_left_s -= time.monotonic() - start
        if not response.get("ok"):
            message = failure_message(function, response)
            if response.get("restart"):  # the worker ended itself after answering (it left something behind)
                self.worker.kill()
                self.worker = None
                self.poisoned = message  # as after a crash: the rest of this test fails at once
            raise StudentCallFailed(message)
        return response, out_blobs


def failure_message(function, response):
    kind, error = response.get("kind"), str(response.get("error", "unknown error"))
    if kind == "exception" and error.startswith("NotImplementedError"):
        return f"{function} is not implemented yet ({error})"
    if kind == "exception":
        return f"{function} raised {error}"
    if function and not error.startswith(function):  # missing_file, missing_name, import_error...
        return f"{function}: {error}"
    return error


def encode_arg(value, blobs, memo=None):
    """The argument spec of `value`, appending array bytes to `blobs`.

    memo (id -> blob index) sends an array that occurs several times once.
    """
    if isinstance(value, Handle):
        return {"handle": int(value)}
    if isinstance(value, np.ndarray):
        if memo is not None and id(value) in memo:
            return {"array": memo[id(value)][0]}
        blobs.append(encode_array(value))
        if memo is not None:
            memo[id(value)] = (len(blobs) - 1, value)  # keep value alive so its id stays unique
        return {"array": len(blobs) - 1}
    if isinstance(value, dict):
        return {"dict": {k: encode_arg(v, blobs, memo) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"list": [encode_arg(v, blobs, memo) for v in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise TypeError(f"cannot send {type(value).__name__} to the worker")


def decode_result(spec, blobs, device=False):
    """Plain data from a result spec; anything unexpected becomes a `Foreign`.

    device: the call ran on device arrays; device arrays decode to NumPy, plain
    NumPy arrays to `Foreign(LEFT_DEVICE)`.
    """
    if not isinstance(spec, dict):
        return Foreign("something unreadable")
    kind = spec.get("kind")
    if kind == "array":
        if device and spec.get("type") == "numpy.ndarray":
            return Foreign(LEFT_DEVICE)
        if spec.get("type") != "numpy.ndarray" and not device:
            return Foreign(f"an array of type {spec.get('type')} (expected a plain numpy.ndarray)")
        if "array" not in spec:
            return Foreign(f"an array of dtype {spec.get('dtype')} (e.g. object), which cannot be sent safely")
        try:
            return decode_array(blobs[spec["array"]])
        except (ValueError, IndexError, OSError) as error:
            return Foreign(f"an unreadable array ({error})")
    if kind == "dict" and isinstance(spec.get("items"), dict):
        return {k: decode_result(v, blobs, device) for k, v in spec["items"].items()}
    if kind in ("list", "tuple") and isinstance(spec.get("items"), list):
        items = [decode_result(v, blobs, device) for v in spec["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "handle":
        return Handle(spec["handle"])
    if kind == "none":
        return None
    if kind == "scalar":
        return Foreign(f"a Python {spec.get('type')} ({spec.get('value')})")
    return Foreign(f"an object of type {spec.get('type')}")
