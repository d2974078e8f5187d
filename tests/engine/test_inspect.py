"""Inspection tables on a hand-made model."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.corpus.corpus import Corpus, TokenSequences
from engine.errors import InputError
from engine.analysis.tables import (
    doc_topics, score_history, search_documents, token_topic_table, top_documents, top_tokens,
    topic_summary,
)
from engine.em.model import TopicModel


@pytest.fixture
def tiny():
    texts = ["cat dog cat", "stock market", "dog market news"]
    vocab_tokens = ["cat", "dog", "stock", "market", "news", "sport"]
    tok_id = {t: i for i, t in enumerate(vocab_tokens)}
    ptr, toks, starts, ends = [0], [], [], []
    rows = []
    for d, text in enumerate(texts):
        pos = 0
        for w in text.split():
            s = text.index(w, pos)
            toks.append(tok_id[w]); starts.append(s); ends.append(s + len(w)); pos = s + len(w)
            rows.append((d, tok_id[w]))
        ptr.append(len(toks))
    n_dw = sp.csr_matrix((np.ones(len(rows), np.float32), ([r for r, _ in rows], [c for _, c in rows])),
                         shape=(3, 7))
    n_dw.sum_duplicates()
    vocab = pd.DataFrame({"token": vocab_tokens + ["sport"], "modality": ["@default_class"] * 6 + ["@labels"],
                          "tf": [2.0, 2.0, 1.0, 2.0, 1.0, 0.0, 0.0], "df": [1, 2, 1, 2, 1, 0, 0]})
    seq = TokenSequences(ptr=np.array(ptr, np.int64), token=np.array(toks, np.int32),
                         start=np.array(starts, np.int32), end=np.array(ends, np.int32))
    corpus = Corpus(name="tiny", documents=pd.DataFrame({"id": ["a", "b", "c"], "text": texts}),
                    vocab=vocab, n_dw=n_dw, sequences=seq)
    phi = np.array([[0.5, 0.0], [0.3, 0.1], [0.0, 0.4], [0.0, 0.4], [0.2, 0.1], [0.0, 0.0], [1.0, 0.0]],
                   np.float32)
    theta = np.array([[0.9, 0.1, 0.5], [0.1, 0.9, 0.5]], np.float32)
    model = TopicModel(phi=phi, theta=theta, topic_names=["topic_0", "topic_1"],
                       background=np.array([False, False]), modalities=["@default_class", "@labels"],
                       token_modality=np.array([0, 0, 0, 0, 0, 0, 1], np.int32), n_t=np.array([5.0, 3.0]),
                       labels={"topic_1": "finance"})
    return corpus, model


def test_top_tokens_by_phi(tiny):
    corpus, model = tiny
    df = top_tokens(model, corpus, n=2, modality="@default_class")
    assert list(df.columns) == ["topic", "label", "rank", "token", "modality", "p_wt", "relevance"]
    assert df[df.topic == "topic_0"].token.tolist() == ["cat", "dog"]
    # tie between stock and market (0.4) is broken by token id
    assert df[df.topic == "topic_1"].token.tolist() == ["stock", "market"]
    assert df[df.topic == "topic_1"].label.unique().tolist() == ["finance"]
    assert df.p_wt.tolist() == pytest.approx([0.5, 0.3, 0.4, 0.4])


def test_top_tokens_all_modalities_and_zero_tokens_excluded(tiny):
    corpus, model = tiny
    df = top_tokens(model, corpus, n=10)
    default = df[df.modality == "@default_class"]
    assert "sport" not in default.token.tolist()  # φ = 0 in every topic
    t0 = df[df.topic == "topic_0"]
    assert t0[t0.modality == "@labels"].token.tolist() == ["sport"]  # same string, other modality
    assert t0[t0.modality == "@default_class"].token.tolist() == ["cat", "dog", "news"]
    assert len(df[(df.topic == "topic_1") & (df.modality == "@labels")]) == 0


def test_relevance_lambda_zero_ranks_by_lift(tiny):
    corpus, model = tiny
    df = top_tokens(model, corpus, n=3, modality="@default_class", relevance_lambda=0.0, topics=["topic_0"])
    # p(w) = tf / 8: cat .25, dog .25, news .125 ; lift = φ/p(w): cat 2.0, dog 1.2, news 1.6
    assert df.token.tolist() == ["cat", "news", "dog"]
    assert df.relevance.tolist() == pytest.approx([math.log(2.0), math.log(1.6), math.log(1.2)])
    with pytest.raises(InputError):
        top_tokens(model, corpus, relevance_lambda=1.5)


def test_top_documents_and_doc_topics(tiny):
    corpus, model = tiny
    df = top_documents(model, corpus, "topic_1", n=2)
    assert df.id.tolist() == ["b", "c"]
    assert df.theta.tolist() == pytest.approx([0.9, 0.5])
    assert df.snippet.iloc[0] == "stock market"
    assert top_documents(model, corpus, 1, n=2).id.tolist() == ["b", "c"]  # by index too
    dt = doc_topics(model, 0)
    assert dt.topic.tolist() == ["topic_0", "topic_1"]
    assert dt.label.tolist() == ["topic_0", "finance"]


def test_token_topic_table(tiny):
    corpus, model = tiny
    table, mat = token_topic_table(model, corpus, 2)
    assert table.token.tolist() == ["dog", "market", "news"]
    assert (table.start.tolist(), table.end.tolist()) == ([0, 4, 11], [3, 10, 15])
    # dog: .3*.5 vs .1*.5 -> (.75, .25); market -> (0, 1); news: .1 vs .05 -> (2/3, 1/3)
    np.testing.assert_allclose(mat, [[0.75, 0.0, 2 / 3], [0.25, 1.0, 1 / 3]], rtol=1e-6)
    assert table.topic.tolist() == ["topic_0", "topic_1", "topic_0"]
    assert table.label.tolist() == ["topic_0", "finance", "topic_0"]
    with pytest.raises(InputError):
        token_topic_table(model, corpus, 7)


def test_search_documents(tiny):
    corpus, _ = tiny
    df = search_documents(corpus, "CAT")
    assert df.id.tolist() == ["a"] and df.matches.tolist() == [2]
    df = search_documents(corpus, "market", limit=1)
    assert df.id.tolist() == ["b"]
    assert search_documents(corpus, "zebra").empty
    with pytest.raises(InputError, match="no column"):
        search_documents(corpus, "x", column="author")


def test_topic_summary(tiny):
    corpus, model = tiny
    df = topic_summary(model, corpus, top_k=2, n_tokens=2)
    assert df.topic.tolist() == ["topic_0", "topic_1"] and df.label.tolist() == ["topic_0", "finance"]
    assert df.mass.tolist() == pytest.approx([5 / 8, 3 / 8])
    # p(t|w) with n_t = (5, 3): cat (1, 0); dog (1.5/1.8, .3/1.8); stock, market (0, 1); news (1/1.3, .3/1.3)
    assert df.kernel_size.tolist() == [3, 2]
    assert df.kernel_purity.tolist() == pytest.approx([1.0, 0.8])
    assert df.kernel_contrast.tolist()[1] == pytest.approx(1.0)
    # topic_0 top-2 = cat, dog: docs {a} and {a, c} -> p(ab) = 1/3, p(a) = 1/3, p(b) = 2/3
    assert df.coherence.tolist()[0] == pytest.approx(math.log((1 / 3) / (1 / 3 * 2 / 3)) / -math.log(1 / 3))
    assert df.top_tokens.tolist() == ["cat, dog", "stock, market"]


def test_score_history_follows_active_branch():
    from engine.store.runs import Run
    from engine.em.model import IterationReport

    r = Run(name="x", corpus_name="c", corpus_fingerprint="f", config={}, model=None, tokens=pd.DataFrame(),
            doc_ids=[])
    for i in (1, 2, 3):
        r.record(IterationReport(i, 0.1, {}, {"perplexity": 10.0 - i, **({"coherence": 0.1 * i} if i == 2 else {})}))
    r.start_branch(1)
    r.record(IterationReport(2, 0.1, {}, {"perplexity": 1.0}))
    w = score_history(r)
    assert w.iteration.tolist() == [1, 2] and w.perplexity.tolist() == [9.0, 1.0]
    assert "coherence" not in w.columns  # only on the abandoned branch
    assert len(score_history(r, wide=False)) == 2
