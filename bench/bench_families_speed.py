"""Every model family's pass against a plain ARTM pass of the same corpus, in CPU seconds
(issue 13: "each family's pass within 2× a plain ARTM pass of the same size").

For each row a plain trainer (PLSA, the same T/seed/threads) and the family's trainer are
built on the same corpus (set-up not timed), each makes one untimed warm-up pass, then they
alternate pass by pass (``--passes`` each). A pass is timed with ``time.process_time()`` (CPU
seconds of the whole process, all threads: robust to other processes' load on a shared machine)
and ``time.perf_counter()`` (wall). The table gives medians and the ratio family / plain.

Corpora (imported into ``--workspace`` when missing, from ../shared/corpora):
``news20`` (20 Newsgroups, 18,804 posts) for regression (y = sci.*), author–topic (the From
author), links (thread order), biterm, sentences, TARTM (context family) and GeoSmoothing (the
newsgroup as a @place, groups of one hierarchy similar); ``parl_en`` (ParlSpeech UK, dated) for
the @time modality + TimeSmoothing; ``bible_en_ru`` for multilingual + dictionary; a planted
purchase log (3,000 users × 40 transactions) for the transaction hypergraph.

    PYTHONPATH=$PWD python bench/bench_families_speed.py --workspace WS [--only NAME ...]
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
import pandas as pd

from bench_families_hypergraph import purchase_log
from bench_families_links import thread_edges
from engine.corpus.ingest import ImportOptions, import_corpus
from engine.em.config import ModelConfig
from engine.em.regularizers import parse_regularizer
from engine.em.trainer import Trainer
from engine.families.author.family import AuthorOptions, author_config
from engine.families.biterm.regularizer import Biterm
from engine.families.context import ContextOptions, context_config
from engine.families.hypergraph import transactions as X
from engine.families.hypergraph.family import hypergraph_config
from engine.families.links.family import LinksOptions, links_config
from engine.families.multilingual.corpus import LanguagePart, import_multilingual
from engine.families.multilingual.family import MultilingualOptions, multilingual_config
from engine.families.regression.family import RegressionOptions, regression_config
from engine.families.timegeo.place_modality import add_place_modality
from engine.families.timegeo.time_modality import add_time_modality
from engine.store.workspace import Workspace

SHARED = Path("/work/shared/corpora")


def news20(ws):
    if not ws.has_corpus("news20"):
        import_corpus(SHARED / "20newsgroups/20newsgroups_bydate.jsonl.gz", "news20",
                      ImportOptions(text_column="text", id_column="id", lang="en", min_df=5, max_df=0.5), ws)
    c = ws.load_corpus("news20")
    c.documents["sci"] = c.documents["label"].astype(str).str.startswith("sci.").astype(float)
    return c


def parl_en(ws):
    if not ws.has_corpus("parl_en"):
        import_corpus(SHARED / "parlspeech_v2_samples/parlspeech_en_houseofcommons.jsonl.gz", "parl_en",
                      ImportOptions(text_column="text", id_column="id", date_column="date", lang="en", min_df=3), ws)
    return ws.load_corpus("parl_en")


def bible(ws):
    if not ws.has_corpus("bible_en_ru"):
        import_multilingual(ws, "bible_en_ru", [LanguagePart("@en", "text_en", "en"), LanguagePart("@ru", "text_ru", "ru")],
                            SHARED / "parallel_en_ru/bible_en_ru.jsonl.gz", "id")
    return ws.load_corpus("bible_en_ru")


def rows(ws, tmp: Path, cfg: ModelConfig):
    """(name, corpus, plain config, family config) per family, built lazily."""
    def links():
        c = news20(ws)
        thread_edges(c.documents).to_csv(tmp / "threads.csv", index=False)
        return c, cfg, links_config(cfg, LinksOptions(edges=str(tmp / "threads.csv"), tau=20))

    def geo():
        c, _ = add_place_modality(news20(ws), "label")
        groups = sorted(c.documents["label"].astype(str).unique())
        pairs = [(a, b) for a in groups for b in groups if a < b and a.split(".")[0] == b.split(".")[0]]
        pd.DataFrame(pairs, columns=["a", "b"]).to_csv(tmp / "groups.csv", index=False)
        reg = parse_regularizer(f"GeoSmoothing(tau=0.001, modality=@place, similarity={tmp / 'groups.csv'})")
        return c, cfg, cfg.with_changes(regularizers=(reg,))

    def time_():
        c, _ = add_time_modality(parl_en(ws))
        return c, cfg, cfg.with_changes(regularizers=(parse_regularizer("TimeSmoothing(tau=1)"),))

    def transactions():
        frame, _ = purchase_log(3000, 40)
        frame.to_csv(tmp / "log.csv", index=False)
        tws = Workspace(tmp / "tws")
        X.import_transactions(tws, X.table_transactions(tmp / "log.csv"), "log", "log.csv")
        c = tws.load_corpus("log")
        return c, cfg, hypergraph_config(cfg, {"edges": "transactions", "path": str(X.transactions_path(tws, "log"))})

    def multilingual():
        dict_path = str(SHARED / "parallel_en_ru/dictionary_en_ru.csv.gz")
        return bible(ws), cfg, multilingual_config(cfg, MultilingualOptions(), dict_path, tau=1.0)

    return {
        "regression": lambda: (news20(ws), cfg, regression_config(
            cfg, RegressionOptions(column="sci", unlabeled="split=test", tau=200))),
        "author": lambda: (news20(ws), cfg, author_config(cfg, AuthorOptions(column="author"))),
        "links": links,
        "biterm": lambda: (news20(ws), cfg, cfg.with_changes(regularizers=(Biterm(tau=0.1, max_tokens=2000),))),
        "sentences": lambda: (news20(ws), cfg, hypergraph_config(cfg, {"edges": "sentences"})),
        "transactions": transactions,
        "multilingual": multilingual,
        "time": time_,
        "geo": geo,
        "tartm": lambda: (news20(ws), cfg, context_config(cfg, ContextOptions(mode="tartm"))),
    }


def measure(corpus, plain_cfg, fam_cfg, passes: int) -> dict:
    """Median CPU and wall seconds per pass of each trainer, passes alternated."""
    t0 = time.perf_counter()
    fam = Trainer(corpus, fam_cfg)
    setup = time.perf_counter() - t0
    plain = Trainer(corpus, plain_cfg)
    plain.step(), fam.step()  # warm-up: first-pass allocations, numba dispatch
    cpu, wall = {"plain": [], "family": []}, {"plain": [], "family": []}
    for _ in range(passes):
        for key, tr in (("plain", plain), ("family", fam)):
            c0, w0 = time.process_time(), time.perf_counter()
            tr.step()
            cpu[key].append(time.process_time() - c0)
            wall[key].append(time.perf_counter() - w0)
    plain.close(), fam.close()
    med = {f"{k}_{m}": float(np.median(v[m])) for k, v in (("cpu", cpu), ("wall", wall)) for m in v}
    return {"documents": corpus.n_docs, "tokens": corpus.n_tokens, "nnz": int(corpus.n_dw.nnz),
            "setup_s": round(setup, 2), **{k: round(v, 4) for k, v in med.items()},
            "cpu_ratio": round(med["cpu_family"] / med["cpu_plain"], 2),
            "wall_ratio": round(med["wall_family"] / med["wall_plain"], 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--passes", type=int, default=10, help="timed passes of each trainer")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="+", help="families to measure (default: all)")
    args = ap.parse_args()
    ws = Workspace(args.workspace)
    cfg = ModelConfig(n_topics=args.topics, iterations=10_000, seed=1, threads=args.threads)
    table = rows(ws, Path(tempfile.mkdtemp(prefix="fam_speed_")), cfg)
    unknown = set(args.only or ()) - set(table)
    if unknown:
        sys.exit(f"--only: unknown family {', '.join(sorted(unknown))}; known: {', '.join(table)}")
    out = []
    for name in args.only or table:
        load0 = os.getloadavg()[0]
        corpus, plain_cfg, fam_cfg = table[name]()
        row = {"family": name, "corpus": corpus.name, **measure(corpus, plain_cfg, fam_cfg, args.passes),
               "load": [round(load0, 1), round(os.getloadavg()[0], 1)]}
        print(json.dumps(row), flush=True)
        out.append(row)
    print("\n| family | corpus | docs | nnz | plain CPU s/pass | family CPU s/pass | × plain (CPU) | × plain (wall) | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in out:
        print(f"| {r['family']} | {r['corpus']} | {r['documents']:,} | {r['nnz']:,} | {r['cpu_plain']:.3f} | "
              f"{r['cpu_family']:.3f} | **{r['cpu_ratio']:.2f}** | {r['wall_ratio']:.2f} | {r['load'][0]}–{r['load'][1]} |")


if __name__ == "__main__":
    main()
