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


@njit(cache=True, nogil=True)
def nwt_add(w0, w1, colptr, rows, pos, ratio, theta, phi, n_wt):
    """n_wt[w] += φ_w· ⊙ Σ_{d ∈ batch} r_dw θ_d·  for the tokens w ∈ [w0, w1) of the batch.

    The inner sum runs over the batch's documents of w in increasing d (CSC order) in float32,
    then one multiply by φ_wt and one add into n_wt: the same operations, in the same order, as
    :func:`engine.em._kernels.nwt_tokens` on the batch followed by adding its rows into n_wt.

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
    acc = np.empty(T, dtype=np.float32)
    for w in range(w0, w1):
        a = colptr[w]
        b = colptr[w + 1]
        if a == b:
            continue
        for k in range(T):
            acc[k] = 0.0
        for j in range(a, b):
            x = ratio[pos[j]]
            if x != 0.0:
                d = rows[j]
                for k in range(T):
                    acc[k] += x * theta[d, k]
        for k in range(T):
            n_wt[w, k] += phi[w, k] * acc[k]
