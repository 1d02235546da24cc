"""GRU, correct but written differently: the two gates in one fused matmul.

What differs from the reference: R and Z come from one product of the joined
row [x | h_prev] (N, D + H) with the (D + H, 2H) block matrix
[[W_xz W_xr], [W_hz W_hr]] (update gate first); the candidate is a separate
matmul; caches are dicts; the sequence backward accumulates the fused
gradient and splits it into params' keys once at the end.
"""
from activations import array_module, sigmoid, tanh


def _fuse(params):
    """(W_zr (D + H, 2H), b_zr (2H,)) for the update and reset gates, Z first."""
    xp = array_module(params["W_xz"])
    W_x = xp.concatenate([params["W_xz"], params["W_xr"]], axis=1)
    W_h = xp.concatenate([params["W_hz"], params["W_hr"]], axis=1)
    return (xp.concatenate([W_x, W_h], axis=0),
            xp.concatenate([params["b_z"], params["b_r"]]))


def _step(x, h_prev, params, W_zr, b_zr):
    """One step. Returns (h, cache dict)."""
    xp = array_module(x)
    H = h_prev.shape[1]
    xh = xp.concatenate([x, h_prev], axis=1)
    gates = sigmoid(xh @ W_zr + b_zr)
    Z, R = gates[:, :H], gates[:, H:]
    H_tilde = tanh(x @ params["W_xh"] + (R * h_prev) @ params["W_hh"] + params["b_h"])
    h = Z * h_prev + (1 - Z) * H_tilde
    return h, {"x": x, "h_prev": h_prev, "xh": xh, "Z": Z, "R": R, "H_tilde": H_tilde}


def _step_back(dh, cache, params, W_zr):
    """Backward through _step. Returns (dx, dh_prev, da_zr (N, 2H), da_h (N, H))."""
    xp = array_module(dh)
    x, h_prev, Z, R, H_tilde = (cache[k] for k in ("x", "h_prev", "Z", "R", "H_tilde"))
    D = x.shape[1]
    da_h = dh * (1 - Z) * (1 - H_tilde ** 2)
    d_rh = da_h @ params["W_hh"].T          # gradient at R ⊙ h_prev
    da_zr = xp.concatenate([dh * (h_prev - H_tilde) * Z * (1 - Z),
                            d_rh * h_prev * R * (1 - R)], axis=1)
    dxh = da_zr @ W_zr.T
    dx = dxh[:, :D] + da_h @ params["W_xh"].T
    dh_prev = dxh[:, D:] + dh * Z + d_rh * R
    return dx, dh_prev, da_zr, da_h


def _grads(dW_zr, db_zr, x_flat, rh_flat, da_h_flat, D):
    """Params-shaped gradients from the fused gate gradients and the candidate's."""
    H = db_zr.shape[0] // 2
    return {
        "W_xz": dW_zr[:D, :H], "W_hz": dW_zr[D:, :H], "b_z": db_zr[:H],
        "W_xr": dW_zr[:D, H:], "W_hr": dW_zr[D:, H:], "b_r": db_zr[H:],
        "W_xh": x_flat.T @ da_h_flat, "W_hh": rh_flat.T @ da_h_flat, "b_h": da_h_flat.sum(axis=0),
    }


def gru_step_forward(x, h_prev, params):
    """x: (N, D); h_prev: (N, H). Returns (h (N, H), cache)."""
    h, cache = _step(x, h_prev, params, *_fuse(params))
    cache["params"] = params
    return h, cache


def gru_step_backward(dh, cache):
    """dh: (N, H). Returns (dx (N, D), dh_prev (N, H), grads)."""
    params = cache["params"]
    W_zr, _ = _fuse(params)
    dx, dh_prev, da_zr, da_h = _step_back(dh, cache, params, W_zr)
    grads = _grads(cache["xh"].T @ da_zr, da_zr.sum(axis=0), cache["x"],
                   cache["R"] * cache["h_prev"], da_h, cache["x"].shape[1])
    return dx, dh_prev, grads


def gru_forward(X, h0, params):
    """X: (N, T, D); h0: (N, H). Returns (H (N, T, H), cache)."""
    xp = array_module(X)
    W_zr, b_zr = _fuse(params)
    h, hs, steps = h0, [], []
    for t in range(X.shape[1]):
        h, step = _step(X[:, t], h, params, W_zr, b_zr)
        hs.append(h)
        steps.append(step)
    return xp.stack(hs, axis=1), {"steps": steps, "params": params}


def gru_backward(dH, cache):
    """dH: (N, T, H). Returns (dX (N, T, D), dh0 (N, H), grads summed over time)."""
    xp = array_module(dH)
    params, steps = cache["params"], cache["steps"]
    W_zr, b_zr = _fuse(params)
    dW_zr, db_zr = xp.zeros_like(W_zr), xp.zeros_like(b_zr)
    dh = xp.zeros_like(dH[:, 0])
    dX, da_hs = [None] * len(steps), [None] * len(steps)
    for t in reversed(range(len(steps))):
        dX[t], dh, da_zr, da_hs[t] = _step_back(dH[:, t] + dh, steps[t], params, W_zr)
        dW_zr = dW_zr + steps[t]["xh"].T @ da_zr
        db_zr = db_zr + da_zr.sum(axis=0)
    x_flat = xp.concatenate([s["x"] for s in steps], axis=0)
    rh_flat = xp.concatenate([s["R"] * s["h_prev"] for s in steps], axis=0)
    grads = _grads(dW_zr, db_zr, x_flat, rh_flat, xp.concatenate(da_hs, axis=0),
                   steps[0]["x"].shape[1])
    return xp.stack(dX, axis=1), dh, grads
