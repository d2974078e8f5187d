"""numba kernel of the biterm term: one pass over the pairs u < v (n_uv and p_uv are
symmetric, so each dot product serves both rows), no temporaries."""
from __future__ import annotations

from numba import njit


# reassoc + contract (as the bag E-step's dot): the T-long sums vectorize; no nnan/ninf/arcp,
# so the p > 1e-300 guard stays exact
@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def biterm_rows(indptr, indices, data, weighted, phi_k, out):
    """out[u] = Σ_v n_uv φ_v· / p_uv with p_uv = Σ_t weighted[u, t] φ_vt (weighted = φ n_t).

    ``indptr, indices, data``: CSR of the symmetric n_uv (K, K) float64 with sorted indices;
    ``weighted, phi_k, out`` (K, T) float64.
    """
    K, T = phi_k.shape
    for u in range(K):
        for t in range(T):
            out[u, t] = 0.0
    for u in range(K):
        for j in range(indptr[u], indptr[u + 1]):
            v = indices[j]
            if v <= u:
                continue
            p = 0.0
            for t in range(T):
                p += weighted[u, t] * phi_k[v, t]
            if p > 1e-300:
                q = data[j] / p
                for t in range(T):
                    out[u, t] += q * phi_k[v, t]
                    out[v, t] += q * phi_k[u, t]
