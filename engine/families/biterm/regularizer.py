"""The biterm regularizer (the seed's list of regularizers; Yan et al.'s biterm topic model as
an ARTM term) for short texts — tweets, comments, titles, Telegram posts:

    R(Φ) = τ Σ_{u,v} n_uv ln Σ_t n_t φ_ut φ_vt,
    r_ut = φ_ut ∂R/∂φ_ut = τ φ_ut n_t Σ_v n_uv φ_vt / p_uv,    p_uv = Σ_s n_s φ_us φ_vs,

with n_uv the number of documents in which u and v occur together (u ≠ v), over the
``max_tokens`` most frequent tokens of ``modality``. Vectorized and sparse: one pass over the
nonzero pairs (numba, :func:`engine.families.biterm._kernels.biterm_rows`) gives
Σ_v (n_uv / p_uv) φ_v·, then r = τ φ ⊙ n_t ⊙ that. Registered with ``engine.em.regularizers.register_regularizer``, so any
config can use it: ``--reg "Biterm(tau=0.05)"`` or the training page's regularizer cards.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from engine.em.regularizers import PairRegularizer, register_regularizer, topic_mask
from engine.errors import ConfigError
from engine.families.biterm import _kernels as BK

def biterm_counts(n_dw: sp.csr_matrix, ids: np.ndarray) -> sp.csr_matrix:
    """(K, K) CSR n_uv = #documents containing both ids[u] and ids[v], zero diagonal."""
    b = sp.csr_matrix(n_dw[:, ids], dtype=np.float32, copy=True)
    b.data[:] = 1.0
    c = sp.csr_matrix(b.T @ b, dtype=np.float64)
    c.setdiag(0)
    c.eliminate_zeros()
    c.sort_indices()
    return c


def biterm_term(phi_k: np.ndarray, n_t: np.ndarray, counts: sp.csr_matrix, tau: float) -> np.ndarray:
    """r (K, T) float64 of the K tokens of ``counts`` (see the module docstring)."""
    phi_k = np.ascontiguousarray(phi_k, np.float64)
    weighted = phi_k * n_t[None, :]
    acc = np.empty_like(phi_k)
    BK.biterm_rows(counts.indptr, counts.indices, np.asarray(counts.data, np.float64), weighted, phi_k, acc)
    return tau * weighted * acc


@dataclass(frozen=True)
class Biterm(PairRegularizer):
    """R(Φ) = τ Σ_{u,v} n_uv ln Σ_t n_t φ_ut φ_vt over document co-occurrences n_uv of the
    ``max_tokens`` most frequent tokens of ``modality`` (short texts: a document is the window)."""

    topics: object = "all"

    kind: ClassVar[str] = "Biterm"
    DEFAULT_TAU: ClassVar[float] = 0.01
    PARAMS: ClassVar[tuple] = PairRegularizer.pair_params("all", "Topics the term acts on")

    def phi_term(self, phi, n_wt, ctx):
        r = np.zeros(phi.shape, np.float64)
        self.add_phi_term(phi, n_wt, ctx, r)
        return r

    def add_phi_term(self, phi, n_wt, ctx, out):
        if self.modality not in ctx.modalities:
            raise ConfigError(f"{self.name}.modality: the corpus has no modality {self.modality!r}")
        ids = self.frequent_ids(ctx)
        key = ("Biterm", self.modality, self.max_tokens)
        if key not in ctx.cache:
            ctx.cache[key] = biterm_counts(ctx.corpus.n_dw, ids)
        counts = ctx.cache[key]
        if counts.nnz == 0:
            return
        n_t = np.asarray(ctx.n_t if ctx.n_t is not None else np.ones(phi.shape[1]), np.float64)
        n_t = n_t / max(n_t.sum(), 1e-300)  # p(t): same r (the scale of n_t cancels in r_ut)
        mask = topic_mask(ctx, self.topics)
        out[ids] += biterm_term(phi[ids], n_t, counts, ctx.tau) * mask[None, :]


register_regularizer(Biterm)
