"""LSTM, correct but written differently: einsum everywhere, one gate at a time.

What differs from the reference: the weights are never stacked; every gate
has its own einsum products ("nd,dh->nh", "nk,kh->nh") and its own
gradients; the step is built from the contract's gate functions; caches are
instances of small classes; the sequence backward keeps one list of
pre-activation gradients per gate and reduces over n and t with einsum at
the end; the BiLSTM reverses time with an index array.
"""
from activations import array_module, sigmoid, tanh

GATES = ("f", "i", "c", "o")


def _pre(x, h_prev, params, g):
    """x W_xg + h_prev W_hg + b_g, (N, H)."""
    xp = array_module(x)
    return (xp.einsum("nd,dh->nh", x, params["W_x" + g])
            + xp.einsum("nk,kh->nh", h_prev, params["W_h" + g]) + params["b_" + g])


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "f"))


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "i"))


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return tanh(_pre(x, h_prev, params, "c"))


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "o"))


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃, all (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


class StepCache:
    """One step's inputs and gate values, all (N, ·), and params."""

    def __init__(self, x, h_prev, c_prev, F, I, C_tilde, O, c, params):
        self.x, self.h_prev, self.c_prev = x, h_prev, c_prev
        self.F, self.I, self.C_tilde, self.O = F, I, C_tilde, O
        self.tanh_c = tanh(c)
        self.params = params


class SequenceCache:
    """The step caches of one sequence, in time order."""

    def __init__(self, steps):
        self.steps = steps


def _forward(x, h_prev, c_prev, params):
    F = forget_gate(x, h_prev, params)
    I = input_gate(x, h_prev, params)
    C_tilde = input_node(x, h_prev, params)
    O = output_gate(x, h_prev, params)
    c = cell_state(F, I, C_tilde, c_prev)
    return hidden_state(O, c), c, StepCache(x, h_prev, c_prev, F, I, C_tilde, O, c, params)


def _gate_grads(dh, dc, s):
    """Pre-activation gradients {g: da_g} and dc_prev for one step."""
    dc = dc + dh * s.O * (1 - s.tanh_c * s.tanh_c)
    da = {
        "f": dc * s.c_prev * s.F * (1 - s.F),
        "i": dc * s.C_tilde * s.I * (1 - s.I),
        "c": dc * s.I * (1 - s.C_tilde * s.C_tilde),
        "o": dh * s.tanh_c * s.O * (1 - s.O),
    }
    return da, dc * s.F


def _through_weights(da, params, xp):
    """(dx, dh_prev) from the gates' pre-activation gradients."""
    dx = sum(xp.einsum("nh,dh->nd", da[g], params["W_x" + g]) for g in GATES)
    dh_prev = sum(xp.einsum("nh,kh->nk", da[g], params["W_h" + g]) for g in GATES)
    return dx, dh_prev


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    return _forward(x, h_prev, c_prev, params)


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx, dh_prev, dc_prev, grads)."""
    xp = array_module(dh)
    da, dc_prev = _gate_grads(dh, dc, cache)
    dx, dh_prev = _through_weights(da, cache.params, xp)
    grads = {}
    for g in GATES:
        grads["W_x" + g] = xp.einsum("nd,nh->dh", cache.x, da[g])
        grads["W_h" + g] = xp.einsum("nk,nh->kh", cache.h_prev, da[g])
        grads["b_" + g] = xp.einsum("nh->h", da[g])
    return dx, dh_prev, dc_prev, grads


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    h, c, hs, steps = h0, c0, [], []
    for t in range(X.shape[1]):
        h, c, step = _forward(X[:, t], h, c, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), SequenceCache(steps)


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    steps = cache.steps
    params = steps[0].params
    T = len(steps)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    dX, das = [None] * T, [None] * T
    for t in range(T - 1, -1, -1):
        das[t], dc = _gate_grads(dH[:, t] + dh, dc, steps[t])
        dX[t], dh = _through_weights(das[t], params, xp)
    X = xp.stack([s.x for s in steps], axis=1)
    H_prev = xp.stack([s.h_prev for s in steps], axis=1)
    grads = {}
    for g in GATES:
        dA = xp.stack([da[g] for da in das], axis=1)
        grads["W_x" + g] = xp.einsum("ntd,nth->dh", X, dA)
        grads["W_h" + g] = xp.einsum("ntk,nth->kh", H_prev, dA)
        grads["b_" + g] = xp.einsum("nth->h", dA)
    return xp.stack(dX, axis=1), dh, dc, grads


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    N, T, _ = X.shape
    rev = xp.arange(T - 1, -1, -1)
    H_f, H_b = params_fwd["W_hf"].shape[1], params_bwd["W_hf"].shape[1]
    z_f, z_b = xp.zeros((N, H_f), dtype=X.dtype), xp.zeros((N, H_b), dtype=X.dtype)
    H_fwd, cache_f = lstm_forward(X, z_f, z_f, params_fwd)
    H_bwd, cache_b = lstm_forward(X[:, rev], z_b, z_b, params_bwd)
    return xp.concatenate([H_fwd, H_bwd[:, rev]], axis=2), (cache_f, cache_b, H_f)


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    xp = array_module(dH)
    cache_f, cache_b, H_f = cache
    rev = xp.arange(dH.shape[1] - 1, -1, -1)
    dX_f, _, _, grads_fwd = lstm_backward(dH[:, :, :H_f], cache_f)
    dX_b, _, _, grads_bwd = lstm_backward(dH[:, rev, H_f:], cache_b)
    return dX_f + dX_b[:, rev], grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: list of params. Returns (top layer's H, cache)."""
    xp = array_module(X)
    caches = []
    for params in layers:
        z = xp.zeros((X.shape[0], params["W_hf"].shape[1]), dtype=X.dtype)
        X, layer_cache = lstm_forward(X, z, z, params)
        caches.append(layer_cache)
    return X, caches


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = []
    for layer_cache in cache[::-1]:
        dH, _, _, layer_grads = lstm_backward(dH, layer_cache)
        grads.insert(0, layer_grads)
    return dH, grads
