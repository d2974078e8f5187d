"""Seed-word benchmark: plain PLSA and LDA against ARTM with seed words, same number of topics.

On the Russian Telegram news corpus (../shared/corpora/telegram_news_ru, imported with
``--lang ru --lemmatize``) and the ethnonym lexicon ``bench/seeds/ethnonyms_ru.csv``:

- **relevant topics**: subject topics whose top-20 tokens contain a seed word (any group);
- **groups found**: lexicon groups with a seed word in the top-20 of some topic;
- **coverage**: share of the documents mentioning a seed whose dominant subject topic is a
  relevant topic;
- for ARTM also the coverage by the seeded topics themselves.

Usage::

    python bench/bench_seeds.py [--workspace DIR] [--iterations 30] [--extra 16] [--runs 1 2 3]

The corpus is imported into the workspace on first use (about a minute). Prints a Markdown
table; ``--out FILE`` writes it too.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Workspace  # noqa: E402
from engine.em.config import preset  # noqa: E402
from engine.families.seeds.lexicon import Lexicon, check_lexicon  # noqa: E402
from engine.em.trainer import Trainer  # noqa: E402
from engine.families.seeds import workflow as S  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "telegram_news_ru" / "telegram_news_ru.jsonl.gz"
LEXICON = ROOT / "bench" / "seeds" / "ethnonyms_ru.csv"
NAME = "telegram_ru"


def load_corpus(ws: Workspace, path: Path):
    if not ws.has_corpus(NAME):
        from engine.corpus.ingest import ImportOptions, import_corpus

        t = time.perf_counter()
        import_corpus(path, NAME, ImportOptions(lang="ru", lemmatize=True), ws)
        print(f"imported {path.name} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return ws.load_corpus(NAME)


def measure(model, corpus, setup, seed_ids, top=20) -> dict:
    rel = S.count_relevant(model, corpus, seed_ids, top)
    rel_names = [model.topic_names[t] for t in rel]
    groups = 0
    for g, terms in setup.terms.items():
        if S.count_relevant(model, corpus, S.token_ids_of(corpus, terms), top):
            groups += 1
    out = {"relevant": len(rel), "groups": groups,
           "coverage": S.coverage(model, corpus, seed_ids, rel_names)["share"]}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workspace", default="/tmp/artm-seeds-bench")
    ap.add_argument("--corpus-path", default=str(CORPUS))
    ap.add_argument("--lexicon", default=str(LEXICON))
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--extra", type=int, default=16, help="ordinary subject topics besides the seeded ones")
    ap.add_argument("--background", type=int, default=1)
    ap.add_argument("--runs", type=int, nargs="+", default=[1], help="random seeds")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)

    ws = Workspace(args.workspace)
    corpus = load_corpus(ws, Path(args.corpus_path))
    lex = Lexicon.read(args.lexicon)
    check = check_lexicon(lex, corpus)
    summ = check.summary()
    seed_ids = S.token_ids_of(corpus, S.SeedSetup("x", lex, check.terms(), {}).all_terms)
    cfg0, setup = S.seed_config(check, "per_group", extra_topics=args.extra, background=args.background,
                                iterations=args.iterations, threads=args.threads)
    T = cfg0.total_topics
    mention = int(S.docs_mentioning(corpus.n_dw, seed_ids).sum())
    print(f"corpus {NAME}: {corpus.n_docs} documents, {corpus.n_tokens} terms; lexicon {summ['groups']} groups, "
          f"{summ['seeds']} seeds, {summ['seeds_found']} found ({summ['terms']} terms) in {summ['groups_found']} "
          f"groups; {mention} documents mention a seed; T = {T}", file=sys.stderr)

    rows = []
    for run_seed in args.runs:
        models = {
            "PLSA": (preset("plsa", n_topics=T, iterations=args.iterations, seed=run_seed, threads=args.threads), None),
            "LDA (α=0.1, β=0.01)": (preset("lda", n_topics=T, iterations=args.iterations, seed=run_seed,
                                           threads=args.threads), None),
        }
        cfg, _ = S.seed_config(check, "per_group", extra_topics=args.extra, background=args.background,
                               iterations=args.iterations, threads=args.threads, seed=run_seed)
        cfg0_keep, _ = S.seed_config(check, "per_group", extra_topics=args.extra, background=args.background,
                                     iterations=args.iterations, threads=args.threads, seed=run_seed, seed_keep=0.0)
        models["ARTM + seed words (τ only)"] = (cfg, "tau")
        models["ARTM + seed words (τ + seeded start)"] = (cfg, "init")
        models["ARTM + seed words (seeded start, τ → 0 from 80 %)"] = (cfg0_keep, "init")
        for name, (config, mode) in models.items():
            t = time.perf_counter()
            phi0 = S.seed_phi0(corpus, config, setup) if mode == "init" else None
            tr = Trainer(corpus, config, phi0=phi0)
            tr.fit()
            model = tr.model
            tr.close()
            m = measure(model, corpus, setup, seed_ids)
            if mode:
                m["coverage_seeded"] = S.coverage(model, corpus, seed_ids, setup.seeded_topics)["share"]
            m["seconds"] = time.perf_counter() - t
            rows.append((name, run_seed, m))
            print(f"{name} seed={run_seed}: {m}", file=sys.stderr)

    names = list(dict.fromkeys(r[0] for r in rows))
    lines = [f"T = {T} topics ({cfg0.n_topics} subject + {cfg0.n_background} background for ARTM; "
             f"{T} for PLSA/LDA), {args.iterations} iterations, runs with random seeds {args.runs} "
             f"(mean ± spread where several).", "",
             "| model | relevant topics (seed word in top-20) | groups found | coverage (dominant topic relevant) "
             "| coverage by seeded topics | seconds |",
             "|---|---|---|---|---|---|"]

    def agg(vals, fmt):
        vals = [v for v in vals if v is not None]
        if not vals:
            return "—"
        if len(vals) == 1:
            return fmt.format(vals[0])
        return fmt.format(np.mean(vals)) + " ± " + fmt.format((max(vals) - min(vals)) / 2)

    for n in names:
        ms = [m for name, _, m in rows if name == n]
        lines.append(f"| {n} | {agg([m['relevant'] for m in ms], '{:.1f}')} | "
                     f"{agg([m['groups'] for m in ms], '{:.1f}')} / {len(setup.terms)} | "
                     f"{agg([m['coverage'] for m in ms], '{:.1%}')} | "
                     f"{agg([m.get('coverage_seeded') for m in ms], '{:.1%}')} | "
                     f"{agg([m['seconds'] for m in ms], '{:.0f}')} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
