"""The standard E-step (bag of words), run by :class:`engine.em.trainer.Trainer` unless the
config's family brings its own (:class:`engine.em.family.EStep`).

Two nogil phases run from the trainer's thread pool (DESIGN §3):

1. θ of every document over ``threads`` contiguous document chunks balanced by nnz
   (:func:`engine.em._kernels.estep_chunk`): θ_d starts from 1/T (or the previous pass),
   each inner pass n_td = θ_td Σ_w τ n_dw φ_wt / p_dw, θ_td = norm_t(n_td + r_td); the
   log-likelihood Σ n_dw ln p_dw per modality comes out of the same pass;
2. n_wt = Σ_d τ n_dw φ_wt θ_td / p_dw over contiguous token ranges, reading the ratios and θ
   block of documents by block (:class:`DocBlocks`, :func:`engine.em._kernels.nwt_blocks`).

Deterministic, and n_wt does not depend on the thread count.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.em.family import EStep

__all__ = ["BLOCK_BYTES", "BagEStep", "DocBlocks", "chunks", "transposed"]

#: bytes of ratios (4 per entry) and θ rows (4·T per document) per document block of the n_wt
#: phase, well inside a core's L2 cache (1–2 MiB on current x86): of 256 KiB – 2 MiB, the best or
#: within 5 % of it on 20 Newsgroups and the Telegram posts at T = 20 and 100 (bench/README.md §2)
BLOCK_BYTES = 768 << 10


def chunks(indptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous ranges of rows with about equal mass (``indptr`` = cumulative mass, R+1)."""
    D = len(indptr) - 1
    parts = max(1, min(parts, D))
    nnz = float(indptr[-1])
    cuts = [0] + [int(np.searchsorted(indptr, nnz * k / parts)) for k in range(1, parts)] + [D]
    cuts = sorted(set(min(max(c, 0), D) for c in cuts))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a] or [(0, D)]


def transposed(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(colptr (W+1,) int64, rows (nnz,) int32, pos (nnz,) int64): the CSC structure of the CSR
    ``m`` with documents sorted within each token, and the CSR position of every entry."""
    at = sp.csr_matrix((np.arange(m.nnz, dtype=np.float64), m.indices, m.indptr),
                       shape=m.shape).tocsc()
    at.sort_indices()
    return (np.ascontiguousarray(at.indptr, np.int64), np.ascontiguousarray(at.indices, np.int32),
            np.ascontiguousarray(at.data, np.int64))


class DocBlocks(NamedTuple):
    """n_dw's entries in document blocks for the n_wt phase (:mod:`engine.em._kernels.blocks`),
    and ``token_mass`` (W+1,) int64, the cumulative entries per token (to split tokens between
    threads by work). Memory: 8 bytes per entry and 12 per (block, token present)."""

    first: np.ndarray
    block_ptr: np.ndarray
    seg_token: np.ndarray
    seg_ptr: np.ndarray
    rows: np.ndarray
    pos: np.ndarray
    token_mass: np.ndarray

    @classmethod
    def of(cls, m: sp.csr_matrix, n_topics: int, block_bytes: int = BLOCK_BYTES) -> "DocBlocks":
        """The blocks of the CSR ``m`` (D, W) for Θ of ``n_topics`` columns: contiguous documents
        with 4·entries + 4·T·documents ≤ ``block_bytes`` (a longer document is a block alone)."""
        D, W = m.shape
        cost = np.cumsum(4 * np.diff(m.indptr).astype(np.int64) + 4 * int(n_topics))
        cuts = np.searchsorted(cost, np.arange(block_bytes, int(cost[-1]) if D else 0, block_bytes), side="right")
        cuts = np.unique(np.concatenate([[0], cuts, [D]])).astype(np.int64)
        return cls(*K.doc_blocks(m.indptr, m.indices, W, cuts))

    def nwt(self, w0: int, w1: int, ratio: np.ndarray, theta: np.ndarray, phi: np.ndarray,
            n_wt: np.ndarray) -> None:
        """Rows w0..w1 of n_wt = φ_wt Σ_d r_dw θ_td (:func:`engine.em._kernels.nwt_blocks`)."""
        K.nwt_blocks(w0, w1, *self[:6], ratio, theta, phi, n_wt)


class BagEStep(EStep):
    """θ by inner iterations over the bag of words, then n_wt; see the module docstring."""

    def __init__(self, trainer):
        self._blocks: DocBlocks | None = None
        self._ratio: np.ndarray | None = None  # (nnz,) scratch between the two phases, kept across passes

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        add, mult, add_doc = theta_terms
        m = tr.n_dw
        phi, theta_in, tok_mod = tr.phi, tr.theta_buffer, tr.token_modality
        D, T = theta_in.shape
        W, M = phi.shape[0], len(tr.modalities)
        if self._blocks is None:  # the cut depends on T only for speed, never the result
            self._blocks = DocBlocks.of(m, T)
        blocks = self._blocks
        docs_at = chunks(m.indptr, cfg.threads)
        spans = chunks(blocks.token_mass, cfg.threads)
        theta = np.empty((D, T), np.float32)
        if self._ratio is None:  # not a fresh nnz-long array (and its page faults) every pass
            self._ratio = np.empty(m.nnz, np.float32)
        ratio = self._ratio
        n_wt = np.empty((W, T), np.float32)
        logs = np.zeros((3, len(docs_at), M))

        def docs(c):
            d0, d1 = docs_at[c]
            K.estep_chunk(d0, d1, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta_in,
                          theta, reset, cfg.inner_passes, add, mult, add_doc, ratio,
                          logs[0, c], logs[1, c], logs[2, c])

        def tokens(c):
            blocks.nwt(spans[c][0], spans[c][1], ratio, theta, phi, n_wt)

        if cfg.threads == 1:
            docs(0)
            tokens(0)
        else:
            pool = tr.pool(cfg.threads)
            list(pool.map(docs, range(len(docs_at))))
            list(pool.map(tokens, range(len(spans))))
        return n_wt, theta, logs[0].sum(axis=0), logs[1].sum(axis=0)
