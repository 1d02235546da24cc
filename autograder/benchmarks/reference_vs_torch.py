"""Time the reference LSTM and GRU, forward + backward, beside PyTorch CPU.

    python -m autograder bench reference [--repeats 7] [--threads 1] [--reference DIR]

Prints one table (model, dtype, reference ms, torch ms, reference/torch);
asserts nothing. Both sides run in this process on the same data with the
same number of BLAS / intra-op threads (default 1: NumPy's elementwise
operations use one core whatever BLAS does, so one thread each compares the
implementations rather than the thread pools). The runs of the two sides
alternate and each is summarised by its median, so a noisy neighbour slows
both alike.

The torch side: nn.LSTM loaded with the reference's weights, and for the GRU
(nn.GRU follows another convention) the slides' equations in torch,
differentiated by autograd. Both compute the gradients of the inputs, the
initial states and every parameter, as the reference does.
"""
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

MODULE = "autograder.benchmarks.reference_vs_torch"
ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "reference"

N, T, D, H = 64, 50, 128, 128
DTYPES = ("float64", "float32")
TARGET_RATIO = 1.3  # printed beside the table, never asserted

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Set on some machines for old OpenBLAS builds; they slow a current NumPy.
# Only this benchmark's own process drops them (see .library/env/README.md).
SLOW_OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def benchmark_environment(threads):
    """os.environ with the thread counts set and the slow OpenBLAS settings dropped."""
    env = {k: v for k, v in os.environ.items() if k not in SLOW_OPENBLAS_VARIABLES}
    return env | {name: str(threads) for name in THREAD_VARIABLES}


def main(*, repeats=7, threads=1, reference=REFERENCE_DIR) -> int:
    """Print the table (`python -m autograder bench reference`); reference: the
    folder holding the reference's lstm.py and gru.py (another copy of it times
    a change before and after)."""
    reference = Path(reference).resolve()
    env = benchmark_environment(threads)
    if env != dict(os.environ):
        if any(sys.modules.get(name) is not None for name in ("numpy", "torch")):
            # BLAS read its settings when it loaded: measure in a fresh process.
            command = [sys.executable, "-m", "autograder", "bench", "reference", "--repeats", str(repeats),
                       "--threads", str(threads), "--reference", str(reference)]
            return subprocess.call(command, env=env, cwd=ROOT)
        os.environ.clear()
        os.environ.update(env)
    run(repeats, threads, reference)
    return 0


# ------------------------------------------------------------------ the cases


def load_reference(folder):
    """The lstm and gru modules of the reference in `folder` (put first on sys.path)."""
    sys.path.insert(0, str(folder))
    import gru
    import lstm
    for module in (lstm, gru):
        if Path(module.__file__).resolve().parent != folder:
            raise RuntimeError(f"`{module.__name__}` resolves to {module.__file__}, not to {folder}")
    return lstm, gru


def random_problem(np, dtype, gates, seed=0):
    """(X, h0, c0, dH, params) for one layer with the given gate names."""
    rng = np.random.default_rng(seed)

    def gaussian(shape, scale=1.0):
        return (scale * rng.standard_normal(shape)).astype(dtype)

    params = {}
    for g in gates:
        params |= {"W_x" + g: gaussian((D, H), 0.1), "W_h" + g: gaussian((H, H), 0.1), "b_" + g: gaussian((H,), 0.1)}
    return gaussian((N, T, D)), gaussian((N, H), 0.5), gaussian((N, H), 0.5), gaussian((N, T, H)), params


def reference_lstm(lstm, X, h0, c0, dH, params):
    def once():
        _, cache = lstm.lstm_forward(X, h0, c0, params)
        lstm.lstm_backward(dH, cache)
    return once


def reference_gru(gru, X, h0, dH, params):
    def once():
        _, cache = gru.gru_forward(X, h0, params)
        gru.gru_backward(dH, cache)
    return once


def torch_lstm(torch, np, X, h0, c0, dH, params):
    """nn.LSTM with the reference's weights: torch stacks gates i, f, g (our c), o."""
    order = ("i", "f", "c", "o")
    module = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.from_numpy(X).dtype)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([params["W_x" + g].T for g in order])))
        module.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([params["W_h" + g].T for g in order])))
        module.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params["b_" + g] for g in order])))
        module.bias_hh_l0.zero_()
    inputs = [torch.tensor(a, requires_grad=True) for a in (X, h0, c0)]
    dH_t = torch.from_numpy(dH)

    def once():
        module.zero_grad(set_to_none=True)
        for tensor in inputs:
            tensor.grad = None
        X_t, h0_t, c0_t = inputs
        out, _ = module(X_t, (h0_t[None], c0_t[None]))
        out.backward(dH_t)
    return once


def torch_gru(torch, X, h0, dH, params):
    """The slides' GRU equations in torch, every step's input projections in one matmul."""
    p = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    inputs = [torch.tensor(a, requires_grad=True) for a in (X, h0)]
    dH_t = torch.from_numpy(dH)

    def once():
        for tensor in (*p.values(), *inputs):
            tensor.grad = None
        X_t, h = inputs
        A_r, A_z, A_h = (X_t @ p["W_x" + g] + p["b_" + g] for g in "rzh")
        states = []
        for t in range(T):
            R = torch.sigmoid(A_r[:, t] + h @ p["W_hr"])
            Z = torch.sigmoid(A_z[:, t] + h @ p["W_hz"])
            H_tilde = torch.tanh(A_h[:, t] + (R * h) @ p["W_hh"])
            h = Z * h + (1 - Z) * H_tilde
            states.append(h)
        torch.stack(states, dim=1).backward(dH_t)
    return once


# ------------------------------------------------------------------ timing


def medians_ms(functions, repeats):
    """Median wall time in ms of each function, their runs interleaved, after one warm-up."""
    for f in functions:
        f()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for f, samples in zip(functions, times):
            start = time.perf_counter()
            f()
            samples.append(time.perf_counter() - start)
    return [1000 * statistics.median(samples) for samples in times]


def openblas_description():
    """'OpenBLAS <core>, <n> thread(s)' for the OpenBLAS NumPy loaded, or None."""
    import ctypes
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    except OSError:
        return None
    for path in sorted(paths):
        library = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas_", "64_"), ("scipy_openblas_", ""), ("openblas_", "")):
            try:
                corename = getattr(library, f"{prefix}get_corename{suffix}")
                threads = getattr(library, f"{prefix}get_num_threads{suffix}")
            except AttributeError:
                continue
            corename.restype = ctypes.c_char_p
            return f"OpenBLAS {corename().decode()}, {threads()} thread(s)"
    return None


def run(repeats, threads, reference):
    import numpy as np
    try:
        import torch
    except ImportError:
        torch = None
    lstm, gru = load_reference(reference)

    print(f"reference ({reference}) vs PyTorch CPU, forward + backward: N={N}, T={T}, D={D}, H={H}; "
          f"median of {repeats} runs each, interleaved")
    print(f"numpy {np.__version__} ({openblas_description() or 'BLAS unknown'}); threads per side: {threads}")
    if torch is None:
        print("PyTorch is not installed (pip install -e '.[torch]'): timing the reference only")
    else:
        torch.set_num_threads(threads)
        print(f"torch {torch.__version__} ({torch.get_num_threads()} intra-op thread(s))")

    rows = []
    for dtype in DTYPES:
        X, h0, c0, dH, params = random_problem(np, dtype, "fico")
        cases = [reference_lstm(lstm, X, h0, c0, dH, params)]
        if torch is not None:
            cases.append(torch_lstm(torch, np, X, h0, c0, dH, params))
        rows.append(("LSTM", dtype, *medians_ms(cases, repeats)))
        X, h0, _, dH, params = random_problem(np, dtype, "rzh")
        cases = [reference_gru(gru, X, h0, dH, params)]
        if torch is not None:
            cases.append(torch_gru(torch, X, h0, dH, params))
        rows.append(("GRU", dtype, *medians_ms(cases, repeats)))
    print_table(rows)


def print_table(rows):
    print(f"{'model':<6} {'dtype':<8} {'reference ms':>12} {'torch ms':>9} {'reference/torch':>16}")
    for model, dtype, reference_ms, *torch_ms in rows:
        if torch_ms:
            ratio = reference_ms / torch_ms[0]
            print(f"{model:<6} {dtype:<8} {reference_ms:12.1f} {torch_ms[0]:9.1f} {ratio:16.2f}")
        else:
            print(f"{model:<6} {dtype:<8} {reference_ms:12.1f} {'-':>9} {'-':>16}")
    print(f"(target: reference/torch <= {TARGET_RATIO}; printed, not asserted)")

