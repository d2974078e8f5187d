"""numba kernels of the hypergraph (transaction) E-step.

An edge x of document d is a multiset of vertices (tokens of any modality) with multiplicities
m_v; its weight is w_x = τ_k n_dx (type weight × count). With q_xt = Π_{v∈x} φ_vt^{m_v}:

    p(x|d) = Σ_t θ_td q_xt,   p_tdx = norm_t(θ_td q_xt)
    θ_td   = norm_t(θ_td Σ_x w_x q_xt / p(x|d) + r_td)       (inner passes)
    n_vt   = Σ_x m_v w_x p_tdx                                 (vertex-major, deterministic)

q_xt is kept scaled: ``q[x] = exp(ln q_xt − max_t ln q_xt)`` with the shift in ``logscale[x]``,
so long edges (sentences) never underflow; p_tdx and θ do not depend on the shift.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels import BIG, EPS


@njit(cache=True, nogil=True)
def edge_products(e0, e1, edge_ptr, vertex, mult, tok_weight, logphi, q, logscale):
    """Edges [e0, e1): q (E, T) float32 scaled products and logscale (E,) float64 (−inf when
    the edge has no usable vertex or every topic gives it probability 0). Vertices whose
    modality weight is 0 are left out of the product."""
    T = logphi.shape[1]
    acc = np.empty(T, dtype=np.float64)
    for e in range(e0, e1):
        for k in range(T):
            acc[k] = 0.0
        used = False
        for j in range(edge_ptr[e], edge_ptr[e + 1]):
            w = vertex[j]
            if tok_weight[w] == 0.0:
                continue
            used = True
            m = mult[j]
            for k in range(T):
                acc[k] += m * logphi[w, k]
        mx = -np.inf
        if used:
            for k in range(T):
                if acc[k] > mx:
                    mx = acc[k]
        logscale[e] = mx
        for k in range(T):
            q[e, k] = np.float32(np.exp(acc[k] - mx)) if mx > -np.inf else np.float32(0.0)


@njit(cache=True, nogil=True)
def _p_edge(q, e, th, T):
    s = 0.0
    for k in range(T):
        s += q[e, k] * th[k]
    return s


@njit(cache=True, nogil=True)
def hyper_estep(d0, d1, doc_ptr, weight, q, logscale, theta_in, theta_out, reset_theta,
                inner_passes, theta_add, theta_mult, theta_add_doc, ratio, loglik):
    """Documents [d0, d1): θ_d by ``inner_passes`` updates over the document's edges, then per
    edge ratio[x] = w_x / p(x|d) (0 when unusable) and loglik[x] = ln p(x|d) (NaN when
    p(x|d) = 0 or the edge is unusable). A document without a usable edge gets θ_d = 0."""
    T = q.shape[1]
    has_doc = theta_add_doc.shape[0] > 0
    th = np.empty(T, dtype=np.float32)
    ntd = np.empty(T, dtype=np.float64)
    for d in range(d0, d1):
        a = doc_ptr[d]
        b = doc_ptr[d + 1]
        usable = False
        for e in range(a, b):
            ratio[e] = 0.0
            loglik[e] = np.nan
            if weight[e] > 0.0 and logscale[e] > -np.inf:
                usable = True
        if not usable:
            for k in range(T):
                theta_out[d, k] = 0.0
            continue
        s = np.float32(0.0)
        if not reset_theta:
            for k in range(T):
                th[k] = theta_in[d, k]
                s += th[k]
        if reset_theta or not s > 0.0:
            for k in range(T):
                th[k] = np.float32(1.0) / T
        for _ in range(inner_passes):
            for k in range(T):
                ntd[k] = 0.0
            for e in range(a, b):
                if weight[e] <= 0.0 or logscale[e] == -np.inf:
                    continue
                p = _p_edge(q, e, th, T)
                if p < EPS:
                    continue
                alpha = weight[e] / p
                for k in range(T):
                    ntd[k] += alpha * q[e, k]
            tot = np.float32(0.0)
            for k in range(T):
                v = np.float32(th[k] * ntd[k])
                v = v + theta_mult[k] * v + theta_add[k]
                if has_doc:
                    v += theta_add_doc[d, k]
                if v > BIG:
                    v = BIG
                ntd[k] = v
                if v > 0.0:
                    tot += v
            inv = 1.0 / tot if tot > 0.0 else 0.0
            for k in range(T):
                v = np.float32(ntd[k] * inv)
                th[k] = v if v >= EPS else np.float32(0.0)
        for e in range(a, b):
            if weight[e] <= 0.0 or logscale[e] == -np.inf:
                continue
            p = _p_edge(q, e, th, T)
            if p < EPS:
                continue
            ratio[e] = weight[e] / p
            loglik[e] = np.log(p) + logscale[e]
        for k in range(T):
            theta_out[d, k] = th[k]


@njit(cache=True, nogil=True)
def hyper_nwt(w0, w1, vptr, vpos, vedge, mult, edge_doc, ratio, q, theta, n_wt):
    """Tokens [w0, w1): n_wt = Σ_{x ∋ w} m_w ratio_x θ_{d(x) t} q_xt, over the token's edge
    occurrences in increasing edge order (``vptr`` (W+1,), ``vpos`` positions in the vertex
    arrays, ``vedge`` their edges), so n_wt does not depend on the thread split."""
    T = q.shape[1]
    acc = np.empty(T, dtype=np.float64)
    for w in range(w0, w1):
        for k in range(T):
            acc[k] = 0.0
        for j in range(vptr[w], vptr[w + 1]):
            e = vedge[j]
            r = ratio[e]
            if r == 0.0:
                continue
            x = r * mult[vpos[j]]
            d = edge_doc[e]
            for k in range(T):
                acc[k] += x * theta[d, k] * q[e, k]
        for k in range(T):
            n_wt[w, k] = acc[k]
