"""The n_wt phase of the E-step over document blocks: n_wt = φ_wt Σ_d r_dw θ_td.

The ratios r_dw = τ n_dw / p_dw sit in CSR order (document by document, where the document phase
writes them); phase 2 sums them per token. Walking token w's documents over the whole corpus
reads one ratio per cache line from anywhere in an nnz-long array (L3 or memory for a large
corpus). Instead the documents are cut into contiguous *blocks* whose ratios and θ rows fit a
core's L2 cache (:data:`engine.em.estep.BLOCK_BYTES`), and each block carries the transposed
structure of its own entries:

    block b = documents [cuts[b], cuts[b+1]), entries [first[b], first[b+1]) of the CSR;
    segments block_ptr[b] .. block_ptr[b+1]: one per token present in the block, increasing;
    segment s = token seg_token[s], entries seg_ptr[s] .. seg_ptr[s+1] (its documents, increasing);
    entry j: document rows[j], CSR position first[b] + pos[j] (int32: a block is small).

:func:`nwt_blocks` visits the blocks in order and, in each, the segments of its token range,
carrying n_wt[w] from block to block. For every token the sum still runs over its documents in
increasing d, float32, then one multiply by φ_wt — the same operations in the same order as a
walk of the whole column (:func:`engine.em._kernels.estep.nwt_tokens`), so n_wt is bit-identical
and independent of the thread count; only the ratios and θ rows it reads are now cache-resident.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from engine.em._kernels.estep import add_column


@njit(cache=True, nogil=True)
def doc_blocks(indptr, indices, n_cols, cuts):
    """The block structure of the CSR (``indptr`` (D+1,), ``indices`` (nnz,)) for the document
    boundaries ``cuts`` (B+1,) int64 (0 = cuts[0] < … < cuts[B] = D), by a counting sort per block,
    O(nnz + Σ_b S_b log S_b) time and O(n_cols) scratch.

    Returns (first (B+1,) int64, block_ptr (B+1,) int64, seg_token (S,) int32, seg_ptr (S+1,) int64,
    rows (nnz,) int32, pos (nnz,) int32) as described in the module docstring, and ``token_mass``
    (n_cols+1,) int64, the cumulative number of entries of tokens 0..w−1.
    """
    B = cuts.shape[0] - 1
    nnz = indptr[indptr.shape[0] - 1]
    first = np.empty(B + 1, np.int64)
    for b in range(B + 1):
        first[b] = indptr[cuts[b]]
    mark = np.full(n_cols, -1, np.int64)
    block_ptr = np.zeros(B + 1, np.int64)
    token_mass = np.zeros(n_cols + 1, np.int64)
    for b in range(B):  # tokens present per block
        c = 0
        for i in range(first[b], first[b + 1]):
            w = indices[i]
            token_mass[w + 1] += 1
            if mark[w] != b:
                mark[w] = b
                c += 1
        block_ptr[b + 1] = block_ptr[b] + c
    for w in range(n_cols):
        token_mass[w + 1] += token_mass[w]
    S = block_ptr[B]
    seg_token = np.empty(S, np.int32)
    seg_ptr = np.empty(S + 1, np.int64)
    seg_ptr[S] = nnz
    rows = np.empty(nnz, np.int32)
    pos = np.empty(nnz, np.int32)
    count = np.zeros(n_cols, np.int64)
    nxt = np.empty(n_cols, np.int64)
    mark[:] = -1
    for b in range(B):
        s0 = block_ptr[b]
        c = 0
        for i in range(first[b], first[b + 1]):
            w = indices[i]
            if mark[w] != b:
                mark[w] = b
                seg_token[s0 + c] = w
                count[w] = 0
                c += 1
            count[w] += 1
        seg_token[s0:s0 + c] = np.sort(seg_token[s0:s0 + c])
        at = first[b]
        for s in range(s0, s0 + c):
            w = seg_token[s]
            seg_ptr[s] = at
            nxt[w] = at
            at += count[w]
        for d in range(cuts[b], cuts[b + 1]):
            for i in range(indptr[d], indptr[d + 1]):
                w = indices[i]
                j = nxt[w]
                rows[j] = d
                pos[j] = i - first[b]
                nxt[w] = j + 1
    return first, block_ptr, seg_token, seg_ptr, rows, pos, token_mass


@njit(cache=True, nogil=True)
def nwt_blocks(w0, w1, first, block_ptr, seg_token, seg_ptr, rows, pos, ratio, theta, phi, n_wt):
    """Phase 2 of the E-step for tokens [w0, w1): n_wt = φ_wt Σ_d r_dw θ_td (see the module); as
    :func:`engine.em._kernels.estep.nwt_tokens` with :func:`doc_blocks`'s (first, block_ptr,
    seg_token, seg_ptr, rows, pos) in place of the CSC: ``ratio`` (nnz,) at the CSR positions,
    Θ (D, T) and Φ (W, T) float32, rows w0..w1 of ``n_wt`` (W, T) written."""
    T = phi.shape[1]
    acc = np.empty(T, dtype=np.float32)
    for w in range(w0, w1):
        for k in range(T):
            n_wt[w, k] = 0.0
    for b in range(block_ptr.shape[0] - 1):
        s1 = block_ptr[b + 1]
        s = block_ptr[b] + np.searchsorted(seg_token[block_ptr[b]:s1], w0)
        e0 = first[b]
        while s < s1 and seg_token[s] < w1:
            w = seg_token[s]
            for k in range(T):
                acc[k] = n_wt[w, k]
            add_column(acc, seg_ptr[s], seg_ptr[s + 1], e0, rows, pos, ratio, theta)
            for k in range(T):
                n_wt[w, k] = acc[k]
            s += 1
    for w in range(w0, w1):
        for k in range(T):
            n_wt[w, k] = phi[w, k] * n_wt[w, k]
