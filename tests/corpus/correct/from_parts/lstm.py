"""LSTM, correct but written the way the course builds it: every function from its parts.

What differs from the reference: the gates call sigmoid and tanh from
activations.py; lstm_step_forward calls the four gate functions, cell_state
and hidden_state; lstm_step_backward takes σ' and tanh' as sigmoid_prime and
tanh_prime of the pre-activations (not S(1 − S)); lstm_forward and
lstm_backward loop over the step functions; the bidirectional and stacked
passes call lstm_forward and lstm_backward.
"""
from activations import array_module, sigmoid, sigmoid_prime, tanh, tanh_prime

GATES = ("f", "i", "c", "o")


def _pre(x, h_prev, params, g):
    """x W_xg + h_prev W_hg + b_g, (N, H)."""
    return x @ params["W_x" + g] + h_prev @ params["W_h" + g] + params["b_" + g]


def forget_gate(x, h_prev, params):
    """F = σ(x W_xf + h_prev W_hf + b_f). x: (N, D); h_prev: (N, H). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "f"))


def input_gate(x, h_prev, params):
    """I = σ(x W_xi + h_prev W_hi + b_i). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "i"))


def input_node(x, h_prev, params):
    """C̃ = tanh(x W_xc + h_prev W_hc + b_c). Returns (N, H)."""
    return tanh(_pre(x, h_prev, params, "c"))


def output_gate(x, h_prev, params):
    """O = σ(x W_xo + h_prev W_ho + b_o). Returns (N, H)."""
    return sigmoid(_pre(x, h_prev, params, "o"))


def cell_state(F, I, C_tilde, c_prev):
    """C = F ⊙ c_prev + I ⊙ C̃, all (N, H)."""
    return F * c_prev + I * C_tilde


def hidden_state(O, c):
    """H = O ⊙ tanh(c), all (N, H)."""
    return O * tanh(c)


def lstm_step_forward(x, h_prev, c_prev, params):
    """x: (N, D); h_prev, c_prev: (N, H). Returns (h, c, cache)."""
    F = forget_gate(x, h_prev, params)
    I = input_gate(x, h_prev, params)
    C_tilde = input_node(x, h_prev, params)
    O = output_gate(x, h_prev, params)
    c = cell_state(F, I, C_tilde, c_prev)
    h = hidden_state(O, c)
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "params": params,
             "F": F, "I": I, "C_tilde": C_tilde, "O": O, "c": c}
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """dh, dc: (N, H). Returns (dx (N, D), dh_prev (N, H), dc_prev (N, H), grads)."""
    x, h_prev, params = cache["x"], cache["h_prev"], cache["params"]
    F, I, C_tilde, O, c = cache["F"], cache["I"], cache["C_tilde"], cache["O"], cache["c"]
    dc_total = dc + dh * O * tanh_prime(c)
    da = {"f": dc_total * cache["c_prev"] * sigmoid_prime(_pre(x, h_prev, params, "f")),
          "i": dc_total * C_tilde * sigmoid_prime(_pre(x, h_prev, params, "i")),
          "c": dc_total * I * tanh_prime(_pre(x, h_prev, params, "c")),
          "o": dh * tanh(c) * sigmoid_prime(_pre(x, h_prev, params, "o"))}
    dx = sum(da[g] @ params["W_x" + g].T for g in GATES)
    dh_prev = sum(da[g] @ params["W_h" + g].T for g in GATES)
    grads = {}
    for g in GATES:
        grads["W_x" + g] = x.T @ da[g]
        grads["W_h" + g] = h_prev.T @ da[g]
        grads["b_" + g] = da[g].sum(axis=0)
    return dx, dh_prev, dc_total * F, grads


def lstm_forward(X, h0, c0, params):
    """X: (N, T, D); h0, c0: (N, H). Returns (H (N, T, H), cache: the step caches)."""
    xp = array_module(X)
    h, c, hs, steps = h0, c0, [], []
    for t in range(X.shape[1]):
        h, c, step = lstm_step_forward(X[:, t], h, c, params)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), steps


def lstm_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0, dc0 (N, H), grads summed over the steps)."""
    xp = array_module(dH)
    dh, dc = xp.zeros_like(dH[:, 0]), xp.zeros_like(dH[:, 0])
    dX, grads = [None] * len(cache), None
    for t in reversed(range(len(cache))):
        dX[t], dh, dc, step_grads = lstm_step_backward(dH[:, t] + dh, dc, cache[t])
        grads = step_grads if grads is None else {k: grads[k] + step_grads[k] for k in grads}
    return xp.stack(dX, axis=1), dh, dc, grads


def _zeros(X, params):
    """Zero states (N, H) for an LSTM with `params` reading X."""
    return array_module(X).zeros((X.shape[0], params["W_hf"].shape[0]), dtype=X.dtype)


def bilstm_forward(X, params_fwd, params_bwd):
    """X: (N, T, D). Returns (H (N, T, H_f + H_b), cache)."""
    xp = array_module(X)
    H_fwd, cache_f = lstm_forward(X, _zeros(X, params_fwd), _zeros(X, params_fwd), params_fwd)
    H_rev, cache_b = lstm_forward(X[:, ::-1], _zeros(X, params_bwd), _zeros(X, params_bwd), params_bwd)
    return xp.concatenate([H_fwd, H_rev[:, ::-1]], axis=2), (cache_f, cache_b, H_fwd.shape[2])


def bilstm_backward(dH, cache):
    """dH: (N, T, H_f + H_b). Returns (dX (N, T, D), grads_fwd, grads_bwd)."""
    cache_f, cache_b, H_f = cache
    dX_f, _, _, grads_fwd = lstm_backward(dH[:, :, :H_f], cache_f)
    dX_rev, _, _, grads_bwd = lstm_backward(dH[:, ::-1, H_f:], cache_b)
    return dX_f + dX_rev[:, ::-1], grads_fwd, grads_bwd


def stacked_lstm_forward(X, layers):
    """X: (N, T, D); layers: a list of params. Returns (the top layer's H, cache)."""
    H, caches = X, []
    for params in layers:
        H, layer_cache = lstm_forward(H, _zeros(X, params), _zeros(X, params), params)
        caches.append(layer_cache)
    return H, caches


def stacked_lstm_backward(dH, cache):
    """dH: (N, T, H_top). Returns (dX (N, T, D), grads per layer, bottom first)."""
    grads = [None] * len(cache)
    for layer in reversed(range(len(cache))):
        dH, _, _, grads[layer] = lstm_backward(dH, cache[layer])
    return dH, grads
