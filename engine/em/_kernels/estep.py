"""E-step kernels: θ of documents by inner iterations (+ log-likelihood), n_wt over token ranges, inference with Φ fixed."""
from __future__ import annotations

import numpy as np
from numba import njit

#: values below this are zero (BigARTM's kProcessorEps / isZero)
EPS = 1e-16
#: positive θ terms are capped here so that their sum over ≤ 5000 topics stays finite in float32
BIG = np.float32(1e30)


# The one leaf with relaxed floating point: a dot product may be reassociated (so LLVM can
# vectorize the reduction) and contracted to FMA. No nnan/ninf/arcp flags: NaN/inf semantics
# and every zero guard stay exact; results are deterministic for a given build. It is 4-5x
# faster than the strict sequential sum and differs from it by float32 rounding only.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot(phi, w, th, T):
    """Σ_k φ_wk θ_k (float32)."""
    s = np.float32(0.0)
    for k in range(T):
        s += phi[w, k] * th[k]
    return s


#: a document with up to this many entries has its Φ rows copied into a contiguous per-thread
#: buffer for its inner passes (short documents: the rows are then read from one block ``inner``
#: times; same arithmetic, same results)
GATHER_ROWS = 256


@njit(cache=True, nogil=True)
def _theta_inner(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes,
                 theta_add, theta_mult, theta_add_doc, rows, nws):
    """Run ``inner_passes`` θ_d updates in place on ``th`` (T,) for document d = rows a..b.

    With more than one inner pass and at most ``rows.shape[0]`` entries, the document's Φ rows
    and weighted counts are first gathered into ``rows`` (GATHER_ROWS, T) float32 and ``nws``
    (GATHER_ROWS,) float32 (per-thread scratch), and the passes read them from there."""
    T = th.shape[0]
    has_doc = theta_add_doc.shape[0] > 0
    if inner_passes > 1 and b - a <= rows.shape[0]:
        n = 0
        for i in range(a, b):
            w = indices[i]
            nw = data[i] * tok_weight[w]
            if nw == 0.0:
                continue
            for k in range(T):
                rows[n, k] = phi[w, k]
            nws[n] = nw
            n += 1
        for _ in range(inner_passes):
            for k in range(T):
                ntd[k] = 0.0
            for j in range(n):
                p = _dot(rows, j, th, T)
                if p < EPS:
                    continue
                alpha = nws[j] / p
                for k in range(T):
                    ntd[k] += alpha * rows[j, k]
            theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        return
    for _ in range(inner_passes):
        for k in range(T):
            ntd[k] = 0.0
        for i in range(a, b):
            w = indices[i]
            nw = data[i] * tok_weight[w]
            if nw == 0.0:
                continue
            p = _dot(phi, w, th, T)
            if p < EPS:
                continue
            alpha = nw / p
            for k in range(T):
                ntd[k] += alpha * phi[w, k]
        theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)


@njit(cache=True, nogil=True)
def theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc):
    """θ_d := norm_t(θ_td n_td + r_td) in place, r_td = mult_t θ_td n_td + add_t (+ add_doc[d, t]);
    ``ntd`` (T,) float32 holds n_td / θ_td on entry and is overwritten; values below EPS → 0."""
    T = th.shape[0]
    s = np.float32(0.0)
    for k in range(T):
        v = th[k] * ntd[k]
        v = v + theta_mult[k] * v + theta_add[k]
        if has_doc:
            v += theta_add_doc[d, k]
        if v > BIG:  # τ of any size: keep Σ finite (inf · 0 would be NaN)
            v = BIG
        ntd[k] = v
        if v > 0.0:
            s += v
    inv = np.float32(1.0) / s if s > 0.0 else np.float32(0.0)
    for k in range(T):
        v = ntd[k] * inv
        th[k] = v if v >= EPS else np.float32(0.0)


@njit(cache=True, nogil=True)
def _doc_start(d, a, b, indices, data, tok_weight, tok_mod, theta_in, reset_theta, th, n_dm):
    """Load θ_d into ``th`` and the per-modality weighted length into ``n_dm``.

    Returns False when the document has no token of positive weight (θ_d is then 0).
    """
    n_dm[:] = 0.0
    tot = 0.0
    for i in range(a, b):
        w = indices[i]
        x = data[i] * tok_weight[w]
        if x > 0.0:
            n_dm[tok_mod[w]] += data[i]
            tot += x
    if tot <= 0.0:
        return False
    load_theta(d, theta_in, reset_theta, th)
    return True


@njit(cache=True, nogil=True)
def load_theta(d, theta_in, reset_theta, th):
    """θ_d into ``th`` (T,): the previous pass's row, or 1/T when ``reset_theta`` or it is 0."""
    T = th.shape[0]
    s = np.float32(0.0)
    if not reset_theta:
        for k in range(T):
            th[k] = theta_in[d, k]
            s += th[k]
    if reset_theta or not s > 0.0:
        for k in range(T):
            th[k] = np.float32(1.0) / T


@njit(cache=True, nogil=True)
def _doc_loglik(a, b, indices, data, tok_weight, tok_mod, phi, th, n_dm, loglik, n_tok, n_zero):
    """Σ n_dw ln p_dw per modality for one document with its final θ_d (no n_wt)."""
    T = th.shape[0]
    for i in range(a, b):
        w = indices[i]
        if data[i] * tok_weight[w] == 0.0:
            continue
        m = tok_mod[w]
        p = _dot(phi, w, th, T)
        n = data[i]
        n_tok[m] += n
        if p < EPS:
            n_zero[m] += 1.0
            loglik[m] += n * np.log(n / n_dm[m])
        else:
            loglik[m] += n * np.log(np.float64(p))


@njit(cache=True, nogil=True)
def estep_chunk(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_in, theta_out,
                reset_theta, inner_passes, theta_add, theta_mult, theta_add_doc,
                ratio, loglik, n_tok, n_zero):
    """Phase 1 of the offline E-step over documents [d0, d1): θ updates, the log-likelihood,
    and the per-entry ratios r_dw = τ n_dw / p_dw that phase 2 (:func:`nwt_tokens`) turns
    into n_wt. Documents are independent, so any split into chunks gives the same θ.

    Parameters
    ----------
    d0, d1 : int
        Document range of this chunk.
    indptr, indices, data : CSR arrays of n_dw (D, W).
    tok_weight : ndarray (W,), float32
        Modality weight τ_m of every token (0 drops the token).
    tok_mod : ndarray (W,), int32
        Modality code of every token.
    phi : ndarray (W, T), float32
        Φ of the previous M-step (read only).
    theta_in : ndarray (D, T), float32
        Θ of the previous pass (read when ``reset_theta`` is False).
    theta_out : ndarray (D, T), float32
        Receives θ_d after the inner passes (rows d0..d1 only).
    reset_theta : bool
        Start every θ_d from 1/T instead of ``theta_in`` (BigARTM ``reuse_theta=False``).
    inner_passes : int
        Inner θ iterations per document (BigARTM ``num_document_passes``).
    theta_add, theta_mult : ndarray (T,), float32
        Θ regularizer terms: r_td = theta_add[t] + theta_mult[t] n_td (τ applied).
    theta_add_doc : ndarray (D, T) or (0, T), float32
        Optional per-document additive term (empty when unused).
    ratio : ndarray (nnz,), float32
        Receives τ n_dw / p_dw at the CSR positions of the chunk (0 when the token is dropped
        or p_dw = 0), with p_dw = Σ_t φ_wt θ_td from the final θ_d.
    loglik, n_tok, n_zero : ndarray (M,), float64
        Per modality Σ n_dw ln p_dw, Σ n_dw, and the number of zero-probability tokens;
        overwritten.
    """
    W, T = phi.shape
    M = loglik.shape[0]
    loglik[:] = 0.0
    n_tok[:] = 0.0
    n_zero[:] = 0.0
    th = np.empty(T, dtype=np.float32)
    ntd = np.empty(T, dtype=np.float32)
    n_dm = np.empty(M, dtype=np.float64)
    rows = np.empty((GATHER_ROWS if inner_passes > 1 else 0, T), dtype=np.float32)
    nws = np.empty(GATHER_ROWS if inner_passes > 1 else 0, dtype=np.float32)
    for d in range(d0, d1):
        a = indptr[d]
        b = indptr[d + 1]
        if not _doc_start(d, a, b, indices, data, tok_weight, tok_mod, theta_in, reset_theta,
                          th, n_dm):
            for k in range(T):
                theta_out[d, k] = 0.0
            for i in range(a, b):
                ratio[i] = 0.0
            continue
        _theta_inner(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes,
                     theta_add, theta_mult, theta_add_doc, rows, nws)
        for i in range(a, b):  # p_dw with the final θ_d (stored in ratio for now)
            w = indices[i]
            if data[i] * tok_weight[w] == 0.0:
                ratio[i] = 0.0
            else:
                ratio[i] = _dot(phi, w, th, T)
        for i in range(a, b):  # logs in their own loop keep the loop above call-free
            w = indices[i]
            nw = data[i] * tok_weight[w]
            if nw == 0.0:
                continue
            m = tok_mod[w]
            n = data[i]
            p = ratio[i]
            n_tok[m] += n
            if p < EPS:
                n_zero[m] += 1.0
                loglik[m] += n * np.log(n / n_dm[m])
                ratio[i] = 0.0
            else:
                loglik[m] += n * np.log(np.float64(p))
                ratio[i] = nw / p
        for k in range(T):
            theta_out[d, k] = th[k]


@njit(cache=True, nogil=True)
def nwt_tokens(w0, w1, colptr, rows, pos, ratio, theta, phi, n_wt):
    """Phase 2 of the E-step for tokens [w0, w1): n_wt = φ_wt Σ_d r_dw θ_td.

    The sum runs over the documents of token w in increasing d (CSC order), so n_wt does not
    depend on how the work is split between threads (BigARTM accumulates the same way: over
    the transposed n_dw, multiplying by φ_wt at the end).

    Parameters
    ----------
    colptr : ndarray (W + 1,), int64; rows : ndarray (nnz,), int32
        CSC structure of n_dw (documents of each token, sorted).
    pos : ndarray (nnz,), int64
        CSR position of every CSC entry (where :func:`estep_chunk` stored its ratio).
    ratio : ndarray (nnz,), float32
    theta : ndarray (D, T), float32
        θ after the inner passes.
    phi : ndarray (W, T), float32
    n_wt : ndarray (W, T), float32
        Receives rows w0..w1.
    """
    T = phi.shape[1]
    acc = np.empty(T, dtype=np.float32)
    for w in range(w0, w1):
        for k in range(T):
            acc[k] = 0.0
        for j in range(colptr[w], colptr[w + 1]):
            x = ratio[pos[j]]
            if x != 0.0:
                d = rows[j]
                for k in range(T):
                    acc[k] += x * theta[d, k]
        for k in range(T):
            n_wt[w, k] = phi[w, k] * acc[k]


@njit(cache=True, nogil=True)
def infer_chunk(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_out,
                inner_passes, theta_add, theta_mult, theta_add_doc, loglik, n_tok, n_zero):
    """θ of documents [d0, d1) with Φ fixed (transform): θ_d from 1/T, ``inner_passes``
    updates; then the log-likelihood with the final θ (held-out perplexity). Shapes as in
    :func:`estep_chunk`; ``theta_out`` (D, T) receives θ; loglik/n_tok/n_zero are overwritten.
    """
    W, T = phi.shape
    M = loglik.shape[0]
    loglik[:] = 0.0
    n_tok[:] = 0.0
    n_zero[:] = 0.0
    th = np.empty(T, dtype=np.float32)
    ntd = np.empty(T, dtype=np.float32)
    n_dm = np.empty(M, dtype=np.float64)
    rows = np.empty((GATHER_ROWS if inner_passes > 1 else 0, T), dtype=np.float32)
    nws = np.empty(GATHER_ROWS if inner_passes > 1 else 0, dtype=np.float32)
    for d in range(d0, d1):
        a = indptr[d]
        b = indptr[d + 1]
        if not _doc_start(d, a, b, indices, data, tok_weight, tok_mod, theta_out, True,
                          th, n_dm):
            for k in range(T):
                theta_out[d, k] = 0.0
            continue
        _theta_inner(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes,
                     theta_add, theta_mult, theta_add_doc, rows, nws)
        _doc_loglik(a, b, indices, data, tok_weight, tok_mod, phi, th, n_dm, loglik, n_tok,
                    n_zero)
        for k in range(T):
            theta_out[d, k] = th[k]
