"""Document links (issue 13, family 3) on 20 Newsgroups threads: posts with the same subject
(after stripping "Re:") are linked in thread order. Plain ARTM (PLSA) against the links family
at the same T/seed/iterations: topic agreement of linked posts vs random pairs, how often a
post's main topic is the majority main topic of its newsgroup (purity), and the cost of a pass.

    PYTHONPATH=$PWD python bench/bench_families_links.py --workspace WS   (WS holds ``news20``)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.links import model as L
from engine.families.links.family import LinksOptions, links_config
from engine.store.workspace import Workspace


def thread_edges(docs: pd.DataFrame) -> pd.DataFrame:
    subj = docs["subject"].astype(str).str.replace(r"^\s*((re|fwd?)\s*:\s*)+", "", flags=re.I, regex=True)
    subj = subj.str.strip().str.lower()
    rows = []
    for key, g in docs.assign(s=subj).groupby("s"):
        if len(g) > 1 and key != "":
            ids = g["id"].tolist()
            rows += [(a, b) for a, b in zip(ids, ids[1:])]
    return pd.DataFrame(rows, columns=["source", "target"])


def purity(theta_dt, labels) -> float:
    main = theta_dt.argmax(1)
    df = pd.DataFrame({"label": labels, "main": main})
    return float(df.groupby("label")["main"].agg(lambda s: s.value_counts().iloc[0]).sum() / len(df))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--taus", type=float, nargs="+", default=[5.0, 20.0])
    args = ap.parse_args()
    c = Workspace(args.workspace).load_corpus("news20")
    edges = thread_edges(c.documents)
    path = Path(tempfile.mkdtemp()) / "threads.csv"
    edges.to_csv(path, index=False)
    links = L.edges_from_frame(edges, c.documents)
    print(json.dumps({"edges": int(links.nnz // 2), "linked_docs": int((links.getnnz(axis=1) > 0).sum())}))
    cfg = ModelConfig(n_topics=args.topics, iterations=args.iterations, seed=1, threads=2)
    for tau in [0.0] + args.taus:
        tr = Trainer(c, cfg if tau == 0 else links_config(cfg, LinksOptions(edges=str(path), tau=tau)))
        secs = []
        for _ in range(args.iterations):
            t0 = time.perf_counter()
            tr.step()
            secs.append(time.perf_counter() - t0)
        th = tr.model.theta.T
        print(json.dumps({"tau": tau, "link_agreement": round(float(L.agreement(th, links)[0].mean()), 4),
                          "random_pairs": round(float(L.random_agreement(th, 20000).mean()), 4),
                          "purity": round(purity(th, c.documents["label"].to_numpy()), 4),
                          "perplexity": round(tr.last_report.scores["perplexity"], 1),
                          "sec_per_pass_median": round(float(np.median(secs)), 4)}), flush=True)
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
