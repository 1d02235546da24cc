"""A stand-in for CuPy: a NumPy-backed array module whose arrays are marked.

It lets the GPU parity checks run, end to end, on a machine without a GPU:
`asarray(ndarray)` "moves" an array to the device, giving an `Array` (a
NumPy array in a small wrapper, deliberately not an ndarray subclass) whose
`__array_namespace__()` is this module. Code that asks whether it holds
CuPy arrays gets CuPy's answers: the type is `cupy.ndarray` by its module
and name (`type(a).__module__ == "cupy"`), `get_array_module(a)` is this
module, and in the GPU worker `install()` makes `import cupy` give this
module (so `isinstance(a, cupy.ndarray)` holds). Like a CuPy array:

- operations on marked arrays give marked arrays: operators, methods,
  indexing (views, so in-place writes land), this module's functions
  (`xp.zeros`, `xp.exp`, ...) and NumPy's functions that dispatch
  (`np.exp`, `np.zeros_like`, `np.concatenate`, ...);
- NumPy calls that do not dispatch give plain NumPy: `np.zeros(shape)`,
  `np.asarray(a)` / `np.array(a)`, and an operation that mixes a marked
  array with a plain one. CuPy raises TypeError for the last two; here the
  result quietly "leaves the device", and the grader reports it, naming the
  first place it happened;
- `.tolist()`, `.get()` and `np.asarray(a)` work but are counted as copies
  off the device, and `.item()`, `float()`, `int()`, `bool()` as host
  synchronisations (see `stats()`), so that a loop of `.item()` calls, cheap
  on NumPy and ruinous on a GPU, can be caught.

`configure(ulps=k)` adds noise of the size by which a GPU's results differ
from NumPy's: up to k units in the last place on transcendental functions,
and reordering error (k·eps·Σ|terms|) on matrix products and sums. The
grader's parity tolerances are measured and tested against it.

Standard library and NumPy only: the worker imports this file inside the
sandbox as the top-level module `standin`.
"""
import functools
import linecache
import os
import sys
import types

import numpy as np

_NOISY_UFUNCS = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "tanh", "sinh", "cosh",
                 "tan", "sin", "cos", "arctan", "arctanh", "power", "float_power"}
_REDUCTIONS = {"sum", "mean", "prod", "cumsum", "cumprod", "average", "std", "var", "norm", "trace"}
_PRODUCTS = {"matmul", "dot", "einsum", "tensordot", "inner", "vdot"}
_OWN_FILES = (os.path.normcase(__file__), os.path.normcase(os.path.dirname(np.__file__)))

_noise = {"ulps": 0, "rng": None}
_stats = {}


def configure(ulps=0, seed=0):
    """Perturb results by up to `ulps` units in the last place (0: exact NumPy)."""
    _noise["ulps"] = float(ulps)
    _noise["rng"] = np.random.default_rng(int(seed)) if ulps else None


def reset_stats():
    _stats.clear()
    _stats.update(syncs=0, sync_kinds={}, leaks=0, leak_kinds={}, first_leak="", first_leak_kind="")


def stats():
    """What reached the host since `reset_stats()`.

    syncs: scalars read from the device (.item(), float(), int(), bool(), ...);
    leaks: arrays copied off it (__array__ for np.asarray / assignment into a
    NumPy array, "mixed" operations with a NumPy array, .tolist(), .get()),
    with the kind and 'file.py:line: source' of the first.
    """
    return {key: dict(value) if isinstance(value, dict) else value for key, value in _stats.items()}


def _sync(kind):
    _stats["syncs"] = _stats.get("syncs", 0) + 1
    kinds = _stats.setdefault("sync_kinds", {})
    kinds[kind] = kinds.get(kind, 0) + 1


def _leak(kind):
    """Device data reached a plain NumPy array; remember where, first time."""
    _stats["leaks"] = _stats.get("leaks", 0) + 1
    kinds = _stats.setdefault("leak_kinds", {})
    kinds[kind] = kinds.get(kind, 0) + 1
    if not _stats.get("first_leak_kind"):
        _stats["first_leak"], _stats["first_leak_kind"] = _caller(), kind


def _caller():
    """'file.py:line: source' of the innermost frame outside this module and NumPy."""
    frame = sys._getframe(1)
    while frame is not None and os.path.normcase(frame.f_code.co_filename).startswith(_OWN_FILES):
        frame = frame.f_back
    if frame is None:
        return ""
    source = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
    return f"{where}: {source}" if source else where


# --- moving between the host and the "device" ------------------------------

def _wrap(value):
    if isinstance(value, np.ndarray):
        return Array(value)
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_, np.void)):
        return Array(np.asarray(value))  # CuPy gives 0-d arrays, never NumPy scalars
    if type(value) in (tuple, list):
        return type(value)(_wrap(v) for v in value)
    return value


def _unwrap(value):
    if isinstance(value, Array):
        return value._a
    if type(value) in (tuple, list):
        return type(value)(_unwrap(v) for v in value)
    if type(value) is dict:
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _has_plain(value):
    """Whether `value` holds a plain (host) ndarray."""
    if isinstance(value, np.ndarray):
        return True
    if type(value) in (tuple, list):
        return any(_has_plain(v) for v in value)
    if type(value) is dict:
        return any(_has_plain(v) for v in value.values())
    return False


def _perturb(result, name, args=()):
    """`result` with the noise of configure() added in place (floating arrays only)."""
    rng, ulps = _noise["rng"], _noise["ulps"]
    if rng is None or not (name in _NOISY_UFUNCS or name in _PRODUCTS or name in _REDUCTIONS):
        return result
    if isinstance(result, np.floating):
        result = np.asarray(result)
    if not isinstance(result, np.ndarray) or result.dtype.kind != "f" or not result.size:
        return result
    eps = np.finfo(result.dtype).eps
    scale = None
    if name in _NOISY_UFUNCS:
        scale = np.spacing(np.abs(result))
    elif name in ("matmul", "dot") and len(args) == 2 and all(isinstance(a, np.ndarray) for a in args):
        try:  # reordering error of a sum of K products: ~ sqrt(K) eps Σ|a_k b_k|
            scale = eps * np.sqrt(args[0].shape[-1]) * np.abs(np.matmul(np.abs(args[0]), np.abs(args[1])))
            scale = np.broadcast_to(scale, result.shape)
        except ValueError:
            scale = None
    if scale is None:
        scale = eps * np.abs(result)
    with np.errstate(all="ignore"):
        noise = rng.uniform(-ulps, ulps, result.shape) * scale
        result += np.where(np.isfinite(noise), noise, 0).astype(result.dtype)
    return result


def asarray(value, dtype=None, copy=None):
    """A device copy of `value` (like cupy.asarray: the host array is not shared)."""
    if isinstance(value, Array):
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    return Array(np.array(_unwrap(value), dtype=dtype, copy=True))


def asnumpy(value):
    """The grader's way back to the host: not counted as the student's sync."""
    return value._a.copy() if isinstance(value, Array) else np.asarray(value)


def is_device_array(value):
    return isinstance(value, Array)


# --- the array ------------------------------------------------------------

def _ufunc_method(ufunc, reflected=False):
    def method(self, other):
        return ufunc(other, self) if reflected else ufunc(self, other)
    method.__name__ = ufunc.__name__
    return method


def _inplace(ufunc):
    def method(self, other):
        ufunc(self, other, out=(self,))
        return self
    method.__name__ = ufunc.__name__
    return method


def _unary(ufunc):
    def method(self):
        return ufunc(self)
    method.__name__ = ufunc.__name__
    return method


class Array:
    """A NumPy array on the stand-in device, named as CuPy names its arrays
    (`cupy.ndarray`). The wrapped array is `_a`."""

    __slots__ = ("_a",)
    __hash__ = None

    def __init__(self, array):
        self._a = array

    def __array_namespace__(self, api_version=None):
        return sys.modules[__name__]

    # --- metadata (no data leaves the device) ---
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    T = property(lambda self: Array(self._a.T))
    mT = property(lambda self: Array(np.swapaxes(self._a, -1, -2)))

    def __len__(self):
        return len(self._a)

    def __repr__(self):
        return f"array({np.array2string(self._a, separator=', ')}, dtype={self._a.dtype})"

    __str__ = __repr__

    def __copy__(self):
        return Array(self._a.copy())

    def __deepcopy__(self, memo):
        return Array(self._a.copy())

    def __getattr__(self, name):
        """ndarray's other attributes and methods, their array results kept on the device."""
        if name == "_a" or name.startswith("__"):  # no __array_interface__ & co: those would share memory
            raise AttributeError(name)
        value = getattr(self._a, name)
        if not callable(value):
            return _wrap(value)

        @functools.wraps(value)
        def method(*args, **kwargs):
            plain = _has_plain((args, kwargs))
            args, kwargs = _unwrap(args), _unwrap(kwargs)
            result = _perturb(value(*args, **kwargs), name, (self._a, *args))
            if plain:
                _leak("mixed")
                return result
            return _wrap(result)
        return method

    # --- the ways off the device, each counted ---
    def __array__(self, dtype=None, copy=None):
        _leak("__array__")
        return self._a.astype(dtype) if dtype is not None else self._a.copy()

    def item(self, *args):
        _sync("item")
        return self._a.item(*args)

    def tolist(self):
        _leak("tolist")
        return self._a.tolist()

    def get(self):
        """CuPy's explicit copy to the host."""
        _leak("get")
        return self._a.copy()

    def __float__(self):
        _sync("float")
        return float(self._a)

    def __int__(self):
        _sync("int")
        return int(self._a)

    def __index__(self):
        _sync("index")
        return self._a.__index__()

    def __bool__(self):
        _sync("bool")
        return bool(self._a)

    def __complex__(self):
        _sync("float")
        return complex(self._a)

    def __format__(self, spec):
        _sync("format")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    def __contains__(self, value):
        _sync("bool")
        return _unwrap(value) in self._a

    # --- indexing: views stay on the device ---
    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key)] = _unwrap(value)  # a host value is copied in, as CuPy does

    def __iter__(self):
        return (self[i] for i in range(len(self._a)))

    # --- NumPy's dispatch protocols ---
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        args, kwargs = _unwrap(inputs), _unwrap(kwargs)
        if out is not None:
            kwargs["out"] = _unwrap(out)
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        name = ufunc.__name__ if method == "__call__" else "sum" if ufunc in (np.add, np.multiply) else ""
        if out is not None:
            for o in kwargs["out"]:
                _perturb(o, name, args)
            if all(isinstance(o, Array) for o in out):  # written in place on the device
                return out[0] if len(out) == 1 else out
            _leak("mixed")
            return result
        result = _perturb(result, name, args)
        if _has_plain((inputs, kwargs)):
            _leak("mixed")
            return result
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        result = func(*_unwrap(args), **_unwrap(kwargs))
        result = _perturb(result, func.__name__, _unwrap(args))
        if _has_plain((args, kwargs)):
            _leak("mixed")
            return result
        return _wrap(result)

    # --- operators, all through the ufuncs above ---
    __add__, __radd__, __iadd__ = _ufunc_method(np.add), _ufunc_method(np.add, True), _inplace(np.add)
    __sub__, __rsub__, __isub__ = _ufunc_method(np.subtract), _ufunc_method(np.subtract, True), _inplace(np.subtract)
    __mul__, __rmul__, __imul__ = _ufunc_method(np.multiply), _ufunc_method(np.multiply, True), _inplace(np.multiply)
    __truediv__, __rtruediv__, __itruediv__ = (_ufunc_method(np.true_divide), _ufunc_method(np.true_divide, True),
                                               _inplace(np.true_divide))
    __floordiv__, __rfloordiv__ = _ufunc_method(np.floor_divide), _ufunc_method(np.floor_divide, True)
    __mod__, __rmod__ = _ufunc_method(np.remainder), _ufunc_method(np.remainder, True)
    __pow__, __rpow__, __ipow__ = _ufunc_method(np.power), _ufunc_method(np.power, True), _inplace(np.power)
    __matmul__, __rmatmul__ = _ufunc_method(np.matmul), _ufunc_method(np.matmul, True)
    __and__, __rand__ = _ufunc_method(np.bitwise_and), _ufunc_method(np.bitwise_and, True)
    __or__, __ror__ = _ufunc_method(np.bitwise_or), _ufunc_method(np.bitwise_or, True)
    __xor__, __rxor__ = _ufunc_method(np.bitwise_xor), _ufunc_method(np.bitwise_xor, True)
    __lt__, __le__ = _ufunc_method(np.less), _ufunc_method(np.less_equal)
    __gt__, __ge__ = _ufunc_method(np.greater), _ufunc_method(np.greater_equal)
    __eq__, __ne__ = _ufunc_method(np.equal), _ufunc_method(np.not_equal)
    __neg__, __pos__, __abs__, __invert__ = (_unary(np.negative), _unary(np.positive), _unary(np.absolute),
                                             _unary(np.invert))


Array.__module__, Array.__name__, Array.__qualname__ = "cupy", "ndarray", "ndarray"
ndarray = Array


def get_array_module(*args):
    """cupy.get_array_module: this module if any argument is a device array, else NumPy."""
    return sys.modules[__name__] if any(isinstance(arg, Array) for arg in args) else np


def install():
    """In the GPU worker, before student code loads: `import cupy` gives this module
    (CuPy is not installed or not mounted there when the stand-in is the device)."""
    sys.modules["cupy"] = sys.modules[__name__]


# --- the namespace: NumPy's functions, on the device ------------------------

class _Namespace:
    """A NumPy submodule (linalg, fft, ...) whose functions run on the device."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return _attribute(self._module, name)


def _attribute(module, name):
    value = getattr(module, name)
    if isinstance(value, types.ModuleType):
        return _Namespace(value)
    if callable(value) and not isinstance(value, type):
        return _device_function(value, name)
    return value  # dtypes, constants, classes (np.float32, np.pi, np.finfo, ...)


@functools.lru_cache(maxsize=None)
def _device_function(function, name):
    """`function` taking device or host arrays and returning device arrays (like cupy.exp)."""
    @functools.wraps(function)
    def on_device(*args, **kwargs):
        args, kwargs = _unwrap(args), _unwrap(kwargs)
        kwargs.pop("like", None)
        return _wrap(_perturb(function(*args, **kwargs), name, args))
    return on_device


def __getattr__(name):
    """xp.zeros, xp.exp, xp.concatenate, ...: NumPy's, on the device."""
    if name.startswith("__"):
        raise AttributeError(name)
    return _attribute(np, name)


reset_stats()
