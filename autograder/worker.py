"""The worker: the only process that ever runs a student's code.

It is started by the grader (see sandbox.py), one per submission, inside the
strongest sandbox the machine allows, and serves function calls over a pipe:

    grader --request--> stdin   worker   private fd --response--> grader

Requests and responses are frames: a JSON header plus raw `.npy` blobs, never
pickles. The worker holds the student's caches itself and hands the grader
opaque integer handles. It trusts nothing it receives, and the grader trusts
nothing it sends back: every array is re-validated on the other side.

This file is copied into the sandbox and run there with `python -I -S`, so it
imports nothing but the standard library and NumPy, and nothing of the grader.
The grader imports it too, for `send_frame` / `recv_frame` and the encoders.
"""
import io
import json
import math
import os
import re
import struct
import sys
import time

# Size caps on what one side will read from the other.
MAX_HEADER_BYTES = 1 << 20
MAX_BLOBS = 4096
MAX_FRAME_BYTES = 256 << 20
NPY_MAX_HEADER = 4096

# The modules of a submission, and where each contract function lives.
MODULES = ("activations", "rnn", "lstm", "gru", "sequences")  # contract.MODULES (nothing of the grader is imported here)


class ProtocolError(Exception):
    """A frame that is malformed or larger than the caps."""


# --- framing (shared with the grader) --------------------------------------

def send_frame(stream, header, blobs=()):
    """Write one frame: header JSON and blobs, each preceded by its length."""
    payload = json.dumps(header, allow_nan=False).encode()
    parts = [struct.pack(">II", len(payload), len(blobs)), payload]
    for blob in blobs:
        parts += [struct.pack(">Q", len(blob)), blob]
    stream.write(b"".join(parts))
    stream.flush()


def recv_frame(read_exactly):
    """Read one frame with `read_exactly(n) -> bytes`; returns (header, blobs)."""
    header_len, blob_count = struct.unpack(">II", read_exactly(8))
    if header_len > MAX_HEADER_BYTES or blob_count > MAX_BLOBS:
        raise ProtocolError(f"frame too large ({header_len} header bytes, {blob_count} blobs)")
    header = json.loads(read_exactly(header_len))
    blobs, total = [], header_len
    for _ in range(blob_count):
        (size,) = struct.unpack(">Q", read_exactly(8))
        total += size
        if total > MAX_FRAME_BYTES:
            raise ProtocolError(f"frame larger than {MAX_FRAME_BYTES} bytes")
        blobs.append(read_exactly(size))
    if not isinstance(header, dict):
        raise ProtocolError("frame header is not a JSON object")
    return header, blobs


def encode_array(array):
    """`.npy` bytes (format 1.0) of a NumPy array; refuses object arrays (no pickles).

    Plain numeric arrays get their header written here, once per dtype and
    shape (NumPy's writer costs ~40 µs an array, and the grader sends
    thousands); others go to NumPy.
    """
    import numpy as np
    array = np.asarray(array)
    preamble = _NPY_PREAMBLES.get((array.dtype.str, array.shape))
    if preamble is None and array.dtype.kind in "fiub" and array.dtype.itemsize in (1, 2, 4, 8) \
            and array.dtype.names is None:
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %r, }" % (array.dtype.str, array.shape)
        padding = -(10 + len(header) + 1) % 64   # the whole preamble is a multiple of 64 bytes
        header = (header + " " * padding + "\n").encode("latin1")
        preamble = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header
        _remember(_NPY_PREAMBLES, (array.dtype.str, array.shape), preamble)
    if preamble is not None:
        return preamble + (array if array.flags.c_contiguous else array.copy(order="C")).tobytes()
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


NPY_HEADER = re.compile(rb"\{'descr': '(?P<descr>[<>|][fiub][1248])', 'fortran_order': False, "
                        rb"'shape': \((?P<shape>[0-9, ]*)\), \}\s*\n")
_NPY_PREAMBLES = {}   # (dtype.str, shape) -> the .npy preamble of such arrays
_NPY_HEADERS = {}     # a plain .npy header -> (dtype, shape)


def _remember(cache, key, value):
    if len(cache) >= 4096:  # shapes are few; a flood of new ones only costs the cache
        cache.clear()
    cache[key] = value


def decode_array(blob):
    """The array in `.npy` bytes, never unpickling anything.

    Plain numeric arrays in C order take a fast path (NumPy's own reader parses
    the header with `ast`, ~50 µs an array); anything else goes to NumPy's
    reader with allow_pickle=False.
    """
    import numpy as np
    if blob[:8] == b"\x93NUMPY\x01\x00" and len(blob) >= 10:
        header_len = int.from_bytes(blob[8:10], "little")
        header = bytes(blob[10:10 + header_len])
        known = _NPY_HEADERS.get(header)
        if known is None:
            match = NPY_HEADER.fullmatch(header)
            if match:
                shape = tuple(int(n) for n in match["shape"].split(b",") if n.strip())
                known = (np.dtype(match["descr"].decode()), shape)
                _remember(_NPY_HEADERS, header, known)
        if known is not None:
            dtype, shape = known
            data = np.frombuffer(blob, dtype=dtype, offset=10 + header_len)
            if data.size == math.prod(shape):
                return data.reshape(shape).copy()
    return np.lib.format.read_array(io.BytesIO(blob), allow_pickle=False,
                                    max_header_size=NPY_MAX_HEADER)


# --- values in and out -----------------------------------------------------
# An argument spec is {"array": i} (blob i), {"dict": {...}}, {"list": [...]},
# {"handle": id} (a cache this worker holds) or {"value": json}. A result spec
# adds {"kind": ...} descriptions of whatever the student returned.

def decode_arg(spec, blobs, handles, decoded=None):
    """The value of an argument spec. `decoded` caches arrays by blob index
    (the calls of one request share blobs); every use gets its own copy."""
    if "array" in spec:
        if decoded is None:
            return decode_array(blobs[spec["array"]])
        if spec["array"] not in decoded:
            decoded[spec["array"]] = decode_array(blobs[spec["array"]])
        return decoded[spec["array"]].copy()
    if "dict" in spec:
        return {key: decode_arg(value, blobs, handles, decoded) for key, value in spec["dict"].items()}
    if "list" in spec:
        return [decode_arg(value, blobs, handles, decoded) for value in spec["list"]]
    if "handle" in spec:
        return handles[spec["handle"]]
    return spec.get("value")


def describe(value, blobs, to_plain=None):
    """A result spec for `value`, appending array bytes to `blobs`."""
    import numpy as np
    kind = type(value)
    if kind is Handle:
        return {"kind": "handle", "handle": int(value)}
    if kind in (np.float16, np.float32, np.float64):
        value, kind = np.asarray(value), np.ndarray  # what a ufunc returns for a 0-d array
    if isinstance(value, np.ndarray) or (to_plain and to_plain(value) is not None):
        array = value if isinstance(value, np.ndarray) else to_plain(value)
        spec = {"kind": "array", "type": f"{kind.__module__}.{kind.__qualname__}",
                "dtype": array.dtype.str, "shape": list(array.shape)}
        try:
            blobs.append(encode_array(np.asarray(array)))
            spec["array"] = len(blobs) - 1
        except (ValueError, TypeError) as error:  # object arrays refuse to go
            spec["unsendable"] = str(error)[:200]
        return spec
    if kind is dict:
        return {"kind": "dict", "items": {str(k): describe(v, blobs, to_plain) for k, v in value.items()}}
    if kind in (list, tuple):
        return {"kind": kind.__name__, "items": [describe(v, blobs, to_plain) for v in value]}
    if value is None:
        return {"kind": "none"}
    if kind in (bool, int, float):
        return {"kind": "scalar", "type": kind.__name__, "value": value if value == value and abs(value) != float("inf") else str(value)}
    return {"kind": "object", "type": f"{kind.__module__}.{kind.__qualname__}"}


# --- the worker process ----------------------------------------------------

class Worker:
    """Imports the student's modules lazily and answers calls."""

    def __init__(self, submission_dir, stubs_dir):
        self.submission_dir = submission_dir
        self.stubs_dir = stubs_dir
        self.present = {name for name in MODULES
                        if os.path.isfile(os.path.join(submission_dir, name + ".py"))}
        self.modules, self.import_errors = {}, {}
        self.handles, self.next_handle = {}, 1
        self.to_plain = None  # set by the GPU parity mode: device array -> NumPy

    def module(self, name):
        """The student's module `name`; raises a `StudentError` if it is missing or broken."""
        if name not in self.present:
            raise StudentError("missing_file", f"{name}.py is not in your submission")
        if name in self.import_errors:
            raise StudentError("import_error", self.import_errors[name])
        if name not in self.modules:
            try:
                self.modules[name] = __import__(name)
            except BaseException as error:  # SystemExit and friends included
                self.import_errors[name] = f"{name}.py failed to import: {student_traceback(error)}"
                raise StudentError("import_error", self.import_errors[name]) from None
        return self.modules[name]

    def function(self, module_name, function_name):
        function = getattr(self.module(module_name), function_name, None)
        if not callable(function):
            where = ("your notebook" if os.path.isfile(os.path.join(self.submission_dir, "_notebook.py"))
                     else f"{module_name}.py")
            raise StudentError("missing_name", f"{where} defines no function {function_name}")
        return function

    def call(self, header, blobs, decoded=None):
        """Run one student function on the decoded arguments."""
        import numpy as np
        import warnings
        threads = set(sys._current_frames())  # the device module's, if any, are not the student's
        function = self.function(header["module"], header["function"])
        args = [decode_arg(spec, blobs, self.handles, decoded) for spec in header.get("args", [])]
        kwargs = {k: decode_arg(v, blobs, self.handles, decoded) for k, v in header.get("kwargs", {}).items()}
        watch = header.get("watch_arguments", False)
        names = parameter_names(function, len(args)) if watch else None
        snapshots = snapshot(args, kwargs, names) if watch else []
        if header.get("device"):
            args, kwargs = self.to_device(args), self.to_device(kwargs)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            try:
                with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
                    result = function(*args, **kwargs)
            except BaseException as error:
                raise StudentError("exception", student_traceback(error)) from None
            seconds = time.perf_counter() - start
        refuse_leftovers(threads, header["function"])
        keep, discard = set(header.get("keep", [])), set(header.get("discard", []))
        if (keep or discard) and isinstance(result, tuple):
            result = tuple(None if i in discard else self.hold(v) if i in keep else v
                           for i, v in enumerate(result))
        out_blobs = []
        described = describe_result(result, out_blobs, self.to_plain, header["function"])
        response = {
            "ok": True,
            "result": described,
            "mutated": mutated(snapshots, args, kwargs, self.to_plain, names) if watch else [],
            "warnings": sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5],
            "seconds": seconds,
        }
        return response, out_blobs

    def hold(self, value):
        handle = self.next_handle
        self.handles[handle], self.next_handle = value, handle + 1
        return Handle(handle)

    def to_device(self, value):
        return value  # replaced by the GPU parity mode


class Handle(int):
    """A cache kept in the worker; sent to the grader as its number."""


class StudentError(Exception):
    """Student code failed; `fatal` ends the worker once the grader has the answer."""

    def __init__(self, kind, message, fatal=False):
        super().__init__(message)
        self.kind, self.fatal = kind, fatal


def refuse_leftovers(threads_before, function):
    """Fail the call, and end this process, if the student's code left a thread or a process running.

    Either could change caches or answers behind the grader's back; the
    grader kills what it started and starts a fresh worker.
    """
    left = left_running(threads_before)
    if left:
        plural = {"thread": "threads", "process": "child processes"}[left]
        raise StudentError(left, f"{function} left a {left} running after it returned "
                                 f"({plural} are not allowed; the process running your code was restarted)",
                           fatal=True)


def describe_result(result, blobs, to_plain, function):
    """describe(), failing the call when the result cannot be described (e.g. a list that contains itself)."""
    try:
        return describe(result, blobs, to_plain)
    except Exception as error:
        raise StudentError("result", f"{function} returned something the grader cannot read "
                                     f"({type(error).__name__})") from None


def left_running(threads_before):
    """"thread" or "process" if student code left one running, else "".

    threads_before: the idents of the threads that ran before the call. The
    worker is its children's subreaper (see stay_contained), so a child that
    double-forked into a new session still shows up here.
    """
    if set(sys._current_frames()) - threads_before:
        return "thread"
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return ""
        if pid == 0:
            return "process"


def student_traceback(error):
    """`Type: message (file.py:line in function)` for the innermost student frame."""
    # Walk the traceback by hand: the traceback module would spend seconds
    # on a million-deep recursion before keeping its innermost frame.
    last, tb = None, error.__traceback__
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.endswith("worker.py"):
            last = tb
        tb = tb.tb_next
    where = ""
    if last is not None:
        code = last.tb_frame.f_code
        where = f" ({os.path.basename(code.co_filename)}:{last.tb_lineno} in {code.co_name})"
    message = str(error)[:500]
    return f"{type(error).__name__}: {message}{where}" if message else f"{type(error).__name__}{where}"


def parameter_names(function, count):
    """The function's own names for its first `count` positional parameters."""
    import inspect
    try:
        names = list(inspect.signature(function).parameters)[:count]
    except (TypeError, ValueError):
        names = []
    return names + [f"argument {i + 1}" for i in range(len(names), count)]


def snapshot(args, kwargs, names=None):
    """Copies of every argument array (and dict's keys), to detect mutation after the call."""
    return [(path, value.copy() if hasattr(value, "copy") else value)
            for path, value in argument_arrays(args, kwargs, names=names)]


def mutated(copies, args, kwargs, to_plain=None, names=None):
    """Paths of arguments whose contents differ from their snapshot."""
    import numpy as np
    current = dict(argument_arrays(args, kwargs, to_plain, names))
    changed = []
    for path, before in copies:
        after = current.get(path)
        if isinstance(before, list):
            if after != before:
                changed.append(path)
        elif not (isinstance(after, np.ndarray) and after.shape == before.shape
                  and np.array_equal(after, before, equal_nan=True)):
            changed.append(path)
    return changed[:10]


def argument_arrays(args, kwargs, to_plain=None, names=None):
    """(path, array) for every array in the arguments, device arrays brought
    back with `to_plain`, and (path + '.keys()', sorted keys) for every dict."""
    import numpy as np
    found = []

    def walk(value, path):
        plain = to_plain(value) if to_plain else None
        if plain is not None or isinstance(value, np.ndarray):
            found.append((path, plain if plain is not None else value))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}[{key!r}]")
            found.append((path + ".keys()", sorted(value)))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}[{i}]")

    names = names or [f"argument {i + 1}" for i in range(len(args))]
    for name, arg in zip(names, args):
        walk(arg, name)
    for key, arg in kwargs.items():
        walk(arg, key)
    return found


def serve(worker, requests, responses):
    """Answer requests until the grader closes the pipe."""
    def read_exactly(n):
        data = bytearray()
        while len(data) < n:  # a pipe hands over large frames in pieces
            chunk = requests.read(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return bytes(data)

    while True:
        try:
            header, blobs = recv_frame(read_exactly)
        except EOFError:
            return
        op = header.get("op")
        if header.get("reset"):  # a new test: the caches of the last one go
            worker.handles.clear()
        try:
            if op == "call":
                response, out_blobs = worker.call(header, blobs)
            elif op == "call_many":
                response, out_blobs = call_many(worker, header, blobs)
            elif op == "ping":
                response, out_blobs = {"ok": True, "pid": os.getpid()}, []
            else:
                response, out_blobs = {"ok": False, "kind": "protocol", "error": f"unknown op {op!r}"}, []
        except StudentError as error:
            response, out_blobs = {"ok": False, "kind": error.kind, "error": str(error)}, []
            if error.fatal:
                response["restart"] = True
                send_frame(responses, response, out_blobs)
                os._exit(0)
        send_frame(responses, response, out_blobs)


def call_many(worker, header, blobs):
    """One function on variants of one argument list (gradient checks), in one round trip.

    header["args"] are the base arguments' specs; each of header["calls"]
    lists replacements [path, blob index]: the argument at `path` (positions
    and keys, e.g. [3, "W_xf"]) is that blob's array in this call. Every
    call gets fresh copies of every array. Warnings are not collected.
    """
    import warnings

    import numpy as np
    function = worker.function(header["module"], header["function"])
    discard = set(header.get("discard", []))
    results, out_blobs, decoded = [], [], {}
    threads = set(sys._current_frames())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            for call in header["calls"]:
                args = [decode_arg(spec, blobs, worker.handles, decoded) for spec in header["args"]]
                for path, index in call.get("replace", []):
                    replace_at(args, path, decode_arg({"array": index}, blobs, worker.handles, decoded))
                try:
                    result = function(*args)
                except BaseException as error:
                    raise StudentError("exception", student_traceback(error)) from None
                refuse_leftovers(threads, header["function"])
                if discard and isinstance(result, tuple):
                    result = tuple(None if i in discard else v for i, v in enumerate(result))
                results.append(describe_result(result, out_blobs, worker.to_plain, header["function"]))
    return {"ok": True, "results": results}, out_blobs


def replace_at(args, path, value):
    """args[path[0]][path[1]]... = value."""
    for key in path[:-1]:
        args = args[key]
    args[path[-1]] = value


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
    and orphaned descendants reparented to this process (so `left_running` sees them)."""
    import ctypes
    import signal
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, 1, 0, 0, 0)                        # PR_SET_NO_NEW_PRIVS
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)       # PR_SET_PDEATHSIG
        libc.prctl(36, 1, 0, 0, 0)                        # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def main(argv):
    """worker.py CONFIG_JSON: serve as the worker CONFIG_JSON describes
    {"submission", "stubs", "site", "limits", "allowed_imports", "uid", "device_module"};
    worker.py --zygote SITE_JSON: fork such workers on request (zygote_main)."""
    if argv[1] == "--zygote":
        zygote_main(json.loads(argv[2]))
    else:
        start(json.loads(argv[1]))
    os._exit(0)


def start(config):
    """Become the worker `config` describes and serve until the grader closes stdin."""
    if config.get("namespaces"):  # the namespaces tier: build the sandbox first (as root)
        namespaces().enter(config["namespaces"])
    # The response channel is a private copy of stdout; whatever the student
    # prints goes to stderr (a capped file on the grader's side).
    responses = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    requests = os.fdopen(0, "rb", buffering=1 << 16)  # a frame's many small parts: few system calls
    sys.stdout = sys.stderr
    one_blas_thread()
    sys.path[:0] = [config["submission"], config["stubs"], *config.get("site", [])]
    import numpy  # noqa: F401  (imported before the limits: BLAS reserves memory at start)
    apply_limits(config.get("limits", {}))
    if config.get("uid") is not None:
        drop_privileges(config["uid"])
    stay_contained()
    if config.get("allowed_imports") is not None:
        sys.meta_path.insert(0, ImportGuard(config["allowed_imports"]))
    os.chdir(config["submission"])
    worker = Worker(config["submission"], config["stubs"])
    if config.get("device_module"):
        enable_device(worker, config["device_module"])
    if config.get("probe"):  # sandbox.probe: the sandbox works; no student code is loaded
        send_frame(responses, {"ready": True})
        return
    serve(worker, requests, responses)


NAMESPACES_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "namespaces.py")


def namespaces():
    """namespaces.py, beside this file (loaded by path: `python -I` keeps this folder off sys.path)."""
    if "autograder_namespaces" not in sys.modules:
        import importlib.util
        spec = importlib.util.spec_from_file_location("autograder_namespaces", NAMESPACES_SOURCE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["autograder_namespaces"] = module
    return sys.modules["autograder_namespaces"]


def one_blas_thread():
    """Before NumPy loads: BLAS runs on one thread (a worker must not use the grader's cores)."""
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = "1"


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
    if os.geteuid() == 0 and os.path.exists(NAMESPACES_SOURCE):
        namespaces()  # the namespaces tier's workers need it (bwrap binds this file alone)
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


class ImportGuard:
    """Refuses top-level imports outside the rubric's allowlist.

    A hint, not a wall: in-process code can remove it. The sandbox tiers that
    mount only NumPy are the wall; this guard gives the clear message.
    """

    def __init__(self, allowed):
        self.allowed = set(allowed) | set(MODULES) | set(sys.stdlib_module_names) | {"numpy", "_notebook"}

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top not in self.allowed and not top.startswith("_"):
            raise ImportError(f"import of {top!r} is not allowed in this assignment "
                              f"(allowed: numpy and the standard library)")
        return None


def enable_device(worker, module_spec):
    """GPU parity mode: arguments go to the device module, results come back as NumPy.

    module_spec: "module" or "module:key=value,..." (passed to its configure()).
    Calls with the "device" flag also report the module's stats() (host
    synchronisations during the call) as "device_stats".
    """
    module_name, _, options = module_spec.partition(":")
    guards = [finder for finder in sys.meta_path if isinstance(finder, ImportGuard)]
    for guard in guards:  # the device's own imports are the grader's, not the student's
        sys.meta_path.remove(guard)
    try:
        device = __import__(module_name)
    finally:
        sys.meta_path[:0] = guards
    for guard in guards:
        guard.allowed |= {module_name, *getattr(device, "IMPORTS", ())}
    if options:
        device.configure(**{key: json.loads(value) for key, _, value in
                            (item.partition("=") for item in options.split(","))})
    import numpy as np

    def to_device(value):
        if isinstance(value, np.ndarray):
            return device.asarray(value)
        if isinstance(value, dict):
            return {k: to_device(v) for k, v in value.items()}
        if isinstance(value, list):
            return [to_device(v) for v in value]
        return value

    def to_plain(value):
        return device.asnumpy(value) if device.is_device_array(value) else None

    plain_call = worker.call

    def call(header, blobs, decoded=None):
        if not header.get("device"):
            return plain_call(header, blobs, decoded)
        getattr(device, "reset_stats", lambda: None)()
        response, out_blobs = plain_call(header, blobs, decoded)
        stats = getattr(device, "stats", lambda: None)()
        if stats is not None:
            response["device_stats"] = stats
        return response, out_blobs

    worker.to_device = to_device
    worker.to_plain = to_plain
    worker.call = call


if __name__ == "__main__":
    main(sys.argv)
