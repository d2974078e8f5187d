"""CLI commands about models: ``train``, ``runs``, ``show``, ``export``, ``transform``,
``rename-run``, ``delete-run``.

``train`` runs through the dashboard's job machinery (:class:`engine.jobs.TrainingJob` and
:func:`engine.jobs.run_job_blocking`): checkpoints, and on Ctrl-C the pass in progress finishes,
every score is computed once more and the run is saved as "stopped".
"""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from engine.cli.argtypes import fraction, nonneg_int, positive_float, positive_int
from engine.analysis.tables import top_tokens, transform
from engine.cli import workspace_of
from engine.em.config import ModelConfig, preset
from engine.em.health import KEYS as HEALTH_KEYS, warnings_of
from engine.em.model import IterationReport
from engine.em.regularizers import parse_regularizer, regularizer_from_dict
from engine.em.scores import align_counts
from engine.errors import ConfigError, EngineError, InputError, WorkspaceError
from engine.families.context import ContextOptions, SequenceSmoothing, context_config
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.jobs import TrainingJob, run_job_blocking
from engine.store.runs import (
    read_run_manifest,
    delete_run, export_run, list_runs, load_run, rename_run, resolve_run_id,
)

#: scores shown on the one-line-per-iteration output (all scores go to --jsonl)
_LINE_SKIP_PREFIXES = ("topic_mass:", "health/")


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


# --------------------------------------------------------------------------- output

def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "nan"
    a = abs(v)
    if a >= 1000:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.3f}"
    return f"{v:.4f}"


def score_line(report: IterationReport) -> str:
    parts = [f"iter {report.iteration:>4}", f"{report.seconds:6.2f}s"]
    for k, v in report.scores.items():
        if k.startswith(_LINE_SKIP_PREFIXES):
            continue
        parts.append(f"{k}={_fmt(v)}")
    return "  ".join(parts)


def report_json(report: IterationReport) -> str:
    obj = {"iteration": report.iteration, "seconds": round(float(report.seconds), 6)}
    for k, v in report.scores.items():
        obj[k] = float(v) if v is not None and math.isfinite(v) else None
    if report.tau:
        obj["tau"] = {k: float(v) for k, v in report.tau.items()}
    return json.dumps(obj, ensure_ascii=False)


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""
    def __init__(self, total: int, stream=None, force: bool = False):
        self.total = max(int(total), 1)
        self.stream = stream or sys.stderr
        self.enabled = force or (hasattr(self.stream, "isatty") and self.stream.isatty())
        self.t0 = time.perf_counter()

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        width = 30
        fill = int(width * min(done, self.total) / self.total)
        el = time.perf_counter() - self.t0
        eta = el / done * (self.total - done) if done else 0.0
        self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{self.total}  {el:5.1f}s  eta {eta:5.1f}s")
        self.stream.flush()

    def clear(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


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
    corpus = ws.load_corpus(man["corpus"]["name"])
    job = TrainingJob.from_checkpoint(ws, corpus, run_id, keep_checkpoints=2)
    if args.iterations is not None:  # a new total number of passes for the resumed run
        job.update_config(lambda c: c.with_changes(iterations=args.iterations).validate())
    return job


def cmd_train(args) -> int:
    ws = workspace_of(args)
    if args.resume:
        return _run_training(ws, _resume_job(ws, args), args)
    if not args.corpus:
        raise InputError("train needs --corpus NAME (or --resume RUN)")
    corpus = ws.load_corpus(args.corpus)
    config = _with_family(args, config_from_args(args))
    config.check_corpus(corpus)
    phi0 = None  # config.init (a Φ table path) is read by the Trainer
    labels = {}
    if args.seeds:
        lexicon, missing = read_lexicon(args.seeds, corpus)
        if missing:
            print(f"seed words not in the vocabulary of {corpus.name!r} ({len(missing)}): "
                  + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""), file=sys.stderr)
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
    return _run_training(ws, job, args)


def _run_training(ws, job: TrainingJob, args) -> int:
    """Run ``job`` in the foreground: a score line per pass, Ctrl-C/SIGTERM stop and save."""
    total = int(job.config.iterations)
    bar = ProgressBar(total)
    out = sys.stdout

    warned: set = set()

    def on_report(report: IterationReport) -> None:
        bar.clear()
        print(report_json(report) if args.jsonl else score_line(report), file=out, flush=True)
        for w in warnings_of(report.scores, job.config.total_topics):
            if w not in warned:  # each partial collapse once, when it appears
                warned.add(w)
                print(f"warning: pass {report.iteration}: {w}", file=sys.stderr, flush=True)
        bar.update(report.iteration)

    bar.update(job.snapshot().iteration)
    try:
        snap = run_job_blocking(
            job, on_report=on_report,
            on_interrupt=lambda: print("\nstopping after this iteration…", file=sys.stderr, flush=True))
    finally:
        bar.clear()
    if snap.status == "failed":
        raise EngineError(f"training failed at iteration {snap.iteration + 1}: {snap.error}")
    msg = (f"run {snap.run_id} ({snap.name}) {snap.status} after {snap.iteration} iterations; "
           f"saved in {ws.runs_dir / snap.run_id}")
    print(msg, file=sys.stderr if args.jsonl else sys.stdout, flush=True)
    return 0 if snap.status == "finished" else 130


def cmd_runs(args) -> int:
    runs = list_runs(workspace_of(args), corpus=args.corpus)
    if args.json:
        keep = ("run_id", "name", "corpus", "status", "iteration", "n_topics", "created_at", "updated_at",
                "final_scores", "labels")
        print(json.dumps([{k: m.get(k) for k in keep} for m in runs], ensure_ascii=False, indent=2))
        return 0
    if not runs:
        print("no runs yet (train one with: artm-studio train --corpus NAME)")
        return 0
    rows = [("RUN", "NAME", "CORPUS", "STATUS", "ITER", "TOPICS", "PERPLEXITY", "CREATED")]
    for m in runs:
        perp = (m.get("final_scores") or {}).get("perplexity")
        status = m.get("status", "")
        if any((m.get("final_scores") or {}).get(k) for k in HEALTH_KEYS):
            status += " (collapse: " + "; ".join(warnings_of(m["final_scores"])) + ")"
        rows.append((m["run_id"], str(m.get("name", ""))[:30], m.get("corpus", {}).get("name", ""),
                     status, str(m.get("iteration", "")), str(m.get("n_topics", "")),
                     _fmt(perp) if perp is not None else "-", str(m.get("created_at", ""))[:19]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def cmd_show(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    df = top_tokens(run.model, run.tokens, n=args.top, modality=args.modality,
                    relevance_lambda=args.relevance_lambda)
    model = run.model
    if args.json:
        topics = []
        for t, name in enumerate(model.topic_names):
            sub = df[df["topic"] == name]
            entry = {"name": name, "label": model.label(t), "background": bool(model.background[t]),
                     "top_tokens": [{"token": r.token, "modality": r.modality, "p": float(r.p_wt)}
                                    for r in sub.itertuples()]}
            topics.append(entry)
        print(json.dumps(topics, ensure_ascii=False, indent=2))
        return 0
    print(f"run {run.run_id} ({run.name}) on corpus {run.corpus_name}: {model.n_topics} topics, "
          f"{run.iteration} iterations, {run.status}")
    for t, name in enumerate(model.topic_names):
        sub = df[df["topic"] == name]
        head = name if model.label(t) == name else f"{name} [{model.label(t)}]"
        dead = "  (dead)" if not sub.shape[0] else ""
        print(f"\n{head}{dead}")
        for mod, g in sub.groupby("modality", sort=False):
            print(f"  {mod}: " + ", ".join(g["token"].astype(str)))
    return 0


def cmd_export(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    corpus = ws.load_corpus(run.corpus_name) if ws.has_corpus(run.corpus_name) else None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder; give a folder (it is created if missing)")
    try:
        paths = export_run(run, corpus, fmt=args.format, out_dir=out, top_n=args.top)
    except OSError as e:
        raise InputError(f"--out {out}: cannot write there ({e.strerror or e})") from None
    for p in paths:
        print(p)
    return 0


def cmd_transform(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    if not ws.has_corpus(run.corpus_name):
        raise WorkspaceError(f"run {run.run_id} was trained on corpus {run.corpus_name!r}, which is no longer "
                             "in the workspace; transform needs its vocabulary and preprocessing")
    corpus = ws.load_corpus(run.corpus_name)
    if args.text is not None:
        texts = [args.text]
    else:
        path = Path(args.file)
        try:
            raw = sys.stdin.read() if args.file == "-" else path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"file {path} does not exist") from None
        except UnicodeDecodeError:
            raise InputError(f"file {path} is not UTF-8 text") from None
        texts = [line for line in raw.splitlines() if line.strip()] if args.lines else [raw]
    df = transform(run, corpus, texts, method="one_pass" if args.one_pass else "em")
    model = run.model
    out = []
    for i, row in df.iterrows():
        theta = {name: float(row[name]) for name in model.topic_names}
        ranked = sorted(theta.items(), key=lambda kv: -kv[1])
        out.append({"text": int(row["text"]), "tokens": float(row["tokens"]),
                    "topics": [{"topic": n, "label": model.labels.get(n) or n, "p": p}
                               for n, p in ranked if p > 0][: args.top]})
    print(json.dumps(out[0] if len(out) == 1 and not args.lines else out, ensure_ascii=False, indent=2))
    return 0


def cmd_rename(args) -> int:
    ws = workspace_of(args)
    man = rename_run(ws, resolve_run_id(ws, args.run), args.name)
    print(f"run {man['run_id']} is now named {man['name']!r}")
    return 0


def cmd_delete(args) -> int:
    ws = workspace_of(args)
    run_id = resolve_run_id(ws, args.run)
    delete_run(ws, run_id)
    print(f"deleted run {run_id}")
    return 0


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
                   help="regularizer, e.g. 'SmoothSparsePhi(tau=-0.5, topics=subject, start=10)' (repeatable)")
    p.add_argument("--modality-weight", action="append", default=[], metavar="@M=W",
                   help="modality weight τ_m, e.g. @labels=5 (repeatable)")
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
    p.add_argument("--mode", choices=("standard", "one_pass", "context"), default="standard",
                   help="E-step: standard ARTM, one-pass (Θ-less) or context-ARTM (needs a text corpus)")
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
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("runs", parents=[common], help="list saved runs, newest first")
    p.add_argument("--corpus", default=None, help="only runs of this corpus")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("show", parents=[common], help="top tokens of every topic of a run")
    p.add_argument("run", help="run id, unique id prefix, or run name")
    p.add_argument("--top", type=positive_int, default=10)
    p.add_argument("--modality", default=None)
    p.add_argument("--lambda", type=float, default=1.0, dest="relevance_lambda",
                   help="relevance λ (1 = by p(w|t); smaller favours topic-specific tokens)")
    p.add_argument("--json", action="store_true", help="a list of topics, each with name and top tokens")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("export", parents=[common], help="write Φ, Θ, top tokens and scores of a run")
    p.add_argument("run")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--top", type=positive_int, default=20, help="top tokens per topic in top_tokens")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("transform", parents=[common], help="topics of new text (JSON)")
    p.add_argument("run")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--file", help="UTF-8 text file ('-' for stdin)")
    p.add_argument("--lines", action="store_true", help="with --file: one document per line")
    p.add_argument("--one-pass", action="store_true", dest="one_pass",
                   help="one-pass estimate θ_td = Σ_w (n_dw/n_d) p(t|w) instead of EM inference")
    p.add_argument("--top", type=positive_int, default=10, help="topics listed per text")
    p.set_defaults(func=cmd_transform)

    p = sub.add_parser("rename-run", parents=[common], help="give a run a new name")
    p.add_argument("run")
    p.add_argument("name")
    p.set_defaults(func=cmd_rename)

    p = sub.add_parser("delete-run", parents=[common], help="delete a saved run")
    p.add_argument("run")
    p.set_defaults(func=cmd_delete)


__all__ = ["register", "config_from_args", "score_line", "report_json"]
