"""The one-pass (TARTM) E-step over bags of words."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.families.context._kernels.common import EPS, _bag_theta, _dot


@njit(cache=True, nogil=True)
def one_pass_chunk(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, p_tw, nwt, direct,
                   theta_out, ptr, seq, P, loglik, n_tok, n_zero):
    """One-pass (TARTM) E-step over documents [d0, d1) of the bag n_dw.

    θ_d = norm_t Σ_w τ n_dw p(t|w); p_tdw = norm_t(φ_wt θ_td); n_wt += τ n_dw p_tdw (raw: τ n_dw
    θ_td / z, z = Σ_t φ_wt θ_td); loglik += n_dw ln z. No inner iterations, no Θ from the
    previous pass.

    When ``P`` has rows, bag tokens of the sequence modality (that of ``seq``) are **not**
    accumulated; instead P[ptr[d] − ptr[d0] + i] = norm_t(φ_{w_i t} θ_td) for every position i
    (for post-processing and :func:`accumulate_positions`). Shapes as in :func:`context_chunk`.
    """
    W, T = phi.shape
    th = np.empty(T, dtype=np.float32)
    write_p = P.shape[0] > 0
    seq_mod = -1
    if write_p and seq.shape[0] > 0:
        seq_mod = tok_mod[seq[0]]
    base = ptr[d0] if write_p else 0
    for d in range(d0, d1):
        a, b = indptr[d], indptr[d + 1]
        if not _bag_theta(a, b, indices, data, tok_weight, p_tw, 0, th):
            for k in range(T):
                theta_out[d, k] = 0.0
            continue
        for j in range(a, b):
            w = indices[j]
            cnt = data[j]
            x = cnt * tok_weight[w]
            if x == 0.0:
                continue
            m = tok_mod[w]
            n_tok[m] += cnt
            z = _dot(phi, w, th, T)
            if z < EPS:
                n_zero[m] += 1.0
                continue
            loglik[m] += cnt * math.log(z)
            if write_p and m == seq_mod:
                continue
            inv = x / z
            if direct:
                for k in range(T):
                    nwt[w, k] += phi[w, k] * th[k] * inv
            else:
                for k in range(T):
                    nwt[w, k] += th[k] * inv
        if write_p:
            for i in range(ptr[d], ptr[d + 1]):
                w = seq[i]
                z = _dot(phi, w, th, T)
                inv = np.float32(1.0) / z if z > EPS else np.float32(0.0)
                for k in range(T):
                    P[i - base, k] = phi[w, k] * th[k] * inv
        for k in range(T):
            theta_out[d, k] = th[k]
