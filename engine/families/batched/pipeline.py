"""One batch through the E-step of the single-process batched trainer, in corpus-wide token ids.

Per batch b (D_b documents, nnz_b entries), with Φ fixed for the pass:

1. :func:`prepare` (run in the prefetch thread, numba releases the GIL): the CSR arrays as read
   from the batch file and their transposed structure (:func:`~._kernels.csc_of`, O(nnz_b + W));
2. :func:`estep_add`: θ_d for d ∈ b by :func:`engine.em._kernels.estep_chunk` over document
   chunks, then n_wt += φ_wt Σ_{d∈b} (τ n_dw / p_dw) θ_td by :func:`~._kernels.nwt_add` over
   token ranges — both on the trainer's threads, straight into the pass's n_wt (W, T).

A batch costs O(nnz_b·T) plus O(W) for its column pointers; no (W_b, T) block is gathered or
scattered and no scipy matrix is built. The arithmetic is that of the in-memory E-step
(:mod:`engine.em.estep`); only the order in which the batches' sums are added into n_wt differs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.em import _kernels as K
from engine.em.estep import chunks
from engine.errors import WorkspaceError
from engine.families.batched._kernels import csc_of, nwt_add


@dataclass(frozen=True, eq=False)
class StreamBatch:
    """A batch ready for :func:`estep_add`: CSR arrays (``indptr`` int64 (D_b+1,), ``indices``
    int32, ``data`` float32, corpus-wide token ids) and ``csc`` = (colptr (W+1,), rows, pos)."""

    index: int
    doc0: int
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    csc: tuple

    @property
    def n_docs(self) -> int:
        return len(self.indptr) - 1


def prepare(batch, n_tokens: int) -> StreamBatch:
    """The :class:`StreamBatch` of a :class:`~engine.corpus.batches.Batch` (checks the counts)."""
    m = batch.n_dw
    indptr = np.ascontiguousarray(m.indptr, np.int64)
    indices = np.ascontiguousarray(m.indices, np.int32)
    data = np.ascontiguousarray(m.data, np.float32)
    if len(data) and not (data.min() >= 0 and np.isfinite(data.max())):
        raise WorkspaceError(f"batch {batch.index} holds negative or non-finite counts")
    return StreamBatch(index=batch.index, doc0=batch.doc0, indptr=indptr, indices=indices, data=data,
                       csc=csc_of(indptr, indices, n_tokens))


def estep_add(sb: StreamBatch, phi, tok_weight, tok_mod, n_mod: int, theta_in, reset: bool,
              inner_passes: int, add, mult, add_doc, n_wt, threads: int = 1, pool=None):
    """The E-step of one batch with Φ fixed; its n̂_wt is added into ``n_wt`` (W, T) in place.

    Parameters
    ----------
    phi : ndarray (W, T) float32; tok_weight (W,) float32; tok_mod (W,) int32
    theta_in : ndarray (D_b, T) float32 or None (θ from 1/T; also when ``reset``)
    add, mult : ndarray (T,) float32; add_doc : ndarray (D_b or 0, T) float32 — Θ terms
    n_wt : ndarray (W, T) float32, accumulated into

    Returns
    -------
    theta : ndarray (D_b, T) float32
    loglik, n_tok : ndarray (M,) float64
    """
    D, T = sb.n_docs, phi.shape[1]
    colptr, rows, pos = sb.csc
    docs_at = chunks(sb.indptr, threads)
    spans = chunks(colptr, threads)
    theta = np.empty((D, T), np.float32)
    ratio = np.empty(len(sb.indices), np.float32)
    logs = np.zeros((3, len(docs_at), n_mod))
    reset = reset or theta_in is None
    th_in = theta if reset else theta_in

    def docs(c):
        d0, d1 = docs_at[c]
        K.estep_chunk(d0, d1, sb.indptr, sb.indices, sb.data, tok_weight, tok_mod, phi, th_in, theta,
                      reset, inner_passes, add, mult, add_doc, ratio, logs[0, c], logs[1, c], logs[2, c])

    def tokens(c):
        nwt_add(spans[c][0], spans[c][1], colptr, rows, pos, ratio, theta, phi, n_wt)

    if pool is None or threads == 1:
        for c in range(len(docs_at)):
            docs(c)
        for c in range(len(spans)):
            tokens(c)
    else:
        list(pool.map(docs, range(len(docs_at))))
        list(pool.map(tokens, range(len(spans))))
    return theta, logs[0].sum(axis=0), logs[1].sum(axis=0)
