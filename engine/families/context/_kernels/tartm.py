"""The correction term of the full TARTM E-step (the seed's "EM-алгоритм для ARTM с линейной
тематизацией документов"; Irkhin, Bulatov, Vorontsov 2020).

With θ_td(Φ) = Σ_w (x_dw / n_d) φ'_tw, φ'_tw = norm_t(φ_wt n_t), x_dw = τ_m n_dw,
n_d = Σ_w x_dw, the M-step uses p'_tdw = p_tdw + (φ'_tw / n_d)(a_td − Σ_s φ'_sw a_sd) with
a_td = n_td / θ_td = Σ_w x_dw φ_wt / z_dw, z_dw = Σ_t φ_wt θ_td (no Θ regularizers). Summed over
documents, the correction of n_wt is

    E_wt = Σ_d x_dw (p'_tdw − p_tdw) = φ'_tw (G_wt − Σ_s φ'_sw G_ws),  G_wt = Σ_d (x_dw / n_d) a_td,

so Σ_t E_wt = 0 for every w. :func:`tartm_gradient` accumulates G over documents [d0, d1).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.families.context._kernels.common import EPS


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def tartm_gradient(d0, d1, indptr, indices, data, tok_weight, phi, p_tw, theta, G):
    """G[w, t] += Σ_d (x_dw / n_d) a_td over documents [d0, d1) (see the module docstring).

    ``phi``, ``p_tw`` (W, T) float32; ``theta`` (D, T) float32, the one-pass θ of this pass;
    ``G`` (W, T) float32, accumulated. n_d = Σ_w x_dw Σ_t p_tw[w, t] (the one-pass kernel's
    normalizer). Tokens with z_dw < EPS are skipped (as in the E-step).
    """
    W, T = phi.shape
    a = np.empty(T, dtype=np.float32)
    for d in range(d0, d1):
        lo, hi = indptr[d], indptr[d + 1]
        n_d = np.float32(0.0)
        for k in range(T):
            a[k] = 0.0
        th = theta[d]
        for j in range(lo, hi):
            w = indices[j]
            x = data[j] * tok_weight[w]
            if x <= 0.0:
                continue
            s = np.float32(0.0)
            z = np.float32(0.0)
            for k in range(T):
                s += p_tw[w, k]
                z += phi[w, k] * th[k]
            n_d += x * s
            if z < EPS:
                continue
            inv = x / z
            for k in range(T):
                a[k] += phi[w, k] * inv
        if not n_d > 0.0:
            continue
        inv_n = np.float32(1.0) / n_d
        for j in range(lo, hi):
            w = indices[j]
            x = data[j] * tok_weight[w]
            if x <= 0.0:
                continue
            c = x * inv_n
            for k in range(T):
                G[w, k] += c * a[k]


def tartm_correction(G: np.ndarray, p_tw: np.ndarray) -> np.ndarray:
    """E (W, T) float32 = φ' ⊙ (G − Σ_s φ'_s· G_·s) from the accumulated G."""
    g = np.asarray(G, np.float64)
    q = np.asarray(p_tw, np.float64)
    return (q * (g - (q * g).sum(axis=1, keepdims=True))).astype(np.float32)
