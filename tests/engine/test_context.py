"""engine.families.context (the context family) / its _kernels: kernels against slow NumPy references, the γ and β
rules, segmentation, the training modes on a planted corpus, scores, CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.families.context import _kernels as CK
import engine.families.context as C
from engine.em.config import ModelConfig
from engine.corpus.corpus import Corpus, TokenSequences
from engine.errors import ConfigError, InputError
from engine.em.trainer import Trainer
from engine.em.topics import p_t_given_w

EPS = 1e-16


def ctx_trainer(corpus, cfg, options=None, estep=(), phi0=None):
    """The one Trainer, with ``cfg`` in the context family."""
    return Trainer(corpus, C.context_config(cfg, options, estep), phi0=phi0)


def options_of(tr):
    return C.ContextOptions.from_dict(tr.config.options)


# --------------------------------------------------------------------------- references


def ref_gammas(g):
    gl, gr = g.astype(np.float64).copy(), g.astype(np.float64).copy()
    pos = np.flatnonzero(g > 0)
    if len(pos):
        gl[pos[0]] = 1.0
        gr[pos[-1]] = 1.0
    return gl, gr


def ref_doc(tokens, gamma_w, beta, passes, phi, p_tw, include_self=False):
    """Slow, obvious context E-step of one document: (p (n,T), theta (n,T) of the last pass, z)."""
    n, T = len(tokens), phi.shape[1]
    gl, gr = ref_gammas(gamma_w[tokens])
    q = p_tw[tokens].astype(np.float64)
    for _ in range(passes):
        L = np.zeros((n, T))
        R = np.zeros((n + 1, T))
        prev = np.zeros(T)
        for i in range(n):
            prev = gl[i] * q[i] + (1 - gl[i]) * prev
            L[i] = prev
        for i in range(n - 1, -1, -1):
            R[i] = gr[i] * q[i] + (1 - gr[i]) * R[i + 1]
        if include_self:
            th = beta * L + (1 - beta) * R[:n]
        else:
            Lm = np.vstack([np.zeros((1, T)), L[:-1]])  # L_{i-1}
            th = beta * Lm + (1 - beta) * R[1:]        # R_{i+1}
            alone = th.sum(axis=1) <= 0
            th[alone] = q[alone]
        x = phi[tokens] * th
        zr = x.sum(axis=1)
        p = np.where(zr[:, None] >= EPS, x / np.where(zr[:, None] > 0, zr[:, None], 1), 0.0)
        s = th.sum(axis=1)
        z = np.where((zr >= EPS) & (s > 0), zr / np.where(s > 0, s, 1), 0.0)
        q = p
    return p, th, z


def random_case(seed=0, W=30, T=5, D=6):
    rng = np.random.default_rng(seed)
    phi = rng.random((W, T)).astype(np.float32)
    phi[rng.random((W, T)) < 0.3] = 0
    phi /= np.maximum(phi.sum(axis=0, keepdims=True), 1e-12)
    n_t = rng.random(T) + 0.1
    p_tw = p_t_given_w(phi, n_t)
    lens = rng.integers(0, 25, D)
    lens[2] = 0  # an empty document
    ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    seq = rng.integers(0, W, ptr[-1]).astype(np.int32)
    gamma_w = rng.uniform(0.05, 0.9, W).astype(np.float32)
    gamma_w[3] = 0.0  # a skipped token
    return phi.astype(np.float32), p_tw, ptr, seq, gamma_w


def run_chunk(phi, p_tw, ptr, seq, gamma_w, beta, passes, write_p=False, direct=False, tok_weight=None,
              include_self=False):
    W, T = phi.shape
    D = len(ptr) - 1
    tw = np.ones(W, np.float32) if tok_weight is None else tok_weight
    nwt = np.zeros((W, T), np.float32)
    theta = np.zeros((D, T), np.float32)
    P = np.zeros((ptr[-1] if write_p else 0, T), np.float32)
    logs = np.zeros((3, 1))
    CK.context_chunk(0, D, ptr, seq, np.zeros(D + 1, np.int64), np.zeros(0, np.int32),
                     np.zeros(0, np.float32), tw, np.zeros(W, np.int32), 0, gamma_w,
                     np.float32(beta), passes, include_self, CK.stack_phi(phi, p_tw), nwt, direct, theta, P,
                     logs[0], logs[1], logs[2])
    return nwt, theta, P, logs


# --------------------------------------------------------------------------- kernels


@pytest.mark.parametrize("include_self", [False, True])
@pytest.mark.parametrize("passes", [1, 3])
@pytest.mark.parametrize("beta", [0.5, 0.2])
def test_context_kernel_matches_reference(passes, beta, include_self):
    phi, p_tw, ptr, seq, gamma_w = random_case(seed=passes)
    W, T = phi.shape
    tw = np.ones(W, np.float32)
    tw[5] = 2.0
    kw = dict(tok_weight=tw, include_self=include_self)
    nwt_raw, theta, _, logs = run_chunk(phi, p_tw, ptr, seq, gamma_w, beta, passes, **kw)
    nwt_dir, theta_d, _, _ = run_chunk(phi, p_tw, ptr, seq, gamma_w, beta, passes, direct=True, **kw)
    _, _, P, _ = run_chunk(phi, p_tw, ptr, seq, gamma_w, beta, passes, write_p=True, **kw)
    ref_nwt = np.zeros((W, T))
    ref_ll = 0.0
    for d in range(len(ptr) - 1):
        toks = seq[ptr[d]:ptr[d + 1]]
        if len(toks) == 0:
            assert np.all(theta[d] == 0)
            continue
        p, th, z = ref_doc(toks, gamma_w, beta, passes, phi.astype(np.float64), p_tw.astype(np.float64),
                           include_self)
        np.testing.assert_allclose(P[ptr[d]:ptr[d + 1]], p, rtol=2e-4, atol=2e-6)
        np.add.at(ref_nwt, toks, p * tw[toks][:, None])
        acc = (p * tw[toks][:, None]).sum(axis=0)
        np.testing.assert_allclose(theta[d], acc / acc.sum(), rtol=2e-4, atol=2e-6)
        ref_ll += np.log(z[z >= EPS]).sum()
    np.testing.assert_allclose(nwt_raw * phi, ref_nwt, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(nwt_dir, ref_nwt, rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(theta_d, theta, rtol=1e-5, atol=1e-7)
    assert logs[0, 0] == pytest.approx(ref_ll, rel=1e-4)
    assert logs[1, 0] == len(seq)


def test_gamma_one_at_document_start_isolates_documents():
    phi, p_tw, ptr, seq, gamma_w = random_case(seed=4)
    _, _, P, _ = run_chunk(phi, p_tw, ptr, seq, gamma_w, 0.5, 1, write_p=True)
    seq2 = seq.copy()
    seq2[ptr[0]:ptr[1]] = (seq2[ptr[0]:ptr[1]] + 7) % phi.shape[0]  # change document 0 only
    _, _, P2, _ = run_chunk(phi, p_tw, ptr, seq2, gamma_w, 0.5, 1, write_p=True)
    np.testing.assert_array_equal(P[ptr[1]:], P2[ptr[1]:])
    # the first counted position forgets everything before it: with β = 1 it is p(t|w) filtered
    d = 1
    i0 = ptr[d] + np.flatnonzero(gamma_w[seq[ptr[d]:ptr[d + 1]]] > 0)[0]
    _, _, P1, _ = run_chunk(phi, p_tw, ptr, seq, gamma_w, 1.0, 1, write_p=True)
    w = seq[i0]
    x = phi[w] * p_tw[w]
    np.testing.assert_allclose(P1[i0], x / x.sum(), rtol=1e-5)


def test_gamma_zero_skips_a_token():
    phi, p_tw, _, _, gamma_w = random_case(seed=5)
    gamma_w = np.full(phi.shape[0], 0.3, np.float32)
    gamma_w[3] = 0.0
    base = np.array([1, 2, 4, 5, 6], np.int32)
    with_skip = np.array([1, 2, 3, 4, 5, 6], np.int32)
    _, _, P, _ = run_chunk(phi, p_tw, np.array([0, 5]), base, gamma_w, 0.5, 1, write_p=True)
    _, _, Q, _ = run_chunk(phi, p_tw, np.array([0, 6]), with_skip, gamma_w, 0.5, 1, write_p=True)
    np.testing.assert_allclose(Q[[0, 1, 3, 4, 5]], P, rtol=1e-6, atol=1e-7)
    # a skipped token at the very start does not start the context either
    _, _, S, _ = run_chunk(phi, p_tw, np.array([0, 6]), np.array([3, 1, 2, 4, 5, 6], np.int32),
                           gamma_w, 0.5, 1, write_p=True)
    np.testing.assert_allclose(S[1:], P, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("beta,side", [(1.0, "left"), (0.0, "right")])
def test_beta_one_or_zero_is_one_sided(beta, side):
    phi, p_tw, _, _, _ = random_case(seed=6)
    gamma_w = np.full(phi.shape[0], 0.25, np.float32)
    seq = np.array([1, 2, 4, 5, 6, 7, 8, 9], np.int32)
    other = seq.copy()
    if side == "left":
        other[-1] = 11  # the future must not matter
        keep = slice(0, len(seq) - 1)
    else:
        other[0] = 11  # the past must not matter
        keep = slice(1, len(seq))
    ptr = np.array([0, len(seq)])
    _, _, P, _ = run_chunk(phi, p_tw, ptr, seq, gamma_w, beta, 1, write_p=True)
    _, _, Q, _ = run_chunk(phi, p_tw, ptr, other, gamma_w, beta, 1, write_p=True)
    np.testing.assert_array_equal(P[keep], Q[keep])
    assert not np.allclose(P, Q)


def test_one_pass_kernel_matches_formula():
    from engine.em.arrays import as_csr

    phi, p_tw, ptr, seq, _ = random_case(seed=7)
    W, T = phi.shape
    D = len(ptr) - 1
    bag = as_csr(sp.csr_matrix((np.ones(len(seq), np.float32), (np.repeat(np.arange(D), np.diff(ptr)), seq)),
                               shape=(D, W)))
    nwt = np.zeros((W, T), np.float32)
    theta = np.zeros((D, T), np.float32)
    logs = np.zeros((3, 1))
    CK.one_pass_chunk(0, D, bag.indptr, bag.indices, bag.data, np.ones(W, np.float32), np.zeros(W, np.int32),
                      phi, p_tw, nwt, True, theta, ptr, seq, np.zeros((0, T), np.float32),
                      logs[0], logs[1], logs[2])
    X = bag.toarray().astype(np.float64)
    th = X @ p_tw.astype(np.float64)
    s = th.sum(axis=1, keepdims=True)
    th = np.divide(th, s, out=np.zeros_like(th), where=s > 0)
    np.testing.assert_allclose(theta, th, rtol=1e-5, atol=1e-7)
    pdw = th @ phi.T.astype(np.float64)  # (D, W)
    ref = phi * ((X / np.where(pdw > 0, pdw, 1)).T @ th)
    np.testing.assert_allclose(nwt, ref, rtol=1e-4, atol=1e-5)
    ok = (X > 0) & (pdw >= EPS)
    assert logs[0, 0] == pytest.approx(float((X[ok] * np.log(pdw[ok])).sum()), rel=1e-5)
    assert logs[2, 0] == ((X > 0) & (pdw < EPS)).sum()


def test_sequence_smoothing_matches_reference():
    rng = np.random.default_rng(8)
    P = rng.random((12, 4)).astype(np.float32)
    P /= P.sum(axis=1, keepdims=True)
    ptr = np.array([0, 1, 7, 12], np.int64)
    g, tau = 0.4, 0.6
    ref = P.astype(np.float64).copy()
    for d in range(3):
        a, b = ptr[d], ptr[d + 1]
        n = b - a
        if n < 2:
            continue
        X = P[a:b].astype(np.float64)
        L, R = X.copy(), X.copy()
        for i in range(1, n):
            L[i] = g * X[i] + (1 - g) * L[i - 1]
        for i in range(n - 2, -1, -1):
            R[i] = g * X[i] + (1 - g) * R[i + 1]
        for i in range(n):
            c = R[1] if i == 0 else L[n - 2] if i == n - 1 else 0.5 * (L[i - 1] + R[i + 1])
            v = (1 - tau) * X[i] + tau * c
            ref[a + i] = v / v.sum()
    out = P.copy()
    C.SequenceSmoothing(tau=tau, window=1 / g).apply_estep(out, ptr, tau)
    np.testing.assert_allclose(out, ref, rtol=1e-5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


# --------------------------------------------------------------------------- planted corpus


def planted_corpus(D=120, n=60, half=20, seed=0, empty=()):
    """Two topics with disjoint vocabularies (tokens 0..half-1 and half..2half-1); every document
    reads n/2 tokens of one topic and then n/2 of the other (so every bag is half/half)."""
    rng = np.random.default_rng(seed)
    W = 2 * half
    toks, ptr, texts = [], [0], []
    for d in range(D):
        if d in empty:
            ptr.append(ptr[-1])
            texts.append("")
            continue
        a = int(rng.integers(2))
        s = np.concatenate([rng.integers(0, half, n // 2) + half * a,
                            rng.integers(0, half, n - n // 2) + half * (1 - a)])
        toks.append(s)
        ptr.append(ptr[-1] + n)
        texts.append(" ".join(f"w{t:02d}" for t in s))
    seq = np.concatenate(toks).astype(np.int32)
    ptr = np.asarray(ptr, np.int64)
    rel = np.concatenate([np.arange(ptr[d + 1] - ptr[d]) for d in range(D)]).astype(np.int32)
    start = rel * 4
    end = start + 3
    rows = np.repeat(np.arange(D), np.diff(ptr))
    ndw = sp.csr_matrix((np.ones(len(seq), np.float32), (rows, seq)), shape=(D, W))
    ndw.sum_duplicates()
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(D)], "text": texts})
    vocab = pd.DataFrame({"token": [f"w{i:02d}" for i in range(W)], "modality": "@default_class",
                          "tf": np.asarray(ndw.sum(axis=0)).ravel().astype(float),
                          "df": np.diff(ndw.tocsc().indptr).astype(np.int64)})
    return Corpus("planted", docs, vocab, ndw, TokenSequences(ptr, seq, start, end))


def test_context_training_recovers_topics_and_is_more_contiguous():
    corpus = planted_corpus()
    cfg = ModelConfig(n_topics=2, iterations=20, threads=2, seed=1)
    res = {}
    for mode in ("standard", "context"):
        tr = ctx_trainer(corpus, cfg, C.ContextOptions(mode=mode, window=5))
        tr.fit()
        phi = tr.model.phi
        halves = np.stack([phi[:20].sum(axis=0), phi[20:].sum(axis=0)])  # (2 halves, 2 topics)
        purity = halves.max(axis=0).min()
        mats = [m.T for m in tr.documents_topics(range(30))]
        ptr = np.concatenate([[0], np.cumsum([m.shape[0] for m in mats])])
        res[mode] = (purity, C.intratext_coherence(np.concatenate(mats), ptr), tr.last_report)
        tr.close()
    assert res["context"][0] > 0.95  # each topic lives on one half of the vocabulary
    assert res["context"][1] > res["standard"][1] + 0.2
    assert res["context"][1] > 0.9
    assert np.isfinite(res["context"][2].scores["perplexity"])


def test_segmentation_finds_planted_boundary():
    corpus = planted_corpus(D=40)
    tr = ctx_trainer(corpus, ModelConfig(n_topics=2, iterations=20, threads=1, seed=1),
                     C.ContextOptions(window=5))
    tr.fit()
    model = tr.model
    for d in range(5):
        segs = C.segment(model, corpus, d, threshold=0.3, options=options_of(tr))
        assert len(segs) == 2, segs
        assert abs(segs[1]["token_start"] - 30) <= 2
        assert segs[0]["topic"] != segs[1]["topic"]
        assert segs[0]["start"] == 0 and segs[-1]["end"] == len(corpus.documents["text"][d])
        assert segs[0]["end"] == segs[1]["start"]
        assert max(segs[0]["theta"]) > 0.8
    # no boundary reaches a threshold above 1 (scores are total variations): one segment
    one = C.segment(model, corpus, 0, threshold=1.01, options=options_of(tr))
    assert len(one) == 1 and one[0]["token_end"] == 60


def test_boundary_scores_and_pick():
    P = np.zeros((20, 2), np.float32)
    P[:10, 0] = 1
    P[10:, 1] = 1
    s = C.boundary_scores(P, window=3)
    assert int(np.argmax(s)) == 10 and s[10] > 0.9 and s[0] == 0
    assert C.pick_boundaries(s, 0.5, 3) == [10]
    assert C.pick_boundaries(s, 1.01, 3) == []


@pytest.mark.parametrize("mode", ["one_pass", "context"])
def test_no_nan_on_empty_documents(mode):
    corpus = planted_corpus(D=12, empty=(0, 5))
    tr = ctx_trainer(corpus, ModelConfig(n_topics=3, iterations=3, threads=2),
                     C.ContextOptions(mode=mode), estep=[C.SequenceSmoothing(tau=0.3)])
    rep = tr.fit()[-1]
    m = tr.model
    assert np.all(np.isfinite(m.phi)) and np.all(np.isfinite(m.theta))
    assert np.all(m.theta[:, 0] == 0) and np.all(m.theta[:, 5] == 0)
    np.testing.assert_allclose(m.theta[:, 1].sum(), 1.0, rtol=1e-5)
    assert np.isfinite(rep.scores["perplexity"])
    segs = C.segment(m, corpus, 0)
    assert len(segs) == 1 and segs[0]["n_tokens"] == 0
    assert C.token_topics(m, np.zeros(0, np.int64), options_of(tr)).shape == (3, 0)


def test_one_pass_mode_equals_formula_on_first_pass():
    corpus = planted_corpus(D=20)
    cfg = ModelConfig(n_topics=3, iterations=1, threads=1, seed=2)
    tr = ctx_trainer(corpus, cfg, C.ContextOptions(mode="one_pass"))
    phi0 = tr.model.phi.copy()
    tr.step()
    from engine.em.inference import one_pass_theta

    m0 = tr.model
    ref = one_pass_theta(type(m0)(phi=phi0, theta=m0.theta, topic_names=m0.topic_names,
                                  background=m0.background, modalities=m0.modalities,
                                  token_modality=m0.token_modality, n_t=np.ones(3)), corpus.n_dw)
    np.testing.assert_allclose(tr.model.theta, ref, rtol=1e-5, atol=1e-7)


def test_estep_smoothing_changes_counts_and_keeps_mass():
    corpus = planted_corpus(D=20)
    cfg = ModelConfig(n_topics=2, iterations=2, threads=1, seed=2)
    plain = ctx_trainer(corpus, cfg, C.ContextOptions(mode="one_pass"))
    smooth = ctx_trainer(corpus, cfg, C.ContextOptions(mode="one_pass"),
                         estep=[C.SequenceSmoothing(tau=0.8, window=3)])
    plain.fit()
    smooth.fit()
    assert not np.allclose(plain.model.phi, smooth.model.phi)
    # n_wt mass equals the number of positions either way
    assert smooth.model.n_t.sum() == pytest.approx(corpus.sequences.n_positions, rel=1e-4)
    # a first-class regularizer: its τ is in every report (→ tau.parquet)
    assert smooth.last_report.tau == {"SequenceSmoothing": 0.8}


def test_standard_mode_is_the_plain_trainer():
    corpus = planted_corpus(D=20)
    cfg = ModelConfig(n_topics=3, iterations=3, threads=2, seed=4)
    a = Trainer(corpus, cfg)
    b = ctx_trainer(corpus, cfg, {"mode": "standard"})
    a.fit()
    b.fit()
    np.testing.assert_array_equal(a.model.phi, b.model.phi)


def test_options_round_trip_and_validation():
    o = C.ContextOptions(mode="context", window=7, beta=0.3, context_passes=2, importance="idf")
    back = C.ContextOptions.from_dict(json.loads(json.dumps(o.to_dict())))
    assert back.to_dict() == o.to_dict()
    assert back.gamma(3) == pytest.approx(1 / 7)
    assert C.ContextOptions.from_dict({"passes": 3}).context_passes == 3  # the old key
    for bad in ({"mode": "nope"}, {"beta": 1.5}, {"window": 0.5}, {"passes": 0},
                {"importance": "x"}, {"estep": [{"kind": "SequenceSmoothing"}]}, {"colour": 1}):
        with pytest.raises(ConfigError):
            C.ContextOptions.from_dict(bad)
    # E-step regularizers are config regularizers: they need a sequence E-step
    cfg = ModelConfig(n_topics=2)
    with pytest.raises(ConfigError, match="E-step"):
        C.context_config(cfg, {"mode": "standard"}, [C.SequenceSmoothing()]).validate()
    with pytest.raises(ConfigError, match="E-step"):
        cfg.with_changes(regularizers=(C.SequenceSmoothing(),)).validate()
    with pytest.raises(ConfigError):
        ModelConfig.from_dict({"regularizers": [{"kind": "Nope"}]})
    with pytest.raises(ConfigError, match="window"):
        C.SequenceSmoothing(window=0.5)
    full = C.context_config(cfg, o, [C.SequenceSmoothing(tau=0.2)])
    assert ModelConfig.from_dict(json.loads(json.dumps(full.to_dict()))) == full


def test_window_and_beta_follow_trajectories():
    from engine.em.schedule import Linear

    o = C.ContextOptions(window=Linear(20.0, 4.0, 1, 5), beta=Linear(0.0, 1.0, 1, 5))
    assert o.gamma(1) == pytest.approx(1 / 20) and o.gamma(5) == pytest.approx(1 / 4)
    assert o.beta_at(1) == 0.0 and o.beta_at(9) == 1.0


def test_context_mode_needs_sequences():
    corpus = planted_corpus(D=5)
    from dataclasses import replace

    bag = replace(corpus, sequences=None)
    with pytest.raises(InputError):
        ctx_trainer(bag, ModelConfig(n_topics=2, iterations=1))
    tr = ctx_trainer(bag, ModelConfig(n_topics=2, iterations=1), {"mode": "one_pass"})
    tr.step()
    assert np.all(np.isfinite(tr.model.phi))


def test_scores_registered_and_computed():
    from engine.em.scores import SCORES, ScoreSet

    assert "IntratextCoherence" in SCORES and "SegmentsPerDocument" in SCORES
    corpus = planted_corpus(D=20)
    ss = ScoreSet.from_config({"intratext_coherence": 1, "segments_per_document": 1})
    tr = ctx_trainer(corpus, ModelConfig(n_topics=2, iterations=4, threads=1, seed=3),
                     C.ContextOptions(window=5))
    for _ in range(4):
        rep = tr.step(score_fn=ss.compute)
    assert 0 <= rep.scores["intratext_coherence"] <= 1
    assert rep.scores["segments_per_document"] >= 1
    # a plain Trainer's context works too (token topics from θ_d)
    t2 = Trainer(corpus, ModelConfig(n_topics=2, iterations=1, threads=1))
    rep2 = t2.step(score_fn=ss.compute)
    assert 0 <= rep2.scores["intratext_coherence"] <= 1


def test_job_saves_options_in_the_manifest_and_state_round_trip(tmp_path):
    from engine.jobs import TrainingJob, run_job_blocking
    from engine.store.runs import load_run
    from engine.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    corpus = planted_corpus(D=20)
    opts = C.ContextOptions(window=6, beta=0.4)
    cfg = C.context_config(ModelConfig(n_topics=2, iterations=2, threads=1), opts)
    snap = run_job_blocking(TrainingJob(ws, corpus, cfg, name="ctx"))
    run = load_run(ws, snap.run_id)
    assert run.status == "finished" and run.iteration == 2
    assert C.load_options(ws, run.run_id).to_dict() == opts.to_dict()
    assert run.config["family"] == "context" and not (ws.root / "context").exists()
    assert "intratext_coherence" in run.final_scores()
    tr = Trainer(corpus, cfg.with_changes(iterations=3))
    tr.step()
    state = tr.get_state()
    tr2 = Trainer.from_state(corpus, None, state)
    assert options_of(tr2).to_dict() == opts.to_dict()
    tr.step()
    tr2.step()
    np.testing.assert_array_equal(tr.model.phi, tr2.model.phi)


# --------------------------------------------------------------------------- CLI

PETS = "cat dog kitten puppy leash vet collar kennel".split()
MONEY = "stock market bond trader price bank dividend broker".split()


@pytest.fixture
def text_ws(tmp_path):
    """A text corpus through the ingest pipeline: every document talks about pets and then
    about money (or the other way round)."""
    import random

    from engine.corpus.ingest import ImportOptions, import_corpus
    from engine.store.workspace import Workspace

    rnd = random.Random(0)
    rows = []
    for i in range(60):
        a, b = (PETS, MONEY) if i % 2 == 0 else (MONEY, PETS)
        words = [rnd.choice(a) for _ in range(30)] + [rnd.choice(b) for _ in range(30)]
        rows.append({"id": f"doc{i}", "text": " ".join(words)})
    src = tmp_path / "docs.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    ws = Workspace(tmp_path / "ws")
    import_corpus(src, "mixed", ImportOptions(text_column="text", id_column="id", lang="en", min_df=1),
                  workspace=ws)
    return ws


def test_cli_train_mode_context_and_segment(text_ws, capsys):
    from engine.cli import main
    from engine.store.runs import list_runs

    rc = main(["train", "--workspace", str(text_ws.root), "--corpus", "mixed", "--topics", "2",
               "--iterations", "25", "--seed", "1", "--mode", "context", "--window", "5",
               "--name", "ctx", "--jsonl"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    reports = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    assert len(reports) == 25 and "intratext_coherence" in reports[-1]
    run_id = list_runs(text_ws)[0]["run_id"]
    assert C.load_options(text_ws, run_id).mode == "context"
    rc = main(["segment", "ctx", "--workspace", str(text_ws.root), "--doc", "doc0"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    res = json.loads(out.out)
    segs = res["segments"]
    assert res["doc"] == "doc0" and res["mode"] == "context" and len(segs) == 2
    assert set(segs[0]["text"].split()) <= set(PETS)
    assert set(segs[1]["text"].split()) <= set(MONEY)
    assert segs[0]["topic"] != segs[1]["topic"] and "theta" not in segs[0]
    # errors are one line, exit 2
    assert main(["segment", "ctx", "--workspace", str(text_ws.root), "--doc", "nope"]) == 2
    assert "no document" in capsys.readouterr().err


@pytest.mark.parametrize("mode", ["one_pass", "context"])
def test_other_modalities_follow_the_document_theta(mode):
    """A label modality (not in the sequences) is fitted from θ_d; perplexity per modality."""
    base = planted_corpus(D=30)
    D, W = base.n_docs, base.n_tokens
    labels = sp.csr_matrix((np.ones(D, np.float32), (np.arange(D), W + (np.arange(D) % 2))), shape=(D, W + 2))
    n_dw = (sp.hstack([base.n_dw, sp.csr_matrix((D, 2))]) + labels).tocsr()
    n_dw.sort_indices()
    vocab = pd.concat([base.vocab, pd.DataFrame({"token": ["a", "b"], "modality": "@labels", "tf": 15.0, "df": 15})],
                      ignore_index=True)
    corpus = Corpus("multi", base.documents, vocab, n_dw, base.sequences)
    cfg = ModelConfig(n_topics=2, iterations=3, threads=2, modality_weights={"@labels": 5.0})
    tr = ctx_trainer(corpus, cfg, C.ContextOptions(mode=mode, window=5))
    rep = tr.fit()[-1]
    phi = tr.model.phi
    assert np.all(np.isfinite(phi))
    np.testing.assert_allclose(phi[W:].sum(axis=0), 1.0, rtol=1e-5)  # normalized within @labels
    np.testing.assert_allclose(phi[:W].sum(axis=0), 1.0, rtol=1e-5)
    assert "perplexity@labels" in rep.scores and np.isfinite(rep.scores["perplexity@labels"])
    # label mass: 5 × one label per document
    assert tr.model.n_t.sum() == pytest.approx(corpus.sequences.n_positions + 5 * D, rel=1e-4)


def test_merge_same_topic_joins_neighbours_with_one_main_topic():
    P = np.zeros((30, 2), np.float32)
    P[:10, 0] = 1
    P[10:20, 0] = 0.7
    P[10:20, 1] = 0.3
    P[20:, 1] = 1
    assert C.merge_same_topic(P, [10, 20]) == [20]
    assert C.merge_same_topic(P, []) == []


def test_options_come_back_from_a_legacy_checkpoint(tmp_path):
    """A checkpoint written before configs named their family (the trainer state carried the
    options, the config did not): continuing it trains in the context family again."""
    from engine.jobs import TrainingJob
    from engine.store.checkpoints import write_checkpoint
    from engine.store.runs import run_path
    from engine.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    corpus = planted_corpus(D=10)
    opts = C.ContextOptions(window=7, beta=0.25, context_passes=3)
    tr = Trainer(corpus, ModelConfig(n_topics=2, iterations=2, threads=1))
    tr.step()
    state = tr.get_state()
    old_opts = {**opts.to_dict(), "passes": 3, "estep": [{"kind": "SequenceSmoothing", "tau": 0.2}]}
    del old_opts["context_passes"]
    state["context"] = old_opts
    old_cfg = {k: v for k, v in tr.config.to_dict().items() if k not in ("family", "options")}
    write_checkpoint(run_path(ws, "r1"), 1, state, {"config": old_cfg, "name": "old"})
    job = TrainingJob.from_checkpoint(ws, corpus, "r1")
    assert job.config.family == "context"
    assert C.ContextOptions.from_dict(job.config.options).to_dict() == opts.to_dict()
    assert [r.kind for r in job.config.regularizers] == ["SequenceSmoothing"]
    # a plain Trainer's checkpoint stays standard
    t2 = Trainer(corpus, ModelConfig(n_topics=2, iterations=1, threads=1))
    t2.step()
    write_checkpoint(run_path(ws, "r2"), 1, t2.get_state(), {"config": t2.config.to_dict()})
    assert TrainingJob.from_checkpoint(ws, corpus, "r2").config.family == "standard"
