"""Hypergraph family (issue 13, family 2): cost of a pass against plain ARTM of the same size.

(a) Sentence model on a real text corpus of the workspace (``--corpus``, default ``news`` =
news_articles_2017 imported with defaults): plain ARTM (PLSA) and the sentence model at the same
T/seed, passes timed in interleaved rounds, per-word perplexity of each model's own likelihood.
(b) Transactions: a planted purchase log (users × transactions, item + shop + channel per
transaction, users' topic mixtures nearly uniform), imported like ``transactions import`` does;
plain ARTM on the users' bags vs the hypergraph model: pass time and how much of each matched
topic's shop mass lands on the planted shops.

    PYTHONPATH=$PWD python bench/bench_families_hypergraph.py --workspace WS
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.hypergraph import transactions as X
from engine.families.hypergraph.family import hypergraph_config
from engine.store.workspace import Workspace


def timed(corpus, cfg, rounds_out: list, cpu_out: list) -> Trainer:
    """Train ``cfg``; wall and CPU seconds (``time.process_time``: all threads of this process,
    robust to other processes' load) of every pass but the first (one-time set-up)."""
    tr = Trainer(corpus, cfg)
    tr.step()
    for _ in range(cfg.iterations - 1):
        c0 = time.process_time()
        rounds_out.append(tr.step().seconds)
        cpu_out.append(time.process_time() - c0)
    return tr


def ratios(plain_s, plain_cpu, fam_s, fam_cpu, name: str) -> dict:
    """Medians of the wall and CPU seconds per pass and family / plain."""
    m = {k: float(np.median(v)) for k, v in (("pw", plain_s), ("pc", plain_cpu), ("fw", fam_s), ("fc", fam_cpu))}
    return {"plain_s_per_pass": round(m["pw"], 4), f"{name}_s_per_pass": round(m["fw"], 4),
            "ratio": round(m["fw"] / m["pw"], 2), "plain_cpu_s_per_pass": round(m["pc"], 4),
            f"{name}_cpu_s_per_pass": round(m["fc"], 4), "cpu_ratio": round(m["fc"] / m["pc"], 2)}


def purchase_log(users, n_tx, T=10, items=50, shops=10, channels=3, alpha=20.0, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    theta = rng.dirichlet([alpha] * T, size=users)
    t = np.concatenate([rng.choice(T, size=n_tx, p=theta[u]) for u in range(users)])
    u = np.repeat(np.arange(users), n_tx)
    frame = pd.DataFrame({"doc": [f"u{x}" for x in u], "item": [f"i{x}" for x in t * items + rng.integers(items, size=len(t))],
                          "shop": [f"s{x}" for x in t * shops + rng.integers(shops, size=len(t))],
                          "channel": [f"c{x}" for x in rng.integers(channels, size=len(t))]})
    return frame, t


def shop_pairing(phi, corpus, T, items=50, shops=10) -> float:
    tok, mod = corpus.vocab["token"].to_numpy(), corpus.vocab["modality"].to_numpy()
    it, sh = np.flatnonzero(mod == "item"), np.flatnonzero(mod == "shop")
    mi = np.stack([phi[it][np.array([int(x[1:]) // items for x in tok[it]]) == p].sum(0) for p in range(T)])
    ms = np.stack([phi[sh][np.array([int(x[1:]) // shops for x in tok[sh]]) == p].sum(0) for p in range(T)])
    r, c = linear_sum_assignment(-mi)
    return float(ms[r, c].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--corpus", default="news")
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--users", type=int, default=5000)
    ap.add_argument("--transactions", type=int, default=40)
    args = ap.parse_args()
    out = {"load_before": os.getloadavg()[0]}
    ws = Workspace(args.workspace)
    c = ws.load_corpus(args.corpus)
    cfg = ModelConfig(n_topics=args.topics, iterations=args.iterations, seed=1, threads=2)
    sent = hypergraph_config(cfg, {"edges": "sentences"})
    t0 = time.perf_counter()
    Trainer(c, sent).close()
    out["sentence_setup_s"] = round(time.perf_counter() - t0, 2)
    plain_s, sent_s, plain_c, sent_c = [], [], [], []
    for _ in range(args.rounds):
        p = timed(c, cfg, plain_s, plain_c)
        s = timed(c, sent, sent_s, sent_c)
    e = s.estep.edges
    out["sentences"] = {"corpus": args.corpus, "documents": c.n_docs, "nnz": int(c.n_dw.nnz),
                        "sentences": int((e.start >= 0).sum()), "vertex_entries": int(len(e.vertex)),
                        **ratios(plain_s, plain_c, sent_s, sent_c, "sentence"),
                        "plain_perplexity": round(p.last_report.scores["perplexity"], 1),
                        "sentence_perplexity_per_word": round(s.last_report.scores["perplexity"], 1)}
    frame, _ = purchase_log(args.users, args.transactions)
    tmp = tempfile.mkdtemp()
    frame.to_csv(os.path.join(tmp, "log.csv"), index=False)
    tws = Workspace(os.path.join(tmp, "ws"))
    t0 = time.perf_counter()
    X.import_transactions(tws, X.table_transactions(os.path.join(tmp, "log.csv")), "log", "log.csv")
    import_s = time.perf_counter() - t0
    tc = tws.load_corpus("log")
    tcfg = cfg.with_changes(n_topics=10)
    hyper = hypergraph_config(tcfg, {"edges": "transactions", "path": str(X.transactions_path(tws, "log"))})
    plain_s, hyper_s, plain_c, hyper_c = [], [], [], []
    for _ in range(args.rounds):
        p = timed(tc, tcfg, plain_s, plain_c)
        h = timed(tc, hyper, hyper_s, hyper_c)
    out["transactions"] = {"users": tc.n_docs, "transactions": len(frame), "vertices": tc.n_tokens,
                           "nnz": int(tc.n_dw.nnz), "import_s": round(import_s, 2),
                           **ratios(plain_s, plain_c, hyper_s, hyper_c, "hyper"),
                           "shop_pairing_plain": round(shop_pairing(p.phi, tc, 10), 3),
                           "shop_pairing_hyper": round(shop_pairing(h.phi, tc, 10), 3)}
    out["load_after"] = os.getloadavg()[0]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
