"""M-step kernels: Φ = norm(max(n_wt + r_wt, 0)) within modalities, and the in-place Φ regularizer terms."""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels.estep import EPS


@njit(cache=True, nogil=True)
def mstep(x, tok_mod, n_mod, phi_out, n_t_out):
    """φ_wt = max(x_wt, 0) / Σ_{w'∈m(w)} max(x_w't, 0) within each modality m.

    Parameters
    ----------
    x : ndarray (W, T), float32
        n_wt + r_wt.
    tok_mod : ndarray (W,), int32
    n_mod : int
    phi_out : ndarray (W, T), float32
        Receives Φ; a column whose modality sum is ≤ 0 stays zero (dead topic), values
        below 1e-16 become 0 (BigARTM ``FindPwt``).
    n_t_out : ndarray (n_mod, T), float64
        Receives the normalizers Σ_w max(x_wt, 0) per modality.
    """
    W, T = x.shape
    n_t_out[:, :] = 0.0
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = x[w, k]
            if v > 0.0:
                n_t_out[m, k] += v
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = x[w, k]
            nt = n_t_out[m, k]
            if v > 0.0 and nt > 0.0:
                r = np.float32(v / nt)
                phi_out[w, k] = r if r >= EPS else np.float32(0.0)
            else:
                phi_out[w, k] = 0.0


@njit(cache=True, nogil=True)
def mstep_reg(n_wt, r_wt, clip, tok_mod, n_mod, phi_out, n_t_out):
    """:func:`mstep` of x = n_wt + r_wt, the guards folded in (no W×T temporaries).

    x_wt = n_wt + r_wt summed in float64; NaN becomes 0 and x is clipped to [−clip, clip]
    before it is rounded to float32, then φ_wt = max(x_wt, 0) / Σ_{w'∈m(w)} max(x_w't, 0)
    within each modality m, exactly as :func:`mstep` (values below 1e-16 → 0; a topic whose
    modality sum is ≤ 0 gets a zero column).

    Parameters
    ----------
    n_wt : ndarray (W, T), float32
    r_wt : ndarray (W, T), float64
        Σ_i r_wt of the Φ regularizers (τ applied).
    clip : float
        Bound of |x_wt| (keeps float32 finite for any τ).
    tok_mod : ndarray (W,), int32
    n_mod : int
    phi_out : ndarray (W, T), float32
    n_t_out : ndarray (n_mod, T), float64
        Receives Σ_w max(x_wt, 0) per modality.
    """
    W, T = n_wt.shape
    n_t_out[:, :] = 0.0
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = _guarded(n_wt[w, k], r_wt[w, k], clip)
            if v > 0.0:
                n_t_out[m, k] += v
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = _guarded(n_wt[w, k], r_wt[w, k], clip)
            nt = n_t_out[m, k]
            if v > 0.0 and nt > 0.0:
                r = np.float32(v / nt)
                phi_out[w, k] = r if r >= EPS else np.float32(0.0)
            else:
                phi_out[w, k] = 0.0


@njit(cache=True, nogil=True)
def _guarded(n, r, clip):
    """float32(clip(nan→0(n + r))) as a float32 value (the old NumPy guard chain)."""
    v = np.float64(n) + r
    if v != v:
        v = 0.0
    elif v > clip:
        v = clip
    elif v < -clip:
        v = -clip
    return np.float32(v)


@njit(cache=True, nogil=True)
def add_outer(out, rows, cols, tau):
    """out_wt += τ (rows_w cols_t) for cols_t ≠ 0 and rows_w ≠ 0 (SmoothSparsePhi's term).

    out : ndarray (W, T), float64; rows : (W,), float64; cols : (T,), float64; tau : float.
    """
    W, T = out.shape
    for w in range(W):
        rw = rows[w]
        if rw == 0.0:
            continue
        for k in range(T):
            if cols[k] != 0.0:
                out[w, k] += tau * (rw * cols[k])


@njit(cache=True, nogil=True)
def add_decorrelation(out, phi, cols, rows, tau):
    """out_wt += −τ φ_wt (Σ_{s∈S} φ_ws − φ_wt) for t ∈ S, w with rows_w (Decorrelator).

    out : ndarray (W, T), float64; phi : (W, T), float32 (Φ of this pass, before the M-step);
    cols : (T,), bool — the topic set S; rows : (W,), bool — tokens of the regularized
    modalities; tau : float.
    """
    W, T = phi.shape
    for w in range(W):
        if not rows[w]:
            continue
        s = 0.0
        for k in range(T):
            if cols[k]:
                s += np.float64(phi[w, k])
        for k in range(T):
            if cols[k]:
                p = np.float64(phi[w, k])
                out[w, k] += ((-tau) * p) * (s - p)
