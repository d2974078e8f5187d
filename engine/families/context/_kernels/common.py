"""Leaf kernels shared by the context and one-pass E-steps (``EPS`` and the dot product Σ_k φ_wk θ_k
are the EM kernels' own, :mod:`engine.em._kernels.estep`)."""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels.estep import EPS, _dot  # noqa: F401 - the EM kernels' leaves, shared


@njit(cache=True, nogil=True)
def _bag_theta(a, b, indices, data, tok_weight, p_tw, off, th):
    """θ_d = norm_t Σ_w τ n_dw p(t|w) over CSR rows a..b (TARTM), p(t|w) = p_tw[w, off:off+T];
    returns False if empty."""
    T = th.shape[0]
    for k in range(T):
        th[k] = 0.0
    for j in range(a, b):
        w = indices[j]
        x = data[j] * tok_weight[w]
        if x > 0.0:
            for k in range(T):
                th[k] += x * p_tw[w, off + k]
    s = np.float32(0.0)
    for k in range(T):
        s += th[k]
    if not s > 0.0:
        return False
    inv = np.float32(1.0) / s
    for k in range(T):
        th[k] *= inv
    return True
