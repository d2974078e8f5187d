"""Shared plumbing of the model-family commands (regression, author, links, biterm, …):
the usual training flags, the command group with its ``train``, one foreground training job."""
from __future__ import annotations

from engine.cli.common import run_foreground
from engine.em.config import preset
from engine.em.regularizers import parse_regularizer
from engine.em.trainer import Trainer
from engine.jobs import TrainingJob


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
    config.check_corpus(corpus)
    Trainer(corpus, config).close()  # validates the family's inputs (files, columns); nothing is written
    job = TrainingJob(ws, corpus, config, name=args.name, keep_checkpoints=2)
    return run_foreground(ws, job, args).run_id


def family_group(sub, common, name: str, help: str, train_help: str, topics: int = 20):
    """The ``<name>`` command group with its ``train`` subcommand (the training flags added).
    Returns (subparsers of the group, the train parser)."""
    group = sub.add_parser(name, help=help).add_subparsers(dest="action", metavar="ACTION")
    group.required = True
    train = group.add_parser("train", parents=[common], help=train_help)
    add_training_args(train, topics=topics)
    return group, train
