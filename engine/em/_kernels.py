"""numba kernels of the EM algorithm: pure functions over arrays, no I/O, no globals.

Conventions (ARTM names):

- ``n_dw`` is a CSR matrix given as ``indptr`` (int32/int64, D+1), ``indices`` (int32, nnz) and
  ``data`` (float32, nnz); row d = document d.
- ``phi`` is Φ of shape (W, T), float32, row-major, so φ_w· is contiguous.
- Θ is kept **transposed** inside the engine: ``theta`` of shape (D, T), float32, so θ_·d is
  contiguous. ``TopicModel.theta`` is its (T, D) view.
- ``tok_weight`` (W,) float32 is the modality weight τ_m of every token; ``tok_mod`` (W,) int32
  its modality code.

Every kernel is ``@njit(cache=True, nogil=True)``: the caller pre-allocates outputs, and several
Python threads may run kernels at the same time on disjoint ranges. The E-step has two phases:
:func:`estep_chunk` over contiguous document chunks (balanced by nnz) updates θ and stores the
ratios τ n_dw / p_dw; :func:`nwt_tokens` over contiguous token ranges sums them into n_wt. No
per-thread n_wt buffers, no reduction, and the result is the same for any thread count.
No ``parallel=True`` (numba's threading layers are not safe under concurrent Python threads) and
no ``fastmath`` on any kernel (they divide and take logs; zero guards must survive) — except
the leaf :func:`_dot`, which only allows reassociation/FMA (see there). Arrays are indexed
2-D (``phi[w, k]``), not through row views, which keeps the inner loops vectorized.

The order of operations follows BigARTM (``processor_helpers.cc``,
``InferThetaAndUpdateNwtSparse``; ``NormalizeThetaAgent``; ``perplexity.cc``) so perplexity
agrees pass by pass:

1. θ_d starts from 1/T (or from the previous pass when Θ is reused);
2. each inner pass: n_td = θ_td Σ_w τ n_dw φ_wt / p_dw with p_dw = Σ_t φ_wt θ_td;
   θ_td = norm_t(n_td + r_td), where norm sums the positive parts and zeroes values < 1e-16;
3. after the inner passes, with the final θ_d: n_wt += τ n_dw φ_wt θ_td / p_dw and the
   log-likelihood Σ n_dw ln p_dw (a token with p_dw = 0 contributes ln(n_dw / n_d), BigARTM's
   document-unigram fallback, and is counted as a zero token).
"""
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


@njit(cache=True, nogil=True)
def _theta_inner(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes,
                 theta_add, theta_mult, theta_add_doc):
    """Run ``inner_passes`` θ_d updates in place on ``th`` (T,) for document d = rows a..b."""
    T = th.shape[0]
    has_doc = theta_add_doc.shape[0] > 0
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
    T = th.shape[0]
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
    s = np.float32(0.0)
    if not reset_theta:
        for k in range(T):
            th[k] = theta_in[d, k]
            s += th[k]
    if reset_theta or not s > 0.0:
        for k in range(T):
            th[k] = np.float32(1.0) / T
    return True


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
                     theta_add, theta_mult, theta_add_doc)
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
    for d in range(d0, d1):
        a = indptr[d]
        b = indptr[d + 1]
        if not _doc_start(d, a, b, indices, data, tok_weight, tok_mod, theta_out, True,
                          th, n_dm):
            for k in range(T):
                theta_out[d, k] = 0.0
            continue
        _theta_inner(d, a, b, indices, data, tok_weight, phi, th, ntd, inner_passes,
                     theta_add, theta_mult, theta_add_doc)
        _doc_loglik(a, b, indices, data, tok_weight, tok_mod, phi, th, n_dm, loglik, n_tok,
                    n_zero)
        for k in range(T):
            theta_out[d, k] = th[k]


@njit(cache=True, nogil=True)
def mstep(x, tok_mod, n_mod, phi_out, n_t_out):
    """φ_wt = max(x_wt, 0) / Σ_{w'∈m(w)} max(x_w't, 0) within each modality m.

    Parameters
    ----------
    x : ndarray (W, T), float32
        n_wt + r_wt.
    tok_mod : ndarray (W,), int32
    n_mod : int
    phi_out : ndarray (W, T), float32
        Receives Φ; a column whose modality sum is ≤ 0 stays zero (dead topic), values
        below 1e-16 become 0 (BigARTM ``FindPwt``).
    n_t_out : ndarray (n_mod, T), float64
        Receives the normalizers Σ_w max(x_wt, 0) per modality.
    """
    W, T = x.shape
    n_t_out[:, :] = 0.0
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = x[w, k]
            if v > 0.0:
                n_t_out[m, k] += v
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = x[w, k]
            nt = n_t_out[m, k]
            if v > 0.0 and nt > 0.0:
                r = np.float32(v / nt)
                phi_out[w, k] = r if r >= EPS else np.float32(0.0)
            else:
                phi_out[w, k] = 0.0


@njit(cache=True, nogil=True)
def mstep_reg(n_wt, r_wt, clip, tok_mod, n_mod, phi_out, n_t_out):
    """:func:`mstep` of x = n_wt + r_wt, the guards folded in (no W×T temporaries).

    x_wt = n_wt + r_wt summed in float64; NaN becomes 0 and x is clipped to [−clip, clip]
    before it is rounded to float32, then φ_wt = max(x_wt, 0) / Σ_{w'∈m(w)} max(x_w't, 0)
    within each modality m, exactly as :func:`mstep` (values below 1e-16 → 0; a topic whose
    modality sum is ≤ 0 gets a zero column).

    Parameters
    ----------
    n_wt : ndarray (W, T), float32
    r_wt : ndarray (W, T), float64
        Σ_i r_wt of the Φ regularizers (τ applied).
    clip : float
        Bound of |x_wt| (keeps float32 finite for any τ).
    tok_mod : ndarray (W,), int32
    n_mod : int
    phi_out : ndarray (W, T), float32
    n_t_out : ndarray (n_mod, T), float64
        Receives Σ_w max(x_wt, 0) per modality.
    """
    W, T = n_wt.shape
    n_t_out[:, :] = 0.0
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = _guarded(n_wt[w, k], r_wt[w, k], clip)
            if v > 0.0:
                n_t_out[m, k] += v
    for w in range(W):
        m = tok_mod[w]
        for k in range(T):
            v = _guarded(n_wt[w, k], r_wt[w, k], clip)
            nt = n_t_out[m, k]
            if v > 0.0 and nt > 0.0:
                r = np.float32(v / nt)
                phi_out[w, k] = r if r >= EPS else np.float32(0.0)
            else:
                phi_out[w, k] = 0.0


@njit(cache=True, nogil=True)
def _guarded(n, r, clip):
    """float32(clip(nan→0(n + r))) as a float32 value (the old NumPy guard chain)."""
    v = np.float64(n) + r
    if v != v:
        v = 0.0
    elif v > clip:
        v = clip
    elif v < -clip:
        v = -clip
    return np.float32(v)


@njit(cache=True, nogil=True)
def add_outer(out, rows, cols, tau):
    """out_wt += τ (rows_w cols_t) for cols_t ≠ 0 and rows_w ≠ 0 (SmoothSparsePhi's term).

    out : ndarray (W, T), float64; rows : (W,), float64; cols : (T,), float64; tau : float.
    """
    W, T = out.shape
    for w in range(W):
        rw = rows[w]
        if rw == 0.0:
            continue
        for k in range(T):
            if cols[k] != 0.0:
                out[w, k] += tau * (rw * cols[k])


@njit(cache=True, nogil=True)
def add_decorrelation(out, phi, cols, rows, tau):
    """out_wt += −τ φ_wt (Σ_{s∈S} φ_ws − φ_wt) for t ∈ S, w with rows_w (Decorrelator).

    out : ndarray (W, T), float64; phi : (W, T), float32 (Φ of this pass, before the M-step);
    cols : (T,), bool — the topic set S; rows : (W,), bool — tokens of the regularized
    modalities; tau : float.
    """
    W, T = phi.shape
    for w in range(W):
        if not rows[w]:
            continue
        s = 0.0
        for k in range(T):
            if cols[k]:
                s += np.float64(phi[w, k])
        for k in range(T):
            if cols[k]:
                p = np.float64(phi[w, k])
                out[w, k] += ((-tau) * p) * (s - p)


@njit(cache=True, nogil=True)
def one_pass_theta(indptr, indices, data, tok_weight, p_tw, theta_out):
    """θ_td = Σ_w (τ n_dw / n_d) p(t|w) for every row of n_dw (TARTM's one-pass estimate).

    p_tw : ndarray (W, T), float32 — p(t|w) = norm_t(φ_wt n_t), rows may be zero.
    theta_out : ndarray (D, T), float32 — receives θ (rows sum to 1, 0 for empty documents).
    """
    D = indptr.shape[0] - 1
    T = p_tw.shape[1]
    acc = np.empty(T, dtype=np.float64)
    for d in range(D):
        acc[:] = 0.0
        for i in range(indptr[d], indptr[d + 1]):
            w = indices[i]
            x = data[i] * tok_weight[w]
            if x > 0.0:
                for k in range(T):
                    acc[k] += x * p_tw[w, k]
        s = 0.0
        for k in range(T):
            s += acc[k]
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            theta_out[d, k] = acc[k] * inv


@njit(cache=True, nogil=True)
def p_t_given_w(phi, n_t, out):
    """p(t|w) = norm_t(φ_wt n_t); rows of tokens with no mass are 0.

    phi : (W, T) float32; n_t : (T,) float64; out : (W, T) float32.
    """
    W, T = phi.shape
    for w in range(W):
        s = 0.0
        for k in range(T):
            s += phi[w, k] * n_t[k]
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            out[w, k] = phi[w, k] * n_t[k] * inv


@njit(cache=True, nogil=True)
def token_topics(phi, theta_d, tokens, out):
    """p(t|d,w_i) = norm_t(φ_{w_i t} θ_td) for every position i of one document.

    phi : (W, T) float32; theta_d : (T,) float32; tokens : (n,) int token ids;
    out : (T, n) float32 — column i is the topic distribution of position i (0 when
    Σ_t φ θ = 0).
    """
    T = phi.shape[1]
    n = tokens.shape[0]
    for i in range(n):
        w = tokens[i]
        s = 0.0
        for k in range(T):
            s += phi[w, k] * theta_d[k]
        inv = 1.0 / s if s > 0.0 else 0.0
        for k in range(T):
            out[k, i] = phi[w, k] * theta_d[k] * inv


@njit(cache=True, nogil=True)
def doc_cooccurrence(indptr, indices, pos, df_out, co_out):
    """Document frequencies and co-document counts of a token subset.

    pos : (W,) int64 — index of token w in the subset, or -1.
    df_out : (K,) float64 — receives the number of documents containing each subset token.
    co_out : (K, K) float64 — receives the number of documents containing both (symmetric,
    diagonal = df).
    """
    df_out[:] = 0.0
    co_out[:, :] = 0.0
    D = indptr.shape[0] - 1
    K = df_out.shape[0]
    present = np.empty(K, dtype=np.int64)
    for d in range(D):
        n = 0
        for i in range(indptr[d], indptr[d + 1]):
            j = pos[indices[i]]
            if j >= 0:
                present[n] = j
                n += 1
        for x in range(n):
            a = present[x]
            df_out[a] += 1.0
            co_out[a, a] += 1.0
            for y in range(x + 1, n):
                b = present[y]
                co_out[a, b] += 1.0
                co_out[b, a] += 1.0
