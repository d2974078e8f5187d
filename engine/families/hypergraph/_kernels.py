"""numba kernels of the hypergraph (transaction) E-step.

An edge x of document d is a multiset of vertices (tokens of any modality) with multiplicities
m_v; its weight is w_x = τ_k n_dx (type weight × count). With q_xt = Π_{v∈x} φ_vt^{m_v}:

    p(x|d) = Σ_t θ_td q_xt,   p_tdx = norm_t(θ_td q_xt)
    θ_td   = norm_t(θ_td Σ_x w_x q_xt / p(x|d) + r_td)       (inner passes)
    n_vt   = Σ_x m_v w_x p_tdx                                 (edge by edge, per-chunk buffer)

q_xt is kept scaled: ``q[x] = exp(ln q_xt − max_t ln q_xt)`` with the shift in ``logscale[x]``,
so long edges (sentences) never underflow; p_tdx and θ do not depend on the shift.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels import EPS, _dot
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
def _p_edge(q, e, u, th, weight, logscale):
    """p(x|d) (scaled by the edge's shift) = Σ_t θ_td q_ut for edge e of vertex set u (float32,
    the bag E-step's dot), or 0 for an unusable edge or p < EPS."""
    if weight[e] <= 0.0 or logscale[u] == -np.inf:
        return np.float32(0.0)
    s = _dot(q, u, th, th.shape[0])
    return s if s >= EPS else np.float32(0.0)


@njit(cache=True, nogil=True)
def hyper_estep(d0, d1, doc_ptr, edge_ptr, vertex, mult, tok_weight, tok_mod, weight, count, inv_mass, shape, q,
                logscale, theta_in, theta_out, reset_theta, inner_passes, theta_add, theta_mult, theta_add_doc,
                n_wt, loglik, n_tok):
    """Documents [d0, d1): θ_d by ``inner_passes`` updates over the document's edges, then, with
    the final θ_d, n_vt += m_v w_x p_tdx for every vertex of every edge into ``n_wt`` (W, T)
    (this chunk's own buffer, zeroed by the caller) and per modality of the vertices
    loglik += n_dx (m_v / Σ_x m) ln p(x|d), n_tok += n_dx m_v (edges with p(x|d) = 0 left
    out). ``q``/``logscale`` are per distinct vertex set: edge e uses row ``shape[e]``.
    A document without a usable edge gets θ_d = 0."""
    T = q.shape[1]
    has_doc = theta_add_doc.shape[0] > 0
    th = np.empty(T, dtype=np.float32)
    ntd = np.empty(T, dtype=np.float32)
    c = np.empty(T, dtype=np.float32)
    for d in range(d0, d1):
        a = doc_ptr[d]
        b = doc_ptr[d + 1]
        usable = False
        for e in range(a, b):
            if weight[e] > 0.0 and logscale[shape[e]] > -np.inf:
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
                u = shape[e]
                p = _p_edge(q, e, u, th, weight, logscale)
                if p > 0.0:
                    alpha = np.float32(weight[e] / p)
                    for k in range(T):
                        ntd[k] += alpha * q[u, k]
            theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        for e in range(a, b):
            u = shape[e]
            p = _p_edge(q, e, u, th, weight, logscale)
            if p > 0.0:
                r = np.float32(weight[e] / p)
                ll = np.log(np.float64(p)) + logscale[u]
                for k in range(T):
                    c[k] = r * th[k] * q[u, k]
                for j in range(edge_ptr[e], edge_ptr[e + 1]):
                    v = vertex[j]
                    if tok_weight[v] == 0.0:
                        continue
                    m = mult[j]
                    for k in range(T):
                        n_wt[v, k] += m * c[k]
                    md = tok_mod[v]
                    loglik[md] += count[e] * m * inv_mass[e] * ll
                    n_tok[md] += count[e] * m
        for k in range(T):
            theta_out[d, k] = th[k]
