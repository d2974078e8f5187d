"""numba kernels of the batched E-step: pure functions over arrays (conventions of
:mod:`engine.em._kernels`: CSR n_dw of one batch as ``indptr`` int64 / ``indices`` int32 with
corpus-wide token ids; Φ (W, T) and Θ (D_b, T) float32, row-major).

- :func:`csc_of` — the transposed structure of a batch by a counting sort, O(nnz + W);
- :func:`nwt_add` — phase 2 of the E-step summed straight into the pass's n_wt (W, T):
  no per-batch local vocabulary, no gather of Φ rows, no scatter of a (W_b, T) block.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels import nwt_tokens


@njit(cache=True, nogil=True)
def csc_of(indptr, indices, n_cols):
    """(colptr (n_cols+1,) int64, rows (nnz,) int32, pos (nnz,) int64): the CSC structure of the
    CSR (``indptr``, ``indices``) with the documents of every column in increasing order and the
    CSR position of every entry — what :func:`engine.em.estep.transposed` gives, without scipy."""
    nnz = indptr[len(indptr) - 1]
    colptr = np.zeros(n_cols + 1, np.int64)
    for i in range(nnz):
        colptr[indices[i] + 1] += 1
    for w in range(n_cols):
        colptr[w + 1] += colptr[w]
    nxt = colptr[:n_cols].copy()
    rows = np.empty(nnz, np.int32)
    pos = np.empty(nnz, np.int64)
    for d in range(len(indptr) - 1):
        for i in range(indptr[d], indptr[d + 1]):
            w = indices[i]
            j = nxt[w]
            rows[j] = d
            pos[j] = i
            nxt[w] = j + 1
    return colptr, rows, pos


#: columns per call of ``nwt_tokens`` in :func:`nwt_add` (a (BLOCK, T) scratch block stays in cache)
BLOCK = 64


@njit(cache=True, nogil=True)
def nwt_add(w0, w1, colptr, rows, pos, ratio, theta, phi, n_wt):
    """n_wt[w] += φ_w· ⊙ Σ_{d ∈ batch} r_dw θ_d·  for the tokens w ∈ [w0, w1) of the batch.

    Rows come from :func:`engine.em._kernels.nwt_tokens` on ``BLOCK`` columns at a time (the sum
    over the batch's documents of w in increasing d, float32, then one multiply by φ_wt) and are
    added into n_wt (tokens absent from the batch are left untouched):
    the same operations, in the same order, as the in-memory E-step on the batch followed by
    adding its rows into n_wt.

    Parameters
    ----------
    colptr : ndarray (W + 1,), int64; rows : ndarray (nnz,), int32; pos : ndarray (nnz,), int64
        :func:`csc_of` of the batch (tokens with no entry are skipped).
    ratio : ndarray (nnz,), float32
        τ n_dw / p_dw at the batch's CSR positions (from :func:`engine.em._kernels.estep_chunk`).
    theta : ndarray (D_b, T), float32; phi : ndarray (W, T), float32
    n_wt : ndarray (W, T), float32
        Rows w0..w1 updated in place.
    """
    T = phi.shape[1]
    block = np.empty((BLOCK, T), dtype=np.float32)
    for a in range(w0, w1, BLOCK):
        n = min(BLOCK, w1 - a)
        if colptr[a] == colptr[a + n]:
            continue
        nwt_tokens(0, n, colptr[a:a + n + 1], rows, pos, ratio, theta, phi[a:a + n], block)
        for i in range(n):
            if colptr[a + i] != colptr[a + i + 1]:
                for k in range(T):
                    n_wt[a + i, k] += block[i, k]
