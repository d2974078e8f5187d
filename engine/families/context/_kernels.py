"""numba kernels that read documents as token *sequences*: one-pass (TARTM) and context-ARTM
E-steps, E-step smoothing along the sequence, and segment-boundary scores.

Notation (the seed, "EM-алгоритм с локализованным Е-шагом"): a document is the sequence
w_1 … w_n; p(t|w) = norm_t(φ_wt p_t) is the context-free topic vector of a token (``p_tw``, rows
of shape (T,), computed once per pass by :func:`engine.em._kernels.p_t_given_w`).

Two exponential moving averages (EMA) run over every document:

    left    L_i = γ_i q_i + (1 − γ_i) L_{i−1},   i = 1 … n
    right   R_i = γ_i q_i + (1 − γ_i) R_{i+1},   i = n … 1

with q_i = p(t|w_i) on the first context pass and q_i = p_ti of the previous context pass on the
following ones ("several passes reuse p_ti in place of p(t|w_i)"). γ_i = ``gamma_w[w_i]``
(≈ 1/window, optionally scaled by token importance); γ = 1 at the document start (the first
position with γ > 0 from either end: the context is forgotten); γ_i = 0 skips a token (the
average passes it unchanged; before the first counted token the average is 0). With constant
γ the weight of position k in L_i is γ(1 − γ)^{i−k}.

The two-sided context of position i is made of its neighbours (the seed's literal variant,
``include_self``, uses L_i and R_i, i.e. the token inside its own context), and the contextual
token topics follow:

    θ_ti = β L_{t,i−1} + (1 − β) R_{t,i+1},      p_ti = norm_t(φ_{w_i t} θ_ti),
    z_i  = Σ_t φ_{w_i t} θ_ti / Σ_t θ_ti  (= p(w_i | C_i), the token's likelihood),

and the E-step accumulates n_wt = Σ_i [w_i = w] τ p_ti. As in :mod:`engine._kernels`, n_wt may be
accumulated "raw" — Σ τ θ_ti / z_i, multiplied by φ_wt once after the chunks are summed
(``direct=False``) — or directly as Σ τ p_ti (``direct=True``, used when an E-step
regularizer changes p_ti after the kernel).

Conventions follow :mod:`engine._kernels`: ``phi``/``p_tw`` are (W, T) float32, Θ is (D, T)
float32 (transposed), n_dw is CSR (``indptr``, ``indices``, ``data``), ``tok_weight`` (W,) is
τ_m of every token and ``tok_mod`` (W,) its modality code. Sequences are ``ptr`` (D+1,) int64
and ``seq`` (N,) int32 token ids. Every kernel is ``@njit(cache=True, nogil=True)``, allocates
only small per-document scratch and writes outputs the caller pre-allocates; disjoint
document ranges may run in parallel Python threads.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: values below this are zero (BigARTM's kProcessorEps)
EPS = 1e-16


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


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot(phi, w, th, T):
    """Σ_k φ_wk θ_k (float32, reassociated so it vectorizes)."""
    z = np.float32(0.0)
    for k in range(T):
        z += phi[w, k] * th[k]
    return z


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
