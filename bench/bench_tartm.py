"""Full TARTM against the naive one-pass mode (issue 13, item 8) on short paragraphs: the
NeurIPS abstracts 2007–2019 (../shared/corpora/neurips_1987_2019, 6,359 abstracts of ~150
tokens — the seed's TARTM experiment used NIPS too).

(a) One pass from the same Φ (a model trained 10 naive passes): how much the seed's correction
    E_wt = Σ_d τ n_dw (p′_tdw − p_tdw) changes n_wt (‖E‖₁ / ‖n_wt‖₁, share of negative entries
    of n_wt + E, cut to 0 by the norm) and Φ (L1 distance per topic between the two M-steps).
(b) Both modes trained from the same random Φ: training perplexity (one-pass θ), bag-of-words
    perplexity with θ inferred by EM (Φ fixed, 10 inner passes), Φ sparsity, the mass subject
    topics give to the 50 most frequent words ("TARTM cleans topics of common words"), mean
    pairwise Hellinger distance between topics, seconds per pass.

    PYTHONPATH=$PWD python bench/bench_tartm.py --workspace WS [--topics 50] [--passes 30]
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from engine.corpus.ingest import ImportOptions, import_corpus
from engine.em.config import ModelConfig
from engine.em.inference import transform
from engine.em.topics import p_t_given_w
from engine.em.trainer import Trainer
from engine.families.context import ContextOptions, context_config
from engine.families.context._kernels.tartm import tartm_correction, tartm_gradient
from engine.store.workspace import Workspace

SOURCE = "/work/shared/corpora/neurips_1987_2019/neurips_1987_2019.jsonl.gz"


def corpus_of(ws):
    if not ws.has_corpus("neurips_abstracts"):
        import_corpus(SOURCE, "neurips_abstracts", ImportOptions(text_column="abstract", id_column="id", lang="en",
                                                                 min_df=3, max_df=0.5, dates=False), ws)
    return ws.load_corpus("neurips_abstracts")


def cfg(mode, topics, passes, seed):
    return context_config(ModelConfig(n_topics=topics, iterations=passes, seed=seed, threads=2),
                          ContextOptions(mode=mode))


def one_step_effect(c, topics, seed):
    tr = Trainer(c, cfg("one_pass", topics, 20, seed))
    tr.fit(10)
    state = tr.get_state()
    naive = Trainer.from_state(c, None, state)
    naive.step()
    n_wt = naive.last_context.n_wt.astype(np.float64)
    p_tw = p_t_given_w(tr.phi, tr.n_t).astype(np.float32)
    G = np.zeros(tr.phi.shape, np.float32)
    m = tr.n_dw
    tartm_gradient(0, c.n_docs, m.indptr, m.indices, m.data, np.ones(c.n_tokens, np.float32), tr.phi, p_tw,
                   naive.model.theta.T.copy(), G)
    E = tartm_correction(G, p_tw).astype(np.float64)
    full = Trainer.from_state(c, cfg("tartm", topics, 20, seed), state)
    full.step()
    return {"n_wt_change_l1": float(np.abs(E).sum() / np.abs(n_wt).sum()),
            "negative_entries_share": float(((n_wt + E) < 0).mean()),
            "negative_mass_share": float(-np.minimum(n_wt + E, 0).sum() / np.abs(n_wt).sum()),
            "phi_l1_per_topic_mean": float(np.abs(full.phi - naive.phi).sum(axis=0).mean()),
            "phi_l1_per_topic_max": float(np.abs(full.phi - naive.phi).sum(axis=0).max())}


def quality(c, tr, top_common=50):
    model = tr.model
    phi = model.phi.astype(np.float64)
    theta, ll, nt = transform(model, c.n_dw, 10)
    freq = np.argsort(-np.asarray(c.n_dw.sum(axis=0)).ravel())[:top_common]
    r = np.sqrt(phi)
    hell = np.sqrt(np.maximum(0, 1 - r.T @ r))
    T = phi.shape[1]
    return {"perplexity_train": round(tr.last_report.scores["perplexity"], 1),
            "perplexity_em_theta": round(float(np.exp(-sum(ll.values()) / sum(nt.values()))), 1),
            "sparsity_phi": round(float((phi == 0).mean()), 4),
            "common_words_mass": round(float(phi[freq].sum(axis=0).mean()), 4),
            "topic_distance": round(float(hell[np.triu_indices(T, 1)].mean()), 4),
            "dead_topics": int((phi.sum(axis=0) <= 0).sum()),
            "topics_with_under_20_words": int(((phi > 0).sum(axis=0) < 20).sum())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--topics", type=int, default=50)
    ap.add_argument("--passes", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    c = corpus_of(Workspace(args.workspace))
    print(json.dumps({"documents": c.n_docs, "words": c.n_tokens, "tokens": float(c.n_dw.sum())}))
    print(json.dumps({"one_step": one_step_effect(c, args.topics, args.seed)}), flush=True)
    for mode in ("one_pass", "tartm"):
        tr = Trainer(c, cfg(mode, args.topics, args.passes, args.seed))
        secs = []
        for _ in range(args.passes):
            t0 = time.perf_counter()
            tr.step()
            secs.append(time.perf_counter() - t0)
        print(json.dumps({"mode": mode, **quality(c, tr), "sec_per_pass_median": round(float(np.median(secs)), 4)}),
              flush=True)
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
