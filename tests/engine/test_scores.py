"""Scores on hand-made models with values computed by hand."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.errors import ConfigError
from engine.em.scores import (
    SCORES, BackgroundTokensRatio, ClassPrecision, Coherence, Cooccurrence, HoldoutPerplexity,
    Perplexity, ScoreSet, SparsityPhi, SparsityTheta, TopicDistance, TopicKernel, TopicMass,
    cooccurrence, loglik_of, npmi_coherence, score_from_dict, top_token_ids,
)
from engine.em.model import ScoreContext, TopicModel

MODS = ["@default_class", "@labels"]


def make_corpus(n_dw, tokens, modalities):
    n_dw = sp.csr_matrix(np.asarray(n_dw, dtype=np.float32))
    vocab = pd.DataFrame({"token": tokens, "modality": modalities,
                          "tf": np.asarray(n_dw.sum(axis=0)).ravel().astype(float),
                          "df": np.asarray((n_dw > 0).sum(axis=0)).ravel().astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(n_dw.shape[0])], "text": [""] * n_dw.shape[0]})
    return Corpus(name="tiny", documents=docs, vocab=vocab, n_dw=n_dw)


def make_model(phi, theta, background=None, modalities=None, token_modality=None):
    phi = np.asarray(phi, dtype=np.float32)
    theta = np.asarray(theta, dtype=np.float32)
    T = phi.shape[1]
    bg = np.zeros(T, bool) if background is None else np.asarray(background, bool)
    names = [f"topic_{i}" for i in range(int((~bg).sum()))] + [f"background_{i}" for i in range(int(bg.sum()))]
    return TopicModel(phi=phi, theta=theta, topic_names=names, background=bg,
                      modalities=modalities or ["@default_class"],
                      token_modality=np.zeros(phi.shape[0], np.int32) if token_modality is None
                      else np.asarray(token_modality, np.int32),
                      n_t=np.ones(T))


def ctx_of(model, corpus=None, n_wt=None, iteration=1, last=False, loglik=None, n_tokens=None):
    return ScoreContext(corpus=corpus, model=model,
                        n_wt=np.zeros_like(model.phi) if n_wt is None else np.asarray(n_wt, float),
                        loglik=loglik or {}, n_tokens=n_tokens or {}, iteration=iteration, last=last)


def test_perplexity_per_modality_from_context():
    m = make_model(np.ones((2, 1)), np.ones((1, 1)), modalities=MODS, token_modality=[0, 1])
    out = Perplexity().compute(ctx_of(m, loglik={"@default_class": -10.0, "@labels": -2.0},
                                      n_tokens={"@default_class": 5.0, "@labels": 2.0}))
    assert out == pytest.approx({"perplexity@default_class": math.exp(2.0), "perplexity@labels": math.exp(1.0),
                                 "perplexity": math.exp(12.0 / 7.0)})


def test_perplexity_skips_empty_modality():
    m = make_model(np.ones((2, 1)), np.ones((1, 1)), modalities=MODS, token_modality=[0, 1])
    out = Perplexity().compute(ctx_of(m, loglik={"@default_class": -3.0, "@labels": 0.0},
                                      n_tokens={"@default_class": 3.0, "@labels": 0.0}))
    assert out == pytest.approx({"perplexity": math.e, "perplexity@default_class": math.e})


def test_loglik_of_matches_brute_force():
    rng = np.random.default_rng(0)
    phi = rng.random((6, 3)); phi /= phi.sum(0)
    theta = rng.random((3, 4)); theta /= theta.sum(0)
    n_dw = sp.random(4, 6, density=0.6, random_state=1, format="csr") * 5
    tm = np.array([0, 0, 0, 0, 1, 1], np.int32)
    ll, nt = loglik_of(phi, theta, n_dw, tm, 2)
    dense = n_dw.toarray()
    p = (phi @ theta).T
    with np.errstate(divide="ignore"):
        contrib = np.where(dense > 0, dense * np.log(p), 0.0)
    assert ll[0] == pytest.approx(contrib[:, :4].sum())
    assert ll[1] == pytest.approx(contrib[:, 4:].sum())
    assert nt[0] == pytest.approx(dense[:, :4].sum())


def test_holdout_perplexity_uses_inferred_theta():
    phi = np.array([[0.5, 0.0], [0.5, 0.0], [0.0, 1.0]])
    m = make_model(phi, np.ones((2, 1)) / 2)
    held = sp.csr_matrix(np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]], np.float32))
    theta_h = np.array([[1.0, 0.0], [0.0, 1.0]])
    s = HoldoutPerplexity(n_dw=held, infer=lambda model, n_dw: theta_h)
    out = s.compute(ctx_of(m))
    # loglik = 2 ln 0.5 + 3 ln 1 over 5 tokens
    v = math.exp(-2 * math.log(0.5) / 5)
    assert out == pytest.approx({"holdout_perplexity": v, "holdout_perplexity@default_class": v})
    assert "n_dw" not in s.to_dict()


def test_sparsity_phi_counts_subject_topics_per_modality():
    phi = np.array([[0.5, 0.0, 0.2],
                    [0.5, 1.0, 0.8],
                    [1.0, 0.0, 0.5],   # @labels token
                    [0.0, 1.0, 0.5]])
    m = make_model(phi, np.ones((3, 1)) / 3, background=[False, False, True], modalities=MODS,
                   token_modality=[0, 0, 1, 1])
    out = SparsityPhi().compute(ctx_of(m))
    assert out == pytest.approx({"sparsity_phi": 1 / 4, "sparsity_phi@labels": 2 / 4})
    all_topics = SparsityPhi(topics="all").compute(ctx_of(m))
    assert all_topics["sparsity_phi"] == pytest.approx(1 / 6)


def test_sparsity_theta():
    theta = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 0.0]])
    m = make_model(np.ones((2, 3)) / 2, theta, background=[False, False, True])
    assert SparsityTheta().compute(ctx_of(m)) == pytest.approx({"sparsity_theta": 2 / 6})


def test_topic_kernel_hand_computed():
    # two subject topics, n_t = (1, 3) within the default modality
    phi = np.array([[0.6, 0.0],
                    [0.3, 0.1],
                    [0.1, 0.9]])
    n_wt = phi * np.array([1.0, 3.0])
    m = make_model(phi, np.ones((2, 1)) / 2)
    out = TopicKernel(threshold=0.25).compute(ctx_of(m, n_wt=n_wt))
    # p(t|w): w0 -> (1, 0); w1 -> (.3/.6=.5, .5); w2 -> (.1/2.8, 2.7/2.8)
    # kernel t0 = {w0, w1}: size 2, purity .9, contrast (1 + .5)/2 = .75
    # kernel t1 = {w1, w2}: size 2, purity 1.0, contrast (.5 + 2.7/2.8)/2
    assert out["kernel_size"] == pytest.approx(2.0)
    assert out["kernel_purity"] == pytest.approx((0.9 + 1.0) / 2)
    assert out["kernel_contrast"] == pytest.approx((0.75 + (0.5 + 2.7 / 2.8) / 2) / 2)
    high = TopicKernel(threshold=0.6).compute(ctx_of(m, n_wt=n_wt))
    assert high["kernel_size"] == pytest.approx(1.0)  # t0 = {w0}, t1 = {w2}


def test_background_ratio_and_topic_mass():
    phi = np.array([[0.5, 0.5], [0.5, 0.5]])
    n_wt = np.array([[3.0, 1.0], [3.0, 1.0]])
    m = make_model(phi, np.ones((2, 1)) / 2, background=[False, True])
    assert BackgroundTokensRatio().compute(ctx_of(m, n_wt=n_wt)) == pytest.approx({"background_ratio": 0.25})
    mass = TopicMass().compute(ctx_of(m, n_wt=n_wt))
    assert mass == pytest.approx({"topic_mass:topic_0": 0.75, "topic_mass:background_0": 0.25, "dead_topics": 0.0})


def test_npmi_hand_computed():
    # 4 documents; tokens a,b,c.  a in d0,d1; b in d0,d1; c in d2
    n_dw = np.array([[1, 1, 0], [2, 1, 0], [0, 0, 1], [0, 0, 0]])
    co = Cooccurrence(sp.csr_matrix(n_dw))
    assert co.df.tolist() == [2, 2, 1]
    # NPMI(a,b): p(a)=p(b)=p(ab)=.5 -> ln(.5/.25)/-ln(.5) = 1
    assert npmi_coherence(co, [0, 1]) == pytest.approx(1.0)
    # (a,c) never co-occur -> -1 ; mean over (a,b),(a,c),(b,c) = (1 - 1 - 1)/3
    assert npmi_coherence(co, [0, 1, 2]) == pytest.approx(-1 / 3)
    assert math.isnan(npmi_coherence(co, [0]))


def test_npmi_partial_overlap():
    n_dw = np.array([[1, 1], [1, 0], [0, 1], [1, 1]])
    co = Cooccurrence(sp.csr_matrix(n_dw))
    pab, pa, pb = 2 / 4, 3 / 4, 3 / 4
    assert npmi_coherence(co, [0, 1]) == pytest.approx(math.log(pab / (pa * pb)) / -math.log(pab))


def test_coherence_score_uses_top_tokens_and_caches_per_corpus():
    n_dw = np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0]])
    corpus = make_corpus(n_dw, list("abcd"), ["@default_class"] * 4)
    phi = np.array([[0.5, 0.0], [0.4, 0.1], [0.1, 0.0], [0.0, 0.9]])
    m = make_model(phi, np.ones((2, 4)) / 2)
    ids = top_token_ids(m.phi, np.ones(4, bool), np.array([0, 1]), 2)
    assert [list(i) for i in ids] == [[0, 1], [3, 1]]
    out = Coherence(top_k=2).compute(ctx_of(m, corpus=corpus))
    # t0: (a,b) always together -> 1 ; t1: (d,b) never together -> -1
    assert out == pytest.approx({"coherence": 0.0})
    assert cooccurrence(corpus) is cooccurrence(corpus)
    same = make_corpus(n_dw, list("abcd"), ["@default_class"] * 4)
    assert cooccurrence(same) is cooccurrence(corpus)  # same fingerprint


@pytest.mark.parametrize("metric", ["hellinger", "jensen_shannon"])
def test_topic_distance_extremes(metric):
    same = make_model(np.array([[0.5, 0.5], [0.5, 0.5]]), np.ones((2, 1)) / 2)
    apart = make_model(np.array([[1.0, 0.0], [0.0, 1.0]]), np.ones((2, 1)) / 2)
    s = TopicDistance(metric=metric)
    assert s.compute(ctx_of(same))["topic_distance"] == pytest.approx(0.0, abs=1e-7)
    assert s.compute(ctx_of(apart))["topic_distance"] == pytest.approx(1.0)


def test_topic_distance_values():
    p, q = np.array([0.5, 0.5, 0.0]), np.array([0.0, 0.5, 0.5])
    m = make_model(np.stack([p, q], 1), np.ones((2, 1)) / 2)
    h = TopicDistance().compute(ctx_of(m))["topic_distance"]
    assert h == pytest.approx(math.sqrt(1 - 0.5))
    js = TopicDistance(metric="jensen_shannon").compute(ctx_of(m))["topic_distance"]
    assert js == pytest.approx(0.5)  # each half of mass disjoint: 0.5 * (0.5*1 + 0.5*0) * 2
    with pytest.raises(ConfigError, match="metric"):
        TopicDistance(metric="cosine")


def test_class_precision():
    # words w0,w1 ; labels L0,L1 ; 3 docs, doc2 unlabelled
    n_dw = np.array([[3, 0, 1, 0], [0, 2, 1, 0], [1, 1, 0, 0]])
    corpus = make_corpus(n_dw, ["w0", "w1", "L0", "L1"], ["@default_class"] * 2 + ["@labels"] * 2)
    phi = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2], [0.1, 0.8]])
    theta = np.array([[0.9, 0.2, 0.5], [0.1, 0.8, 0.5]])
    m = make_model(phi, theta, modalities=MODS, token_modality=[0, 0, 1, 1])
    # doc0: p(L0)=.81+.02, p(L1)=.09+.08 -> L0 correct ; doc1: p(L0)=.18+.16, p(L1)=.02+.64 -> L1, own label L0 -> wrong
    out = ClassPrecision().compute(ctx_of(m, corpus=corpus))
    assert out == pytest.approx({"class_precision@labels": 0.5})
    assert ClassPrecision(modality="@nope").compute(ctx_of(m, corpus=corpus)) == {}


def test_every_schedule_and_last():
    s = SparsityTheta(every=3)
    assert [i for i in range(1, 10) if s.due(i)] == [3, 6, 9]
    assert s.due(4, last=True)
    m = make_model(np.ones((2, 2)) / 2, np.ones((2, 1)) / 2)
    ss = ScoreSet([SparsityTheta(every=3), TopicMass()])
    assert "sparsity_theta" not in ss.compute(ctx_of(m, n_wt=np.ones((2, 2)), iteration=2))
    assert "sparsity_theta" in ss.compute(ctx_of(m, n_wt=np.ones((2, 2)), iteration=2, last=True))
    assert "sparsity_theta" in ss.compute(ctx_of(m, n_wt=np.ones((2, 2)), iteration=3))


def test_dead_topic_never_gives_nan():
    phi = np.array([[0.5, 0.0, 0.3], [0.5, 0.0, 0.7]])
    m = make_model(phi, np.array([[1.0], [0.0], [0.0]]))
    n_dw = np.array([[1, 1]])
    corpus = make_corpus(n_dw, ["a", "b"], ["@default_class"] * 2)
    ctx = ctx_of(m, corpus=corpus, n_wt=phi * 2, loglik={"@default_class": -1.0},
                 n_tokens={"@default_class": 2.0}, last=True)
    out = ScoreSet().compute(ctx)
    assert out["dead_topics"] == 1.0
    assert all(np.isfinite(v) for v in out.values()), out


def test_round_trip_and_config_errors():
    for kind, cls in SCORES.items():
        s = cls()
        assert score_from_dict(s.to_dict()).to_dict() == s.to_dict()
    ss = ScoreSet.from_list([{"kind": "Coherence", "every": 2, "top_k": 5}])
    assert ss.to_list() == [{"kind": "Coherence", "every": 2, "top_k": 5, "modality": None, "topics": "subject"}]
    with pytest.raises(ConfigError, match="every"):
        SparsityPhi(every=0)
    with pytest.raises(ConfigError, match="unknown score kind"):
        score_from_dict({"kind": "Bogus"})
    with pytest.raises(ConfigError, match="top_kk"):
        score_from_dict({"kind": "Coherence", "top_kk": 3})


def test_from_config_every_and_off():
    ss = ScoreSet.from_config({"coherence": 2, "sparsity_theta": 0, "TopicMass": 3})
    kinds = {s.kind: s.every for s in ss}
    assert kinds["Coherence"] == 2 and kinds["TopicMass"] == 3 and kinds["SparsityPhi"] == 1
    assert "Perplexity" not in kinds  # the trainer reports it from the E-step
    assert ScoreSet.from_config({"perplexity": 1}).scores[-1].kind == "Perplexity"
    assert "SparsityTheta" not in kinds
    assert [s.kind for s in ScoreSet.from_config({})] == [s.kind for s in ScoreSet()]
    held = ScoreSet.from_config({}, holdout=sp.csr_matrix((1, 2), dtype=np.float32))
    assert "HoldoutPerplexity" in {s.kind for s in held}
    with pytest.raises(ConfigError, match="unknown score"):
        ScoreSet.from_config({"bogus": 1})


def test_holdout_perplexity_default_inference_close_to_train(kernels_ready):
    from planted import planted_corpus

    from engine.em.config import ModelConfig
    from engine.em.trainer import Trainer

    corpus = planted_corpus()
    tr = Trainer(corpus, ModelConfig(n_topics=3, iterations=15, seed=2))
    for _ in range(15):
        tr.step()
    held = planted_corpus(seed=7).n_dw  # same planted topics, new documents
    out = HoldoutPerplexity(n_dw=held).compute(tr.last_context)
    train = tr.last_report.scores["perplexity"]
    assert set(out) == {"holdout_perplexity", "holdout_perplexity@default_class"}
    assert train * 0.8 < out["holdout_perplexity"] < train * 1.25
    uniform = HoldoutPerplexity(n_dw=held, infer=lambda m, n: np.full((3, n.shape[0]), 1 / 3)).compute(tr.last_context)
    assert uniform["holdout_perplexity"] > out["holdout_perplexity"] * 1.5


def test_align_counts_maps_tokens_by_string():
    a = make_corpus(np.array([[1, 2, 0]]), ["x", "y", "z"], ["@default_class"] * 3)
    b = make_corpus(np.array([[5, 1, 3, 2]]), ["z", "q", "x", "y"], ["@default_class", "@default_class", "@labels",
                                                                    "@default_class"])
    from engine.em.scores import align_counts

    out = align_counts(b, a)
    assert out.shape == (1, 3)
    assert out.toarray().tolist() == [[0.0, 2.0, 5.0]]  # x@labels and q are not in a
