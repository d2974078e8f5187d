"""Segmentation rules (issue 13, item 8): the engine's "gap" rule against the seed's rule on
documents with known boundaries.

Choi-style test documents: each is 4 passages of 25–60 consecutive tokens cut from 4 random
NeurIPS abstracts with different main topics (../shared/corpora/neurips_1987_2019, the corpus of
bench_tartm.py). Token topics p_ti are the context reading (ContextOptions(): window 10, β ½, 2
passes) of a T = 20 model trained on all abstracts. For each rule:

* boundaries, number known (oracle k = 3): the 3 highest peaks (min gap 10) — Pk (k = half the
  mean passage length) and boundary F1 with a ±3-token tolerance;
* boundaries, threshold tuned on the first half of the documents for F1, reported on the second;
* segment θ, true boundaries given: Bhattacharyya similarity Σ_t √(θ_t θ*_t) and main-topic
  agreement with θ* of the passage alone (EM with Φ fixed, 10 inner passes).

    PYTHONPATH=$PWD python bench/bench_segmentation.py --workspace WS   (WS from bench_tartm.py)
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np
import scipy.sparse as sp

from engine.em.config import ModelConfig
from engine.em.inference import transform
from engine.em.trainer import Trainer
from engine.families.context import ContextOptions, token_topics
from engine.families.context.segment import RULES, boundary_scores, pick_boundaries, segment_thetas
from engine.store.workspace import Workspace

WINDOW, GAP, TOL = 10.0, 10, 3


def make_documents(c, model, n, rng, parts=4):
    main = model.theta.argmax(axis=0)
    seqs = c.sequences
    long_docs = np.flatnonzero(np.diff(seqs.ptr) >= 60)
    docs = []
    while len(docs) < n:
        src = rng.choice(long_docs, parts, replace=False)
        if len(set(main[src])) < parts:
            continue
        toks, edges = [], [0]
        for d in src:
            t = seqs.of(int(d))[0]
            m = int(rng.integers(25, 61))
            a = int(rng.integers(0, len(t) - m + 1))
            toks.append(t[a:a + m])
            edges.append(edges[-1] + m)
        docs.append((np.concatenate(toks).astype(np.int64), edges))
    return docs


def pk(ref: list[int], hyp: list[int], n: int, k: int) -> float:
    seg = lambda b: np.searchsorted(np.asarray(b), np.arange(n), side="right")  # noqa: E731
    r, h = seg(ref), seg(hyp)
    i = np.arange(n - k)
    return float(np.mean((r[i] == r[i + k]) != (h[i] == h[i + k])))


def f1(ref, hyp) -> float:
    if not ref and not hyp:
        return 1.0
    hit_h = sum(any(abs(b - r) <= TOL for r in ref) for b in hyp)
    hit_r = sum(any(abs(b - r) <= TOL for b in hyp) for r in ref)
    p = hit_h / len(hyp) if hyp else 0.0
    q = hit_r / len(ref) if ref else 0.0
    return 2 * p * q / (p + q) if p + q else 0.0


def top_k(scores, k):
    peaks = pick_boundaries(scores, 0.0, GAP)
    return sorted(sorted(peaks, key=lambda i: -scores[i])[:k])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--documents", type=int, default=300)
    ap.add_argument("--topics", type=int, default=20)
    args = ap.parse_args()
    c = Workspace(args.workspace).load_corpus("neurips_abstracts")
    tr = Trainer(c, ModelConfig(n_topics=args.topics, iterations=20, seed=1, threads=2))
    tr.fit()
    model = tr.model
    rng = np.random.default_rng(0)
    docs = make_documents(c, model, args.documents, rng)
    opts = ContextOptions()
    Ps = [token_topics(model, t, opts, iteration=10_000, corpus=c).T for t, _ in docs]
    half = len(docs) // 2
    out = {}
    for rule in RULES:
        S = [boundary_scores(P, WINDOW, rule) for P in Ps]
        res = {"oracle_pk": [], "oracle_f1": []}
        for (t, e), s in zip(docs, S):
            ref, hyp = e[1:-1], top_k(s, len(e) - 2)
            res["oracle_pk"].append(pk(ref, hyp, len(t), max(2, int(np.mean(np.diff(e)) / 2))))
            res["oracle_f1"].append(f1(ref, hyp))
        grid = np.round(np.arange(0.05, 0.95, 0.025), 3)
        dev = [np.mean([f1(e[1:-1], pick_boundaries(s, th, GAP)) for (_, e), s in zip(docs[:half], S[:half])])
               for th in grid]
        th = float(grid[int(np.argmax(dev))])
        test_f1 = [f1(e[1:-1], pick_boundaries(s, th, GAP)) for (_, e), s in zip(docs[half:], S[half:])]
        test_pk = [pk(e[1:-1], pick_boundaries(s, th, GAP), len(t), max(2, int(np.mean(np.diff(e)) / 2)))
                   for (t, e), s in zip(docs[half:], S[half:])]
        sims, agree = [], []
        for (t, e), P in zip(docs, Ps):
            th_seg = segment_thetas(P, e, WINDOW, rule)
            bag = sp.csr_matrix((np.ones(len(t), np.float32), (np.repeat(np.arange(len(e) - 1), np.diff(e)), t)),
                                shape=(len(e) - 1, c.n_tokens))
            ref = transform(model, bag, 10)[0].T
            sims += list(np.sqrt(np.maximum(th_seg, 0) * np.maximum(ref, 0)).sum(axis=1))
            agree += list(th_seg.argmax(1) == ref.argmax(1))
        out[rule] = {"oracle_k_pk": round(float(np.mean(res["oracle_pk"])), 4),
                     "oracle_k_f1": round(float(np.mean(res["oracle_f1"])), 4),
                     "tuned_threshold": th, "test_f1": round(float(np.mean(test_f1)), 4),
                     "test_pk": round(float(np.mean(test_pk)), 4),
                     "segment_theta_similarity": round(float(np.mean(sims)), 4),
                     "segment_main_topic_agreement": round(float(np.mean(agree)), 4)}
        print(json.dumps({"rule": rule, **out[rule]}), flush=True)
    print(json.dumps({"documents": len(docs), "loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
