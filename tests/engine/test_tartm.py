"""Full TARTM (the seed's modified EM for linear topic-ization) beside the naive one-pass mode:
the correction against a dense reference, its zero sum over topics, and a training run."""
from __future__ import annotations

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.em.topics import p_t_given_w
from engine.em.trainer import Trainer
from engine.errors import ConfigError
from engine.families.context import ContextOptions, SequenceSmoothing, context_config
from engine.families.context._kernels.tartm import tartm_correction, tartm_gradient


def _reference(n_dw, phi, n_t, tok_weight):
    """Σ_d x_dw p′_tdw − Σ_d x_dw p_tdw from the seed's formulas, document by document, dense."""
    q = phi * n_t[None, :]
    q = q / q.sum(axis=1, keepdims=True)                       # φ′_tw (W, T)
    X = n_dw * tok_weight[None, :]
    W, T = phi.shape
    E = np.zeros((W, T))
    for d in range(X.shape[0]):
        x = X[d]
        n_d = x.sum()
        theta = (x[:, None] * q).sum(axis=0) / n_d             # θ_td = Σ_w x_dw φ′_tw / n_d
        p = phi * theta[None, :]
        p /= p.sum(axis=1, keepdims=True)                      # p_tdw
        n_td = (x[:, None] * p).sum(axis=0)
        a = n_td / theta
        corr = q / n_d * (a[None, :] - (q * a[None, :]).sum(axis=1, keepdims=True))
        E += x[:, None] * corr                                 # x_dw (p′ − p)
    return E


def test_correction_matches_the_seed_formula(kernels_ready):
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    D, W, T = 12, 9, 4
    n_dw = rng.integers(0, 4, (D, W)).astype(np.float32)
    n_dw[:, 0] += 1
    phi = rng.random((W, T)).astype(np.float32) + 0.05
    phi /= phi.sum(axis=0, keepdims=True)
    n_t = rng.random(T) + 0.5
    tw = np.ones(W, np.float32)
    tw[-2:] = 0.5                                              # a second modality weighted 0.5
    p_tw = p_t_given_w(phi, n_t).astype(np.float32)
    m = sp.csr_matrix(n_dw)
    m.indices = m.indices.astype(np.int32)
    q64 = p_tw.astype(np.float64)
    X = n_dw * tw[None, :]
    theta = ((X @ q64) / X.sum(axis=1, keepdims=True)).astype(np.float32)
    G = np.zeros((W, T), np.float32)
    tartm_gradient(0, D, m.indptr.astype(np.int64), m.indices, m.data.astype(np.float32), tw, phi, p_tw, theta, G)
    E = tartm_correction(G, p_tw)
    ref = _reference(n_dw.astype(np.float64), phi.astype(np.float64), n_t * 0 + n_t, tw.astype(np.float64))
    np.testing.assert_allclose(E, ref, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(E.sum(axis=1), 0, atol=1e-4)   # p′ sums to 1 over topics


def test_tartm_trains_and_differs_from_naive(make_corpus):
    c = make_corpus(n_topics=3, words_per_topic=6, n_docs=60, doc_len=20, noise=10, n_background_words=4)
    out = {}
    for mode in ("one_pass", "tartm"):
        tr = Trainer(c, context_config(ModelConfig(n_topics=3, iterations=15, seed=1, threads=2),
                                       ContextOptions(mode=mode)))
        tr.fit()
        out[mode] = (tr.phi.copy(), tr.last_report.scores["perplexity"])
        assert np.isfinite(out[mode][1]) and np.allclose(tr.phi.sum(axis=0), 1, atol=1e-4)
    assert np.abs(out["tartm"][0] - out["one_pass"][0]).sum() > 1e-3


def test_tartm_refuses_estep_regularizers():
    with pytest.raises(ConfigError):
        context_config(ModelConfig(n_topics=3), ContextOptions(mode="tartm"), (SequenceSmoothing(tau=1.0),)).validate()


def test_seed_segmentation_rule():
    """The seed's rule on a clean step: the boundary after the last token of the first topic,
    segment θ = ½(R_a + L_{b−1}) pure at the segment edges."""
    from engine.families.context.segment import boundary_scores, pick_boundaries, segment_thetas
    from engine.errors import InputError

    P = np.zeros((20, 2), np.float32)
    P[:10, 0] = 1
    P[10:, 1] = 1
    s = boundary_scores(P, window=3, rule="seed")
    gamma = 1 / 3
    assert s[0] == 0 and s.max() == pytest.approx(1 - gamma, abs=1e-6)   # ½‖L_i − R_i‖ at i = 9 and 10
    assert pick_boundaries(s, 0.5, 3) == [10]
    th = segment_thetas(P, [0, 10, 20], 3, "seed")
    np.testing.assert_allclose(th, [[1, 0], [0, 1]], atol=0.02)        # R_0 and L_9 are both almost pure
    np.testing.assert_allclose(segment_thetas(P, [0, 5, 20], 3, "gap")[1], [5 / 15, 10 / 15], atol=1e-6)
    with pytest.raises(InputError, match="rule must be one of gap, seed"):
        boundary_scores(P, rule="middle")


def test_segment_with_seed_rule_on_a_trained_model():
    """Both rules find the planted boundary (token 30 of 60) of test_context's two-topic documents."""
    from engine.families.context import segment
    from test_context import planted_corpus as sequence_corpus

    c = sequence_corpus(D=40)
    tr = Trainer(c, context_config(ModelConfig(n_topics=2, iterations=20, seed=1, threads=1),
                                   ContextOptions(window=5)))
    tr.fit()
    for rule in ("gap", "seed"):
        for d in range(3):
            segs = segment(tr.model, c, d, threshold=0.3, options=ContextOptions(window=5), rule=rule)
            assert len(segs) == 2 and abs(segs[1]["token_start"] - 30) <= 2, (rule, segs)
            assert segs[0]["topic"] != segs[1]["topic"] and max(segs[0]["theta"]) > 0.8
