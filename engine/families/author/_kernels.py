"""numba kernel of the three-matrix (author–topic) E-step.

p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd = Σ_t φ_wt m_td with m_td = Σ_c ψ_tc θ_cd. With
p(t, c | d, w) = φ_wt ψ_tc θ_cd / p(w|d) the expected counts are

    n_wt = Σ_d n_dw φ_wt m_td / p_dw            (phase 2: engine.em._kernels.nwt_tokens with Θ := M)
    n_tc = Σ_d θ_cd ψ_tc g_dt,   n_cd = θ_cd Σ_t ψ_tc g_dt,   g_dt = Σ_w n_dw φ_wt / p_dw,

so one pass over the tokens gives g (D, T) and the ratios n_dw / p_dw; the (t, c) pairs never
need to be enumerated per token (a document's authors enter only through m_d).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels import EPS, _dot


@njit(cache=True, nogil=True)
def author_estep(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, m, ratio, g,
                 loglik, n_tok):
    """Documents [d0, d1): ratio (nnz,) = τ n_dw / p_dw, g (D, T) = Σ_w τ n_dw φ_wt / p_dw,
    loglik/n_tok (M,) = Σ n_dw ln p_dw and Σ n_dw per modality (overwritten).

    ``m`` (D, T) float32: the documents' topic mixtures Σ_c ψ_tc θ_cd (0 rows = no author).
    A token with p_dw < 1e-16 contributes ratio 0 and is left out of the log-likelihood.
    """
    W, T = phi.shape
    loglik[:] = 0.0
    n_tok[:] = 0.0
    for d in range(d0, d1):
        for k in range(T):
            g[d, k] = 0.0
        for i in range(indptr[d], indptr[d + 1]):
            w = indices[i]
            nw = data[i] * tok_weight[w]
            ratio[i] = 0.0
            if nw == 0.0:
                continue
            p = _dot(phi, w, m[d], T)
            if p < EPS:
                continue
            r = nw / p
            ratio[i] = r
            for k in range(T):
                g[d, k] += r * phi[w, k]
            mod = tok_mod[w]
            loglik[mod] += data[i] * np.log(np.float64(p))
            n_tok[mod] += data[i]
