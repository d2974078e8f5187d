""""How many topics?" on 20 Newsgroups: the sweep T ∈ {10, 20, 40, 80} × 3 random starts
(issue 12 target: under 10 minutes on this machine), then stability of the newsgroup-like topics
against topics that are random splits.

1. The sweep exactly as ``artm-studio sweep`` runs it (``--system jobs``, the default: every
   (T, start) a TrainingJob with checkpoints in a fresh workspace, ``plan_sweep`` + ``SweepBuild.run``;
   ``--system memory``: the in-memory ``run_sweep``, no checkpoints) — PLSA, 20 passes, 10% held
   out, two runs side by side with one E-step thread each; wall time and CPU time of this process,
   per-T table and bends; the CLI's JSON/CSV/HTML outputs are written to ``--out``.
2. At T = 20, every topic of start 0 gets its dominant newsgroup (share of its θ-mass
   Σ_d n_d θ_td falling in one newsgroup); "newsgroup-like" = share ≥ ``--purity``. Their
   per-topic stability is compared with (a) the other topics, (b) the topics of the same model
   trained on a **shuffled corpus** (every token occurrence moved to a random document, document
   lengths kept: any topic found there is a random split of the vocabulary), and (c) the T = 80
   topics (forced splits of the newsgroups).

    PYTHONPATH=$PWD python bench/bench_sweep.py --out bench/results/sweep20ng
    PYTHONPATH=$PWD python bench/bench_sweep.py --system memory --out bench/results/sweep20ng_mem
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine import Corpus, ModelConfig, Trainer, Workspace  # noqa: E402
from engine.analysis.stability import topic_stability  # noqa: E402
from engine.analysis.sweep import run_sweep, split_corpus  # noqa: E402
from engine.cli.sweep import write_outputs  # noqa: E402
from engine.families.starts import plan_sweep  # noqa: E402


def shuffled(corpus: Corpus, seed: int = 0) -> Corpus:
    """Every token occurrence moved to a random document; lengths and totals kept."""
    m = corpus.n_dw
    counts = m.data.astype(np.int64)
    tokens = np.repeat(m.indices, counts)
    np.random.default_rng(seed).shuffle(tokens)
    lengths = np.asarray(m.sum(axis=1)).ravel().astype(np.int64)
    rows = np.repeat(np.arange(m.shape[0]), lengths)
    out = sp.csr_matrix((np.ones(len(tokens), np.float32), (rows, tokens)), shape=m.shape)
    out.sum_duplicates()
    out.sort_indices()
    out.indices = out.indices.astype(np.int32)
    return Corpus(name="shuffled", documents=corpus.documents, vocab=corpus.vocab, n_dw=out)


def newsgroup_share(theta: np.ndarray, labels: np.ndarray, n_d: np.ndarray) -> tuple[np.ndarray, list]:
    names = sorted(set(labels))
    mass = np.stack([(theta[:, labels == g] * n_d[labels == g]).sum(axis=1) for g in names], axis=1)
    share = mass / np.maximum(mass.sum(axis=1, keepdims=True), 1e-12)
    return share.max(axis=1), [names[i] for i in share.argmax(axis=1)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", default=str(HERE / "data" / "ws"))
    ap.add_argument("--corpus", default="20ng")
    ap.add_argument("--topics", default="10,20,40,80")
    ap.add_argument("--starts", type=int, default=3)
    ap.add_argument("--iterations", type=int, default=20)
    ap.add_argument("--purity", type=float, default=0.5)
    ap.add_argument("--out", default=str(HERE / "results" / "sweep20ng"))
    ap.add_argument("--system", choices=("jobs", "memory"), default="jobs",
                    help="jobs: runs as TrainingJobs with checkpoints (the CLI and app path); memory: run_sweep")
    args = ap.parse_args()
    corpus = Workspace(args.workspace).load_corpus(args.corpus)
    topics = [int(x) for x in args.topics.split(",")]
    base = ModelConfig(iterations=args.iterations)
    report = lambda r: print(json.dumps({k: r[k] for k in ("topics", "start", "seconds")}), flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        if args.system == "jobs":                     # a fresh workspace holds the 12 runs and their checkpoints
            ws = Workspace(tmp)
            ws.save_corpus(corpus, args.corpus)
            corpus = ws.load_corpus(args.corpus)
        load0, cpu0 = os.getloadavg(), time.process_time()
        t0 = time.perf_counter()
        if args.system == "jobs":
            build = plan_sweep(ws, corpus, topics, args.starts, base, holdout=0.1, workers=2)
            saved = build.run(corpus, on_run=report)
            res, _ = build.result()
        else:
            res = saved = run_sweep(corpus, topics, args.starts, base, holdout=0.1, workers=2, callback=report)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        write_outputs(args.out, saved)
    cols = ["topics", "perplexity", "holdout_perplexity", "coherence", "sparsity_phi", "sparsity_theta",
            "topic_distance", "stability", "matched_distance", "stable_topics"]
    print(res.summary[cols].to_string(index=False))
    print(json.dumps({"system": args.system, "sweep_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                      "runs": len(res.runs), "bends": res.bends,
                      "load_before": [round(x, 2) for x in load0],
                      "load_after": [round(x, 2) for x in os.getloadavg()]}))

    # per-topic stability at T = 20: newsgroup-like topics vs the rest vs random splits
    train, _ = split_corpus(corpus, 0.1)
    labels = train.documents["label"].astype(str).to_numpy()
    n_d = np.asarray(train.n_dw.sum(axis=1)).ravel()
    t20 = 20 if 20 in topics else topics[len(topics) // 2]
    per = res.topic_stability(t20, 0)
    tr = Trainer(train, base.with_changes(n_topics=t20, seed=base.seed))   # start 0 again, for its Θ
    tr.fit()
    np.testing.assert_array_equal(tr.model.phi, res.phis[(t20, 0)])
    share, group = newsgroup_share(np.asarray(tr.model.theta), labels, n_d)
    tr.close()
    like = share >= args.purity
    shuf = shuffled(train)
    phis = []
    for s in range(args.starts):
        t = Trainer(shuf, base.with_changes(n_topics=t20, seed=base.seed + s, threads=2))
        t.fit()
        phis.append(t.model.phi)
        t.close()
    null = topic_stability(phis, 0)
    big = res.topic_stability(max(topics), 0)
    out = {
        "T": t20, "newsgroup_like": int(like.sum()),
        "newsgroups_covered": len({g for g, ok in zip(group, like) if ok}),
        "stability_newsgroup_like": float(per.loc[like, "stability"].mean()) if like.any() else None,
        "distance_newsgroup_like": float(per.loc[like, "mean_distance"].mean()) if like.any() else None,
        "stability_other": float(per.loc[~like, "stability"].mean()) if (~like).any() else None,
        "distance_other": float(per.loc[~like, "mean_distance"].mean()) if (~like).any() else None,
        "stability_shuffled_corpus": float(null["stability"].mean()),
        "distance_shuffled_corpus": float(null["mean_distance"].mean()),
        f"stability_T{max(topics)}": float(big["stability"].mean()),
        f"distance_T{max(topics)}": float(big["mean_distance"].mean()),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
