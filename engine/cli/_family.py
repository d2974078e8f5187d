"""Shared plumbing of the model-family commands (regression, author, links, biterm, …):
the usual training flags, one foreground training job, reading texts for prediction."""
from __future__ import annotations

import sys
from pathlib import Path

from engine.errors import EngineError, InputError


def add_training_args(p, topics: int = 20, iterations: int = 20) -> None:
    """--corpus, --topics, --background, --iterations, --preset, --reg, --seed, --threads, --name,
    --jsonl (the subset of ``train`` that every family shares)."""
    p.add_argument("--corpus", required=True, help="corpus name in the workspace")
    p.add_argument("--topics", type=int, default=topics, help=f"subject topics (default {topics})")
    p.add_argument("--background", type=int, default=0, help="background topics (default 0)")
    p.add_argument("--iterations", type=int, default=iterations, help=f"EM passes (default {iterations})")
    p.add_argument("--inner-passes", type=int, default=1, dest="inner_passes")
    p.add_argument("--preset", default="plsa", choices=("plsa", "lda", "interpretable"))
    p.add_argument("--reg", action="append", default=[], metavar="SPEC",
                   help="extra regularizer, e.g. 'SmoothSparsePhi(tau=-0.5)' (repeatable)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--name", default=None, help="run name (default: the run id)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per iteration on stdout")


def config_of(args):
    """The ModelConfig of ``add_training_args`` flags."""
    from engine.em.config import preset
    from engine.em.regularizers import parse_regularizer

    kw = dict(n_background=args.background, iterations=args.iterations, seed=args.seed,
              threads=args.threads, inner_passes=args.inner_passes)
    if args.preset == "interpretable" and not args.background:
        kw.pop("n_background")
    cfg = preset(args.preset, n_topics=args.topics, **kw)
    if args.reg:
        cfg = cfg.with_changes(regularizers=tuple(cfg.regularizers) + tuple(parse_regularizer(t) for t in args.reg))
    return cfg.validate()


def run_training(args, ws, corpus, config) -> str:
    """Train ``config`` (with its family and options) in the foreground through the job
    machinery (Ctrl-C stops cleanly); a trainer is built first so bad family input fails before
    anything is saved. Returns the run id."""
    from engine.cli.model import ProgressBar, report_json, score_line
    from engine.em.trainer import Trainer
    from engine.jobs import TrainingJob, run_job_blocking

    config.check_corpus(corpus)
    Trainer(corpus, config).close()  # validates the family's inputs (files, columns); nothing is written
    bar = ProgressBar(config.iterations)

    def on_report(report):
        bar.clear()
        print(report_json(report) if args.jsonl else score_line(report), flush=True)
        bar.update(report.iteration)

    job = TrainingJob(ws, corpus, config, name=args.name, keep_checkpoints=2)
    try:
        snap = run_job_blocking(job, on_report=on_report, on_interrupt=lambda: print(
            "\nstopping after this iteration…", file=sys.stderr, flush=True))
    finally:
        bar.clear()
    if snap.status == "failed":
        raise EngineError(f"training failed at iteration {snap.iteration + 1}: {snap.error}")
    print(f"run {snap.run_id} ({snap.name}) {snap.status} after {snap.iteration} iterations; "
          f"saved in {ws.runs_dir / snap.run_id}", file=sys.stderr if args.jsonl else sys.stdout, flush=True)
    return snap.run_id


def read_texts(args) -> list[str]:
    """``--text`` or ``--file`` (``-`` = stdin; ``--lines``: one document per line)."""
    if getattr(args, "text", None) is not None:
        return [args.text]
    path = Path(args.file)
    try:
        raw = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"file {path} does not exist") from None
    except UnicodeDecodeError:
        raise InputError(f"file {path} is not UTF-8 text") from None
    return [ln for ln in raw.splitlines() if ln.strip()] if args.lines else [raw]


def add_text_args(p) -> None:
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--file", help="UTF-8 text file ('-' for stdin)")
    p.add_argument("--lines", action="store_true", help="with --file: one document per line")
