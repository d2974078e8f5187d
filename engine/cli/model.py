"""CLI command ``train`` (the saved runs' commands are in :mod:`engine.cli.runs`).

``train`` runs through the dashboard's job machinery (:class:`engine.jobs.TrainingJob` and
:func:`engine.jobs.run_job_blocking`): checkpoints, and on Ctrl-C the pass in progress finishes,
every score is computed once more and the run is saved as "stopped".
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from engine.cli.argtypes import fraction, nonneg_int, positive_float, positive_int
from engine.cli import batches as batches_cli
from engine.cli.common import run_foreground, warn_missing_seeds, workspace_of
from engine.corpus.batches import open_corpus
from engine.em.config import ModelConfig, preset
from engine.interop import check_init
from engine.interop.names import help_text as bigartm_names_help
from engine.em.regularizers import parse_regularizer, regularizer_from_dict
from engine.em.scores import align_counts
from engine.errors import ConfigError, InputError, WorkspaceError
from engine.families.context import ContextOptions, SequenceSmoothing, context_config
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.jobs import TrainingJob
from engine.store.runs import read_run_manifest, resolve_run_id


# --------------------------------------------------------------------------- config from args

def _parse_modality_weight(text: str) -> tuple[str, float]:
    if "=" not in text:
        raise ConfigError(f"--modality-weight expects MODALITY=WEIGHT (e.g. @labels=5), got {text!r}")
    m, w = text.rsplit("=", 1)
    m = m.strip()
    if not m.startswith("@"):
        m = "@" + m
    try:
        value = float(w)
    except ValueError:
        raise ConfigError(f"--modality-weight {text!r}: weight {w!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"--modality-weight {text!r}: weight must be a finite number >= 0")
    return m, value


def config_from_args(args):
    """A validated ModelConfig: ``--config`` file (or ``--preset``), then explicit flags on top."""
    if args.config:
        path = Path(args.config)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"config file {path} does not exist") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"config file {path} is not valid JSON: {e}") from None
        if isinstance(data, dict) and isinstance(data.get("config"), dict):
            data = data["config"]  # a run manifest works as a config file
        base = ModelConfig.from_dict(data)
    elif args.preset:
        base = preset(args.preset, n_topics=args.topics if args.topics is not None else 20)
    else:
        base = ModelConfig()
    changes = {}
    for flag, field in (("topics", "n_topics"), ("background", "n_background"), ("iterations", "iterations"),
                        ("inner_passes", "inner_passes"), ("seed", "seed"), ("threads", "threads"),
                        ("off_last", "regularizers_off_last")):
        v = getattr(args, flag)
        if v is not None:
            changes[field] = v
    if args.init:
        changes["init"] = str(args.init)
    if args.modality_weight:
        weights = dict(base.modality_weights)
        weights.update(_parse_modality_weight(t) for t in args.modality_weight)
        changes["modality_weights"] = weights
    if args.reg:
        changes["regularizers"] = tuple(base.regularizers) + tuple(parse_regularizer(t) for t in args.reg)
    if args.score_every:
        scores = dict(base.scores)
        for t in args.score_every:
            if "=" not in t:
                raise ConfigError(f"--score expects NAME=EVERY (e.g. coherence=5), got {t!r}")
            k, v = t.split("=", 1)
            try:
                scores[k.strip()] = int(v)
            except ValueError:
                raise ConfigError(f"--score {t!r}: EVERY must be an integer") from None
        changes["scores"] = scores
    config = base.with_changes(**changes) if changes else base
    return config.validate()


# --------------------------------------------------------------------------- seed lexicons

def read_lexicon(path, corpus) -> tuple[dict[str, list[str]], list[str]]:
    """Read a seed lexicon for ``corpus``: ``{theme: [vocabulary terms]}`` and the seeds (as
    typed) not in the vocabulary.

    Parsing and normalization are :mod:`engine.lexicon`'s (CSV/TSV ``group,word``, typed text
    ``theme: w1, w2``, JSON; each seed goes through the corpus's own preprocessing, so "Cats"
    finds ``cat``). Themes with no word in the vocabulary are left out.
    """
    check = check_lexicon(Lexicon.read(path), corpus, suggestions=0)
    return check.terms(), check.missing


def seed_regularizer(lexicon: dict[str, list[str]], n_topics: int, tau: float, sparse_others: bool):
    """A SeedWords regularizer putting theme k on ``topic_k`` (or on the topic it names), and the
    topic labels ``{topic_k: theme}``."""
    names = [f"topic_{i}" for i in range(n_topics)]
    if len(lexicon) > n_topics:
        raise ConfigError(f"--seeds: the lexicon has {len(lexicon)} themes but the model only "
                          f"{n_topics} subject topics (raise --topics)")
    free = [n for n in names if n not in lexicon]
    mapped, labels = {}, {}
    for theme, words in lexicon.items():
        topic = theme if theme in names else free.pop(0)
        mapped[topic] = list(words)
        if theme != topic:
            labels[topic] = theme
    reg = regularizer_from_dict({"kind": "SeedWords", "name": "SeedWords", "tau": float(tau),
                                 "lexicon": mapped, "sparse_others": bool(sparse_others)})
    return reg, labels


# --------------------------------------------------------------------------- commands


def _with_family(args, config):
    """``config`` in the context family for ``--mode one_pass|context`` or ``--estep-smoothing``
    (unchanged otherwise)."""
    mode = getattr(args, "mode", "standard") or "standard"
    smoothing = getattr(args, "estep_smoothing", None)
    if mode == "standard" and not smoothing:
        return config
    estep = (SequenceSmoothing(tau=smoothing, window=args.window),) if smoothing else ()
    opts = ContextOptions(mode=mode, window=args.window, beta=args.beta,
                          context_passes=args.context_passes, importance=args.importance)
    return context_config(config, opts, estep).validate()


def _resume_job(ws, args) -> TrainingJob:
    """The job continuing run ``args.resume`` from its newest checkpoint."""
    run_id = resolve_run_id(ws, args.resume)
    man = read_run_manifest(ws, run_id)
    if man.get("status") in ("running", "paused", "queued"):
        raise WorkspaceError(f"run {run_id} is being trained by another process; stop it first")
    corpus = open_corpus(ws, man["corpus"]["name"])
    job = TrainingJob.from_checkpoint(ws, corpus, run_id, keep_checkpoints=2)
    if args.iterations is not None:  # a new total number of passes for the resumed run
        job.update_config(lambda c: c.with_changes(iterations=args.iterations).validate())
    return job


def cmd_train(args) -> int:
    ws = workspace_of(args)
    if args.resume:
        return _exit_code(run_foreground(ws, _resume_job(ws, args), args))
    if not args.corpus:
        raise InputError("train needs --corpus NAME (or --resume RUN)")
    corpus = open_corpus(ws, args.corpus)  # a corpus stored as batches trains out of core
    config = _with_family(args, config_from_args(args))
    config.check_corpus(corpus)
    if config.init != "random":  # a bad Φ table is refused before the job starts
        check_init(config.init, corpus, config.total_topics)
    if getattr(corpus, "is_batched", False) or args.dask:
        config = batches_cli.batched_config(args, corpus, config)
    phi0 = None  # config.init (a Φ table path) is read by the Trainer
    labels = {}
    if args.seeds:
        lexicon, missing = read_lexicon(args.seeds, corpus)
        warn_missing_seeds(missing, corpus)
        if not lexicon:
            raise InputError(f"none of the seed words in {args.seeds} is in the vocabulary of {corpus.name!r}")
        reg, labels = seed_regularizer(lexicon, config.n_topics, args.seeds_tau, args.seeds_sparse)
        config = config.with_changes(regularizers=tuple(config.regularizers) + (reg,)).validate()
    holdout = None
    if args.holdout_corpus:
        holdout = align_counts(ws.load_corpus(args.holdout_corpus), corpus)
        if holdout.nnz == 0:
            raise InputError(f"held-out corpus {args.holdout_corpus!r} shares no token with {corpus.name!r}")
    # The same job machinery as the dashboard: a background thread, checkpoints, and on Ctrl-C (or
    # SIGTERM) a clean stop before the next pass with the run saved as "stopped".
    job = TrainingJob(ws, corpus, config, name=args.name, phi0=phi0, labels=labels,
                      holdout=holdout, keep_checkpoints=2)
    return _exit_code(run_foreground(ws, job, args))


def _exit_code(snap) -> int:
    return 0 if snap.status == "finished" else 130


def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train a topic model on a stored corpus",
                       description="Offline regularized EM; one line of scores per iteration, then the run "
                                   "is saved. Ctrl-C stops after the current iteration and saves.")
    p.add_argument("--corpus", help="corpus name in the workspace (required unless --resume)")
    p.add_argument("--resume", metavar="RUN", help="continue an interrupted (or stopped) run from its last "
                                                   "checkpoint, with its own settings")
    p.add_argument("--topics", type=nonneg_int, default=None, help="subject topics (default 20)")
    p.add_argument("--background", type=nonneg_int, default=None, help="background topics (default 0)")
    p.add_argument("--iterations", type=positive_int, default=None, help="EM passes (default 20)")
    p.add_argument("--inner-passes", type=positive_int, default=None, dest="inner_passes",
                   help="θ updates per document per pass (BigARTM num_document_passes)")
    p.add_argument("--reg", action="append", default=[], metavar="SPEC",
                   help="regularizer, e.g. 'SmoothSparsePhi(tau=-0.5, topics=subject, start=10)' (repeatable). "
                        + bigartm_names_help())
    p.add_argument("--modality-weight", action="append", default=[], metavar="@M=W",
                   help="modality weight τ_m, e.g. @labels=5 or labels=5 (a VW namespace; repeatable)")
    p.add_argument("--off-last", type=nonneg_int, default=None, dest="off_last", metavar="K",
                   help="switch all regularizers off for the last K iterations")
    p.add_argument("--score", action="append", default=[], dest="score_every", metavar="NAME=EVERY",
                   help="compute a score every k iterations (0 = off), e.g. coherence=5")
    p.add_argument("--config", default=None, metavar="FILE", help="ModelConfig JSON (or a run manifest)")
    p.add_argument("--preset", default=None, choices=("plsa", "lda", "interpretable"))
    p.add_argument("--init", default=None, metavar="PHI", help="initial Φ table (Parquet/CSV)")
    p.add_argument("--seeds", default=None, metavar="LEXICON",
                   help="seed lexicon (CSV group,word or text 'theme: w1, w2'): adds a SeedWords "
                        "regularizer, theme k on topic_k, themes become topic labels (the full "
                        "seeded workflow is 'seeds-train')")
    p.add_argument("--seeds-tau", type=float, default=100.0, dest="seeds_tau",
                   help="τ of the seed regularizer (in counts, default 100)")
    p.add_argument("--seeds-sparse", action="store_true", dest="seeds_sparse",
                   help="also push seed words out of the other subject topics")
    p.add_argument("--holdout-corpus", default=None, dest="holdout_corpus", metavar="NAME",
                   help="a stored corpus of other documents (same preprocessing): adds held-out "
                        "perplexity (Θ inferred with Φ fixed) every 5 iterations and on the last")
    p.add_argument("--mode", choices=("standard", "one_pass", "tartm", "context"), default="standard",
                   help="E-step: standard ARTM, one-pass (the seed's naive TARTM), tartm (the seed's "
                        "modified EM with the n_td/θ_td correction) or context-ARTM (needs a text corpus)")
    p.add_argument("--window", type=positive_float, default=10.0,
                   help="context width in tokens for --mode context (γ = 1/window)")
    p.add_argument("--beta", type=fraction, default=0.5, help="weight of the left context (0..1)")
    p.add_argument("--context-passes", type=positive_int, default=2, dest="context_passes",
                   help="context passes per E-step (p_ti of one pass feed the next)")
    p.add_argument("--importance", choices=("none", "idf"), default="none",
                   help="scale γ by token idf (rare words move the context more)")
    p.add_argument("--estep-smoothing", type=float, default=None, dest="estep_smoothing", metavar="TAU",
                   help="E-step regularizer: smooth p(t|d,w) along the text with weight TAU (0..1)")
    p.add_argument("--seed", type=nonneg_int, default=None)
    p.add_argument("--threads", type=positive_int, default=None)
    p.add_argument("--name", default=None, help="run name (default: the run id)")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per iteration on stdout")
    batches_cli.add_train_flags(p)
    p.set_defaults(func=cmd_train)


__all__ = ["register", "config_from_args", "read_lexicon", "seed_regularizer"]
