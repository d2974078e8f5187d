"""Multilingual ARTM (issue 13, family 3) on the parallel en–ru Bible corpus
(../shared/corpora/parallel_en_ru: 2,893 aligned passage pairs, 45,687-pair dictionary).

One document per pair with modalities @en and @ru; the same T/seed/passes with and without the
translation-dictionary regularizer. Measured: translation hits (share of a topic's top-10 words
of one language with a dictionary translation among its top-10 of the other, both directions,
mean over topics), cross-language retrieval (each passage's English part alone → rank of its
own Russian part among all Russian parts by θ similarity; top-1, top-5, MRR), perplexity and
seconds per pass against a plain pass (same corpus, family "standard").

    PYTHONPATH=$PWD python bench/bench_families_multilingual.py --workspace WS
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.families.multilingual.corpus import LanguagePart, import_multilingual
from engine.families.multilingual.family import MultilingualOptions, dictionary_regularizer, multilingual_config
from engine.families.multilingual.views import retrieval_summary, side_by_side, translation_hits
from engine.store.workspace import Workspace

DATA = Path("/work/shared/corpora/parallel_en_ru")


def corpus_of(ws: Workspace, name: str):
    if not ws.has_corpus(name):
        import_multilingual(ws, name, [LanguagePart("@en", "text_en", "en"), LanguagePart("@ru", "text_ru", "ru")],
                            DATA / "bible_en_ru.jsonl.gz", "id")
    return ws.load_corpus(name)


def train(c, cfg, iterations):
    tr = Trainer(c, cfg)
    secs = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        tr.step()
        secs.append(time.perf_counter() - t0)
    return tr, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--taus", type=float, nargs="+", default=[0.5, 2.0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--show", type=int, default=3, help="topics printed side by side per model")
    args = ap.parse_args()
    ws = Workspace(args.workspace)
    c = corpus_of(ws, "bible_en_ru")
    print(json.dumps({"documents": c.n_docs, "words": {m: int(c.modality_mask(m).sum()) for m in c.modalities}}))
    base = ModelConfig(n_topics=args.topics, iterations=args.iterations, seed=args.seed, threads=2)
    dict_path = str(DATA / "dictionary_en_ru.csv.gz")
    judge = dictionary_regularizer(multilingual_config(base, MultilingualOptions(), dict_path)).matched(c)
    print(json.dumps({"dictionary": judge.stats}, ensure_ascii=False))
    _, plain_secs = train(c, base, min(args.iterations, 10))
    plain = float(np.median(plain_secs))
    for tau in [0.0] + args.taus:
        cfg = multilingual_config(base, MultilingualOptions(), dict_path if tau else None, tau=tau)
        tr, secs = train(c, cfg, args.iterations)
        model = tr.model
        hits = translation_hits(model, judge, 10)
        ret = retrieval_summary(model, c, ("@en", "@ru"))
        print(json.dumps({"tau": tau, "translation_hits_top10": round(float(hits["hits"].mean()), 4),
                          "hits_en": round(float(hits["hits@en"].mean()), 4),
                          "hits_ru": round(float(hits["hits@ru"].mean()), 4),
                          "retrieval": ret, "perplexity": round(tr.last_report.scores["perplexity"], 1),
                          "sec_per_pass_median": round(float(np.median(secs)), 4),
                          "plain_sec_per_pass_median": round(plain, 4),
                          "ratio_to_plain": round(float(np.median(secs)) / plain, 2)}), flush=True)
        best = hits.sort_values("hits", ascending=False)["topic"].head(args.show).tolist()
        sbs = side_by_side(model, c.vocab, ("@en", "@ru"), 8, [model.topic_names.index(t) for t in best])
        for t, g in sbs.groupby("topic", sort=False):
            print(f"  {t}: " + ", ".join(f"{a}/{b}" for a, b in zip(g["@en"], g["@ru"])))
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
