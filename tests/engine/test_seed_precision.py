"""engine.families.seeds.precision and SeedDocuments: the document measure computed exactly on
hand-made data, and a planted group mentioned literally in only half of its documents."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.em.config import ModelConfig
from engine.em.model import TopicModel
from engine.em.regularizers import RegContext, regularizer_from_dict
from engine.em.trainer import Trainer
from engine.families.seeds import precision as P
from engine.families.seeds import workflow as S
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.families.seeds.regularizer import SeedDocuments, seed_document_weights

DM = "@default_class"


def _corpus(rows, tokens):
    n_dw = sp.csr_matrix(np.asarray(rows, np.float32))
    n_dw.indices = n_dw.indices.astype(np.int32)
    arr = np.asarray(rows, np.float32)
    vocab = pd.DataFrame({"token": tokens, "modality": [DM] * len(tokens), "tf": arr.sum(0).astype(np.float64),
                          "df": (arr > 0).sum(0).astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(len(arr))], "text": [""] * len(arr)})
    return Corpus(name="hand", documents=docs, vocab=vocab, n_dw=n_dw)


def _model(theta, W):
    theta = np.asarray(theta, np.float32)
    T = theta.shape[0]
    return TopicModel(phi=np.full((W, T), 1.0 / W, np.float32), theta=theta,
                      topic_names=[f"topic_{i}" for i in range(T)], background=np.zeros(T, bool),
                      modalities=[DM], token_modality=np.zeros(W, np.int32), n_t=np.ones(T), labels={})


def test_ranking_metrics_exact_and_ties():
    scores = np.array([0.7, 0.5, 0.1, 0.8, 0.0, 0.9, 0.2, 0.6, 0.3, 0.05])
    rel = np.zeros(10, bool)
    rel[[0, 1, 2, 5]] = True
    assert P.top_documents_by(scores, 4).tolist() == [5, 3, 0, 7]
    m = P.ranking_metrics(scores, rel, 4)
    assert m == {"k": 4, "hits": 2, "precision": 0.5, "recall": 0.5, "beyond": 2}
    m = P.ranking_metrics(scores, rel, 6)  # top 6: 5, 3, 0, 7, 1, 8
    assert (m["hits"], m["precision"], m["recall"]) == (3, 0.5, 0.75)
    # ties are broken by document index, whatever argpartition returns
    flat = np.zeros(10)
    assert P.top_documents_by(flat, 3).tolist() == [0, 1, 2]
    assert P.ranking_metrics(flat, rel, 0)["precision"] == 0.0


def test_precision_table_per_group_and_headline_from_the_same_table():
    # tokens: a (group A), b (group B), x, y; documents 0-5 mention a, 6-7 mention b
    rows = [[1, 0, 1, 0]] * 6 + [[0, 1, 0, 1]] * 2 + [[0, 0, 2, 1]] * 4
    c = _corpus(rows, ["a", "b", "x", "y"])
    check = check_lexicon(Lexicon.parse("A: a\nB: b\nC: nothing"), c)
    _, setup = S.seed_config(check, "per_group", extra_topics=1, background=0)
    theta = np.zeros((3, 12))
    theta[0] = [0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.0, 0.0, 0.95, 0.85, 0.0, 0.0]  # A: top 6 = 8, 0, 9, 1, 2, then 3
    theta[1] = [0.0] * 6 + [0.9, 0.8] + [0.0] * 4                             # B: perfect
    theta[2] = 1 - theta[0] - theta[1]
    model = _model(theta, 4)
    tab = P.precision_table(model, c, setup, k=4)
    a = tab[tab["group"] == "A"].iloc[0]
    assert (a["mentions"], a["k_auto"], a["hits"], a["beyond"]) == (6, 6, 4, 2)
    assert a["precision"] == pytest.approx(4 / 6) and a["recall"] == pytest.approx(4 / 6)
    assert a["precision_k"] == pytest.approx(2 / 4) and a["recall_k"] == pytest.approx(2 / 6)
    assert a["r_precision"] == pytest.approx(4 / 6)
    b = tab[tab["group"] == "B"].iloc[0]
    assert (b["mentions"], b["k_auto"], b["precision"], b["recall"], b["beyond"]) == (2, 2, 1.0, 1.0, 0)
    cgrp = tab[tab["group"] == "C"].iloc[0]
    assert cgrp["topic"] == "" and cgrp["mentions"] == 0
    summ = P.precision_summary(tab, min_mentions=2, threshold=0.7)
    best = P.best_per_group(tab)
    assert summ["measurable"] == int((best["mentions"] >= 2).sum()) == 2
    assert summ["passing"] == 1 and summ["share"] == 0.5
    assert summ["mean_precision"] == pytest.approx((4 / 6 + 1.0) / 2)


def test_seed_document_weights_and_regularizer_terms():
    rows = [[2, 0, 2], [1, 1, 2], [0, 0, 5]]
    c = _corpus(rows, ["a", "b", "x"])
    w = seed_document_weights(c.n_dw, [np.array([0]), np.array([1])])
    # doc 0: n_d = 4, all seed mass on a; doc 1: n_d = 4, split 1:1; doc 2: nothing
    assert np.allclose(w, [[4, 0], [2, 2], [0, 0]])
    reg = regularizer_from_dict({"kind": "SeedDocuments", "name": "sd", "tau": 0.5,
                                 "lexicon": {"t1": ["a"], "t0": ["b"]}})
    assert isinstance(reg, SeedDocuments) and reg.acts_on_theta and not reg.acts_on_phi
    ctx = RegContext(corpus=c, topic_names=["t0", "t1", "t2"], background=np.zeros(3, bool),
                     modalities=[DM], token_modality=np.zeros(3, np.int32), tau=0.5)
    terms = reg.theta_terms(ctx)
    assert np.allclose(terms.add_doc, 0.5 * np.array([[0, 4, 0], [2, 2, 0], [0, 0, 0]]))
    cfg = ModelConfig.from_dict(ModelConfig(n_topics=3, regularizers=(reg,)).to_dict())
    assert cfg.regularizers[0] == reg


def _half_marked_corpus(seed=0, per_topic=40, doc_len=30):
    """4 planted topics with 8 words each; every document of topic 0 is about group «g», but
    only the even ones use the seed word ``gname`` literally."""
    rng = np.random.default_rng(seed)
    K, V = 4, 8
    tokens = [f"w{t}_{j}" for t in range(K) for j in range(V)] + ["gname"] + [f"bg{j}" for j in range(6)]
    W = len(tokens)
    rows, about = [], []
    for t in range(K):
        for i in range(per_topic):
            r = np.zeros(W)
            r[t * V:(t + 1) * V] = rng.multinomial(doc_len, np.full(V, 1 / V))
            r[K * V + 1:] = rng.multinomial(doc_len // 2, np.full(6, 1 / 6))
            r[:K * V] += rng.multinomial(3, np.full(K * V, 1 / (K * V)))
            if t == 0 and i % 2 == 0:
                r[K * V] = 2
            rows.append(r)
            about.append(t == 0)
    return _corpus(rows, tokens), np.array(about)


def _trained(corpus, lexicon_text, iterations=15):
    """A seeded model (SeedDocuments τ = 1, seeded start) trained on ``corpus``."""
    check = check_lexicon(Lexicon.parse(lexicon_text), corpus)
    cfg, setup = S.seed_config(check, "per_group", extra_topics=3, background=1, iterations=iterations,
                               doc_tau=1.0, seed=3, threads=1)
    tr = Trainer(corpus, cfg, phi0=S.seed_phi0(corpus, cfg, setup))
    tr.fit()
    model = tr.model
    tr.close()
    return model, setup, check


def test_seeded_workflow_recovers_group_mentioned_in_half_of_its_documents(kernels_ready):
    corpus, about = _half_marked_corpus()
    model, setup, _ = _trained(corpus, "g: gname", iterations=25)
    t = model.topic_names.index("topic_0")
    n = int(about.sum())
    top = P.top_documents_by(np.asarray(model.theta)[t], n)
    marked = about & (np.asarray(corpus.n_dw[:, corpus.token_ids(["gname"], DM)].todense()).ravel() > 0)
    unmarked = about & ~marked
    assert about[top].mean() >= 0.95               # the topic's top documents are the group's
    assert unmarked[top].sum() >= 0.9 * unmarked.sum()  # including those that never name it
    tab = P.precision_table(model, corpus, setup)
    row = tab.iloc[0]
    assert row["mentions"] == marked.sum() and row["k_auto"] == marked.sum()
    assert row["beyond"] > 0  # the measure shows candidates beyond the keyword


# --------------------------------------------------------------------------- honest diagnostics

def _with_rare_group(corpus, n=5):
    """Add a token ``rareword`` once to ``n`` documents of topic 1 (a 5-occurrence group)."""
    arr = np.asarray(corpus.n_dw.todense())
    col = np.zeros((arr.shape[0], 1))
    col[40:40 + n, 0] = 1
    return _corpus(np.hstack([arr, col]), list(corpus.vocab["token"]) + ["rareword"])


def test_five_occurrence_group_gets_its_warning(kernels_ready):
    from engine.families.seeds.quality import group_support

    corpus = _with_rare_group(_half_marked_corpus()[0])
    check = check_lexicon(Lexicon.parse("g: gname\nrare: rareword"), corpus)
    _, setup = S.seed_config(check, "per_group", extra_topics=1, background=1)
    sup = group_support(check, P.group_mentions(corpus, setup)).set_index("group")
    assert sup.loc["rare", "occurrences"] == 5 and sup.loc["rare", "documents"] == 5
    assert sup.loc["rare", "verdict"] == "too rare"
    assert "merge" in sup.loc["rare", "advice"] and "shared topics" in sup.loc["rare", "advice"]
    assert sup.loc["g", "verdict"] == "thin"  # 20 mentioning documents


def test_headline_numbers_come_from_the_tables_the_tabs_show(kernels_ready):
    from engine.families.seeds.report import headline, seed_tables, seeds_report

    corpus = _with_rare_group(_half_marked_corpus()[0])
    model, setup, check = _trained(corpus, "g: gname\nrare: rareword")
    tables = seed_tables(model, corpus, setup, check)
    rep = seeds_report(model, corpus, setup, check, tables=tables)
    summ = rep["summary"]
    # every headline number is recomputed here from the per-group entries of the same report
    best = [max(e["precision"], key=lambda r: r["precision"]) for e in rep["groups"]]
    measurable = [b for b, e in zip(best, rep["groups"]) if b["mentions"] >= 25]
    assert summ["precision"]["measurable"] == len(measurable)
    assert summ["precision"]["passing"] == sum(b["precision"] >= 0.5 for b in measurable)
    assert summ["groups_too_rare"] == sum(e["support"]["verdict"] == "too rare" for e in rep["groups"]) == 1
    assert summ["relevant_topics"] == len(rep["relevant_topics"]) == len(tables["relevant"])
    flags = [t["quality"]["flag"] for e in rep["groups"] for t in e["topics"]]
    assert summ["topics_ok"] == flags.count("ok") and summ["topics_checked"] == len(flags) == 2
    assert headline(tables) == {k: summ[k] for k in headline(tables)}
    # the rare group's topic cannot gather its documents: flagged, not called a success
    rare_topic = next(e for e in rep["groups"] if e["group"] == "rare")["topics"][0]
    assert rare_topic["quality"]["flag"] != "ok" or rare_topic["quality"]["precision"] >= 0.5
    import json
    json.dumps(rep)


def test_discovered_words_ranked_by_specificity_not_frequency():
    # topic 0 puts most mass on the common word "the" (equal in both topics) and less on "x"
    from engine.families.seeds.diagnostics import discovery

    phi = np.array([[0.05, 0.05], [0.6, 0.6], [0.3, 0.05], [0.05, 0.3]], np.float32)  # seed, the, x, y
    model = TopicModel(phi=phi, theta=np.full((2, 3), 0.5, np.float32), topic_names=["topic_0", "topic_1"],
                       background=np.zeros(2, bool), modalities=[DM], token_modality=np.zeros(4, np.int32),
                       n_t=np.ones(2), labels={})
    c = _corpus([[1, 3, 1, 0], [0, 3, 0, 1], [1, 2, 1, 1]], ["seed", "the", "x", "y"])
    check = check_lexicon(Lexicon.parse("g: seed"), c)
    _, setup = S.seed_config(check, "per_group", extra_topics=1, background=0)
    d = discovery(model, c, setup, n=3)
    assert d["token"].tolist() == ["x"]  # "the" is more probable but not specific; y is negative
    assert d["specificity"].iloc[0] == pytest.approx(0.3 * np.log((0.3 / 0.35) / 0.5), rel=1e-5)


def test_short_texts_detected_and_get_the_benchmarked_defaults():
    from engine.families.seeds.defaults import LONG, SHORT, recommended_settings, text_profile

    short = _corpus([[3, 2, 0]] * 4 + [[0, 0, 0]], ["a", "b", "c"])  # empty document left out
    assert text_profile(short).median == 5 and text_profile(short).short
    kw, reason = recommended_settings(short)
    assert kw == SHORT and "Short texts" in reason and "median 5" in reason
    long_ = _corpus([[60, 40, 0]] * 3, ["a", "b", "c"])
    kw, reason = recommended_settings(long_)
    assert kw == LONG and not text_profile(long_).short and "not short" in reason
    check = check_lexicon(Lexicon.parse("g: a"), short)
    cfg, _ = S.seed_config(check, "per_group", extra_topics=1, background=1, **SHORT)
    assert [r.kind for r in cfg.regularizers if r.kind.startswith("Seed")] == ["SeedDocuments"]
    with pytest.raises(Exception, match="both seedings are off"):
        S.seed_config(check, "per_group", seed_strength=0.0)
