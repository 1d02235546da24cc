"""The device module of `--gpu` on a CUDA machine: CuPy, as the worker needs it.

The worker (inside the sandbox) imports this file as the top-level module
`cupy_device` and uses `asarray` / `asnumpy` / `is_device_array` to move
arguments to the GPU and results back. Standard library, NumPy and CuPy
only: nothing of the grader is importable there.

CuPy cannot count host synchronisations (`.item()`, `float()`), so `stats()`
returns None and the grader relies on the result types and on the errors
CuPy raises when a NumPy array meets a CuPy one.
"""
import os
import tempfile

# CuPy compiles its kernels at first use and caches them under ~/.cupy, and
# CUDA its JIT-compiled ones under ~/.nv; in the sandbox HOME is a private,
# size-capped /tmp, so keep both in one folder there, which the worker's
# check for files left behind by student code leaves alone (CACHE_FOLDERS).
_CACHE = tempfile.mkdtemp(prefix="cupy-kernels-")
os.environ.setdefault("CUPY_CACHE_DIR", _CACHE)
os.environ.setdefault("CUDA_CACHE_PATH", os.path.join(_CACHE, "nv"))
CACHE_FOLDERS = (_CACHE,)

import cupy  # noqa: E402

# Top-level packages CuPy may import lazily while student code runs; the
# worker's import guard lets them through.
IMPORTS = ("cupy", "cupyx", "cupy_backends", "fastrlock", "cuda", "cuda_pathfinder", "nvidia")


def asarray(array):
    return cupy.asarray(array)


def asnumpy(array):
    return cupy.asnumpy(array)


def is_device_array(value):
    return isinstance(value, cupy.ndarray)


def reset_stats():
    pass


def stats():
    return None
