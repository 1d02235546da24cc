"""Which array device `--gpu` grades on: CuPy on a CUDA GPU, or the stand-in.

A device is a module the worker imports inside the sandbox (standard library,
NumPy and the device's own packages only) that provides `asarray` (host ->
device), `asnumpy` (device -> host), `is_device_array`, and optionally
`reset_stats()` / `stats()` (host synchronisations during one call) and
`configure(**options)`. Two exist:

- `cupy_device.py`: CuPy, when it imports and sees a CUDA device;
- `standin.py`: a NumPy-backed array module whose arrays are marked, so the
  whole GPU parity path (dispatch, transport, comparisons) runs on any
  machine. Selected with AUTOGRADER_DEVICE=standin (tests, CI), optionally
  with GPU-sized numerical noise: AUTOGRADER_DEVICE=standin:ulps=2.

AUTOGRADER_DEVICE=cupy insists on CuPy; AUTOGRADER_DEVICE=none behaves as a
machine without a GPU. Unset, `--gpu` uses CuPy when it works.
"""
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEVICE_ENV = "AUTOGRADER_DEVICE"
HERE = Path(__file__).resolve().parents[1] / "inside" / "devices"   # the device modules themselves

# CuPy's first calls compile kernels (seconds each); the rubric's limits are
# sized for NumPy. These replace them for the GPU worker only.
CUPY_CALL_TIMEOUT_S = 60.0
CUPY_BUDGET_S = 600.0
CUPY_PROBE_TIMEOUT_S = 120
CUDA_OPEN_FILES = 1024       # CUDA holds a descriptor per device file and context
# Folders beside cupy/ in site-packages that CuPy loads from (its compiled
# backends, the CUDA libraries of the cupy-cuda* wheels' dependencies).
CUPY_SITE_PREFIXES = ("cupy", "cupyx", "cupy_backends", "fastrlock", "cuda", "nvidia")
# The device modules, as the GPU worker imports them (top-level, from the
# sandbox's import path): no helper module of a submission may take their names.
STANDIN_MODULE, CUPY_MODULE = "standin", "cupy_device"
DEVICE_MODULES = (STANDIN_MODULE, CUPY_MODULE)
STANDIN_CAVEAT = ("these GPU tests ran on a stand-in for CuPy (NumPy arrays dressed as CuPy's, no GPU): "
                  "if your code runs right on CuPy, this failure may be the stand-in's; tell your instructor")


@dataclass(frozen=True)
class Device:
    """A device to run the GPU parity checks on."""
    name: str                     # "cupy" or "standin"
    module: str                   # what the worker imports: "module" or "module:key=value,..."
    site: tuple                   # files and folders the worker needs besides NumPy
    description: str              # one line for the command line
    cuda: bool = False            # no address-space limit (CUDA reserves far more virtual memory), more files
    call_timeout_s: float = None  # None: the rubric's
    budget_s: float = None
    caveat: str = ""              # said with a failure on this device that may be the device's own


@dataclass(frozen=True)
class Unavailable:
    """--gpu was asked for, but there is nothing to run on."""
    reason: str


def standin_device(options=""):
    """The stand-in device; options like 'ulps=2' add GPU-sized noise."""
    noise = f" with {options.replace(',', ', ')}" if options else ""
    return Device("standin", STANDIN_MODULE + (f":{options}" if options else ""),
                  (str(HERE / f"{STANDIN_MODULE}.py"),),
                  f"stand-in device (NumPy arrays marked as device arrays{noise}; no GPU involved)",
                  caveat=STANDIN_CAVEAT)


@lru_cache(maxsize=None)
def select():
    """The device `--gpu` grades on, or `Unavailable` with the one-line reason."""
    choice = os.environ.get(DEVICE_ENV, "").strip()
    name, _, options = choice.partition(":")
    if name == "standin":
        return standin_device(options)
    if name == "none":
        return Unavailable(f"GPU disabled by {DEVICE_ENV}=none")
    if name not in ("", "cupy"):
        return Unavailable(f"unknown {DEVICE_ENV}={choice!r} (expected cupy, standin or none)")
    return probe_cupy()


PROBE = r"""
import json, os, sys
try:
    import cupy
except ImportError as error:
    print(json.dumps({"error": "CuPy does not import (%s)" % error})); sys.exit()
try:
    count = cupy.cuda.runtime.getDeviceCount()
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode() if count else ""
    if count:
        float((cupy.arange(3, dtype=cupy.float32) * 2).sum())  # a kernel compiles and runs
except Exception as error:
    print(json.dumps({"error": "no CUDA device (%s: %s)" % (type(error).__name__, str(error)[:200])})); sys.exit()
print(json.dumps({"count": count, "name": name, "version": cupy.__version__,
                  "package": os.path.dirname(cupy.__file__)}))
"""


def probe_cupy():
    """CuPy as a Device if it imports and a CUDA device answers, in a separate
    process (CUDA must never start in the grader, which forks)."""
    if importlib.util.find_spec("cupy") is None:
        return Unavailable("CuPy is not installed")
    try:
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                              timeout=CUPY_PROBE_TIMEOUT_S)
        found = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return Unavailable("CuPy could not be started (the probe process failed)")
    if "error" in found:
        return Unavailable(found["error"])
    if not found["count"]:
        return Unavailable("no CUDA device")
    return Device("cupy", CUPY_MODULE, cupy_site(Path(found["package"])),
                  f"CuPy {found['version']} on {found['name']}", cuda=True,
                  call_timeout_s=CUPY_CALL_TIMEOUT_S, budget_s=CUPY_BUDGET_S)


def cupy_site(package):
    """cupy_device.py and CuPy's folders in its site-packages, to bind into the sandbox."""
    entries = [str(HERE / f"{CUPY_MODULE}.py")]
    for entry in sorted(package.parent.iterdir()):
        if entry.name.lower().startswith(CUPY_SITE_PREFIXES) and not entry.name.endswith((".dist-info", ".egg-info")):
            entries.append(str(entry))
    return tuple(entries)


def resolve(gpu):
    """(Device or None, why the GPU tests are skipped) from runner.grade's `gpu` argument:
    False/None (not requested), True (select one), a Device or an Unavailable."""
    if not gpu:
        return None, "not requested (grade with --gpu to run the GPU parity checks)"
    if gpu is True:
        gpu = select()
    if isinstance(gpu, Unavailable):
        return None, f"--gpu: {gpu.reason}"
    return gpu, ""


def worker_spec(device, spec):
    """The WorkerSpec of the GPU worker: `spec` with the device bound in."""
    limits = spec.limits
    if device.cuda:
        limits = dataclasses.replace(limits, memory_bytes=-1, open_files=max(limits.open_files, CUDA_OPEN_FILES))
    return dataclasses.replace(spec, device_module=device.module, limits=limits,
                               extra_site=tuple(spec.extra_site) + tuple(device.site))


def limits_of(device, rubric):
    """(call timeout, budget) in seconds for the GPU worker."""
    return (max(rubric.call_timeout_s, device.call_timeout_s or 0),
            max(rubric.budget_s, device.budget_s or 0))
