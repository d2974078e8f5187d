"""One-pass kernels of the default scores: each reads Φ (or Θ) once, with no W × T temporaries.

The scores run after every pass; numpy's formulations (``phi[:, idx] < eps``, ``np.where(kern, …)``,
``einsum``) allocate several W × T (or D × T) arrays and cost as much as a large part of the
E-step (issue 14). These kernels give the same numbers (same float32 p(t|w), float64 sums).
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def count_small(a, tok_mod, eps, out):
    """out[m, t] += |{rows r of modality m : a[r, t] < eps}|.

    a : (R, T) float32 (Φ with ``tok_mod`` the rows' modality codes, or Θ (D, T) with all codes 0);
    tok_mod : (R,) int32; out : (M, T) int64, zeroed by the caller.
    """
    R, T = a.shape
    for r in range(R):
        m = tok_mod[r]
        for k in range(T):
            if a[r, k] < eps:
                out[m, k] += 1


@njit(cache=True, nogil=True)
def kernel_sums(phi, rows, n_t, threshold, size, purity, contrast):
    """Topic kernels over the Φ rows ``rows`` in one pass (:func:`engine.em.topics.kernel_stats`):
    p(t|w) = float32(φ_wt n_t / Σ_s φ_ws n_s) (as :func:`p_t_given_w`); for p(t|w) > δ:
    size[t] += 1, purity[t] += φ_wt, contrast[t] += p(t|w).

    phi : (W, T) float32; rows : (W',) int64; n_t : (T,) float64; size (T,) int64,
    purity, contrast (T,) float64, zeroed by the caller (contrast is the sum, not the mean).
    """
    T = phi.shape[1]
    for i in range(rows.shape[0]):
        w = rows[i]
        s = 0.0
        for k in range(T):
            s += phi[w, k] * n_t[k]
        if s <= 0.0:
            continue
        inv = 1.0 / s
        for k in range(T):
            p = np.float32(phi[w, k] * n_t[k] * inv)
            if p > threshold:
                size[k] += 1
                purity[k] += phi[w, k]
                contrast[k] += p


@njit(cache=True, nogil=True)
def sqrt_gram(r, out):
    """out[a, b] = Σ_w r_wa r_wb (the Bhattacharyya coefficients of Hellinger distances), skipping
    zero entries: cost Σ_w (nonzeros of row w)², not W·T².

    r : (W, T) float64 (√ of normalized Φ columns); out : (T, T) float64, zeroed by the caller.
    """
    W, T = r.shape
    nz = np.empty(T, np.int64)
    for w in range(W):
        k = 0
        for t in range(T):
            if r[w, t] != 0.0:
                nz[k] = t
                k += 1
        for i in range(k):
            a = nz[i]
            x = r[w, a]
            for j in range(i, k):
                b = nz[j]
                out[a, b] += x * r[w, b]
    for a in range(T):
        for b in range(a + 1, T):
            out[b, a] = out[a, b]
