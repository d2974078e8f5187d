"""CLI commands for seed-word topic search: ``seeds-check``, ``seeds-train``, ``seeds-report``.

- ``seeds-check --corpus C LEXICON``: every seed after the corpus preprocessing — found or not,
  tf/df, near matches — as JSON.
- ``seeds-train --corpus C LEXICON [--preset per_group|shared] [--k K] [--extra N] ...``: build
  the seed config (:func:`engine.families.seeds.workflow.seed_config`), train through a job with per-iteration
  seed ranks, store the setup and the topic labels; one line per iteration.
- ``seeds-report RUN [--lexicon F] [--k K]``: diagnostics per group (document precision/recall
  of its seeded topics, enough occurrences?, topic quality flags, seeds found/missing, coverage,
  discovered words, drift) as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

from engine.cli.argtypes import fraction, nonneg_int, positive_int
from engine.cli.common import score_line, warn_missing_seeds, workspace_of
from engine.errors import InputError
from engine.families.seeds.defaults import recommended_settings
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.families.seeds.workflow import RANK_PREFIX, run_setup, seed_config, seeds_report, train_seeded
from engine.store.runs import load_run, resolve_run_id


def _lexicon(path):
    return Lexicon.read(path)


def cmd_check(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    check = check_lexicon(_lexicon(args.lexicon), corpus, suggestions=args.near)
    out = {"corpus": corpus.name, "summary": check.summary(),
           "seeds": json.loads(check.table.drop(columns=["token_id"]).to_json(orient="records", force_ascii=False))}
    print(json.dumps(out, ensure_ascii=False, indent=1 if args.pretty else None))
    return 0


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    check = check_lexicon(_lexicon(args.lexicon), corpus)
    warn_missing_seeds(check.missing, corpus)
    kw = {}
    for flag in ("seed", "threads"):
        if getattr(args, flag) is not None:
            kw[flag] = getattr(args, flag)
    rec, reason = recommended_settings(corpus)
    doc_tau = rec["doc_tau"] if args.doc_tau is None else args.doc_tau
    seedwords = args.seedwords if args.seedwords is not None else rec["seed_strength"] > 0
    config, setup = seed_config(check, args.preset, seeded_topics=args.k, extra_topics=args.extra,
                                background=args.background, iterations=args.iterations,
                                seed_tau=args.tau if seedwords else 0.0, seed_keep=args.keep,
                                doc_tau=doc_tau, **kw)
    print(f"{reason}\n{len(setup.seeded_topics)} seeded topics, {config.n_topics - len(setup.seeded_topics)} "
          f"ordinary, {config.n_background} background; regularizers: "
          + ", ".join(f"{r.name} (τ = {r.tau(1):.4g})" for r in config.regularizers), file=sys.stderr)
    snap = train_seeded(ws, corpus, config, setup, name=args.name,
                        on_report=lambda r: print(score_line(_without_ranks(r)), flush=True),
                        init_from_documents=not args.random_start)
    print(f"run {snap.run_id} {snap.status} after {snap.iteration} iterations; "
          f"artm-studio seeds-report {snap.run_id}", file=sys.stderr)
    return 0 if snap.status == "finished" else 130


def _without_ranks(report):
    return replace(report, scores={k: v for k, v in report.scores.items() if not k.startswith(RANK_PREFIX)})


def cmd_report(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    corpus = ws.load_corpus(run.corpus_name)
    lexicon = _lexicon(args.lexicon) if args.lexicon else None
    setup = run_setup(ws, run, corpus, lexicon)
    if setup is None:
        raise InputError(f"run {run.run_id} has no seed words (no SeedWords regularizer and no stored "
                         "seed setup); pass --lexicon FILE to measure a lexicon against it")
    rep = seeds_report(run.model, corpus, setup, top=args.top, discovered=args.discovered,
                       scores=run.active_scores(), k=args.k)
    rep = {"run": run.run_id, "name": run.name, "corpus": run.corpus_name, **rep}
    print(json.dumps(rep, ensure_ascii=False, indent=1 if args.pretty else None))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("seeds-check", parents=[common], help="check a seed lexicon against a corpus",
                       description="Run every seed through the corpus preprocessing; print found/missing, "
                                   "tf/df and near matches as JSON.")
    p.add_argument("lexicon", help="lexicon file: CSV (group,word or group,words), TXT (group: w, w) or JSON")
    p.add_argument("--corpus", required=True)
    p.add_argument("--near", type=int, default=3, help="near matches per unknown seed")
    p.add_argument("--pretty", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("seeds-train", parents=[common], help="train a topic model steered by a seed lexicon",
                       description="Seeded ARTM: SeedWords + background smoothing + sparsing + decorrelation; "
                                   "seeded topics start from the documents that mention their seeds.")
    p.add_argument("lexicon")
    p.add_argument("--corpus", required=True)
    p.add_argument("--preset", choices=("per_group", "shared"), default="per_group",
                   help="one topic per group, or K topics sharing the whole lexicon")
    p.add_argument("--k", type=positive_int, default=None, help="shared preset: number of seeded topics")
    p.add_argument("--extra", type=nonneg_int, default=10, help="ordinary subject topics (default 10)")
    p.add_argument("--background", type=nonneg_int, default=1)
    p.add_argument("--iterations", type=positive_int, default=30)
    p.add_argument("--tau", type=float, default=None, help="SeedWords τ in counts (default: 5%% of an average topic)")
    p.add_argument("--keep", type=fraction, default=0.2, help="fraction of SeedWords τ left at the end (default 0.2)")
    p.add_argument("--doc-tau", type=float, default=None, dest="doc_tau",
                   help="SeedDocuments τ: documents mentioning a group pulled towards its topic (default: "
                        "chosen from the corpus's document lengths, see bench/README.md; 0 = off)")
    p.add_argument("--seedwords", action=argparse.BooleanOptionalAction, default=None,
                   help="also force the seeds into their topics' top words (SeedWords; default off)")
    p.add_argument("--random-start", action="store_true", dest="random_start",
                   help="start seeded topics at random instead of from their documents")
    p.add_argument("--seed", type=nonneg_int, default=None)
    p.add_argument("--threads", type=positive_int, default=None)
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("seeds-report", parents=[common], help="seed-word diagnostics of a run as JSON",
                       description="Per group: its topics with the seeds' p(w|t) and ranks, the topics that "
                                   "captured its words, seeds found/missing, coverage, discovered words, drift.")
    p.add_argument("run", help="run id, unique id prefix, or run name")
    p.add_argument("--lexicon", default=None, help="measure this lexicon instead of the run's own")
    p.add_argument("--top", type=positive_int, default=20, help="top tokens that make a topic relevant")
    p.add_argument("--discovered", type=nonneg_int, default=10, help="discovered words per seeded topic")
    p.add_argument("--k", type=positive_int, default=100, help="your k for precision/recall (besides min(50, mentions))")
    p.add_argument("--pretty", action="store_true")
    p.set_defaults(func=cmd_report)
