"""@time modality from the date column: bin choice, the derived corpus, TimeSmoothing on it
recovering planted smooth topic-in-time profiles, bad input, CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from engine.corpus.corpus import Corpus
from engine.em.config import ModelConfig
from engine.em.regularizers import parse_regularizer
from engine.em.trainer import Trainer
from engine.errors import InputError
from engine.families.timegeo.geo import read_similarity
from engine.families.timegeo.place_modality import add_place_modality
from engine.families.timegeo.reading import place_topics, smoothing_effect, time_profiles
from engine.families.timegeo.time_modality import add_time_modality, choose_bin, time_tokens


def dated_corpus(T=3, months=24, per_month=12, words=10, doc_len=30, seed=0):
    """Topic t's prevalence over 24 months is a Gaussian bump; a document of month m is mostly
    one topic drawn ∝ prevalence(m). Returns (corpus with a date column, p(month|topic) (T, 24))."""
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    prev = np.stack([np.exp(-0.5 * ((m - c) / 4.0) ** 2) for c in np.linspace(3, months - 4, T)])
    W = T * words
    phi = np.zeros((W, T))
    for t in range(T):
        phi[t * words:(t + 1) * words, t] = 1 / words
    rows, dates = [], []
    for mm in m:
        for _ in range(per_month):
            t = rng.choice(T, p=prev[:, mm] / prev[:, mm].sum())
            th = np.full(T, 0.1)
            th[t] = 0.8
            rows.append(rng.multinomial(doc_len, phi @ (th / th.sum())))
            dates.append(pd.Timestamp(2015, 1, 1) + pd.DateOffset(months=int(mm)) + pd.Timedelta(days=int(rng.integers(28))))
    n = np.array(rows, np.float32)
    n_dw = sp.csr_matrix(n)
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": [f"w{i}" for i in range(W)], "modality": "@default_class",
                          "tf": n.sum(0).astype(float), "df": (n > 0).sum(0).astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(len(rows))], "text": "", "date": pd.to_datetime(dates)})
    return Corpus(name="dated", documents=docs, vocab=vocab, n_dw=n_dw), prev / prev.sum(1, keepdims=True)


def _fit_matched(corpus, T, reg):
    """A 40-pass trainer with ``reg`` (a spec or None) and the model topic matched to each
    planted topic by its 10 words."""
    regs = (parse_regularizer(reg),) if reg else ()
    tr = Trainer(corpus, ModelConfig(n_topics=T, iterations=40, seed=2, threads=1, regularizers=regs))
    tr.fit()
    M = np.stack([tr.phi[t * 10:(t + 1) * 10].sum(0) for t in range(T)])
    return tr, linear_sum_assignment(-M)[1]


def test_bins_from_the_date_range():
    days = pd.date_range("2017-01-01", periods=90, freq="D")
    assert choose_bin(days) == "day"
    assert choose_bin(pd.date_range("2015-01-01", "2019-06-01", freq="7D")) == "month"
    assert choose_bin(pd.to_datetime(["1950-01-01", "2019-01-01", None])) == "year"
    assert list(time_tokens(pd.to_datetime(["2017-02-14", None]), "month")) == ["2017-02", ""]
    with pytest.raises(InputError, match="no document has a date"):
        choose_bin(pd.to_datetime([None, None]))
    with pytest.raises(InputError, match="time bin must be one of"):
        time_tokens(days, "week")


def test_derived_corpus_and_time_smoothing_recovers_profiles(kernels_ready):
    """Observed: mean L1 error of p(month|topic) vs the planted profiles 0.240 without the
    regularizer, 0.206 with TimeSmoothing τ = 3 (BigARTM's rule), profiles smoother (0.34 → 0.29)."""
    c, truth = dated_corpus()
    c.documents.loc[5, "date"] = pd.NaT  # an undated document gets no time token
    tc, info = add_time_modality(c)
    assert info["bin"] == "month" and info["tokens"] == 24 and info["dated_documents"] == c.n_docs - 1
    assert (tc.n_dw[:, : c.n_tokens] != c.n_dw).nnz == 0 and tc.vocab["token"].iloc[c.n_tokens] == "2015-01"
    assert tc.n_dw[5, c.n_tokens:].nnz == 0 and (tc.n_dw[:, c.n_tokens:].sum(axis=1)[np.arange(c.n_docs) != 5] == 1).all()
    time_ids = np.flatnonzero(tc.vocab["modality"] == "@time")
    err = {}
    for tau in (0.0, 3.0):
        tr, cols = _fit_matched(tc, 3, f"TimeSmoothing(tau={tau})" if tau else None)
        err[tau] = np.abs(tr.phi[time_ids][:, cols].T - truth).sum(1).mean()
    assert err[3.0] < err[0.0] - 0.02


def test_bad_input(kernels_ready):
    c, _ = dated_corpus(months=3, per_month=2)
    with pytest.raises(InputError, match="has no date column"):
        add_time_modality(Corpus(name="x", documents=c.documents.drop(columns="date"), vocab=c.vocab, n_dw=c.n_dw))
    tc, _ = add_time_modality(c)
    with pytest.raises(InputError, match="already has a modality '@time'"):
        add_time_modality(tc)


def test_cli_time_add(kernels_ready, tmp_path, capsys):
    from engine.cli import main

    pd.DataFrame({"id": [f"d{i}" for i in range(20)], "date": [f"2017-0{1 + i % 3}-1{i % 9}" for i in range(20)],
                  "text": ["tax budget growth market" if i % 2 else "doctors nurses patients care" for i in range(20)]}) \
        .to_csv(tmp_path / "t.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["import", str(tmp_path / "t.csv"), "--name", "t", "--text-column", "text", "--min-df", "1",
                 "--no-dates"] + ws) == 0
    capsys.readouterr()
    assert main(["time", "add", "t"] + ws) == 2
    assert "has no date column" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "t.csv"), "--name", "t", "--text-column", "text", "--min-df", "1",
                 "--date-column", "date", "--replace"] + ws) == 0
    capsys.readouterr()
    assert main(["time", "add", "t"] + ws) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["corpus"] == "t-time" and out["bin"] == "day" and out["first"] == "2017-01-10"
    assert main(["train", "--corpus", "t-time", "--topics", "2", "--iterations", "3",
                 "--reg", "TimeSmoothing(tau=1)"] + ws) == 0
    capsys.readouterr()
    assert main(["place", "add", "t", "--column", "town"] + ws) == 2
    assert "no column 'town'" in capsys.readouterr().err
    assert main(["place", "add", "t", "--column", "date"] + ws) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["corpus"] == "t-place" and out["tokens"] == 9 and "GeoSmoothing(" in out["next"]


def placed_corpus(G=30, per=4, words=10, doc_len=20, seed=0):
    """30 places on a line; p(t|g) of two topics changes linearly along it; 4 short documents
    per place, each with its place token. Returns (corpus, p(t|g) (G, 2))."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, G)
    ptg = np.stack([1 - x, x], 1) * 0.9 + 0.05
    W = 2 * words
    phi = np.zeros((W, 2))
    for t in range(2):
        phi[t * words:(t + 1) * words, t] = 1 / words
    rows = []
    for g in range(G):
        for _ in range(per):
            r = np.zeros(W + G)
            r[:W] = rng.multinomial(doc_len, phi @ rng.dirichlet(ptg[g] * 5))
            r[W + g] = 1
            rows.append(r)
    n = np.array(rows, np.float32)
    n_dw = sp.csr_matrix(n)
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": [f"w{i}" for i in range(W)] + [f"g{g}" for g in range(G)],
                          "modality": ["@default_class"] * W + ["@place"] * G,
                          "tf": n.sum(0).astype(float), "df": (n > 0).sum(0).astype(np.int64)})
    docs = pd.DataFrame({"id": [f"d{i}" for i in range(len(rows))], "text": ""})
    return Corpus(name="geo", documents=docs, vocab=vocab, n_dw=n_dw), ptg


def test_geo_smoothing_recovers_place_profiles(kernels_ready, tmp_path):
    """Neighbouring places are similar (CSV of 29 pairs). Observed: mean L1 error of p(t|g)
    0.484 without the term, 0.432 with GeoSmoothing τ = 0.002 (the seed's formula is scaled by
    n_t²: useful τ are small; τ ≥ 0.003 empties the place modality here)."""
    c, truth = placed_corpus()
    pd.DataFrame({"a": [f"g{g}" for g in range(29)], "b": [f"g{g + 1}" for g in range(29)]}) \
        .to_csv(tmp_path / "s.csv", index=False)
    gid = np.flatnonzero(c.vocab["modality"] == "@place")
    err, effect = {}, {}
    for tau in (0.0, 0.002):
        tr, cols = _fit_matched(c, 2, f"GeoSmoothing(tau={tau}, similarity={tmp_path / 's.csv'})" if tau else None)
        p = tr.phi[gid][:, cols] * tr.n_t[cols][None, :]
        err[tau] = np.abs(p / p.sum(1, keepdims=True) - truth).sum(1).mean()
        places, P = place_topics(tr.model, c, "@place")
        np.testing.assert_allclose(P[:, cols], p / p.sum(1, keepdims=True), rtol=1e-5)
        effect[tau] = smoothing_effect(P, read_similarity(tmp_path / "s.csv", places))
    assert err[0.002] < err[0.0] - 0.03
    # neighbours are alike even without the term (the planted profiles change slowly), more so with it
    assert effect[0.0]["similar_pairs"] == 29 and effect[0.0]["other_pairs"] == 30 * 29 // 2 - 29
    assert effect[0.002]["ratio"] < effect[0.0]["ratio"] < 1


@pytest.mark.parametrize("text, message", [
    ("x,y\ng1,g2\n", "no column\\(s\\) a, b"),
    ("a,b,weight\ng1,g2,-1\n", "not a number ≥ 0"),
    ("a,b\nzz,g2\n", "no row names two different places"),
])
def test_geo_bad_similarity(kernels_ready, tmp_path, text, message):
    c, _ = placed_corpus(G=5, per=1)
    (tmp_path / "s.csv").write_text(text, encoding="utf-8")
    reg = parse_regularizer(f"GeoSmoothing(tau=0.001, similarity={tmp_path / 's.csv'})")
    with pytest.raises(InputError, match=message):  # before any pass
        Trainer(c, ModelConfig(n_topics=2, iterations=3, threads=1, regularizers=(reg,)))
    with pytest.raises(InputError, match="does not exist"):
        Trainer(c, ModelConfig(n_topics=2, iterations=2, threads=1, regularizers=(
            parse_regularizer(f"GeoSmoothing(tau=1, similarity={tmp_path / 'nope.csv'})"),)))


def test_time_profiles_in_time_order(kernels_ready):
    c, _ = dated_corpus(months=14, per_month=3)
    tc, _ = add_time_modality(c)
    tr = Trainer(tc, ModelConfig(n_topics=3, iterations=5, seed=1, threads=1))
    tr.fit()
    prof = time_profiles(tr.model, tc)
    bins = prof["time"].drop_duplicates().tolist()
    assert bins == sorted(bins) and len(bins) == 14 and bins[0] == "2015-01"
    np.testing.assert_allclose(prof.groupby("topic")["p_time_given_topic"].sum(), 1, rtol=1e-5)
    np.testing.assert_allclose(prof.groupby("time")["p_topic_given_time"].sum(), 1, rtol=1e-5)
    with pytest.raises(InputError, match="has no modality '@time'"):
        time_profiles(tr.model, c)


def test_place_modality_from_a_column():
    c, _ = dated_corpus(months=2, per_month=3)
    docs = c.documents.assign(city=["Oslo", " Oslo ", None, "Bergen", 2015.0, ""])
    c = Corpus(name="dated", documents=docs, vocab=c.vocab, n_dw=c.n_dw)
    pc, info = add_place_modality(c, "city")
    assert info == {"column": "city", "modality": "@place", "tokens": 3, "placed_documents": 4,
                    "first": "2015", "last": "Oslo"}
    assert pc.vocab["token"].iloc[c.n_tokens:].tolist() == ["2015", "Bergen", "Oslo"]
    assert (pc.n_dw[:, : c.n_tokens] != c.n_dw).nnz == 0
    assert pc.n_dw[:, c.n_tokens:].sum(axis=1).ravel().tolist()[0] == [1, 1, 0, 1, 1, 0]
    with pytest.raises(InputError, match="no column 'town'; its metadata columns are date, city"):
        add_place_modality(c, "town")
    with pytest.raises(InputError, match="column 'date2' of corpus 'dated' is empty"):
        add_place_modality(Corpus(name="dated", documents=docs.assign(date2=None), vocab=c.vocab, n_dw=c.n_dw), "date2")
    with pytest.raises(InputError, match="already has a modality '@place'"):
        add_place_modality(pc, "city")
