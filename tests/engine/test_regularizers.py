"""The regularizer library: a contract over every registered class, then each one's effect."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.errors import ConfigError
from engine.em.trainer import Trainer
from engine.em.regularizers import (
    REGULARIZERS, LDA, Decorrelator, ImproveCoherence, RegContext, SeedWords, SmoothSparsePhi,
    SmoothSparseTheta, TimeSmoothing, TopicSelection, coherence_weights, parse_regularizer,
    regularizer_from_dict, regularizer_schema,
)
from engine.em.schedule import Constant, Linear, Piecewise, Step

#: parameters a class needs beyond its defaults
REQUIRED = {"SeedWords": {"lexicon": {"topic_0": ["w1_0", "w1_1", "not_a_word"]}},
            "SeedDocuments": {"lexicon": {"topic_0": ["w1_0", "w1_1", "not_a_word"]}}}


def make(kind, tau=1.0, **kw):
    return REGULARIZERS[kind](tau=tau, **{**REQUIRED.get(kind, {}), **kw})


@pytest.fixture
def corpus(make_corpus):
    return make_corpus(n_topics=3, n_background_words=5, extra_modality="@time", seed=2, noise=6)


def context(corpus, tau, T=4, n_background=1):
    names = [f"topic_{i}" for i in range(T - n_background)] + [f"background_{i}" for i in range(n_background)]
    return RegContext(corpus=corpus, topic_names=names,
                      background=np.array([False] * (T - n_background) + [True] * n_background),
                      modalities=corpus.modalities, token_modality=corpus.token_modality,
                      iteration=3, tau=tau, n_t=np.array([5.0, 1.0, 0.0, 2.0]), cache={})


def fit(corpus, regs=(), iterations=15, T=3, n_background=0, **kw):
    cfg = ModelConfig(n_topics=T, n_background=n_background, iterations=iterations,
                      regularizers=tuple(regs), seed=3, **kw)
    tr = Trainer(corpus, cfg)
    tr.fit()
    return tr


#: Φ/Θ regularizers (E-step terms, target "estep", are tested with their family)
PHI_THETA = sorted(k for k, c in REGULARIZERS.items()
                   if c.target != "estep" and not getattr(c, "NEEDS_RUN_DATA", False))


@pytest.mark.parametrize("kind", PHI_THETA)
def test_contract(kind, corpus):
    reg = make(kind)
    rng = np.random.default_rng(0)
    W, T = corpus.n_tokens, 4
    phi = rng.random((W, T)).astype(np.float32)
    n_wt = (rng.random((W, T)) * 10).astype(np.float32)
    for tau in (0.0, 2.0):
        ctx = context(corpus, tau)
        r = reg.phi_term(phi, n_wt, ctx)
        terms = reg.theta_terms(ctx)
        assert r.shape == (W, T) and np.all(np.isfinite(r))
        assert terms.add.shape == (T,) and terms.mult.shape == (T,)
        assert np.all(np.isfinite(terms.add)) and np.all(np.isfinite(terms.mult))
        doc = terms.add_doc if terms.add_doc is not None else np.zeros(0)
        if tau == 0.0:
            assert not np.any(r) and not np.any(terms.add) and not np.any(terms.mult) and not np.any(doc)
        else:
            assert np.any(r) or np.any(terms.add) or np.any(terms.mult) or np.any(doc)
    data = json.loads(json.dumps(reg.to_dict()))
    assert regularizer_from_dict(data) == reg
    schema = regularizer_schema()[kind]
    assert {p["name"] for p in schema["params"]} <= set(data)
    assert schema["target"] in ("phi", "theta", "both")


@pytest.mark.parametrize("kind", PHI_THETA)
def test_tau_zero_changes_nothing(kind, corpus):
    plain = fit(corpus, T=3, n_background=1, iterations=5)
    with_zero = fit(corpus, [make(kind, tau=0.0)], T=3, n_background=1, iterations=5)
    np.testing.assert_array_equal(plain.model.phi, with_zero.model.phi)
    np.testing.assert_array_equal(plain.model.theta, with_zero.model.theta)
    assert with_zero.last_report.tau == {make(kind).name: 0.0}


def zeros(a):
    return float(np.mean(a == 0))


def test_smooth_sparse_phi_sign(corpus):
    plain = fit(corpus)
    sparse = fit(corpus, [SmoothSparsePhi(tau=-0.3, modalities=["@default_class"])])
    smooth = fit(corpus, [SmoothSparsePhi(tau=0.3)])
    assert zeros(sparse.model.phi) > zeros(plain.model.phi) >= zeros(smooth.model.phi)
    assert zeros(smooth.model.phi) == 0


def test_smooth_sparse_theta_sign(corpus):
    plain = fit(corpus, T=4)
    sparse = fit(corpus, [SmoothSparseTheta(tau=-0.5)], T=4)
    smooth = fit(corpus, [SmoothSparseTheta(tau=0.5)], T=4)
    assert zeros(sparse.model.theta) > zeros(plain.model.theta) >= zeros(smooth.model.theta)


def overlap(phi):
    g = phi.T @ phi
    return float(g.sum() - np.trace(g))


def test_decorrelator_makes_topics_distinct(make_corpus):
    corpus = make_corpus(n_topics=3, n_background_words=8, seed=5, noise=6)
    plain = fit(corpus, T=3)
    decor = fit(corpus, [Decorrelator(tau=3000.0, topics="all")], T=3)
    assert overlap(decor.model.phi) < 0.8 * overlap(plain.model.phi)


def test_seed_words_pull_mass_into_the_seeded_topic(corpus):
    ids = corpus.token_ids(["w1_0", "w1_1"])
    plain = fit(corpus, T=3)
    target = int(np.argmin(plain.model.phi[ids].sum(0)))  # the topic that wants them least
    seeded = fit(corpus, [SeedWords(tau=50.0, lexicon={f"topic_{target}": ["w1_0", "w1_1"]},
                                    sparse_others=True)], T=3)
    assert seeded.model.phi[ids, target].sum() > plain.model.phi[ids, target].sum() + 0.1
    reg = SeedWords(lexicon={"topic_0": ["w1_0", "zzz"]})
    pairs, missing = reg.resolve(context(corpus, 1.0))
    assert missing == ["zzz"] and pairs == [(int(ids[0]), 0)]


def test_topic_selection_kills_surplus_topics(corpus):
    plain = fit(corpus, T=8, iterations=20)
    sel = fit(corpus, [TopicSelection(tau=0.9, topics="all")], T=8, iterations=20)
    assert len(sel.dead_topics()) > len(plain.dead_topics())
    assert np.all(np.isfinite(sel.model.phi))


def total_variation(corpus, phi):
    ids = np.flatnonzero(corpus.modality_mask("@time"))
    order = ids[np.argsort(corpus.vocab["token"].to_numpy()[ids])]
    return float(np.abs(np.diff(phi[order], axis=0)).sum())


def test_time_smoothing_reduces_variation(corpus):
    plain = fit(corpus, T=3)
    smooth = fit(corpus, [TimeSmoothing(tau=5.0, modality="@time", rule="symmetric")], T=3)
    assert total_variation(corpus, smooth.model.phi) < total_variation(corpus, plain.model.phi)


def test_improve_coherence_term_sign(corpus):
    reg = ImproveCoherence(tau=1.0, max_tokens=50, topics="all")
    phi = np.full((corpus.n_tokens, 4), 0.1, np.float32)
    n_wt = np.ones_like(phi)
    pos = reg.phi_term(phi, n_wt, context(corpus, 1.0))
    neg = reg.phi_term(phi, n_wt, context(corpus, -1.0))
    assert pos.min() >= 0 and pos.max() > 0 and np.allclose(neg, -pos)
    # words of one planted topic co-occur, so they support each other more than strangers
    w = corpus.token_ids(["w0_0"])[0]
    friends = corpus.token_ids(["w0_1"])[0]
    stranger = corpus.token_ids(["w1_1"])[0]
    ids, c = coherence_weights(corpus, "@default_class", 50)
    pos_of = {int(t): i for i, t in enumerate(ids)}
    assert c[pos_of[w], pos_of[friends]] > c[pos_of[w], pos_of[stranger]]


def test_lda_preset_is_smoothing(corpus):
    from engine.em.config import preset

    cfg = preset("lda", 3, alpha=0.2, beta=0.05, iterations=4, seed=3)
    tr = Trainer(corpus, cfg)
    tr.fit(3)
    before = tr.get_state()
    tr.step()
    n_wt = tr.last_context.n_wt.astype(np.float64)
    mod = corpus.token_modality
    for m in range(len(corpus.modalities)):
        rows = mod == m
        want = (n_wt[rows] + 0.05) / (n_wt[rows] + 0.05).sum(0)
        np.testing.assert_allclose(tr.model.phi[rows], want, rtol=1e-5)
    # θ ∝ n_td + α with n_td from the previous Φ, Θ (one inner pass)
    phi0, theta0 = before["phi"].astype(np.float64), before["theta"].astype(np.float64)
    dense = corpus.n_dw.toarray()
    for d in (0, 7, 31):
        p = phi0 @ theta0[d]
        n_td = theta0[d] * ((dense[d] / np.where(p > 0, p, 1)) @ phi0)
        want = (n_td + 0.2) / (n_td + 0.2).sum()
        np.testing.assert_allclose(tr.model.theta[:, d], want, rtol=1e-4)


def test_parse_regularizer_windows_and_params():
    r = parse_regularizer("SmoothSparsePhi(tau=-0.5, topics=subject, start=10)")
    assert isinstance(r, SmoothSparsePhi) and r.topics == "subject"
    assert r.tau == Step(-0.5, on=10)
    assert parse_regularizer("SmoothSparseTheta(tau=0.1)").tau == Constant(0.1)
    assert parse_regularizer("decorrelator(tau=1e5, topics=[topic_0, topic_1])").topics == ("topic_0", "topic_1")
    assert parse_regularizer("SmoothSparsePhi(tau=-1, start=3, ramp=4)").tau == Linear(0.0, -1.0, 3, 7)
    w = parse_regularizer("SmoothSparsePhi(tau=-1, start=3, ramp=2, end=9)").tau
    assert isinstance(w, Piecewise) and w.values(10) == [0, 0, 0, -0.5, -1, -1, -1, -1, 0, 0]
    s = parse_regularizer("SeedWords(tau=200, lexicon={topic_1: [война, 'мир'], topic_2: peace}, "
                          "sparse_others=true, name=ethno)")
    assert s.name == "ethno" and s.sparse_others is True
    assert s.lexicon == {"topic_1": ("война", "мир"), "topic_2": ("peace",)}
    assert parse_regularizer(s.kind + "(lexicon={a: [b]})").tau == Constant(SeedWords.DEFAULT_TAU)
    assert parse_regularizer("LDA(alpha=0.5, beta=0.1)") == LDA(alpha=0.5, beta=0.1, tau=1.0)
    lin = parse_regularizer("SmoothSparsePhi(tau={kind: linear, a: 0, b: -1, start: 2, end: 5}, "
                            "modalities=[@default_class])")
    assert lin.tau == Linear(0.0, -1.0, 2, 5) and lin.modalities == ("@default_class",)


@pytest.mark.parametrize("text,match", [
    ("NoSuchThing(tau=1)", "unknown regularizer"),
    ("SmoothSparsePhi(tau=abc)", "tau must be a number"),
    ("SmoothSparsePhi(colour=red)", "colour"),
    ("SmoothSparsePhi(tau=1", "expected Kind"),
    ("SmoothSparsePhi(tau=1, topics=)", "unexpected"),
    ("__import__('os').system('true')", "unknown regularizer"),
    ("SmoothSparsePhi(tau=__import__('os'))", "syntax"),
    ("Decorrelator(topics=[1.5])", "topics"),
    ("SmoothSparsePhi(tau=-1, start=5, ramp=3, end=6)", "end"),
])
def test_parse_errors(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_regularizer(text)


def test_unknown_topic_or_modality_is_a_config_error(corpus):
    ctx = context(corpus, 1.0)
    with pytest.raises(ConfigError, match="unknown topic"):
        SmoothSparsePhi(topics=["nope"]).phi_term(np.zeros((corpus.n_tokens, 4)), None, ctx)
    with pytest.raises(ConfigError, match="unknown modality"):
        SmoothSparsePhi(modalities=["@nope"]).phi_term(np.zeros((corpus.n_tokens, 4)), None, ctx)
