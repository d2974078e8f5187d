"""The context-ARTM E-step over token sequences (left/right moving averages)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.families.context._kernels.common import EPS, _bag_theta, _dot


@njit(cache=True, nogil=True)
def _gammas(seq, a, n, gamma_w, gl, gr):
    """Per-position γ of the left (gl) and right (gr) averages of one document: γ_{w_i}, with
    γ = 1 at the first position of positive γ seen from each end (the context starts there)."""
    started = False
    for i in range(n):
        g = gamma_w[seq[a + i]]
        if g > 0.0 and not started:
            g = np.float32(1.0)
            started = True
        gl[i] = g
    started = False
    for i in range(n - 1, -1, -1):
        g = gamma_w[seq[a + i]]
        if g > 0.0 and not started:
            g = np.float32(1.0)
            started = True
        gr[i] = g


# The leaves below allow reassociation/FMA only (as engine.em._kernels._dot): the z reductions
# vectorize; no nnan/ninf/arcp, so zero guards and NaN semantics stay exact.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _right_pass(first, pp, q, seq, a, n, gr, R):
    """R[i] = γ_i q_i + (1 − γ_i) R[i+1] for i = n−1 … 0 with R[n] = 0; q_i = p(t|w_i) =
    pp[w_i, T:] on the ``first`` pass, else q[i]. Positions before the context starts (γ = 0)
    keep 0."""
    T = R.shape[1]
    for k in range(T):
        R[n, k] = 0.0
    for i in range(n - 1, -1, -1):
        g = gr[i]
        h = np.float32(1.0) - g
        if first:
            w = seq[a + i]
            for k in range(T):
                R[i, k] = g * pp[w, T + k] + h * R[i + 1, k]
        else:
            for k in range(T):
                R[i, k] = g * q[i, k] + h * R[i + 1, k]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _forward_pass(first, kind, include_self, pp, q, seq, a, n, gl, beta, R, L, th, zbuf, P, p0,
                  tok_weight, nwt, acc):
    """Left average, two-sided context and p_ti for every position of one document.

    L_i = γ_i q_i + (1 − γ_i) L_{i−1} (0 before the context starts). The context of position i
    is its neighbours, θ_ti = β L_{i−1} + (1 − β) R_{i+1} (the token's own q_i when it has no
    counted neighbour), or with ``include_self`` the seed's literal θ_ti = β L_i + (1 − β) R_i.
    z_i = Σ_t φ_{w_i t} θ_ti / Σ_t θ_ti = p(w_i | C_i) → zbuf[i] (φ = pp[:, :T],
    p(t|w) = pp[:, T:]); p_ti = norm_t(φ_{w_i t} θ_ti). Then by ``kind``: 0 → q[i] = p_ti (the
    next pass reads it; q[i] is read before it is overwritten), 1 → P[p0 + i] = p_ti, 2 → raw
    accumulation nwt[w_i] += τ θ_i / Σ_t φθ and acc += τ p_ti, 3 → direct nwt[w_i] += τ p_ti,
    acc += τ p_ti.
    """
    T = th.shape[0]
    b1 = np.float32(1.0) - beta
    for k in range(T):
        L[k] = 0.0
    for i in range(n):
        w = seq[a + i]
        g = gl[i]
        h = np.float32(1.0) - g
        z = np.float32(0.0)
        s = np.float32(0.0)
        if include_self:
            if first:
                for k in range(T):
                    lv = g * pp[w, T + k] + h * L[k]
                    L[k] = lv
                    t = beta * lv + b1 * R[i, k]
                    th[k] = t
                    s += t
                    z += pp[w, k] * t
            else:
                for k in range(T):
                    lv = g * q[i, k] + h * L[k]
                    L[k] = lv
                    t = beta * lv + b1 * R[i, k]
                    th[k] = t
                    s += t
                    z += pp[w, k] * t
        else:
            for k in range(T):
                t = beta * L[k] + b1 * R[i + 1, k]
                th[k] = t
                s += t
                z += pp[w, k] * t
            if first:
                for k in range(T):
                    L[k] = g * pp[w, T + k] + h * L[k]
            else:
                for k in range(T):
                    L[k] = g * q[i, k] + h * L[k]
            if not s > 0.0:  # no counted neighbour: the token's own topic vector
                for k in range(T):
                    t = pp[w, T + k] if first else q[i, k]
                    th[k] = t
                    s += t
                    z += pp[w, k] * t
        ok = z >= EPS and s > 0.0
        zbuf[i] = z / s if ok else np.float32(0.0)
        if kind == 0:
            inv = np.float32(1.0) / z if ok else np.float32(0.0)
            for k in range(T):
                q[i, k] = pp[w, k] * th[k] * inv
        elif kind == 1:
            inv = np.float32(1.0) / z if ok else np.float32(0.0)
            for k in range(T):
                P[p0 + i, k] = pp[w, k] * th[k] * inv
        else:
            x = tok_weight[w]
            if x == 0.0 or not ok:
                continue
            inv = x / z
            if kind == 2:
                for k in range(T):
                    v = th[k] * inv
                    nwt[w, k] += v
                    acc[k] += pp[w, k] * v
            else:
                for k in range(T):
                    v = pp[w, k] * th[k] * inv
                    nwt[w, k] += v
                    acc[k] += v


@njit(cache=True, nogil=True)
def _doc_context(a, n, seq, gamma_w, beta, passes, include_self, pp, q, R, L, th, gl, gr, zbuf,
                 P, p0, tok_weight, nwt, acc, direct):
    """``passes`` context passes over one document (positions a … a+n−1 of ``seq``).

    All passes but the last store p_ti in ``q`` for the next one. The last pass writes p_ti to
    P[p0 + i] when ``P`` has rows, else accumulates into ``nwt`` (raw or ``direct``) and
    ``acc``. z_i of the last pass is left in ``zbuf``. Scratch: q (n, T) when passes > 1,
    R (n+1, T), L/th (T,), gl/gr/zbuf (n,).
    """
    _gammas(seq, a, n, gamma_w, gl, gr)
    write_p = P.shape[0] > 0
    for ps in range(passes):
        first = ps == 0
        last = ps == passes - 1
        _right_pass(first, pp, q, seq, a, n, gr, R)
        kind = 0 if not last else (1 if write_p else (3 if direct else 2))
        _forward_pass(first, kind, include_self, pp, q, seq, a, n, gl, beta, R, L, th, zbuf, P, p0,
                      tok_weight, nwt, acc)


@njit(cache=True, nogil=True)
def context_chunk(d0, d1, ptr, seq, indptr, indices, data, tok_weight, tok_mod, seq_mod,
                  gamma_w, beta, passes, include_self, pp, nwt, direct, theta_out, P, loglik, n_tok,
                  n_zero):
    """Context-ARTM E-step over documents [d0, d1).

    Parameters
    ----------
    d0, d1 : int
        Document range.
    ptr : ndarray (D+1,), int64;  seq : ndarray (N,), int32
        Token sequences (modality ``seq_mod`` only).
    indptr, indices, data : CSR of n_dw (D, W)
        Used for the tokens of *other* modalities (their θ is the document mean of p_ti) and for
        documents whose sequence is empty (their θ is the one-pass θ of their bag).
    tok_weight : (W,) float32 — τ_m;  tok_mod : (W,) int32;  seq_mod : int
    gamma_w : (W,) float32
        γ of every token (0 skips it).
    beta : float
        Weight of the left context.
    passes : int
        Context passes (≥ 1).
    include_self : bool
        θ_ti from L_i and R_i (the token inside its own context, the seed's literal formula)
        instead of the neighbours L_{i−1} and R_{i+1}.
    pp : (W, 2T) float32
        Φ and p(t|w) side by side (pp[:, :T] = φ, pp[:, T:] = p(t|w)): one row stream per
        token instead of two (:func:`stack_phi`).
    nwt : (W, T) float32
        This chunk's accumulator (the caller zeroes it; calls add up): Σ τ θ/z (raw) or
        Σ τ p (``direct``).
    theta_out : (D, T) float32
        Rows d0..d1 receive θ_d = norm_t Σ_i τ p_ti (sequence), else the bag's one-pass θ.
    P : (N_chunk, T) float32 or (0, T)
        When it has rows, the final p_ti of position ptr[d]+i is written to
        P[ptr[d] − ptr[d0] + i] and sequence tokens are **not** accumulated into ``nwt``
        (the caller post-processes P and accumulates it with :func:`accumulate_positions`).
    loglik, n_tok, n_zero : (M,) float64
        Per modality Σ n ln z (τ-free), Σ n and the count of tokens with z = 0; accumulated.
    """
    T = nwt.shape[1]
    nmax = 0
    for d in range(d0, d1):
        nmax = max(nmax, ptr[d + 1] - ptr[d])
    q = np.empty((nmax if passes > 1 else 0, T), dtype=np.float32)
    R = np.empty((nmax + 1, T), dtype=np.float32)
    L = np.empty(T, dtype=np.float32)
    th = np.empty(T, dtype=np.float32)
    acc = np.empty(T, dtype=np.float32)
    gl = np.empty(nmax, dtype=np.float32)
    gr = np.empty(nmax, dtype=np.float32)
    zbuf = np.empty(nmax, dtype=np.float32)
    write_p = P.shape[0] > 0
    base = ptr[d0]
    for d in range(d0, d1):
        a = ptr[d]
        n = ptr[d + 1] - a
        for k in range(T):
            acc[k] = 0.0
        if n > 0:
            _doc_context(a, n, seq, gamma_w, beta, passes, include_self, pp, q, R, L, th, gl, gr,
                         zbuf, P, a - base, tok_weight, nwt, acc, direct)
            m = seq_mod
            for i in range(n):
                w = seq[a + i]
                x = tok_weight[w]
                if x == 0.0:
                    continue
                z = zbuf[i]
                n_tok[m] += 1.0
                if z < EPS:
                    n_zero[m] += 1.0
                    continue
                loglik[m] += math.log(z)
                if write_p:
                    for k in range(T):
                        acc[k] += P[a - base + i, k] * x
            s = np.float32(0.0)
            for k in range(T):
                s += acc[k]
            inv = np.float32(1.0) / s if s > 0.0 else np.float32(0.0)
            for k in range(T):
                th[k] = acc[k] * inv
            have = s > 0.0
        else:
            have = _bag_theta(indptr[d], indptr[d + 1], indices, data, tok_weight, pp, T, th)
        if not have:
            for k in range(T):
                th[k] = 0.0
        # other modalities (all modalities when the sequence is empty) from θ_d
        for j in range(indptr[d], indptr[d + 1]):
            w = indices[j]
            m = tok_mod[w]
            if n > 0 and m == seq_mod:
                continue
            cnt = data[j]
            x = cnt * tok_weight[w]
            if x == 0.0:
                continue
            n_tok[m] += cnt
            z = _dot(pp, w, th, T)
            if z < EPS:
                n_zero[m] += 1.0
                continue
            loglik[m] += cnt * math.log(z)
            inv = x / z
            if direct:
                for k in range(T):
                    nwt[w, k] += pp[w, k] * th[k] * inv
            else:
                for k in range(T):
                    nwt[w, k] += th[k] * inv
        for k in range(T):
            theta_out[d, k] = th[k]
