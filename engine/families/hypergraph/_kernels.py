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

from engine.em._kernels import EPS
from engine.em._kernels.estep import load_theta, theta_update


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
def _p_edge(q, e, th, weight, logscale):
    """p(x|d) (scaled by the edge's shift) = Σ_t θ_td q_xt, or 0 for an unusable edge or p < EPS."""
    if weight[e] <= 0.0 or logscale[e] == -np.inf:
        return 0.0
    s = 0.0
    for k in range(th.shape[0]):
        s += q[e, k] * th[k]
    return s if s >= EPS else 0.0


@njit(cache=True, nogil=True)
def hyper_estep(d0, d1, doc_ptr, weight, q, logscale, theta_in, theta_out, reset_theta,
                inner_passes, theta_add, theta_mult, theta_add_doc, ratio, loglik):
    """Documents [d0, d1): θ_d by ``inner_passes`` updates over the document's edges, then per
    edge ratio[x] = w_x / p(x|d) (0 when unusable) and loglik[x] = ln p(x|d) (NaN when
    p(x|d) = 0 or the edge is unusable). A document without a usable edge gets θ_d = 0."""
    T = q.shape[1]
    has_doc = theta_add_doc.shape[0] > 0
    th = np.empty(T, dtype=np.float32)
    ntd = np.empty(T, dtype=np.float32)
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
        load_theta(d, theta_in, reset_theta, th)
        for _ in range(inner_passes):
            for k in range(T):
                ntd[k] = 0.0
            for e in range(a, b):
                p = _p_edge(q, e, th, weight, logscale)
                if p > 0.0:
                    alpha = weight[e] / p
                    for k in range(T):
                        ntd[k] += alpha * q[e, k]
            theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        for e in range(a, b):
            p = _p_edge(q, e, th, weight, logscale)
            if p > 0.0:
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
        acc[:] = 0.0
        for j in range(vptr[w], vptr[w + 1]):
            e = vedge[j]
            if ratio[e] != 0.0:
                _add_edge(acc, ratio[e] * mult[vpos[j]], theta[edge_doc[e]], q[e])
        for k in range(T):
            n_wt[w, k] = acc[k]


@njit(cache=True, nogil=True)
def _add_edge(acc, x, theta_d, q_e):
    """acc += x θ_d ∘ q_x (the edge's p_tdx times its weight and the vertex's multiplicity)."""
    for k in range(acc.shape[0]):
        acc[k] += x * theta_d[k] * q_e[k]
