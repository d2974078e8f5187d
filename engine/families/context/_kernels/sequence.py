"""Sequence kernels: accumulation of token topics into n_wt, reduction of chunk buffers, two-sided moving averages, sequence smoothing, boundary scores."""
from __future__ import annotations

import numpy as np
from numba import njit


def stack_phi(phi, p_tw):
    """[φ | p(t|w)] as one (W, 2T) float32 array (the ``pp`` argument of :func:`context_chunk`)."""
    return np.ascontiguousarray(np.concatenate([phi, p_tw], axis=1), dtype=np.float32)


@njit(cache=True, nogil=True)
def accumulate_positions(seq, s0, s1, P, tok_weight, nwt):
    """nwt[w_i] += τ_{w_i} P[i − s0] for positions i in [s0, s1) (direct counts)."""
    T = P.shape[1]
    for i in range(s0, s1):
        w = seq[i]
        x = tok_weight[w]
        if x == 0.0:
            continue
        for k in range(T):
            nwt[w, k] += x * P[i - s0, k]


@njit(cache=True, nogil=True)
def reduce_chunks(w0, w1, bufs, phi, direct, n_wt):
    """n_wt[w] = Σ_c bufs[c, w], times φ_w when not ``direct`` (raw counts), rows [w0, w1)."""
    C = bufs.shape[0]
    T = n_wt.shape[1]
    for w in range(w0, w1):
        for k in range(T):
            s = bufs[0, w, k]
            for c in range(1, C):
                s += bufs[c, w, k]
            n_wt[w, k] = s if direct else phi[w, k] * s


@njit(cache=True, nogil=True)
def ema_two_sided(Q, ptr, gamma, L, R):
    """Left and right EMAs of the rows of Q (N, T) within each document of ``ptr``, constant
    γ (γ = 1 at each document start/end). L[i], R[i] include position i itself."""
    D = ptr.shape[0] - 1
    T = Q.shape[1]
    h = np.float32(1.0) - gamma
    for d in range(D):
        a, b = ptr[d], ptr[d + 1]
        for i in range(a, b):
            if i == a:
                for k in range(T):
                    L[i, k] = Q[i, k]
            else:
                for k in range(T):
                    L[i, k] = gamma * Q[i, k] + h * L[i - 1, k]
        for i in range(b - 1, a - 1, -1):
            if i == b - 1:
                for k in range(T):
                    R[i, k] = Q[i, k]
            else:
                for k in range(T):
                    R[i, k] = gamma * Q[i, k] + h * R[i + 1, k]


@njit(cache=True, nogil=True)
def smooth_sequence(P, ptr, gamma, tau):
    """E-step smoothing along the sequence, in place:
    p̃_i = norm_t((1 − τ) p_i + τ c_i), c_i = ½(L_{i−1} + R_{i+1}) — the two-sided EMA
    (γ) of the *neighbours* of i (one side only at a document edge; p_i itself when the
    document has one position). P : (N, T) float32, ptr : (D+1,) positions of each document.
    """
    D = ptr.shape[0] - 1
    T = P.shape[1]
    h = np.float32(1.0) - gamma
    for d in range(D):
        a, b = ptr[d], ptr[d + 1]
        n = b - a
        if n < 2:
            continue
        L = np.empty((n, T), dtype=np.float32)
        R = np.empty((n, T), dtype=np.float32)
        for k in range(T):
            L[0, k] = P[a, k]
            R[n - 1, k] = P[b - 1, k]
        for i in range(1, n):
            for k in range(T):
                L[i, k] = gamma * P[a + i, k] + h * L[i - 1, k]
        for i in range(n - 2, -1, -1):
            for k in range(T):
                R[i, k] = gamma * P[a + i, k] + h * R[i + 1, k]
        for i in range(n):
            s = np.float32(0.0)
            for k in range(T):
                if i == 0:
                    c = R[1, k]
                elif i == n - 1:
                    c = L[n - 2, k]
                else:
                    c = np.float32(0.5) * (L[i - 1, k] + R[i + 1, k])
                v = (np.float32(1.0) - tau) * P[a + i, k] + tau * c
                v = v if v > 0.0 else np.float32(0.0)
                P[a + i, k] = v
                s += v
            # L and R were built from the original rows before any row was overwritten
            inv = np.float32(1.0) / s if s > 0.0 else np.float32(0.0)
            for k in range(T):
                P[a + i, k] *= inv


@njit(cache=True, nogil=True)
def boundary_scores(Q, gamma, out):
    """Boundary score before every position of one document:
    out[i] = ½ Σ_t |L_{i−1,t} − R_{i,t}| (total variation between the left context ending at
    i−1 and the right context starting at i), out[0] = 0. Q : (n, T) float32 token topics."""
    n, T = Q.shape
    out[:] = 0.0
    if n < 2:
        return
    L = np.empty((n, T), dtype=np.float32)
    R = np.empty((n, T), dtype=np.float32)
    h = np.float32(1.0) - gamma
    for k in range(T):
        L[0, k] = Q[0, k]
        R[n - 1, k] = Q[n - 1, k]
    for i in range(1, n):
        for k in range(T):
            L[i, k] = gamma * Q[i, k] + h * L[i - 1, k]
    for i in range(n - 2, -1, -1):
        for k in range(T):
            R[i, k] = gamma * Q[i, k] + h * R[i + 1, k]
    for i in range(1, n):
        s = 0.0
        for k in range(T):
            s += abs(L[i - 1, k] - R[i, k])
        out[i] = 0.5 * s
