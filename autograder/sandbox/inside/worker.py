"""The worker: the only process that ever runs a student's code.

It is started by the grader (sandbox/outside/tiers.py), one per submission,
inside the strongest sandbox the machine allows, and serves function calls
over a pipe:

    grader --request--> stdin   worker   private fd --response--> grader

Requests and responses are frames (protocol.py). The worker holds the
student's caches itself and hands the grader opaque integer handles. It
trusts nothing it receives, and the grader trusts nothing it sends back:
every array is re-validated on the other side.

Everything in this folder runs inside the sandbox, started as
`python -I -S run.py`: it imports the standard library and NumPy only,
and nothing of the grader (tests/sandbox/test_boundary.py checks it).
"""
import os
import sys
import time

from . import namespaces
from .confine import ImportGuard, apply_limits, drop_privileges, one_blas_thread, stay_contained
from .device_mode import enable_device
from .errors import StudentError, student_traceback
from .leftovers import Leftovers
from .protocol import Handle, decode_arg, describe, recv_frame, send_frame

class Worker:
    """Imports the student's modules lazily and answers calls.

    modules: the contract's module names (contract.MODULES, sent by the
    grader in the config); refused: {file name: why it was not copied} of the
    helper files that the grader left out of the submission.
    """

    def __init__(self, submission_dir, stubs_dir, modules, refused=None):
        self.submission_dir = submission_dir
        self.stubs_dir = stubs_dir
        self.present = {name for name in modules
                        if os.path.isfile(os.path.join(submission_dir, name + ".py"))}
        self.refused = dict(refused or {})
        self.modules, self.import_errors = {}, {}
        self.handles, self.next_handle = {}, 1
        self.to_plain = None  # set by the GPU parity mode: device array -> NumPy
        self.leftovers = Leftovers({})  # replaced in start(), once the worker is set up

    def module(self, name):
        """The student's module `name`; raises a `StudentError` if it is missing or broken.

        What its import leaves running or in /tmp is charged to the module,
        as an import problem, before any of its functions runs.
        """
        if name not in self.present:
            raise StudentError("missing_file", f"{name}.py is not in your submission")
        if name in self.import_errors:
            raise StudentError("import_error", self.import_errors[name])
        if name not in self.modules:
            try:
                module = __import__(name)
            except BaseException as error:  # SystemExit and friends included
                failed = f"failed to import: {self.traceback(error)}"
                self.leftovers.refuse(f"{name}.py", raised=failed, kind="import_error")
                self.import_errors[name] = f"{name}.py {failed}"
                raise StudentError("import_error", self.import_errors[name]) from None
            self.leftovers.refuse(f"{name}.py", kind="import_error", when="when it was imported")
            self.modules[name] = module
        return self.modules[name]

    def function(self, module_name, function_name):
        function = getattr(self.module(module_name), function_name, None)
        if not callable(function):
            where = ("your notebook" if os.path.isfile(os.path.join(self.submission_dir, "_notebook.py"))
                     else f"{module_name}.py")
            raise StudentError("missing_name", "; ".join([f"{where} defines no function {function_name}"]
                                                         + self.notes()))
        return function

    def call(self, header, blobs, decoded=None):
        """Run one student function on the decoded arguments."""
        import numpy as np
        import warnings
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
                self.raised(header["function"], error)
            seconds = time.perf_counter() - start
        self.leftovers.refuse(header["function"])
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

    def raised(self, function, error):
        """A call of `function` raised `error`: fail it, charging it first with anything it left behind."""
        message = self.traceback(error)
        self.leftovers.refuse(function, raised=f"raised {message}")
        raise StudentError("exception", message) from None

    def traceback(self, error):
        """student_traceback(error), plus why a helper file it names was not included."""
        message = student_traceback(error)
        return "; ".join([message] + self.notes(lambda module, why: f"'{module}'" in message and why not in message))

    def notes(self, relevant=lambda module, why: True):
        """Why helper files were left out of the submission (at most two of those `relevant`)."""
        return [f"{file} was not included in your submission: {why}" for file, why in sorted(self.refused.items())
                if relevant(file.removesuffix(".py"), why)][:2]

    def hold(self, value):
        handle = self.next_handle
        self.handles[handle], self.next_handle = value, handle + 1
        return Handle(handle)

    def to_device(self, value):
        return value  # replaced by the GPU parity mode


def describe_result(result, blobs, to_plain, function):
    """describe(), failing the call when the result cannot be described (e.g. a list that contains itself)."""
    try:
        return describe(result, blobs, to_plain)
    except Exception as error:
        raise StudentError("result", f"{function} returned something the grader cannot read "
                                     f"({type(error).__name__})") from None


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
    lists replacements [path, argument spec]: the argument at `path` (positions
    and keys, e.g. [3, "W_xf"]) is that argument (an array, or a cache's
    handle) in this call. Every call gets fresh copies of every array.
    Warnings are not collected.
    """
    import warnings

    import numpy as np
    function = worker.function(header["module"], header["function"])
    discard = set(header.get("discard", []))
    results, out_blobs, decoded = [], [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            for call in header["calls"]:
                args = [decode_arg(spec, blobs, worker.handles, decoded) for spec in header["args"]]
                for path, spec in call.get("replace", []):
                    replace_at(args, path, decode_arg(spec, blobs, worker.handles, decoded))
                try:
                    result = function(*args)
                except BaseException as error:
                    worker.raised(header["function"], error)
                worker.leftovers.refuse(header["function"])
                if discard and isinstance(result, tuple):
                    result = tuple(None if i in discard else v for i, v in enumerate(result))
                results.append(describe_result(result, out_blobs, worker.to_plain, header["function"]))
    return {"ok": True, "results": results}, out_blobs


def replace_at(args, path, value):
    """args[path[0]][path[1]]... = value."""
    for key in path[:-1]:
        args = args[key]
    args[path[-1]] = value


def start(config):
    """Become the worker `config` describes and serve until the grader closes stdin."""
    if config.get("namespaces"):  # the namespaces tier: build the sandbox first (as root)
        namespaces.enter(config["namespaces"])
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
    modules, helpers, refused = config["modules"], config.get("helpers", ()), config.get("refused", {})
    if config.get("allowed_imports") is not None:
        sys.meta_path.insert(0, ImportGuard(config["allowed_imports"], modules, helpers, refused))
    os.chdir(config["submission"])
    worker = Worker(config["submission"], config["stubs"], modules, refused)
    device_folders = ()
    if config.get("device_module"):
        device_folders = enable_device(worker, config["device_module"])
    if config.get("probe"):  # sandbox.probe: the sandbox works; no student code is loaded
        send_frame(responses, {"ready": True})
        return
    worker.leftovers = Leftovers(config.get("tmp", {}), ignored=device_folders)
    serve(worker, requests, responses)
