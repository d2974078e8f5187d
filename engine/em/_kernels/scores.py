"""One-pass kernels of the default scores: each reads Φ (or Θ) once, with no W × T temporaries.

The scores run after every pass; numpy's formulations (``phi[:, idx] < eps``, ``np.where(kern, …)``,
``einsum``) allocate several W × T (or D × T) arrays and cost as much as a large part of the
E-step (issue 14). These kernels give the same numbers (same float32 p(t|w), float64 sums).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels.topics import mass_dot


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
        s = mass_dot(phi, w, n_t, T)
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
def pass_sums(n_wt, phi, tok_mod, eps, threshold, n_t_mod, n_t, phi_col, small, ksize, kpurity, kcsum):
    """The per-pass sums every default score and the health check read, in one pass over n_wt and
    one over Φ (:class:`engine.em.pass_stats.PassStats`; no W × T temporaries).

    Pass 1 (rows in order, float64, so each equals NumPy's ``n_wt[rows].sum(axis=0, dtype=float64)``):
    n_t_mod[m, t] = Σ_{w∈m} n_wt, n_t[t] = Σ_w n_wt.
    Pass 2, per row w of modality m: phi_col[m, t] += φ_wt; small[m, t] += [φ_wt < eps];
    the topic kernel of :func:`kernel_sums` with n_t = n_t_mod[m]: p(t|w) = float32(φ_wt n_t /
    Σ_s φ_ws n_s); for p(t|w) > threshold: ksize[m, t] += 1, kpurity[m, t] += φ_wt,
    kcsum[m, t] += p(t|w).

    n_wt, phi : (W, T) float32; tok_mod : (W,) int32; n_t_mod, phi_col, kpurity, kcsum : (M, T)
    float64; n_t : (T,) float64; small, ksize : (M, T) int64 — all zeroed by the caller.
    """
    W, T = phi.shape
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = np.float64(n_wt[w, k])
            n_t_mod[m, k] += v
            n_t[k] += v
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            f = phi[w, k]
            phi_col[m, k] += f
            small[m, k] += np.int64(f < eps)  # branch-free: a sparse Φ row would mispredict
        s = mass_dot(phi, w, n_t_mod[m], T)
        if s <= 0.0:
            continue
        inv = 1.0 / s
        for k in range(T):
            p = np.float32(phi[w, k] * n_t_mod[m, k] * inv)
            if p > threshold:
                ksize[m, k] += 1
                kpurity[m, k] += phi[w, k]
                kcsum[m, k] += p


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _row_sum64(a, r, T):
    """Σ_k a[r, k] in float64, reassociated so that it vectorizes."""
    s = 0.0
    for k in range(T):
        s += np.float64(a[r, k])
    return s


@njit(cache=True, nogil=True)
def theta_sums(theta, eps, small, out):
    """One pass over Θ (D, T) float32: small[t] += |{d : θ_td < eps}| (int64, zeroed by the
    caller); out[0] = number of documents with Σ_t θ_td not > 0, out[1] = Σ_d Σ_t θ_td (float64)."""
    D, T = theta.shape
    empty = 0
    mass = 0.0
    for d in range(D):
        for k in range(T):
            small[k] += np.int64(theta[d, k] < eps)  # branch-free, vectorized
        s = _row_sum64(theta, d, T)
        if not s > 0.0:
            empty += 1
        mass += s
    out[0] = empty
    out[1] = mass


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _block_dot(buf, a, b, n):
    """Σ_{i<n} buf[a, i] buf[b, i] (float64; reassociated so LLVM vectorizes it)."""
    s = 0.0
    for i in range(n):
        s += buf[a, i] * buf[b, i]
    return s


@njit(cache=True, nogil=True)
def hellinger_gram(phi, rows, topics, col_sum, out):
    """out[a, b] = Σ_w √(φ_wa / s_a) √(φ_wb / s_b) over the Φ rows ``rows`` and the columns
    ``topics`` (the Bhattacharyya coefficients of Hellinger distances; s = col_sum, a column with
    s ≤ 0 counts as zero). Rows go through a (T', 256) float64 block, so each coefficient is a
    vectorized dot over 256 rows: W·T'²/2 multiply-adds at SIMD speed whatever Φ's sparsity.

    phi : (W, T) float32; rows : (W',) int64; topics : (T',) int64; col_sum : (T',) float64;
    out : (T', T') float64, zeroed by the caller.
    """
    B = 256
    nT = topics.shape[0]
    n_rows = rows.shape[0]
    buf = np.empty((nT, B))
    for w0 in range(0, n_rows, B):
        n = min(B, n_rows - w0)
        for i in range(n):
            w = rows[w0 + i]
            for t in range(nT):
                s = col_sum[t]
                buf[t, i] = np.sqrt(np.float64(phi[w, topics[t]]) / s) if s > 0.0 else 0.0
        for a in range(nT):
            for b in range(a, nT):
                out[a, b] += _block_dot(buf, a, b, n)
    for a in range(nT):
        for b in range(a + 1, nT):
            out[b, a] = out[a, b]


@njit(cache=True, nogil=True)
def top_k_rows(phi, rows, topics, k, ids, vals, counts):
    """For each topic j of ``topics``, its k largest φ_wt over the rows ``rows`` (taken in order),
    by decreasing φ, ties to the earlier row; zero entries are never taken. One pass over Φ with a
    per-topic insertion list (cost ≈ |rows|·T' comparisons).

    phi : (W, T) float32; rows : (W',) int64; topics : (T',) int64; ids : (T', k) int64 and
    vals : (T', k) float32 receive the ids/values; counts : (T',) int64 how many were found.
    """
    nT = topics.shape[0]
    for j in range(nT):
        counts[j] = 0
    for i in range(rows.shape[0]):
        w = rows[i]
        for j in range(nT):
            v = phi[w, topics[j]]
            c = counts[j]
            if v <= 0.0 or (c == k and v <= vals[j, k - 1]):
                continue
            p = c if c < k else k - 1
            while p > 0 and vals[j, p - 1] < v:
                if p < k:
                    vals[j, p] = vals[j, p - 1]
                    ids[j, p] = ids[j, p - 1]
                p -= 1
            vals[j, p] = v
            ids[j, p] = w
            if c < k:
                counts[j] = c + 1


@njit(cache=True, nogil=True)
def pair_counts_marked(indptr, indices, tops, lens, mark, out):
    """Document co-occurrence counts within each id list: out[j, a, b] = |docs(u_a) ∩ docs(u_b)|
    for u = tops[j, :lens[j]] (out[j, a, a] = df), from the binary CSC pattern (indptr, indices)
    of n_dw. Each document of u_a gets bit a in ``mark`` (D,) uint64 (all zero on entry and on
    exit), then the documents of u_a are read once more: cost Σ df · (bits set), not a product.

    tops : (T', k) int64 with k ≤ 64; lens : (T',) int64; out : (T', k, k) float64, zeroed.
    """
    for j in range(tops.shape[0]):
        n = lens[j]
        for a in range(n):
            u = tops[j, a]
            out[j, a, a] = indptr[u + 1] - indptr[u]
            bit = np.uint64(1) << np.uint64(a)
            for p in range(indptr[u], indptr[u + 1]):
                mark[indices[p]] |= bit
        for a in range(n):
            u = tops[j, a]
            for p in range(indptr[u], indptr[u + 1]):
                bits = mark[indices[p]] >> np.uint64(a + 1)
                b = a + 1
                while bits:
                    if bits & np.uint64(1):
                        out[j, a, b] += 1.0
                    bits >>= np.uint64(1)
                    b += 1
        for a in range(n):
            u = tops[j, a]
            for p in range(indptr[u], indptr[u + 1]):
                mark[indices[p]] = 0
        for a in range(n):
            for b in range(a + 1, n):
                out[j, b, a] = out[j, a, b]
