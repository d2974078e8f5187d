"""Hypergraph (transaction) ARTM and the sentence model: kernels against NumPy, planted
recovery against plain ARTM, imports (table, BigARTM VW), bad input, save/load/resume, CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from engine.corpus.ingest import build_corpus
from engine.corpus.options import ImportOptions
from engine.em.config import ModelConfig
from engine.em.inference import token_topics
from engine.em.trainer import Trainer
from engine.errors import ConfigError, InputError, WorkspaceError
from engine.families.hypergraph.edges import edges_from_long, edges_to_long, sentence_spans
from engine.families.hypergraph.family import HypergraphOptions, edges_of, hypergraph_config
from engine.families.hypergraph.reading import edge_topics, sentence_table
from engine.families.hypergraph import _kernels as HK
from engine.families.hypergraph import transactions as X
from engine.jobs import TrainingJob
from engine.store.checkpoints import read_checkpoint
from engine.store.runs import load_run
from engine.store.workspace import Workspace
from planted_hypergraph import planted_sentences, planted_transactions


def _tx_corpus(tmp_path, long):
    ws = Workspace(tmp_path / "ws")
    X.import_transactions(ws, long, "tx", "planted")
    return ws, ws.load_corpus("tx")


def _pairing(phi, corpus, T=4, items=8, shops=4):
    """(item mass, shop mass) of the model topics matched to planted topics by their items."""
    tok, mod = corpus.vocab["token"].to_numpy(), corpus.vocab["modality"].to_numpy()
    it, sh = np.flatnonzero(mod == "item"), np.flatnonzero(mod == "shop")
    ti = np.array([int(x[1:]) // items for x in tok[it]])
    ts = np.array([int(x[1:]) // shops for x in tok[sh]])
    mi = np.stack([phi[it][ti == p].sum(0) for p in range(T)])
    ms = np.stack([phi[sh][ts == p].sum(0) for p in range(T)])
    r, c = linear_sum_assignment(-mi)
    return float(mi[r, c].mean()), float(ms[r, c].mean())


def _accuracy(pred, truth, T=4):
    conf = np.zeros((T, T))
    np.add.at(conf, (pred, truth), 1)
    r, c = linear_sum_assignment(-conf)
    return conf[r, c].sum() / len(truth)


def test_one_pass_matches_numpy_reference(kernels_ready, tmp_path):
    rng = np.random.default_rng(4)
    rows = []
    for e in range(60):
        for v in rng.choice(12, size=rng.integers(1, 4), replace=False):
            rows.append((f"d{e % 7}", e, "a" if e % 3 else "b", float(rng.integers(1, 3)), f"v{v}",
                         "m1" if v < 6 else "m2", float(rng.integers(1, 3))))
    long = pd.DataFrame(rows, columns=X._COLUMNS)
    ws, c = _tx_corpus(tmp_path, long)
    cfg = hypergraph_config(ModelConfig(n_topics=3, iterations=1, inner_passes=3, threads=2, seed=5),
                            HypergraphOptions(edges="transactions", path=str(X.transactions_path(ws, "tx")),
                                              type_weights={"b": 0.5}))
    tr = Trainer(c, cfg)
    phi0 = tr.phi.astype(np.float64)
    e = tr.estep.edges
    w = e.count * np.where(np.asarray(e.types)[e.etype] == "b", 0.5, 1.0)
    D, W, T = c.n_docs, c.n_tokens, 3
    theta = np.full((D, T), 1 / T)
    q = np.array([np.prod(phi0[e.vertex[a:b]] ** e.mult[a:b, None], axis=0) for a, b in zip(e.edge_ptr, e.edge_ptr[1:])])
    for _ in range(3):
        for d in range(D):
            xs = list(e.of(d))
            n = (w[xs, None] * q[xs] / (q[xs] @ theta[d])[:, None]).sum(0)
            theta[d] = theta[d] * n / (theta[d] * n).sum()
    n_wt = np.zeros((W, T))
    mod = tr.token_modality
    loglik, n_tok = np.zeros(2), np.zeros(2)
    for x in range(e.n_edges):
        d = e.edge_doc[x]
        p = theta[d] * q[x] / (theta[d] @ q[x])
        mass = e.mult[e.edge_ptr[x]:e.edge_ptr[x + 1]].sum()
        for j in range(e.edge_ptr[x], e.edge_ptr[x + 1]):
            n_wt[e.vertex[j]] += e.mult[j] * w[x] * p
            loglik[mod[e.vertex[j]]] += e.count[x] * e.mult[j] / mass * np.log(theta[d] @ q[x])
            n_tok[mod[e.vertex[j]]] += e.count[x] * e.mult[j]
    n_wt_k, theta_k, loglik_k, n_tok_k = tr.estep.run(tr, cfg, np.ones(W, np.float32), True,
                                                      (np.zeros(T, np.float32),) * 2 + (np.zeros((0, T), np.float32),), [])
    np.testing.assert_allclose(theta_k, theta, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(n_wt_k, n_wt, rtol=2e-4, atol=1e-5)
    np.testing.assert_allclose(loglik_k, loglik, rtol=1e-4)
    np.testing.assert_allclose(n_tok_k, n_tok, rtol=1e-6)


def test_long_edges_do_not_underflow(kernels_ready):
    """Products far below float64's range keep their topic ratios: q_ut / max_t and
    ln max_t Π φ^m equal the log-space values for a 400-vertex edge, a short edge (linear
    path), an edge whose power m = 60 underflows, and one whose best topic meets a φ = 0 late."""
    rng = np.random.default_rng(0)
    W, T, n = 50, 4, 400
    phi = rng.uniform(1e-9, 1e-6, size=(W, T)).astype(np.float32)
    phi[7] = [0.0, 1e-30, 1e-12, 0.0]
    edges = [(rng.integers(W - 10, size=n), np.where(np.arange(n) % 7 == 0, 2.0, 1.0)),   # long
             (np.array([3, 4, 5]), np.ones(3)),                                          # short: linear
             (np.array([3, 4]), np.array([60.0, 1.0])),                                  # power underflows
             (np.r_[rng.integers(W - 10, size=5), 7], np.ones(6)),                       # best topic zeroed
             (np.array([3]), np.ones(1)), (np.zeros(0, np.int64), np.ones(0))]           # one vertex; empty
    ptr = np.r_[0, np.cumsum([len(v) for v, _ in edges])].astype(np.int64)
    vertex = np.concatenate([v for v, _ in edges]).astype(np.int32)
    mult = np.concatenate([m for _, m in edges]).astype(np.float32)
    U = len(edges)
    q, ls = np.empty((U, T), np.float32), np.empty(U)
    HK.edge_products(0, U, ptr, vertex, mult, np.ones(W, np.float32), phi, q, ls)
    for u, (v, m) in enumerate(edges[:-1]):
        with np.errstate(divide="ignore"):
            logs = (m[:, None] * np.log(phi[v].astype(np.float64))).sum(0)
        assert ls[u] == pytest.approx(logs.max(), rel=1e-9), u
        np.testing.assert_allclose(q[u], np.exp(logs - logs.max()), rtol=1e-5, atol=1e-30, err_msg=str(u))
    assert ls[0] < -5000 and ls[2] < -700 and q[3, 2] == 1.0 and q[3, 0] == q[3, 3] == 0
    assert ls[-1] == -np.inf and not q[-1].any()


def test_transactions_recover_pairs_plain_artm_cannot(kernels_ready, tmp_path):
    """Users buy from every topic alike (θ_u ≈ uniform): only the transactions tie an item to
    its shop. Observed: hypergraph 1.00 / 1.00, plain ARTM on the users' bags ≈ 0.53 / 0.55."""
    long, _ = planted_transactions()
    ws, c = _tx_corpus(tmp_path, long)
    base = ModelConfig(n_topics=4, iterations=40, seed=3, threads=1)
    h = Trainer(c, hypergraph_config(base, HypergraphOptions(edges="transactions",
                                                             path=str(X.transactions_path(ws, "tx")))))
    h.fit()
    plain = Trainer(c, base)
    plain.fit()
    hi, hs = _pairing(h.phi, c)
    pi, ps = _pairing(plain.phi, c)
    assert hi > 0.97 and hs > 0.97
    assert ps < 0.8 and hs > ps + 0.2


def test_sentence_model_gives_one_topic_per_sentence(kernels_ready, tmp_path):
    """Each sentence from one of its document's two topics, half of its words common to all
    topics. Observed: sentence model 0.994 of sentences right, plain ARTM + summing its token
    topics per sentence 0.931."""
    df, truth = planted_sentences()
    df.to_csv(tmp_path / "s.csv", index=False)
    c = build_corpus(tmp_path / "s.csv", ImportOptions(min_df=1, stopwords="none"))
    base = ModelConfig(n_topics=4, iterations=40, seed=3, threads=1)
    h = Trainer(c, hypergraph_config(base, HypergraphOptions(edges="sentences")))
    h.fit()
    e = h.estep.edges
    assert e.n_edges == len(truth) and e.types == ("sentence",)
    m = h.model
    pred = np.concatenate([edge_topics(m.phi, m.theta[:, d], e, e.of(d)).argmax(0) for d in range(c.n_docs)])
    plain = Trainer(c, base)
    plain.fit()
    vote = []
    for d in range(c.n_docs):
        P = token_topics(plain.model, c, d)
        sid = np.searchsorted(e.end[list(e.of(d))], c.sequences.of(d)[1], side="right")
        vote += [int(P[:, sid == k].sum(1).argmax()) for k in range(len(e.of(d)))]
    a_h, a_p = _accuracy(pred, truth), _accuracy(np.array(vote), truth)
    assert a_h > 0.97 and a_h > a_p + 0.03
    # the family's reading: every token of a sentence carries its sentence's p(t|d,s)
    P = h.documents_topics([0])[0]
    table, S = sentence_table(m, c, e, 0)
    sid = np.searchsorted(table["end"].to_numpy(), c.sequences.of(0)[1], side="right")
    np.testing.assert_allclose(P, S[:, sid], atol=1e-6)
    assert table["topic"].str.startswith("topic_").all() and len(table) == 6


def test_sentence_spans_and_other_modalities(kernels_ready, tmp_path):
    t = "Sen. Warren said no. The U.S. economy grew! Mr. J. Smith left.\nNew line here"
    assert [t[a:b] for a, b in sentence_spans(t)] == [
        "Sen. Warren said no.", "The U.S. economy grew!", "Mr. J. Smith left.", "New line here"]
    pd.DataFrame({"id": ["a", "b"], "text": ["cats purr softly. dogs bark loudly!", "stocks fell sharply"],
                  "author": ["x", "y"]}).to_csv(tmp_path / "a.csv", index=False)
    c = build_corpus(tmp_path / "a.csv", ImportOptions(min_df=1, modalities={"author": "@author"}))
    e = edges_of(c, {"edges": "sentences"})
    assert e.types == ("sentence", "@author") and list(np.diff(e.doc_ptr)) == [3, 2]
    assert [c.documents.text[e.edge_doc[x]][e.start[x]:e.end[x]] for x in range(5) if e.start[x] >= 0] == [
        "cats purr softly.", "dogs bark loudly!", "stocks fell sharply"]
    assert (e.bag(c.n_docs, c.n_tokens).toarray() == c.n_dw.toarray()).all()
    with pytest.raises(InputError, match="no sentence has 9 or more"):
        edges_of(c, {"edges": "sentences", "min_tokens": 9})


def test_bigartm_vw_transactions(tmp_path):
    """BigARTM's syntax: ``|class`` switches modality, ``||`` closes a transaction, ``||type``
    switches type (open tokens become one-vertex edges), leftovers are one-vertex edges."""
    (tmp_path / "t.vw").write_text(
        "u1 |item milk:2 |shop A || |item bread |shop B ||click |page p1 p2\n"
        "u2 |item milk |shop A ||\n", encoding="utf-8")
    long = X.vw_transactions(tmp_path / "t.vw")
    edges = long.groupby("edge").agg(doc=("doc", "first"), type=("type", "first"), count=("count", "first"),
                                     verts=("token", lambda s: " ".join(s)))
    assert edges.to_dict(orient="records") == [
        {"doc": "u1", "type": "@default_transaction", "count": 3.0, "verts": "milk A"},
        {"doc": "u1", "type": "@default_transaction", "count": 1.0, "verts": "bread"},
        {"doc": "u1", "type": "@default_transaction", "count": 1.0, "verts": "B"},
        {"doc": "u1", "type": "click", "count": 1.0, "verts": "p1"},
        {"doc": "u1", "type": "click", "count": 1.0, "verts": "p2"},
        {"doc": "u2", "type": "@default_transaction", "count": 2.0, "verts": "milk A"}]
    c = X.corpus_of(long, "t.vw")
    e = edges_from_long(long, c, "t.vw")
    back = edges_to_long(e, c)
    assert sorted(map(tuple, back[["doc", "token", "modality"]].to_numpy())) == \
        sorted(map(tuple, long[["doc", "token", "modality"]].to_numpy()))
    assert c.n_dw.toarray().sum() == pytest.approx((long["count"] * long["mult"]).sum())
    for text, msg in [("u1 :3\n", "cannot start or end with ':'"), ("u1 milk:x\n", "no number after ':'"),
                      ("u1\n", "too few entries"), ("\n\n", "has no transactions")]:
        (tmp_path / "bad.vw").write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=msg):
            X.vw_transactions(tmp_path / "bad.vw")


@pytest.mark.parametrize("frame, kw, message", [
    (pd.DataFrame({"user": ["u1"], "item": ["a"]}), {}, "no column\\(s\\) 'doc'"),
    (pd.DataFrame({"doc": ["u1"], "item": ["a"]}), {"count": "n"}, "no column\\(s\\) 'n'"),
    (pd.DataFrame({"doc": [], "item": []}), {}, "has no rows"),
    (pd.DataFrame({"doc": ["u1", ""], "item": ["a", "b"]}), {}, "row 3 has an empty 'doc'"),
    (pd.DataFrame({"doc": ["u1"], "item": ["a"], "n": ["-2"]}), {"count": "n"}, "not a count ≥ 0"),
    (pd.DataFrame({"doc": ["u1"], "item": ["a"], "n": ["NaN"]}), {"count": "n"}, "not a count ≥ 0"),
    (pd.DataFrame({"doc": ["u1"]}), {}, "no vertex columns"),
    (pd.DataFrame({"doc": ["u1"], "item": [""]}), {}, "every vertex cell is empty"),
])
def test_bad_tables(tmp_path, frame, kw, message):
    frame.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=message):
        X.table_transactions(tmp_path / "t.csv", **kw)
    with pytest.raises(InputError, match="does not exist"):
        X.table_transactions(tmp_path / "nope.csv")


def test_table_import_and_bad_options(kernels_ready, tmp_path):
    pd.DataFrame({"user": ["u1", "u1", "u2"], "item": ["milk", "tea", "milk"], "shop": ["A", "", "B"],
                  "n": ["2", "1", "3"], "kind": ["buy", "view", "buy"]}).to_csv(tmp_path / "t.csv", index=False)
    long = X.table_transactions(tmp_path / "t.csv", doc="user", count="n", type_column="kind")
    ws = Workspace(tmp_path / "ws")
    out = X.import_transactions(ws, long, "tx", "t.csv")
    assert out["edges"] == 3 and out["vertices"] == {"item": 2, "shop": 2} and out["types"] == ["buy", "view"]
    with pytest.raises(WorkspaceError, match="already exists"):
        X.import_transactions(ws, long, "tx", "t.csv")
    c = ws.load_corpus("tx")
    assert c.n_dw.toarray().sum() == 2 * 2 + 1 + 3 * 2
    path = str(X.transactions_path(ws, "tx"))
    base = ModelConfig(n_topics=2, iterations=2, threads=1)
    with pytest.raises(ConfigError, match="no edges of type\\(s\\) sell"):
        Trainer(c, hypergraph_config(base, {"edges": "transactions", "path": path, "type_weights": {"sell": 1}}))
    for bad, msg in [({"edges": "words"}, "must be one of"), ({"edges": "transactions"}, "must name the transactions"),
                     ({"type_weights": {"buy": -1}}, "finite number ≥ 0"), ({"min_tokens": 0}, "integer ≥ 1"),
                     ({"window": 3}, "unknown option")]:
        with pytest.raises(ConfigError, match=msg):
            hypergraph_config(base, bad)
    with pytest.raises(InputError, match="no transactions file"):
        Trainer(c, hypergraph_config(base, {"edges": "transactions", "path": str(tmp_path / "x.parquet")}))
    with pytest.raises(InputError, match="needs text"):
        Trainer(c, hypergraph_config(base, {"edges": "sentences"}))
    other = X.corpus_of(X.vw_transactions(_vw(tmp_path)), "o")
    with pytest.raises(InputError, match="is not in corpus"):
        Trainer(other, hypergraph_config(base, {"edges": "transactions", "path": path}))


def _vw(tmp_path):
    (tmp_path / "o.vw").write_text("z9 |item milk |shop A ||\n", encoding="utf-8")
    return tmp_path / "o.vw"


def test_save_load_resume_exact(kernels_ready, tmp_path):
    long, _ = planted_transactions(users=30, n_tx=10)
    ws, c = _tx_corpus(tmp_path, long)
    cfg = hypergraph_config(ModelConfig(n_topics=4, iterations=6, threads=2, seed=1),
                            {"edges": "transactions", "path": str(X.transactions_path(ws, "tx"))})
    job = TrainingJob(ws, c, cfg, keep_checkpoints=10, checkpoint_every=3)
    job.start()
    assert job.wait(timeout=120).status == "finished"
    run = load_run(ws, job.run_id)
    assert run.config["family"] == "hypergraph" and run.config["options"]["edges"] == "transactions"
    full = Trainer(c, cfg)
    full.fit()
    np.testing.assert_array_equal(run.model.phi, full.phi)
    np.testing.assert_array_equal(run.model.theta, full.model.theta)
    state, _ = read_checkpoint(ws.runs_dir / job.run_id, 3)
    again = Trainer.from_state(c, None, state)
    again.fit()
    np.testing.assert_array_equal(again.phi, full.phi)


def test_cli_transactions_and_sentences(kernels_ready, tmp_path, capsys):
    from engine.cli import main

    long, _ = planted_transactions(users=30, n_tx=10)
    table = long.pivot_table(index=["edge", "doc"], columns="modality", values="token", aggfunc="first").reset_index()
    table.drop(columns="edge").to_csv(tmp_path / "tx.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["transactions", "import", str(tmp_path / "tx.csv"), "--name", "tx", "--count", "qty"] + ws) == 2
    assert "no column(s) 'qty'" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "corpora" / "tx").exists()
    assert main(["transactions", "import", str(tmp_path / "tx.csv"), "--name", "tx"] + ws) == 0
    assert json.loads(capsys.readouterr().out)["edges"] == 300
    assert main(["transactions", "train", "--corpus", "tx", "--topics", "4", "--iterations", "5",
                 "--type-weight", "nope=2"] + ws) == 2
    assert "no edges of type(s) nope" in capsys.readouterr().err
    assert main(["transactions", "train", "--corpus", "tx", "--topics", "4", "--iterations", "5", "--name", "h"] + ws) == 0
    capsys.readouterr()
    assert main(["transactions", "show", "h", "--doc", "u001", "--top", "3"] + ws) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["edges"]) == 3 and shown["edges"][0]["topic"].startswith("topic_")
    df, _ = planted_sentences(docs=30)
    df.to_csv(tmp_path / "s.csv", index=False)
    assert main(["import", str(tmp_path / "s.csv"), "--name", "s", "--text-column", "text", "--min-df", "1"] + ws) == 0
    assert main(["sentences", "train", "--corpus", "tx", "--topics", "2"] + ws) == 2
    assert "needs text" in capsys.readouterr().err
    assert main(["sentences", "train", "--corpus", "s", "--topics", "4", "--iterations", "10", "--name", "st"] + ws) == 0
    capsys.readouterr()
    assert main(["sentences", "show", "st", "--doc", "d0", "--doc", "1"] + ws) == 0
    out = capsys.readouterr().out
    assert out.count("== document") == 2 and out.count("[topic_") == 12
