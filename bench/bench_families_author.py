"""Author–topic (issue 13, family 2) against gensim's AuthorTopicModel on ParlSpeech (UK House of
Commons sample), authors = speakers or parties: perplexity on the training speeches under each
model's own estimates, with one formula for both, p(w|d) = Σ_t φ_wt Σ_{a∈A_d} θ_at / |A_d|, and
wall time (documents without an author — 55 speeches without a party — are left out of the
perplexity of both). Also the seconds per pass of a plain ARTM (PLSA) pass of the same size.

    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_families_author.py --workspace WS
(WS holds ``parl_en``: ``artm-studio import .../parlspeech_en_houseofcommons.jsonl.gz --name parl_en
--text-column text --id-column id --date-column date --lang en --min-df 3``)
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from gensim.models import AuthorTopicModel

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.author.model import author_matrix
from engine.families.author.family import AuthorOptions, author_config
from engine.store.workspace import Workspace


def perplexity(n_dw, phi, A, theta_ct):
    """exp(−Σ n_dw ln p(w|d) / Σ n_dw) with p(w|d) = Σ_t φ_wt (A θ)_dt."""
    m = np.asarray(A @ theta_ct)          # (D, T)
    has = np.diff(A.indptr) > 0           # documents without an author (e.g. no party) are left out
    coo = n_dw[np.flatnonzero(has)].tocoo()
    m = m[has]
    p = np.einsum("nt,nt->n", phi[coo.col], m[coo.row])
    return float(np.exp(-(coo.data * np.log(np.maximum(p, 1e-300))).sum() / coo.data.sum()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--corpus", default="parl_en")
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=30)
    args = ap.parse_args()
    c = Workspace(args.workspace).load_corpus(args.corpus)
    T, it = args.topics, args.iterations
    cfg = ModelConfig(n_topics=T, iterations=it, seed=1, threads=2)
    plain = Trainer(c, cfg)
    t0 = time.perf_counter()
    plain.fit()
    t_plain = (time.perf_counter() - t0) / it
    bow = [list(zip(r.indices.tolist(), r.data.astype(float).tolist())) for r in c.n_dw]
    id2word = dict(enumerate(c.vocab["token"].astype(str)))
    for column in ("author", "label"):
        for mode in ("fixed", "learned"):
            tr = Trainer(c, author_config(cfg, AuthorOptions(column=column, mode=mode)))
            t0 = time.perf_counter()
            tr.fit()
            secs = time.perf_counter() - t0
            A = tr.estep.authors_matrix
            row = {"authors": column, "C": len(tr.estep.authors), "model": f"ARTM author–topic ({mode})", "T": T,
                   "perplexity": perplexity(c.n_dw, tr.model.phi.astype(np.float64), A, tr.estep.psi.T),
                   "seconds": secs, "sec_per_pass": secs / it, "plain_sec_per_pass": t_plain,
                   "ratio_to_plain": secs / it / t_plain}
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
        A0, names = author_matrix(c.documents, column)
        author2doc = {a: A0.tocsc()[:, j].indices.tolist() for j, a in enumerate(names)}
        t0 = time.perf_counter()
        gm = AuthorTopicModel(corpus=bow, num_topics=T, id2word=id2word, author2doc=author2doc,
                              passes=it, iterations=50, random_state=1, chunksize=2000)
        secs = time.perf_counter() - t0
        phi = gm.get_topics().T.astype(np.float64)               # (W, T)
        gamma = gm.state.gamma / gm.state.gamma.sum(1, keepdims=True)  # (C, T) in gm.author2id order
        theta = np.zeros((len(names), T))
        for j, a in enumerate(names):
            theta[j] = gamma[gm.author2id[a]]
        row = {"authors": column, "C": len(names), "model": "gensim AuthorTopicModel", "T": T,
               "perplexity": perplexity(c.n_dw, phi, A0, theta), "seconds": secs, "passes": it}
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}), flush=True)
    print(json.dumps({"loadavg": os.getloadavg(), "documents": c.n_docs, "tokens": float(c.n_dw.sum())}))


if __name__ == "__main__":
    main()
