"""E-step kernels: θ of documents by inner iterations (+ log-likelihood), n_wt over token ranges, inference with Φ fixed."""
from __future__ import annotations

import numpy as np
from numba import njit

#: values below this are zero (BigARTM's kProcessorEps / isZero)
EPS = 1e-16
#: positive θ terms are capped here so that their sum over ≤ 5000 topics stays finite in float32
BIG = np.float32(1e30)


# The leaves with relaxed floating point (this one, _dot4, _positive_sum): a sum may be reassociated
# (so LLVM can vectorize the reduction) and contracted to FMA. No nnan/ninf/arcp flags: NaN/inf semantics
# and every zero guard stay exact; results are deterministic for a given build. It is 4-5x
# faster than the strict sequential sum and differs from it by float32 rounding only.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot(phi, w, th, T):
    """Σ_k φ_wk θ_k (float32)."""
    s = np.float32(0.0)
    for k in range(T):
        s += phi[w, k] * th[k]
    return s


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _dot4(a, r0, r1, r2, r3, th, T):
    """(Σ_k a[r_i, k] θ_k for i = 0..3): four dot products sharing each load of θ (float32)."""
    s0 = np.float32(0.0)
    s1 = np.float32(0.0)
    s2 = np.float32(0.0)
    s3 = np.float32(0.0)
    for k in range(T):
        t = th[k]
        s0 += a[r0, k] * t
        s1 += a[r1, k] * t
        s2 += a[r2, k] * t
        s3 += a[r3, k] * t
    return s0, s1, s2, s3


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def _positive_sum(x, T):
    """Σ_k max(x_k, 0) (float32, reassociated so that it vectorizes)."""
    s = np.float32(0.0)
    for k in range(T):
        s += max(x[k], np.float32(0.0))
    return s


#: a document with up to this many entries has its Φ rows copied into a contiguous per-thread
#: buffer for its inner passes after the first (short documents: the rows are then read from one
#: block; the same arithmetic as straight from Φ). The four-row step is written out in both inner
#: passes: as a shared inlined function it made them 25 % slower (numba's array arguments)
GATHER_ROWS = 256
#: the running product of p_dw (float64) is folded into the log-likelihood before it falls below
#: this: one more factor p^n ≥ EPS^4 = 1e-64 keeps it a normal float64 (≥ 2.2e-308)
_PROD_FLOOR = 1e-240


# Per-document work of the E-step in sweeps over the document's entries i = a..b (τ n_dw is
# n_dw · tok_weight[w], recomputed where needed: a gather from a W-array is cheaper than storing
# and reloading it; no separate sweep finds empty documents or document lengths):
#   _inner_pass:  n_td / θ_td = Σ_w τ n_dw φ_wt / p_dw  (returns Σ τ n_dw > 0)
#   _more_passes: inner passes 2..k (short documents: from gathered Φ rows and weights)
#   _final_sweep: p_dw with the final θ_d → ratio := τ n_dw / p_dw, log-likelihood, token counts


@njit(cache=True, nogil=True, error_model="numpy")
def _inner_pass(a, b, indices, data, tok_weight, phi, th, ntd):
    """One inner pass of the document in rows a..b: ``ntd`` (T,) := Σ_w τ n_dw φ_wt / p_dw
    with p_dw = Σ_t φ_wt θ_td (tokens with p_dw < EPS add nothing), four tokens at a time (four
    dot products per load of θ_d, one update of n_td per four rows, added in token order).
    Returns Σ of the positive τ n_dw (0: the document has no token to fit)."""
    T = th.shape[0]
    zero = np.float32(0.0)
    for k in range(T):
        ntd[k] = 0.0
    tot = 0.0
    i = a
    while i + 4 <= b:
        w0, w1, w2, w3 = indices[i], indices[i + 1], indices[i + 2], indices[i + 3]
        n0 = data[i] * tok_weight[w0]
        n1 = data[i + 1] * tok_weight[w1]
        n2 = data[i + 2] * tok_weight[w2]
        n3 = data[i + 3] * tok_weight[w3]
        tot += (max(n0, zero) + max(n1, zero)) + (max(n2, zero) + max(n3, zero))
        p0, p1, p2, p3 = _dot4(phi, w0, w1, w2, w3, th, T)
        a0 = n0 / p0 if p0 >= EPS else zero
        a1 = n1 / p1 if p1 >= EPS else zero
        a2 = n2 / p2 if p2 >= EPS else zero
        a3 = n3 / p3 if p3 >= EPS else zero
        for k in range(T):
            ntd[k] = (((ntd[k] + a0 * phi[w0, k]) + a1 * phi[w1, k]) + a2 * phi[w2, k]) + a3 * phi[w3, k]
        i += 4
    for i in range(i, b):
        w = indices[i]
        nw = data[i] * tok_weight[w]
        if nw == 0.0:
            continue
        if nw > 0.0:
            tot += nw
        p = _dot(phi, w, th, T)
        if p < EPS:
            continue
        alpha = nw / p
        for k in range(T):
            ntd[k] += alpha * phi[w, k]
    return tot


@njit(cache=True, nogil=True, error_model="numpy")
def _more_passes(d, a, b, indices, data, tok_weight, phi, th, ntd, passes, theta_add, theta_mult,
                 theta_add_doc, rows, nws):
    """``passes`` more θ_d updates in place on ``th`` (T,).

    A document of at most ``rows.shape[0]`` entries has its Φ rows and weights τ n_dw gathered
    into ``rows`` (GATHER_ROWS, T) float32 and ``nws`` (GATHER_ROWS,) first (per-thread scratch);
    each pass then takes four rows at a time (four dot products per load of θ_d, one update of
    n_td per four rows, added in row order)."""
    T = th.shape[0]
    has_doc = theta_add_doc.shape[0] > 0
    if b - a > rows.shape[0]:
        for _ in range(passes):  # a long document: straight from Φ
            _inner_pass(a, b, indices, data, tok_weight, phi, th, ntd)
            theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        return
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
    zero = np.float32(0.0)
    for _ in range(passes):
        for k in range(T):
            ntd[k] = 0.0
        j = 0
        while j + 4 <= n:
            p0, p1, p2, p3 = _dot4(rows, j, j + 1, j + 2, j + 3, th, T)
            a0 = nws[j] / p0 if p0 >= EPS else zero
            a1 = nws[j + 1] / p1 if p1 >= EPS else zero
            a2 = nws[j + 2] / p2 if p2 >= EPS else zero
            a3 = nws[j + 3] / p3 if p3 >= EPS else zero
            for k in range(T):
                ntd[k] = (((ntd[k] + a0 * rows[j, k]) + a1 * rows[j + 1, k]) + a2 * rows[j + 2, k]) \
                    + a3 * rows[j + 3, k]
            j += 4
        for j in range(j, n):
            p = _dot(rows, j, th, T)
            if p < EPS:
                continue
            alpha = nws[j] / p
            for k in range(T):
                ntd[k] += alpha * rows[j, k]
        theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)


@njit(cache=True, nogil=True, error_model="numpy")
def _doc_lengths(a, b, indices, data, tok_weight, tok_mod, n_dm):
    """n_dm (M,) := Σ n_dw per modality over the document's tokens with τ n_dw > 0."""
    n_dm[:] = 0.0
    for i in range(a, b):
        w = indices[i]
        if data[i] * tok_weight[w] > 0.0:
            n_dm[tok_mod[w]] += data[i]


@njit(cache=True, nogil=True, error_model="numpy")
def _unigram_term(a, b, indices, data, tok_weight, tok_mod, n_dm, lengths, m, n):
    """n ln(n / n_dm): BigARTM's log-likelihood term for a token with p_dw = 0 (``n_dm`` (M,) is filled
    from the document's tokens first unless ``lengths``: once per document, on its first such token)."""
    if not lengths:
        _doc_lengths(a, b, indices, data, tok_weight, tok_mod, n_dm)
    return n * np.log(n / n_dm[m])


@njit(cache=True, nogil=True, error_model="numpy")
def _final_sweep(a, b, off, indices, data, tok_weight, tok_mod, phi, th, ratio, n_dm, prod, loglik, n_tok,
                 n_zero):
    """With the final θ_d: ``ratio[i - off]`` := τ n_dw / p_dw (0 if τ n_dw = 0 or p_dw < EPS), and
    per modality m ``loglik[m]`` += n ln p_dw, ``n_tok[m]`` += n (n = n_dw, tokens with τ n_dw ≠ 0).
    A token with p_dw < EPS adds ln(n_dw / n_dm) instead (BigARTM's fallback) and counts in
    ``n_zero[m]``.

    With one modality the sums stay in registers and p^n for n = 1, 2, 3, 4 is multiplied into the
    running product ``prod[0]`` (float64, carried across documents) instead of taking a log per token;
    it is folded into ``loglik[0]`` by one log before it could underflow (and by :func:`_close_logs`).
    Other n (larger, or fractional weights), and every token of several modalities, add n ln p_dw."""
    T = th.shape[0]
    one = loglik.shape[0] == 1
    run = prod[0]
    ll = 0.0  # one modality: Σ n ln p and Σ n in registers
    ntok = 0.0
    lengths = False
    for i in range(a, b):
        w = indices[i]
        n = data[i]
        nw = n * tok_weight[w]
        if nw == 0.0:
            ratio[i - off] = 0.0
            continue
        p = _dot(phi, w, th, T)
        m = 0 if one else tok_mod[w]
        if one:
            ntok += n
        else:
            n_tok[m] += n
        if p < EPS:
            term = _unigram_term(a, b, indices, data, tok_weight, tok_mod, n_dm, lengths, m, n)
            lengths = True
            n_zero[m] += 1.0
            ratio[i - off] = 0.0
            if one:
                ll += term
            else:
                loglik[m] += term
            continue
        ratio[i - off] = nw / p
        p64 = np.float64(p)
        if not one:
            loglik[m] += n * np.log(p64)
            continue
        small = (n >= 1.0) & (n <= 4.0) & (n == np.floor(n))  # n ∈ {1, 2, 3, 4}; no branches
        q = p64 * (p64 if n >= 2.0 else 1.0)
        q = q * (p64 if n >= 3.0 else 1.0) * (p64 if n >= 4.0 else 1.0)
        if small:
            run *= q
            if run < _PROD_FLOOR:
                ll += np.log(run)
                run = 1.0
        else:
            ll += n * np.log(p64)
    prod[0] = run
    loglik[0] += ll
    n_tok[0] += ntok


@njit(cache=True, nogil=True)
def _scratch(T, inner_passes, M):
    """(th (T,), ntd (T,), rows, nws, n_dm (M,), prod (1,) = 1) per-chunk buffers."""
    g = GATHER_ROWS if inner_passes > 1 else 0
    return (np.empty(T, dtype=np.float32), np.empty(T, dtype=np.float32),
            np.empty((g, T), dtype=np.float32), np.empty(g, dtype=np.float32),
            np.empty(M, dtype=np.float64), np.ones(1))


@njit(cache=True, nogil=True)
def _close_logs(prod, loglik):
    """Fold what is left of the running product into ``loglik[0]`` (one modality)."""
    if loglik.shape[0] == 1:
        loglik[0] += np.log(prod[0])


@njit(cache=True, nogil=True)
def theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc):
    """θ_d := norm_t(θ_td n_td + r_td) in place, r_td = mult_t θ_td n_td + add_t (+ add_doc[d, t]);
    ``ntd`` (T,) float32 holds n_td / θ_td on entry and is overwritten; values below EPS → 0.
    The normalizing sum is reassociated (:func:`_positive_sum`): every loop here vectorizes."""
    T = th.shape[0]
    for k in range(T):
        v = th[k] * ntd[k]
        v = v + theta_mult[k] * v + theta_add[k]
        if has_doc:
            v += theta_add_doc[d, k]
        ntd[k] = BIG if v > BIG else v  # τ of any size: keep Σ finite (inf · 0 would be NaN)
    s = _positive_sum(ntd, T)
    inv = np.float32(1.0) / s if s > 0.0 else np.float32(0.0)
    for k in range(T):
        v = ntd[k] * inv
        th[k] = v if v >= EPS else np.float32(0.0)


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


@njit(cache=True, nogil=True, error_model="numpy")
def _documents(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_in, theta_out,
               reset_theta, inner_passes, theta_add, theta_mult, theta_add_doc, ratio, per_doc,
               loglik, n_tok, n_zero):
    """θ_d of documents [d0, d1) after ``inner_passes`` updates and the final p_dw sweep; see
    :func:`estep_chunk`. ``per_doc``: ``ratio`` is one document's scratch (offset a) rather than
    the chunk's CSR positions. One loop calls every per-document sweep directly: a wrapper
    function per document, with its many array arguments, cost as much as a sweep."""
    T = phi.shape[1]
    M = loglik.shape[0]
    has_doc = theta_add_doc.shape[0] > 0
    loglik[:] = 0.0
    n_tok[:] = 0.0
    n_zero[:] = 0.0
    th, ntd, rows, nws, n_dm, prod = _scratch(T, inner_passes, M)
    for d in range(d0, d1):
        a = indptr[d]
        b = indptr[d + 1]
        off = a if per_doc else 0
        load_theta(d, theta_in, reset_theta, th)
        if not _inner_pass(a, b, indices, data, tok_weight, phi, th, ntd) > 0.0:  # nothing to fit
            for i in range(a, b):
                ratio[i - off] = 0.0
            for k in range(T):
                theta_out[d, k] = 0.0
            continue
        theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        if inner_passes > 1:
            _more_passes(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes - 1,
                         theta_add, theta_mult, theta_add_doc, rows, nws)
        _final_sweep(a, b, off, indices, data, tok_weight, tok_mod, phi, th, ratio, n_dm, prod, loglik, n_tok,
                     n_zero)
        for k in range(T):
            theta_out[d, k] = th[k]
    _close_logs(prod, loglik)


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
    _documents(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_in, theta_out,
               reset_theta, inner_passes, theta_add, theta_mult, theta_add_doc, ratio, False,
               loglik, n_tok, n_zero)


@njit(cache=True, nogil=True, inline="always")
def add_column(acc, j0, j1, e0, rows, pos, ratio, theta):
    """acc (T,) += Σ_j r θ_d· over the entries j0..j1 of one token (d = rows[j], r = ratio[e0 + pos[j]]),
    in entry order; zero ratios add nothing. The n_wt phase's inner loop (:func:`nwt_tokens`,
    :func:`engine.em._kernels.blocks.nwt_blocks`), inlined where it is called."""
    T = acc.shape[0]
    for j in range(j0, j1):
        x = ratio[e0 + pos[j]]
        if x != 0.0:
            d = rows[j]
            for k in range(T):
                acc[k] += x * theta[d, k]


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
        add_column(acc, colptr[w], colptr[w + 1], 0, rows, pos, ratio, theta)
        for k in range(T):
            n_wt[w, k] = phi[w, k] * acc[k]


@njit(cache=True, nogil=True)
def infer_chunk(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_out,
                inner_passes, theta_add, theta_mult, theta_add_doc, loglik, n_tok, n_zero):
    """θ of documents [d0, d1) with Φ fixed (transform): θ_d from 1/T, ``inner_passes``
    updates; then the log-likelihood with the final θ (held-out perplexity). Shapes as in
    :func:`estep_chunk`; ``theta_out`` (D, T) receives θ; loglik/n_tok/n_zero are overwritten.
    """
    longest = 0
    for d in range(d0, d1):
        longest = max(longest, indptr[d + 1] - indptr[d])
    scratch = np.empty(longest, dtype=np.float32)  # one document's ratios (offset a)
    _documents(d0, d1, indptr, indices, data, tok_weight, tok_mod, phi, theta_out, theta_out, True,
               inner_passes, theta_add, theta_mult, theta_add_doc, scratch, True, loglik, n_tok,
               n_zero)
