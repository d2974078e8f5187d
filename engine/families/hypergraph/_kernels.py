"""numba kernels of the hypergraph (transaction) E-step.

An edge x of document d is a multiset of vertices (tokens of any modality) with multiplicities
m_v; its weight is w_x = τ_k n_dx (type weight × count). Edges with the same (vertex,
multiplicity) list share one *vertex set* u = u(x) (BigARTM likewise computes Π φ once per
distinct transaction). With q_ut = Π_{v∈u} φ_vt^{m_v}:

    p(x|d) = Σ_t θ_td q_ut,   p_tdx = norm_t(θ_td q_ut)
    θ_td   = norm_t(θ_td Σ_x w_x q_ut / p(x|d) + r_td)          (inner passes)
    n_vt   = Σ_x m_v w_x p_tdx = Σ_{u∋v} m_v q_ut Σ_{x: u(x)=u} r_x θ_td(x),   r_x = w_x / p(x|d)

in three phases, like the bag-of-words E-step's two: :func:`edge_products` (q per vertex set),
:func:`hyper_theta` (θ, the ratios r_x and the log-likelihood, per document), then
:func:`set_sums` (A_ut = q_ut Σ_x r_x θ_td(x), per vertex set) and :func:`vertex_sums`
(n_vt = Σ_u m_v A_ut, per vertex). Each phase writes disjoint rows, so any split into
threads gives the same result and no thread needs its own (W, T) buffer.

q is kept scaled: ``q[u] = q_ut / max_t q_ut`` with ln max_t q_ut in ``logscale[u]``, so long
edges (sentences) never underflow; p_tdx and θ do not depend on the shift.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels import EPS
from engine.em._kernels.estep import load_theta, theta_update

#: below this largest entry a set's running product is recomputed in log space (see
#: :func:`edge_products`)
TINY = 1e-250


@njit(cache=True, nogil=True)
def _log_products(u, ptr, vertex, mult, tok_weight, phi, q, logscale, acc):
    """Set u in log space: acc_t = Σ_v m_v ln φ_vt, q = exp(acc − max), logscale = max."""
    T = phi.shape[1]
    acc[:] = 0.0
    for j in range(ptr[u], ptr[u + 1]):
        w = vertex[j]
        if tok_weight[w] != 0.0:
            for k in range(T):
                x = np.float64(phi[w, k])
                acc[k] += mult[j] * np.log(x) if x > 0.0 else -np.inf
    mx = -np.inf
    for k in range(T):
        mx = max(mx, acc[k])
    logscale[u] = mx
    for k in range(T):
        q[u, k] = np.float32(np.exp(acc[k] - mx)) if mx > -np.inf else np.float32(0.0)


@njit(cache=True, nogil=True)
def edge_products(u0, u1, ptr, vertex, mult, tok_weight, phi, q, logscale):
    """Vertex sets [u0, u1): q (U, T) float32 scaled products Π_v φ_vt^{m_v} / max_t and
    logscale (U,) float64 = ln max_t Π_v φ_vt^{m_v} (−inf when the set has no usable vertex or
    every topic gives it probability 0). Vertices whose ``tok_weight`` is 0 are left out.

    The product is taken in linear space (one multiply per topic and vertex; no log/exp per
    entry) while its largest entry stays ≥ :data:`TINY`; a set whose product falls below is
    recomputed in log space (long sentences). This is exact to float32: every factor is ≤ 1, so
    an entry lost to underflow (< 1e-308, or imprecise as a subnormal) while the largest stays
    ≥ 1e-250 is below 1e-58 of it for good, i.e. 0 in float32 (whose smallest is 1.4e-45)."""
    T = phi.shape[1]
    acc = np.empty(T, dtype=np.float64)
    for u in range(u0, u1):
        for k in range(T):
            acc[k] = 1.0
        used = False
        linear = True
        for j in range(ptr[u], ptr[u + 1]):
            w = vertex[j]
            if tok_weight[w] == 0.0:
                continue
            used = True
            m = mult[j]
            if m == 1.0:
                for k in range(T):
                    acc[k] *= phi[w, k]
            else:
                for k in range(T):
                    acc[k] *= np.float64(phi[w, k]) ** m
            mx = 0.0
            for k in range(T):
                mx = max(mx, acc[k])
            if mx < TINY:
                linear = False
                break
        if not used:
            logscale[u] = -np.inf
            for k in range(T):
                q[u, k] = np.float32(0.0)
        elif not linear:
            _log_products(u, ptr, vertex, mult, tok_weight, phi, q, logscale, acc)
        else:
            mx = 0.0
            for k in range(T):
                mx = max(mx, acc[k])
            for k in range(T):
                q[u, k] = np.float32(acc[k] / mx)
            logscale[u] = np.log(mx)


@njit(inline="always")  # inlined into the caller's IR, so the caller's fastmath flags apply to the dot
def _edge_p(q, u, th, weight, logscale):
    """p(x|d) (in the set's scale) = Σ_t θ_td q_ut, or 0 for weight 0, an unusable set or p < EPS."""
    if weight <= 0.0 or logscale == -np.inf:
        return np.float32(0.0)
    p = np.float32(0.0)
    for k in range(th.shape[0]):
        p += q[u, k] * th[k]
    return p if p >= EPS else np.float32(0.0)


# Like the bag E-step's ``_dot``, the θ kernel may reassociate and contract (FMA) its float32
# sums so LLVM vectorizes them (no nnan/ninf/arcp: every zero and −inf guard stays exact). With
# the dot inlined this measured 2.4× faster than calling ``_dot`` per edge.
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def hyper_theta(d0, d1, doc_ptr, shape, weight, count, q, logscale, theta_in, theta_out, reset_theta, inner_passes,
                theta_add, theta_mult, theta_add_doc, ratio, lle):
    """Documents [d0, d1): θ_d by ``inner_passes`` updates over the document's edges; then, with
    the final θ_d, r_x = w_x / p(x|d) into ``ratio`` (E,) and n_dx ln p(x|d) into ``lle`` (E,)
    float64 (both 0 for edges with p(x|d) < EPS, unusable edges and weight 0). Edge e uses the q
    row ``shape[e]``; p(x|d) = Σ_t θ_td q_ut is in the units of the set's scale. A document
    without a usable edge gets θ_d = 0."""
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
            lle[e] = 0.0
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
                p = _edge_p(q, u, th, weight[e], logscale[u])
                if p > 0.0:
                    alpha = np.float32(weight[e] / p)
                    for k in range(T):
                        ntd[k] += alpha * q[u, k]
            theta_update(d, th, ntd, theta_add, theta_mult, theta_add_doc, has_doc)
        for e in range(a, b):
            u = shape[e]
            p = _edge_p(q, u, th, weight[e], logscale[u])
            if p > 0.0:
                ratio[e] = np.float32(weight[e] / p)
                lle[e] = count[e] * (np.log(np.float64(p)) + logscale[u])
        for k in range(T):
            theta_out[d, k] = th[k]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def set_scatter(u0, u1, set_edge_ptr, set_edges, edge_doc, ratio, lle, count, theta, q, set_ptr, set_vertex,
                set_mult, inv_mass, tok_weight, tok_mod, n_wt, loglik, n_tok):
    """Vertex sets [u0, u1): a_t = q_ut Σ_{x: u(x)=u} r_x θ_td(x), then n_vt += m_v a_t for
    every vertex of u into ``n_wt`` (W, T) (this chunk's own buffer, zeroed by the caller), and
    per modality of the vertices loglik += (m_v / Σ m) Σ_x n_dx ln p(x|d), n_tok += m_v Σ_x n_dx
    (over the edges with p(x|d) > 0). ``set_edges[set_edge_ptr[u]:set_edge_ptr[u+1]]`` are
    the edges of set u in increasing order, ``edge_doc`` the document of every edge; vertices
    whose ``tok_weight`` is 0 are left out."""
    T = q.shape[1]
    acc = np.empty(T, dtype=np.float32)
    for u in range(u0, u1):
        acc[:] = 0.0
        ll = 0.0
        cnt = 0.0
        for j in range(set_edge_ptr[u], set_edge_ptr[u + 1]):
            x = set_edges[j]
            r = ratio[x]
            if r != 0.0:
                d = edge_doc[x]
                for k in range(T):
                    acc[k] += r * theta[d, k]
                ll += lle[x]
                cnt += count[x]
        if cnt == 0.0:
            continue
        for k in range(T):
            acc[k] *= q[u, k]
        for j in range(set_ptr[u], set_ptr[u + 1]):
            v = set_vertex[j]
            if tok_weight[v] == 0.0:
                continue
            m = set_mult[j]
            for k in range(T):
                n_wt[v, k] += m * acc[k]
            md = tok_mod[v]
            loglik[md] += m * inv_mass[u] * ll
            n_tok[md] += m * cnt
