"""Array preparation shared by training and inference: n_dw as canonical CSR, Φ normalized
within modalities, a random initial Φ."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.errors import InputError

__all__ = ["as_csr", "normalize_phi", "random_phi"]


def as_csr(n_dw, n_cols: int | None = None) -> sp.csr_matrix:
    """n_dw as CSR with float32 data, int32 indices, int64 indptr, sorted, canonical."""
    m = sp.csr_matrix(n_dw)
    if n_cols is not None and m.shape[1] != n_cols:
        raise InputError(f"n_dw has {m.shape[1]} columns but the model has {n_cols} tokens")
    if not m.has_sorted_indices:
        m = m.sorted_indices()
    m = sp.csr_matrix((np.ascontiguousarray(m.data, np.float32),
                       np.ascontiguousarray(m.indices, np.int32),
                       np.ascontiguousarray(m.indptr, np.int64)), shape=m.shape)
    # scipy narrows indptr to int32 when it fits; every kernel gets int64 so numba compiles (and
    # caches) one specialization whatever the corpus size
    m.indptr = np.ascontiguousarray(m.indptr, np.int64)
    if m.nnz and (not np.all(np.isfinite(m.data)) or m.data.min() < 0):
        raise InputError("n_dw must hold finite non-negative counts")
    return m


def normalize_phi(phi: np.ndarray, token_modality: np.ndarray, n_mod: int) -> np.ndarray:
    """φ_wt / Σ_{v ∈ m(w)} φ_vt: columns of Φ (W, T) normalized within each modality, float32
    (an all-zero column stays zero)."""
    phi = np.ascontiguousarray(phi, np.float32)
    out = np.empty_like(phi)
    n_t = np.zeros((n_mod, phi.shape[1]))
    K.mstep(phi, np.ascontiguousarray(token_modality, np.int32), n_mod, out, n_t)
    return out


def random_phi(n_tokens: int, n_topics: int, token_modality: np.ndarray, n_mod: int,
               random_state: int) -> np.ndarray:
    """Uniform random Φ (W, T) from ``random_state``, normalized within each modality."""
    rng = np.random.default_rng(random_state)
    return normalize_phi(rng.random((n_tokens, n_topics), dtype=np.float32), token_modality, n_mod)
