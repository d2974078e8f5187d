"""Warm-up: call every numba kernel the app can reach once on tiny arrays, so numba compiles
them (or loads them from its cache) before the first real pass — the EM kernels here, each
family's kernels through its ``warmup`` extension point."""
from __future__ import annotations

import time

import numpy as np

from engine.em import _kernels as K
from engine.em.arrays import as_csr, normalize_phi
from engine.em.estep import DocBlocks, transposed
from engine.em.cooccurrence import Cooccurrence
from engine.em.family import FAMILIES
from engine.em.pass_stats import pass_stats
from engine.em.scores.coherence import top_token_ids
from engine.em.scores.distance import hellinger_distances

__all__ = ["warmup", "compile_em_kernels"]


def warmup() -> float:
    """Compile (or load) every kernel: the EM kernels and every registered family's; returns
    the seconds taken. Safe to call from a background thread at app start."""
    t0 = time.perf_counter()
    compile_em_kernels()
    for fam in list(FAMILIES.values()):
        if fam.warmup is not None:
            fam.warmup()
    return time.perf_counter() - t0


def compile_em_kernels() -> None:
    """Call every EM kernel once on tiny arrays (numba compiles or loads its cache)."""
    W, T, D = 4, 2, 3
    n_dw = as_csr(np.array([[1, 0, 2, 0], [0, 0, 0, 0], [1, 1, 0, 3]], np.float32))
    tok_mod = np.array([0, 0, 0, 1], np.int32)
    tok_w = np.ones(W, np.float32)
    phi = normalize_phi(np.random.default_rng(0).random((W, T)), tok_mod, 2)
    theta = np.full((D, T), 0.5, np.float32)
    out = np.empty_like(theta)
    z = np.zeros(T, np.float32)
    logs = np.zeros((3, 2))
    ratio = np.empty(n_dw.nnz, np.float32)
    K.estep_chunk(0, D, n_dw.indptr, n_dw.indices, n_dw.data, tok_w, tok_mod, phi, theta, out,
                  False, 1, z, z, np.zeros((0, T), np.float32), ratio, logs[0], logs[1], logs[2])
    n_wt = np.empty((W, T), np.float32)
    K.nwt_tokens(0, W, *transposed(n_dw), ratio, out, phi, n_wt)
    DocBlocks.of(n_dw, T).nwt(0, W, ratio, out, phi, n_wt)
    K.infer_chunk(0, D, n_dw.indptr, n_dw.indices, n_dw.data, tok_w, tok_mod, phi, out, 1, z, z,
                  np.zeros((0, T), np.float32), logs[0], logs[1], logs[2])
    K.mstep(n_wt, tok_mod, 2, np.empty_like(n_wt), np.zeros((2, T)))
    r_wt = np.zeros((W, T))
    K.add_outer(r_wt, np.ones(W), np.ones(T), 0.1)
    K.add_decorrelation(r_wt, phi, np.ones(T, np.bool_), np.ones(W, np.bool_), 1.0)
    K.mstep_reg(n_wt, r_wt, 1e30, tok_mod, 2, np.empty_like(n_wt), np.zeros((2, T)))
    p_tw = np.empty_like(phi)
    K.p_t_given_w(phi, np.ones(T), p_tw)
    K.one_pass_theta(n_dw.indptr, n_dw.indices, n_dw.data, tok_w, p_tw, out)
    K.token_topics(phi, theta[0], np.array([0, 2], np.int64), np.empty((T, 2), np.float32))
    # the default scores' kernels (engine/em/_kernels/scores.py), through their callers
    pass_stats(n_wt, phi, tok_mod, 2, theta).theta_summary()
    hellinger_distances(phi, np.arange(W), np.arange(T))
    top_token_ids(phi, np.ones(W, bool), np.arange(T), 2)
    Cooccurrence(n_dw).list_pair_counts([np.array([0, 2], np.int64)])
