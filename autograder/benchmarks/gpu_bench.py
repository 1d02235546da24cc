"""`make bench-gpu`: the reference LSTM, forward + backward, on CuPy vs NumPy vs cuDNN.

    python -m autograder bench gpu [--repeats 5] [--size N T D H] [--dtypes float32 float64]

At N = 256, T = 100, D = H = 512 by default: the reference's lstm_forward +
lstm_backward on NumPy (CPU) and on CuPy (the same code, CuPy arrays), and
PyTorch's cuDNN LSTM (nn.LSTM on CUDA) loaded with the same weights,
computing the gradients of the inputs, initial states and every parameter.
Prints the median times and the ratios; asserts nothing. Also prints the
largest difference between the CuPy and cuDNN hidden states, as a check that
both compute the same LSTM.

Without CuPy or a CUDA device it says so in one line and exits 0.
`--device standin` runs the harness on the stand-in device (no GPU, no
torch; tiny sizes advised): a check of this script, not a benchmark.
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "reference"
SIZE = (256, 100, 512, 512)   # N, T, D, H
TORCH_GATES = ("i", "f", "c", "o")   # nn.LSTM stacks its gates in this order (c: torch's g)


def main(*, repeats=5, size=SIZE, dtypes=("float32", "float64"), device="cupy"):
    """Print the table (`python -m autograder bench gpu`)."""
    xp, synchronize, name = device_module(device)
    if xp is None:
        print(f"bench-gpu: no GPU to benchmark on ({name}); nothing done")
        return 0
    import numpy as np
    lstm = load_reference_lstm()
    N, T, D, H = size
    print(f"bench-gpu: reference lstm_forward + lstm_backward, N={N} T={T} D={D} H={H}, "
          f"median of {repeats}; device: {name}")
    rows = []
    for dtype in dtypes:
        data = problem(np, N, T, D, H, dtype)
        numpy_ms = median_ms(lambda: reference_pass(lstm, *data), repeats)
        on_device = [move(xp, a) for a in data]
        device_ms = median_ms(lambda: (reference_pass(lstm, *on_device), synchronize()), repeats)
        torch_ms, difference = torch_lstm(lstm, np, xp, data, on_device, repeats,
                                          "cuda" if device == "cupy" else "cpu")
        rows.append((dtype, numpy_ms, device_ms, torch_ms, difference))
    print_table(rows)
    if device == "standin":
        print("(--device standin: the stand-in device in the CuPy column, torch on the CPU in the cuDNN column)")
    return 0


def device_module(which):
    """(array module, synchronize(), description) or (None, None, why not)."""
    if which == "standin":
        from autograder.sandbox.inside.devices import standin
        return standin, lambda: None, "stand-in device (NumPy: a harness check, not a benchmark)"
    try:
        import cupy
        count = cupy.cuda.runtime.getDeviceCount()
    except ImportError:
        return None, None, "CuPy is not installed"
    except Exception as error:  # cupy's CUDARuntimeError and friends
        return None, None, f"no CUDA device: {error}"
    if not count:
        return None, None, "no CUDA device"
    name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    return cupy, cupy.cuda.Device().synchronize, f"CuPy {cupy.__version__} on {name}"


def load_reference_lstm():
    if str(REFERENCE_DIR) not in sys.path:
        sys.path.insert(0, str(REFERENCE_DIR))
    import lstm
    if Path(lstm.__file__).resolve().parent != REFERENCE_DIR:
        raise RuntimeError(f"`lstm` resolves to {lstm.__file__}, not the reference")
    return lstm


def problem(np, N, T, D, H, dtype, seed=0):
    """(X, h0, c0, dH, params) with weights small enough that the gates do not saturate."""
    rng = np.random.default_rng(seed)
    gaussian = lambda *shape, scale=1.0: (scale * rng.standard_normal(shape)).astype(dtype)
    params = {}
    for g in "fico":
        params |= {"W_x" + g: gaussian(D, H, scale=D ** -0.5), "W_h" + g: gaussian(H, H, scale=H ** -0.5),
                   "b_" + g: gaussian(H, scale=0.1)}
    return gaussian(N, T, D), gaussian(N, H, scale=0.5), gaussian(N, H, scale=0.5), gaussian(N, T, H), params


def move(xp, value):
    if isinstance(value, dict):
        return {k: xp.asarray(v) for k, v in value.items()}
    return xp.asarray(value)


def reference_pass(lstm, X, h0, c0, dH, params):
    H, cache = lstm.lstm_forward(X, h0, c0, params)
    lstm.lstm_backward(dH, cache)
    return H


def median_ms(function, repeats):
    function()  # warm-up: CuPy compiles its kernels, BLAS starts its threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def torch_lstm(lstm, np, xp, data, on_device, repeats, device="cuda"):
    """(median ms of nn.LSTM forward + backward with the same weights, max |H_device − H_torch|),
    or (None, reason). On "cuda" nn.LSTM runs cuDNN; "cpu" only checks the harness (--device standin)."""
    try:
        import torch
    except ImportError:
        return None, "torch is not installed"
    if device == "cuda" and not torch.cuda.is_available():
        return None, "torch has no CUDA"
    synchronize = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    X, h0, c0, dH, params = data
    N, T, D = X.shape
    H = h0.shape[1]
    dtype = getattr(torch, str(X.dtype))
    module = torch.nn.LSTM(D, H, batch_first=True, dtype=dtype, device=device)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([params["W_x" + g].T for g in TORCH_GATES])))
        module.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([params["W_h" + g].T for g in TORCH_GATES])))
        module.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([params["b_" + g] for g in TORCH_GATES])))
        module.bias_hh_l0.zero_()
    inputs = [torch.tensor(a, device=device, requires_grad=True) for a in (X, h0, c0)]
    dH_t = torch.from_numpy(dH).to(device)

    def once():
        module.zero_grad(set_to_none=True)
        for tensor in inputs:
            tensor.grad = None
        out, _ = module(inputs[0], (inputs[1][None], inputs[2][None]))
        out.backward(dH_t)
        synchronize()
        return out

    milliseconds = median_ms(once, repeats)
    H_torch = once().detach().cpu().numpy()
    H_cupy = xp.asnumpy(reference_pass(lstm, *on_device))
    return milliseconds, float(np.max(np.abs(H_torch.astype(np.float64) - H_cupy)))


def print_table(rows):
    print(f"{'dtype':8} {'NumPy ms':>10} {'CuPy ms':>10} {'cuDNN ms':>10} {'NumPy/CuPy':>11} {'CuPy/cuDNN':>11}  "
          f"max |H_CuPy - H_cuDNN|")
    for dtype, numpy_ms, device_ms, torch_ms, difference in rows:
        cudnn = f"{torch_ms:10.1f}" if torch_ms else f"{'-':>10}"
        ratio = f"{device_ms / torch_ms:11.2f}" if torch_ms else f"{'-':>11}"
        note = f"{difference:.2e}" if isinstance(difference, float) else (difference or "")
        print(f"{dtype:8} {numpy_ms:10.1f} {device_ms:10.1f} {cudnn} {numpy_ms / device_ms:11.2f} {ratio}  {note}")

