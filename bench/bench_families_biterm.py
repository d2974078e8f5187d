"""Biterm regularizer (issue 13, family 4) on Telegram news posts (short texts): NPMI coherence
of the top-10 words of every topic, plain ARTM (PLSA) vs ARTM + Biterm at the same T, seed and
iterations, and the cost of a pass.

    artm-studio import .../telegram_news_ru/bow/vw.telegram_ru.txt.gz --workspace WS --name tg
    PYTHONPATH=$PWD python bench/bench_families_biterm.py --workspace WS
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from engine.em.config import ModelConfig
from engine.em.cooccurrence import coherence_per_topic, cooccurrence
from engine.em.trainer import Trainer
from engine.families.biterm.regularizer import Biterm
from engine.store.workspace import Workspace


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--corpus", default="tg")
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--taus", type=float, nargs="+", default=[0.1, 1.0])
    ap.add_argument("--max-tokens", type=int, default=2000, dest="max_tokens")
    args = ap.parse_args()
    c = Workspace(args.workspace).load_corpus(args.corpus)
    words = np.flatnonzero(c.token_modality == c.modalities.index("@default_class"))
    co = cooccurrence(c)
    for tau in [0.0] + args.taus:
        regs = () if tau == 0 else (Biterm(tau=tau, max_tokens=args.max_tokens),)
        tr = Trainer(c, ModelConfig(n_topics=args.topics, iterations=args.iterations, seed=1, threads=2,
                                    regularizers=regs, modality_weights={"channel": 0.0, "label": 0.0}))
        secs = []
        for _ in range(args.iterations):
            t0 = time.perf_counter()
            tr.step()
            secs.append(time.perf_counter() - t0)
        phi = tr.model.phi[words]
        tops = [words[np.argsort(-phi[:, t])[:10]] for t in range(phi.shape[1])]
        coh = coherence_per_topic(co, tops)
        print(json.dumps({"tau": tau, "npmi_top10_mean": round(float(np.nanmean(coh)), 4),
                          "npmi_top10_median": round(float(np.nanmedian(coh)), 4),
                          "perplexity": round(tr.last_report.scores["perplexity"], 1),
                          "sec_per_pass_median": round(float(np.median(secs[1:])), 4),
                          "first_pass_sec": round(secs[0], 3)}), flush=True)
    print(json.dumps({"loadavg": os.getloadavg(), "documents": c.n_docs}))


if __name__ == "__main__":
    main()
