"""engine.families.seeds.workflow: presets, seeded training on a planted corpus, diagnostics on hand-made models."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine.errors import ConfigError, InputError
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.em.regularizers import SeedWords
from engine.families.seeds import workflow as S
from engine.em.model import TopicModel


def _model(phi, theta, names=None, background=None, n_t=None, labels=None):
    phi = np.asarray(phi, np.float32)
    theta = np.asarray(theta, np.float32)
    T = phi.shape[1]
    return TopicModel(phi=phi, theta=theta, topic_names=names or [f"topic_{i}" for i in range(T)],
                      background=np.zeros(T, bool) if background is None else np.asarray(background),
                      modalities=["@default_class"], token_modality=np.zeros(phi.shape[0], np.int32),
                      n_t=np.ones(T) if n_t is None else np.asarray(n_t, np.float64), labels=labels or {})


# --------------------------------------------------------------------------- presets

def test_per_group_preset_one_topic_per_group(make_corpus):
    corpus = make_corpus(n_topics=4, words_per_topic=5)
    check = check_lexicon(Lexicon.parse("a: w0_0, w0_1\nb: w2_0\nc: nothing"), corpus)
    cfg, setup = S.seed_config(check, "per_group", extra_topics=3, background=1, iterations=20)
    assert (cfg.n_topics, cfg.n_background) == (5, 1)
    assert setup.group_topics == {"a": ["topic_0"], "b": ["topic_1"]}
    assert setup.labels == {"topic_0": "a", "topic_1": "b"}
    sw = cfg.regularizer("seed_words")
    assert isinstance(sw, SeedWords) and sw.lexicon == {"topic_0": ("w0_0", "w0_1"), "topic_1": ("w2_0",)}
    # τ: full for the first half, fading to seed_keep at 80 %
    assert sw.tau(1) == sw.tau(10) > 0
    assert sw.tau(16) == pytest.approx(0.2 * sw.tau(1))
    kinds = {r.kind for r in cfg.regularizers}
    assert {"SeedWords", "SmoothSparsePhi", "SmoothSparseTheta", "Decorrelator"} <= kinds
    again = S.SeedSetup.from_dict(json.loads(json.dumps(setup.to_dict())))
    assert again == setup


def test_shared_preset_and_errors(make_corpus):
    corpus = make_corpus(n_topics=4, words_per_topic=5)
    check = check_lexicon(Lexicon.parse("a: w0_0\nb: w2_0"), corpus)
    cfg, setup = S.seed_config(check, "shared", seeded_topics=3, extra_topics=2, background=0)
    assert cfg.n_topics == 5 and setup.seeded_topics == ["topic_0", "topic_1", "topic_2"]
    assert set(cfg.regularizer("seed_words").lexicon) == {"topic_0", "topic_1", "topic_2"}
    assert cfg.regularizer("seed_words").lexicon["topic_2"] == ("w0_0", "w2_0")
    with pytest.raises(ConfigError):
        S.seed_config(check, "nonsense")
    with pytest.raises(InputError):
        S.seed_config(check_lexicon(Lexicon.parse("a: zzz"), corpus))


# --------------------------------------------------------------------------- training on a planted corpus

def test_seeded_topics_capture_their_group_on_planted_corpus(make_corpus, workspace):
    from engine.store.runs import load_run

    corpus = make_corpus(n_topics=4, words_per_topic=6, n_docs=80, noise=4, seed=3)
    workspace.save_corpus(corpus, "planted")
    corpus = workspace.load_corpus("planted")
    lex = Lexicon.parse("g2: w2_0, w2_1\ng0: w0_3")
    check = check_lexicon(lex, corpus)
    cfg, setup = S.seed_config(check, "per_group", extra_topics=2, background=0, iterations=15, seed=7)
    snap = S.train_seeded(workspace, corpus, cfg, setup, name="seeded")
    assert snap.status == "finished"
    run = load_run(workspace, snap.run_id)
    assert run.model.labels == {"topic_0": "g2", "topic_1": "g0"}
    model = run.model
    for topic, planted in (("topic_0", 2), ("topic_1", 0)):
        t = model.topic_names.index(topic)
        top = [tok for tok, _ in S.topic_top_tokens(model, corpus, t, 6)]
        assert len(top) >= 3 and all(tok.startswith(f"w{planted}_") for tok in top), (topic, top)
    cov = S.group_coverage(model, corpus, setup).set_index("group")
    for g, ids, planted in (("g2", [12, 13], 2), ("g0", [3], 0)):  # w2_0, w2_1 / w0_3
        mention = np.asarray((corpus.n_dw[:, ids] > 0).sum(axis=1)).ravel() > 0
        own = mention & (np.arange(corpus.n_docs) % 4 == planted)  # noise mentions elsewhere too
        assert cov.loc[g, "documents"] == mention.sum()
        assert cov.loc[g, "covered"] == own.sum() and cov.loc[g, "share"] == pytest.approx(own.sum() / mention.sum())
    # discovery: the planted topic's other words, never a seed
    disc = S.discovery(model, corpus, setup, n=4)
    d0 = disc[disc["topic"] == "topic_0"]["token"].tolist()
    assert d0 and all(w.startswith("w2_") and w not in ("w2_0", "w2_1") for w in d0)
    # drift recorded every iteration by the seeds family's SeedRanks score; ranks end at the top
    drift = S.seed_drift(run.active_scores(), setup)
    assert set(drift["iteration"]) == set(range(1, 16))
    last = drift[drift["iteration"] == 15].set_index("term")
    assert last.loc["w2_0", "rank"] <= 6 and last.loc["w0_3", "group"] == "g0"
    # setup stored next to the run, and also understood from the config alone
    assert S.load_setup(workspace, run.run_id) == setup
    from_cfg = S.setup_from_run(run)
    assert from_cfg.group_topics == {"g2": ["topic_0"], "g0": ["topic_1"]}
    rep = S.seeds_report(model, corpus, setup, scores=run.active_scores())
    g2 = rep["groups"][0]
    assert g2["group"] == "g2" and g2["topics"][0]["topic"] == "topic_0"
    assert g2["coverage"]["share"] == cov.loc["g2", "share"] and g2["captured_by"][0]["topic"] == "topic_0"
    assert "drift" in g2["topics"][0]
    assert rep["summary"]["relevant_topics"] >= 2
    json.dumps(rep)


def test_seed_phi0_starts_seeded_topic_from_its_documents(make_corpus):
    corpus = make_corpus(n_topics=3, words_per_topic=4)
    check = check_lexicon(Lexicon.parse("g: w1_0"), corpus)
    cfg, setup = S.seed_config(check, extra_topics=2, background=0)
    phi = S.seed_phi0(corpus, cfg, setup)
    assert phi.shape == (corpus.n_tokens, 3)
    assert np.allclose(phi.sum(axis=0), 1, atol=1e-5)
    assert phi[4:8, 0].sum() > 0.5  # the words of topic-1 documents dominate topic_0


# --------------------------------------------------------------------------- hand-made diagnostics

class _C:
    """A tiny stand-in corpus: 4 tokens, 5 documents."""

    def __init__(self):
        import scipy.sparse as sp

        from engine.corpus.corpus import Corpus

        vocab = pd.DataFrame({"token": ["seed", "other", "x", "y"], "modality": ["@default_class"] * 4,
                              "tf": [3.0, 1.0, 5.0, 5.0], "df": [3, 1, 3, 3]})
        n_dw = sp.csr_matrix(np.array([[1, 0, 1, 0], [1, 0, 0, 1], [1, 1, 0, 0], [0, 0, 2, 2],
                                       [0, 0, 2, 2]], np.float32))
        docs = pd.DataFrame({"id": [f"d{i}" for i in range(5)], "text": ["seed x", "seed y", "seed other",
                                                                       "x x y y", "x x y y"],
                             "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-02-01",
                                                     "2024-02-02", "2024-03-01"])})
        self.c = Corpus(name="tiny", documents=docs, vocab=vocab, n_dw=n_dw)


def test_coverage_and_relevant_topics_on_hand_made_model():
    c = _C().c
    # topic_0 (seeded): seed, other; topic_1: x, y; background_0 dominates doc 2
    phi = [[0.7, 0.0, 0.1], [0.3, 0.0, 0.1], [0.0, 0.5, 0.4], [0.0, 0.5, 0.4]]
    theta = np.array([[0.6, 0.2, 0.1, 0.0, 0.0],
                      [0.4, 0.8, 0.2, 1.0, 1.0],
                      [0.0, 0.0, 0.7, 0.0, 0.0]])
    m = _model(phi, theta, names=["topic_0", "topic_1", "background_0"], background=[False, False, True])
    setup = S.SeedSetup("per_group", Lexicon.parse("g: seed"), {"g": ["seed"]}, {"g": ["topic_0"]},
                        labels={"topic_0": "g"})
    ids = np.array([0])
    # docs mentioning "seed": 0, 1, 2; dominant *subject* topic: 0 -> t0, 1 -> t1, 2 -> t1 (bg ignored)
    assert S.coverage(m, c, ids, ["topic_0"]) == {"documents": 3, "covered": 1, "share": pytest.approx(1 / 3)}
    assert S.coverage(m, c, ids, ["topic_0", "topic_1"])["covered"] == 3
    assert S.coverage(m, c, np.array([], np.int64), ["topic_0"])["share"] == 0.0
    gc = S.group_coverage(m, c, setup).set_index("group")
    assert gc.loc["g", "covered"] == 1 and gc.loc["(all)", "documents"] == 3
    rel = S.relevant_topics(m, c, setup, top=1)
    assert rel["topic"].tolist() == ["topic_0"] and rel.loc[0, "seeds_in_top"] == ["seed"]
    assert rel.loc[0, "relevance"] == pytest.approx(0.7)
    assert S.count_relevant(m, c, ids, top=1) == [0]
    disc = S.discovery(m, c, setup, n=3)
    assert disc["token"].tolist() == ["other"]  # seed excluded, zero-φ words dropped
    cap = S.seed_capture(m, c, setup)
    assert cap.loc[0, "topic"] == "topic_0" and cap.loc[0, "own"] and cap.loc[0, "rank"] == 1
    # p(t|w) ∝ φ_wt n_t with n_t = 1: 0.7 / (0.7 + 0.1)
    assert cap.loc[0, "p_t_w"] == pytest.approx(0.875, rel=1e-5)


def test_drift_marks_export_and_trends_on_hand_made_model():
    c = _C().c
    scores = pd.DataFrame({"iteration": [1, 1, 2, 2, 2], "branch": [0] * 5,
                           "score": ["seed_rank:topic_0:seed", "perplexity", "seed_rank:topic_0:seed",
                                     "seed_rank:topic_0:other", "sparsity_phi"],
                           "value": [5.0, 10.0, 1.0, 2.0, 0.5]})
    setup = S.SeedSetup("per_group", Lexicon.parse("g: seed"), {"g": ["seed"]}, {"g": ["topic_0"]})
    drift = S.seed_drift(scores, setup)
    seed = drift[drift["term"] == "seed"]
    assert seed["rank"].tolist() == [5.0, 1.0] and seed["group"].tolist() == ["g", "g"]
    assert S.seed_drift(scores[scores["score"] == "perplexity"]).empty
    # SeedRanks / seed_ranks: 1 + number of strictly larger φ in the column
    phi = np.array([[0.1, 0.5], [0.4, 0.2], [0.4, 0.3], [0.1, 0.0]], np.float32)
    assert S.seed_ranks(phi, np.arange(4), [(0, 0), (1, 0), (3, 1), (0, 1)]).tolist() == [3, 1, 4, 1]
    # marks
    c2 = _C().c
    assert S.document_marks(c2, 0, [0]) == [("seed x", None)]  # no sequences: plain text
    from engine.corpus.corpus import Corpus, TokenSequences

    seq = TokenSequences(ptr=np.array([0, 2, 4, 6, 10, 14]), token=np.array([0, 2, 0, 3, 0, 1, 2, 2, 3, 3, 2, 2, 3, 3], np.int32),
                         start=np.array([0, 5, 0, 5, 0, 5, 0, 2, 4, 6, 0, 2, 4, 6], np.int32),
                         end=np.array([4, 6, 4, 6, 4, 10, 1, 3, 5, 7, 1, 3, 5, 7], np.int32))
    c3 = Corpus(name="t", documents=c2.documents, vocab=c2.vocab, n_dw=c2.n_dw, sequences=seq)
    assert S.document_marks(c3, 2, [0], [1]) == [("seed", "seed"), (" ", None), ("other", "topic")]
    # export and trends
    theta = np.array([[0.6, 0.2, 0.9, 0.0, 0.0], [0.4, 0.8, 0.1, 1.0, 1.0]])
    m = _model([[0.7, 0.0], [0.3, 0.0], [0.0, 0.5], [0.0, 0.5]], theta, labels={"topic_0": "g"})
    exp = S.relevant_documents(m, c3, ["topic_0"], setup, min_share=0.5)
    assert exp["id"].tolist() == ["d2", "d0"]
    assert exp.loc[0, "dominant"] == "g" and exp.loc[0, "g"] == pytest.approx(0.9)
    assert exp.loc[1, "seed_hits"] == 1 and exp.loc[1, "seeds"] == "seed"
    assert "text" in exp.columns and exp.to_csv(index=False).startswith("id,date,dominant")
    tr = S.relevant_trends(m, c3, ["topic_0"], freq="M")
    assert set(tr["topic"]) == {"g"} and len(tr) == 3
    jan = tr[tr["period"] == pd.Timestamp("2024-01-01")]["share"].iloc[0]
    assert jan == pytest.approx((0.6 * 2 + 0.2 * 2) / 4)
    top = S.seed_documents(m, c3, "topic_0", setup, n=2)
    assert top["id"].tolist() == ["d2", "d0"] and top["seed_hits"].tolist() == [1, 1]


# --------------------------------------------------------------------------- CLI

def _cli(argv):
    import argparse

    from engine.cli import seeds as cmd

    parser = argparse.ArgumentParser()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--workspace", default=None)
    sub = parser.add_subparsers(dest="command")
    cmd.register(sub, common)
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_check_train_report(make_corpus, workspace, tmp_path, capsys):
    corpus = make_corpus(n_topics=3, words_per_topic=5, n_docs=45)
    workspace.save_corpus(corpus, "planted")
    lex = tmp_path / "lex.csv"
    lex.write_text("group,word\ng1,w1_0\ng1,w1_1\ng2,w2_2\ng2,nope\n", encoding="utf-8")
    ws = ["--workspace", str(workspace.root)]
    assert _cli(["seeds-check", str(lex), "--corpus", "planted", *ws]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["seeds_found"] == 3 and [s["seed"] for s in out["seeds"] if not s["found"]] == ["nope"]
    assert _cli(["seeds-train", str(lex), "--corpus", "planted", "--extra", "1", "--background", "0",
                 "--iterations", "6", "--name", "cli-seeds", *ws]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and "seed_rank" not in lines[0]
    assert _cli(["seeds-report", "cli-seeds", *ws]) == 0
    rep = json.loads(capsys.readouterr().out)
    groups = {g["group"]: g for g in rep["groups"]}
    assert set(groups) == {"g1", "g2"}
    assert [s["seed"] for s in groups["g2"]["seeds_missing"]] == ["nope"]
    assert groups["g1"]["topics"][0]["label"] == "g1" and groups["g1"]["coverage"]["documents"] > 0
    assert "discovered" in groups["g1"]["topics"][0] and "drift" in groups["g1"]["topics"][0]
    prec = groups["g1"]["precision"][0]
    assert prec["topic"] == "topic_0" and prec["mentions"] == groups["g1"]["coverage"]["documents"]
    assert prec["k"] == min(100, 45) and 0.0 <= prec["precision"] <= 1.0
    assert groups["g1"]["support"]["verdict"] in ("enough", "thin", "too rare")
    assert rep["summary"]["precision"]["groups"] == 2
    # a lexicon measured against a run: groups matched by label
    other = tmp_path / "other.txt"
    other.write_text("g1: w1_0\nfresh: w0_0\n", encoding="utf-8")
    assert _cli(["seeds-report", "cli-seeds", "--lexicon", str(other), *ws]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert [g["group"] for g in rep["groups"]] == ["g1", "fresh"]
    assert rep["groups"][1]["topics"] == [] and rep["groups"][0]["topics"][0]["topic"] == "topic_0"


def test_russian_lexicon_to_seed_config_through_lemmas(tmp_path):
    from engine.corpus.ingest import ImportOptions, build_corpus

    texts = ["Японцы открыли выставку японского искусства.", "Мигранты приехали на стройку.",
             "Японец и мигрант говорили о работе."] * 3
    path = tmp_path / "ru.csv"
    pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text": texts}).to_csv(path, index=False)
    corpus = build_corpus(path, ImportOptions(lang="ru", lemmatize=True, min_df=1))
    check = check_lexicon(Lexicon.parse("японцы: японцев, японского\nмигранты: мигрантами"), corpus)
    cfg, setup = S.seed_config(check, extra_topics=1, background=0)
    assert setup.terms == {"японцы": ["японец", "японский"], "мигранты": ["мигрант"]}
    assert cfg.regularizer("seed_words").lexicon == {"topic_0": ("японец", "японский"), "topic_1": ("мигрант",)}
