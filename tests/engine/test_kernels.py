"""Every kernel of engine/_kernels.py against the slow NumPy reference in reference.py."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.em.arrays import as_csr, normalize_phi
from engine.em.estep import DocBlocks, transposed

import reference as ref


def random_problem(seed=0, D=30, W=25, T=7, n_mod=2, zero_docs=(0, 5), dead_topic=None):
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.6, size=(D, W)).astype(np.float32)
    dense[list(zero_docs)] = 0
    dense[3, :] = 0
    dense[3, 2] = 2.5  # a non-integer count
    dense[:, W - 1] = 0  # a token that occurs nowhere
    tok_mod = (np.arange(W) % n_mod).astype(np.int32)
    phi = normalize_phi(rng.random((W, T)), tok_mod, n_mod)
    if dead_topic is not None:
        phi[:, dead_topic] = 0
    theta = rng.random((D, T)).astype(np.float32)
    theta /= theta.sum(1, keepdims=True)
    tok_weight = np.where(tok_mod == 1, 2.5, 1.0).astype(np.float32)
    return dense, as_csr(dense), tok_mod, phi, theta, tok_weight


def run_estep(m, tok_weight, tok_mod, n_mod, phi, theta, reset, passes, add, mult, add_doc, chunks,
              spans=None):
    """Phase 1 over document ``chunks``, phase 2 over token ``spans`` (default: all at once)."""
    D, T = theta.shape
    W = phi.shape[0]
    out = np.empty_like(theta)
    ratio = np.full(m.nnz, np.nan, np.float32)
    logs = np.zeros((3, len(chunks), n_mod))
    for c, (d0, d1) in enumerate(chunks):
        K.estep_chunk(d0, d1, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta, out,
                      reset, passes, add, mult, add_doc, ratio, logs[0, c], logs[1, c], logs[2, c])
    assert np.all(np.isfinite(ratio))  # every entry written
    n_wt = np.full((W, T), np.nan, np.float32)
    colptr, rows, pos = transposed(m)
    for w0, w1 in spans or [(0, W)]:
        K.nwt_tokens(w0, w1, colptr, rows, pos, ratio, out, phi, n_wt)
    return out, n_wt, logs[0].sum(0), logs[1].sum(0)


@pytest.mark.parametrize("reset,passes", [(False, 1), (True, 1), (False, 3)])
@pytest.mark.parametrize("chunks,spans", [([(0, 30)], None), ([(0, 11), (11, 30)], [(0, 7), (7, 25)])])
def test_estep_matches_reference(kernels_ready, reset, passes, chunks, spans):
    dense, m, tok_mod, phi, theta, tw = random_problem()
    T = phi.shape[1]
    z = np.zeros(T, np.float32)
    got = run_estep(m, tw, tok_mod, 2, phi, theta, reset, passes, z, z,
                    np.zeros((0, T), np.float32), chunks, spans)
    want = ref.estep(dense, tw, tok_mod, 2, phi, theta, reset, passes)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=1e-6)
    assert np.all(got[0][[0, 5]] == 0)  # empty documents: θ = 0
    assert np.all(got[1][-1] == 0)  # token that occurs nowhere


@pytest.mark.parametrize("block_bytes", [64, 300, 1 << 20])
def test_document_blocks_give_the_column_walks_n_wt(kernels_ready, block_bytes):
    """DocBlocks (the trainer's n_wt phase) against nwt_tokens over the plain CSC: the same n_wt bit for
    bit, for one or many blocks (a document longer than a block is a block alone) and any split of the
    tokens; token_mass counts each token's entries; empty documents and an unused token included."""
    dense, m, tok_mod, phi, theta, tw = random_problem(seed=4)
    D, T = theta.shape
    W = phi.shape[0]
    z = np.zeros(T, np.float32)
    ratio = np.empty(m.nnz, np.float32)
    logs = np.zeros((3, 2))
    out = np.empty_like(theta)
    K.estep_chunk(0, D, m.indptr, m.indices, m.data, tw, tok_mod, phi, theta, out, False, 1, z, z,
                  np.zeros((0, T), np.float32), ratio, logs[0], logs[1], logs[2])
    want = np.empty((W, T), np.float32)
    K.nwt_tokens(0, W, *transposed(m), ratio, out, phi, want)
    blocks = DocBlocks.of(m, T, block_bytes)
    assert (len(blocks.first) - 1 > 5) == (block_bytes < 1000)
    np.testing.assert_array_equal(blocks.token_mass, np.r_[0, np.cumsum((dense > 0).sum(axis=0))])
    got = np.full((W, T), np.nan, np.float32)
    for w0, w1 in [(0, 3), (3, 4), (4, 17), (17, W)]:
        blocks.nwt(w0, w1, ratio, out, phi, got)
    np.testing.assert_array_equal(got, want)


def test_estep_with_theta_terms_and_dead_topic(kernels_ready):
    dense, m, tok_mod, phi, theta, tw = random_problem(seed=3, dead_topic=2)
    T = phi.shape[1]
    rng = np.random.default_rng(1)
    add = rng.normal(0, 0.3, T).astype(np.float32)
    mult = rng.normal(0, 0.2, T).astype(np.float32)
    add_doc = rng.normal(0, 0.1, (30, T)).astype(np.float32)
    got = run_estep(m, tw, tok_mod, 2, phi, theta, False, 2, add, mult, add_doc, [(0, 30)])
    want = ref.estep(dense, tw, tok_mod, 2, phi, theta, False, 2, add, mult, add_doc)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=1e-5)
    assert np.all(got[1][:, 2] == 0)


def test_estep_huge_tau_gives_no_nan(kernels_ready):
    dense, m, tok_mod, phi, theta, tw = random_problem(seed=4)
    T = phi.shape[1]
    huge = m.copy()
    huge.data *= np.float32(1e9)  # n_td ~ 1e10: τ n_td overflows float32 without the cap
    for mm in (m, huge):
        for v in (-1e30, 1e30):
            add = np.full(T, v, np.float32)
            got = run_estep(mm, tw, tok_mod, 2, phi, theta, False, 2, add,
                            np.full(T, v, np.float32), np.zeros((0, T), np.float32), [(0, 30)])
            for g in got:
                assert np.all(np.isfinite(g))
            sums = got[0].sum(axis=1)[np.asarray(mm.sum(axis=1)).ravel() > 0]
            np.testing.assert_allclose(sums, 1.0 if v > 0 else 0.0, atol=1e-5)  # smoothed, or dead


def test_infer_chunk_matches_reference(kernels_ready):
    dense, m, tok_mod, phi, theta, tw = random_problem(seed=5)
    T = phi.shape[1]
    out = np.zeros_like(theta)
    logs = np.zeros((3, 2))
    z = np.zeros(T, np.float32)
    K.infer_chunk(0, 30, m.indptr, m.indices, m.data, tw, tok_mod, phi, out, 4, z, z,
                  np.zeros((0, T), np.float32), logs[0], logs[1], logs[2])
    want_theta, _, want_ll, want_n = ref.estep(dense, tw, tok_mod, 2, phi, theta, True, 4)
    np.testing.assert_allclose(out, want_theta, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(logs[0], want_ll, rtol=1e-5)
    np.testing.assert_allclose(logs[1], want_n)


def test_mstep_matches_reference(kernels_ready):
    rng = np.random.default_rng(2)
    x = rng.normal(0.5, 1.0, (20, 6)).astype(np.float32)
    x[:, 4] = -1.0  # dead topic
    x[3, 1] = 1e-20  # below 1e-16 after normalization
    tok_mod = (np.arange(20) % 3).astype(np.int32)
    out = np.empty_like(x)
    n_t = np.zeros((3, 6))
    K.mstep(x, tok_mod, 3, out, n_t)
    want = ref.mstep(x, tok_mod, 3)
    np.testing.assert_allclose(out, want, rtol=1e-6, atol=1e-7)
    assert np.all(out[:, 4] == 0) and out[3, 1] == 0
    for m in range(3):
        s = out[tok_mod == m].sum(0)
        np.testing.assert_allclose(s[[0, 1, 2, 3, 5]], 1, rtol=1e-5)


def test_one_pass_theta_matches_reference(kernels_ready):
    dense, m, tok_mod, phi, theta, tw = random_problem(seed=6)
    n_t = np.random.default_rng(0).random(phi.shape[1]) * 10
    p_tw = np.empty_like(phi)
    K.p_t_given_w(phi, n_t, p_tw)
    out = np.empty_like(theta)
    K.one_pass_theta(m.indptr, m.indices, m.data, tw, p_tw, out)
    np.testing.assert_allclose(out, ref.one_pass_theta(dense, tw, phi, n_t), rtol=1e-5, atol=1e-7)
    assert np.all(out[0] == 0)


def test_token_topics_matches_reference(kernels_ready):
    _, _, _, phi, theta, _ = random_problem(seed=7, dead_topic=1)
    phi[5] = 0  # a token with no mass → zero column
    tokens = np.array([0, 5, 3, 3, 10], np.int64)
    out = np.empty((phi.shape[1], len(tokens)), np.float32)
    K.token_topics(phi, theta[2], tokens, out)
    np.testing.assert_allclose(out, ref.token_topics(phi, theta[2], tokens), rtol=1e-5, atol=1e-7)
    assert np.all(out[:, 1] == 0)
    np.testing.assert_allclose(out[:, [0, 2, 3, 4]].sum(0), 1, rtol=1e-5)


def test_cooccurrence_matches_reference(kernels_ready):
    """The one co-occurrence (engine.em.cooccurrence, which replaced the doc_cooccurrence kernel)
    counts document and pair frequencies like the slow reference."""
    from engine.em.cooccurrence import Cooccurrence

    dense, m, *_ = random_problem(seed=8)
    ids = np.array([1, 4, 7, 9, 24], np.int64)
    co = Cooccurrence(m)
    want_df, want_co = ref.cooccurrence(dense, ids)
    np.testing.assert_array_equal(co.df[ids], want_df)
    got = co.pair_counts(ids)
    np.testing.assert_array_equal(got, want_co)


def test_as_csr_rejects_negative_counts():
    from engine.errors import InputError

    with pytest.raises(InputError, match="non-negative"):
        as_csr(sp.csr_matrix(np.array([[1.0, -1.0]])))
