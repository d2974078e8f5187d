"""Trainer, config, presets and inference on planted-topic corpora."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.em.config import ModelConfig, preset
from engine.errors import ConfigError, InputError
from engine.em.trainer import Trainer
from engine.em.inference import holdout_perplexity, infer_theta, one_pass_theta, token_topics, transform
from engine.em.regularizers import SmoothSparsePhi, SmoothSparseTheta, parse_regularizer
from engine.em.schedule import Linear
from engine.em.model import IterationReport


def test_planted_topics_are_recovered(planted):
    tr = Trainer(planted, ModelConfig(n_topics=3, iterations=20, seed=7))
    reports = tr.fit()
    assert len(reports) == 20 and all(isinstance(r, IterationReport) for r in reports)
    phi = tr.model.phi
    for t in range(3):
        top = np.argsort(-phi[:, t])[:6]
        groups = set(top // 6)
        assert len(groups) == 1, f"topic {t} mixes planted groups {groups}"
    np.testing.assert_allclose(phi.sum(0), 1, rtol=1e-5)
    np.testing.assert_allclose(tr.model.theta.sum(0), 1, rtol=1e-5)
    assert reports[-1].scores["perplexity"] == pytest.approx(6.0, rel=0.05)  # 6 words per topic


def test_plsa_loglik_never_decreases(make_corpus):
    corpus = make_corpus(n_topics=4, n_docs=80, noise=8, n_background_words=6, seed=1)
    tr = Trainer(corpus, ModelConfig(n_topics=4, iterations=25, seed=2, threads=2))
    perp = [r.scores["perplexity"] for r in tr.fit()]
    assert all(b <= a * (1 + 1e-6) for a, b in zip(perp, perp[1:])), perp
    ll = tr.last_context.loglik["@default_class"]
    assert ll < 0 and tr.last_context.n_tokens["@default_class"] == corpus.n_dw.sum()


def test_same_seed_and_threads_give_identical_phi(make_corpus):
    corpus = make_corpus(noise=5, n_docs=90)
    runs = []
    for seed in (4, 4, 5):
        tr = Trainer(corpus, ModelConfig(n_topics=3, iterations=6, seed=seed, threads=2))
        tr.fit()
        runs.append(tr.model.phi)
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_thread_counts_agree(make_corpus):
    corpus = make_corpus(noise=5, n_docs=90, extra_modality="@labels")
    out = []
    for threads in (1, 2, 3):
        cfg = ModelConfig(n_topics=3, iterations=6, seed=4, threads=threads,
                          modality_weights={"@labels": 3.0})
        tr = Trainer(corpus, cfg)
        tr.fit()
        out.append((tr.model.phi, tr.last_report.scores["perplexity"]))
    for phi, perp in out[1:]:
        np.testing.assert_array_equal(phi, out[0][0])  # the split never changes a sum's order
        assert perp == pytest.approx(out[0][1], rel=1e-9)


def test_no_nan_with_empty_documents_and_huge_tau(make_corpus):
    corpus = make_corpus(empty_docs=3, extra_modality="@labels")
    regs = (SmoothSparsePhi(name="a", tau=-1e6), SmoothSparseTheta(name="b", tau=-1e6),
            parse_regularizer("Decorrelator(tau=1e30)"))
    tr = Trainer(corpus, ModelConfig(n_topics=3, n_background=1, iterations=4, regularizers=regs))
    for r in tr.fit():
        assert all(np.isfinite(v) for v in r.scores.values())
    m = tr.model
    assert np.all(np.isfinite(m.phi)) and np.all(np.isfinite(m.theta))
    assert len(tr.dead_topics()) == 4 and tr.last_report.scores["dead_topics"] == 4
    assert np.all(m.theta[:, -3:] == 0)  # empty documents
    zero = type(corpus)("z", corpus.documents.iloc[:3], corpus.vocab, corpus.n_dw[-3:])
    r = Trainer(zero, ModelConfig(n_topics=2, threads=2)).step()  # nothing but empty documents
    assert "perplexity" not in r.scores and r.scores["dead_topics"] == 2
    big = (SmoothSparsePhi(name="a", tau=1e6),)
    tr = Trainer(corpus, ModelConfig(n_topics=3, iterations=3, regularizers=big))
    tr.fit()
    assert np.all(np.isfinite(tr.model.phi)) and len(tr.dead_topics()) == 0


def test_state_resume_equals_uninterrupted_run(make_corpus):
    corpus = make_corpus(noise=4)
    cfg = preset("interpretable", 3, iterations=10, seed=9, threads=2)
    full = Trainer(corpus, cfg)
    full.fit()
    first = Trainer(corpus, cfg)
    first.fit(4)
    state = first.get_state()
    json.dumps({k: v for k, v in state.items() if not isinstance(v, np.ndarray)})
    resumed = Trainer.from_state(corpus, None, state)
    assert resumed.iteration == 4
    reports = resumed.fit()
    np.testing.assert_array_equal(resumed.model.phi, full.model.phi)
    np.testing.assert_array_equal(resumed.model.theta, full.model.theta)
    assert reports[-1].iteration == 10 and reports[-1].tau == full.last_report.tau


def test_live_config_applies_at_next_iteration(planted):
    cfg = ModelConfig(n_topics=3, iterations=10, regularizers=(SmoothSparsePhi(name="s", tau=-0.1),))
    tr = Trainer(planted, cfg)
    assert tr.step().tau == {"s": -0.1}
    edited = cfg.with_changes(regularizers=(SmoothSparsePhi(name="s", tau=Linear(0, -1.0, 1, 4)),))
    assert tr.step(edited).tau == {"s": pytest.approx(-1 / 3)}
    assert tr.step().tau == {"s": pytest.approx(-2 / 3)}  # the edited config stays
    off = edited.with_changes(regularizers=(edited.regularizers[0].with_changes(enabled=False),))
    assert tr.step(off).tau == {"s": 0.0}
    with pytest.raises(ConfigError, match="n_topics"):
        tr.step(cfg.with_changes(n_topics=4))
    bad = cfg.with_changes(regularizers=(SmoothSparsePhi(name="s", tau=0.0, topics=["topic_9"]),))
    with pytest.raises(ConfigError, match="s.topics: unknown topic 'topic_9'"):
        tr.step(bad)  # rejected even while its τ is 0
    with pytest.raises(ConfigError, match="lexicon"):
        tr.step(cfg.with_changes(regularizers=(parse_regularizer("SeedWords(lexicon={nope: [a]})"),)))
    assert tr.step().iteration == 5 and tr.config is off  # the rejected configs left no trace


def test_regularizers_off_for_last_iterations(planted):
    cfg = ModelConfig(n_topics=3, iterations=5, regularizers_off_last=2,
                      regularizers=(SmoothSparsePhi(name="s", tau=-0.1),))
    taus = [r.tau["s"] for r in Trainer(planted, cfg).fit()]
    assert taus == [-0.1, -0.1, -0.1, 0.0, 0.0]


def test_inference_functions(planted):
    tr = Trainer(planted, ModelConfig(n_topics=3, iterations=15, seed=1))
    tr.fit()
    m = tr.model
    theta = infer_theta(m, planted.n_dw, inner_passes=20)
    assert theta.shape == (3, planted.n_docs)
    np.testing.assert_allclose(theta, m.theta, atol=0.05)
    quick = one_pass_theta(m, planted.n_dw[:9])
    assert np.array_equal(quick.argmax(0), m.theta[:, :9].argmax(0))
    _, loglik, n_tok = transform(m, planted.n_dw)
    assert n_tok["@default_class"] == planted.n_dw.sum() and loglik["@default_class"] < 0
    assert holdout_perplexity(m, planted.n_dw)["perplexity"] < 7
    tokens = planted.n_dw[4].indices
    ptdw = token_topics(m, planted, 4)
    assert ptdw.shape == (3, len(tokens))
    np.testing.assert_allclose(ptdw.sum(0), 1, rtol=1e-5)
    assert token_topics(m, tokens).shape == (3, len(tokens))
    with pytest.raises(InputError, match="columns"):
        infer_theta(m, planted.n_dw[:, :5])


def test_config_validation_round_trip_and_presets(planted):
    cfg = preset("interpretable", 5, iterations=20, modality_weights={"@default_class": 1.0},
                 scores={"perplexity": 1, "coherence": 5})
    data = json.loads(json.dumps(cfg.to_dict()))
    assert ModelConfig.from_dict(data) == cfg
    assert [r.name for r in cfg.regularizers] == [
        "smooth_background_phi", "smooth_background_theta", "sparse_subject_phi",
        "sparse_subject_theta", "decorrelate_subject"]
    assert cfg.regularizers[2].tau(1) == 0 and cfg.regularizers[2].tau(20) == -0.1
    assert preset("plsa", 4).regularizers == ()
    assert preset("lda", 4).regularizers[0].kind == "LDA"
    two = ModelConfig(regularizers=(SmoothSparsePhi(), SmoothSparsePhi()))
    assert [r.name for r in two.regularizers] == ["SmoothSparsePhi", "SmoothSparsePhi_2"]
    for bad, field in [(dict(n_topics=0), "n_topics"), (dict(iterations=0), "iterations"),
                       (dict(threads=0), "threads"), (dict(inner_passes=2.5), "inner_passes"),
                       (dict(modality_weights={"@x": -1}), "modality_weights"),
                       (dict(scores={"perplexity": -1}), "scores"),
                       (dict(reuse_theta="yes"), "reuse_theta")]:
        with pytest.raises(ConfigError, match=field):
            ModelConfig(**bad).validate()
    with pytest.raises(ConfigError, match="unknown config field"):
        ModelConfig.from_dict({"n_topic": 3})
    with pytest.raises(ConfigError, match="preset"):
        preset("magic", 3)
    with pytest.raises(ConfigError, match="modality_weights"):
        Trainer(planted, ModelConfig(n_topics=3, modality_weights={"@nope": 1.0}))


def test_initial_phi_given_or_loaded(planted, tmp_path):
    rng = np.random.default_rng(0)
    phi0 = rng.random((planted.n_tokens, 3))
    a = Trainer(planted, ModelConfig(n_topics=3, iterations=3), phi0=phi0)
    np.testing.assert_allclose(a.model.phi, phi0 / phi0.sum(0), rtol=1e-6)
    table = pd.DataFrame(phi0, columns=["topic_0", "topic_1", "topic_2"])
    table.insert(0, "token", planted.vocab["token"])
    table = table.iloc[::-1]  # order must not matter
    path = tmp_path / "phi.csv"
    table.to_csv(path, index=False)
    b = Trainer(planted, ModelConfig(n_topics=3, iterations=3, init=str(path)))
    np.testing.assert_allclose(b.model.phi, a.model.phi, rtol=1e-6)
    a.fit()
    b.fit()
    np.testing.assert_array_equal(a.model.phi, b.model.phi)
    with pytest.raises(ConfigError, match="shape"):
        Trainer(planted, ModelConfig(n_topics=3), phi0=phi0[:, :2])
    with pytest.raises(InputError, match="topic columns"):
        table.iloc[:, :3].to_csv(tmp_path / "bad.csv", index=False)
        Trainer(planted, ModelConfig(n_topics=3, init=str(tmp_path / "bad.csv")))


def test_score_callback_and_context(planted):
    tr = Trainer(planted, ModelConfig(n_topics=3, iterations=2))
    seen = []
    r = tr.step(score_fn=lambda ctx: seen.append(ctx) or {"custom": float(ctx.iteration)})
    assert r.scores["custom"] == 1.0 and "perplexity@default_class" in r.scores
    ctx = seen[0]
    assert ctx.n_wt.shape == (planted.n_tokens, 3) and not ctx.last
    assert tr.step().iteration == 2 and tr.last_context.last
