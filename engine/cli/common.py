"""What every command group shares: the workspace of ``--workspace``, a run and its corpus, texts
from ``--text``/``--file``, the per-pass score line, the progress bar and the foreground training
loop (the dashboard's job machinery: checkpoints, Ctrl-C/SIGTERM stop and save)."""
from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

from engine.cli.pass_progress import PassTicker
from engine.em.health import size_warnings, warnings_of
from engine.em.model import IterationReport
from engine.errors import EngineError, InputError
from engine.jobs import TrainingJob, run_job_blocking
from engine.store.runs import check_compatible, load_run, resolve_run_id
from engine.store.workspace import Workspace

#: scores left off the one-line-per-iteration output (all scores go to --jsonl)
_LINE_SKIP_PREFIXES = ("topic_mass:", "health/")


def workspace_of(args, recover_now: bool = True) -> Workspace:
    """The workspace of ``--workspace``; the first call completes or rolls back half-done writes
    of killed processes and reports each on stderr (``artm-studio check`` lists the rest)."""
    ws = Workspace(args.workspace)
    if recover_now and not getattr(args, "_recovered", False):
        args._recovered = True
        for line in ws.recover():
            print(f"artm-studio: recovered: {line}", file=sys.stderr)
    return ws


def run_and_corpus(ws, ref: str):
    """(run, corpus) with the corpus the run was trained on; InputError when it changed."""
    run = load_run(ws, resolve_run_id(ws, ref))
    corpus = ws.load_corpus(run.corpus_name)
    check_compatible(run, corpus, documents=True)
    return run, corpus


# --------------------------------------------------------------------------- input

RUN_HELP = "run id, unique id prefix, or run name"


def run_command(sub, common, name: str, func, help: str, **kw):
    """A subcommand ``name RUN …`` calling ``func(args)`` (the parser, for its other flags)."""
    p = sub.add_parser(name, parents=[common], help=help, **kw)
    p.add_argument("run", help=RUN_HELP)
    p.set_defaults(func=func)
    return p


def add_text_args(p) -> None:
    """``--text`` | ``--file`` (required, one of them) and ``--lines``."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--text")
    g.add_argument("--file", help="UTF-8 text file ('-' for stdin)")
    p.add_argument("--lines", action="store_true", help="with --file: one document per line")


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


def warn_missing_seeds(missing: list[str], corpus) -> None:
    """One stderr line listing (up to 20 of) the seed words not in the corpus's vocabulary."""
    if missing:
        print(f"seed words not in the vocabulary of {corpus.name!r} ({len(missing)}): "
              + ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""), file=sys.stderr)


# --------------------------------------------------------------------------- output

def print_json(obj, indent: int | None = 2) -> int:
    """Print ``obj`` as JSON (non-ASCII kept) on stdout; returns exit code 0."""
    print(json.dumps(obj, ensure_ascii=False, indent=indent))
    return 0


def fmt_number(v: float | None) -> str:
    """A score for a terminal: 1 decimal from 1000, 3 from 1, else 4; ``nan`` for None/inf."""
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
        parts.append(f"{k}={fmt_number(v)}")
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


# --------------------------------------------------------------------------- training

def run_foreground(ws, job: TrainingJob, args):
    """Run ``job`` in the foreground: a score line (``--jsonl``: a JSON object) per pass, each
    new health warning once on stderr, Ctrl-C/SIGTERM stop after the pass and save. Returns the
    final :class:`~engine.jobs.Snapshot`; a failed job raises EngineError."""
    total = int(job.config.iterations)
    bar = ProgressBar(total)
    out = sys.stdout
    jsonl = bool(getattr(args, "jsonl", False))
    warned: set = set()

    def on_report(report: IterationReport) -> None:
        bar.clear()
        print(report_json(report) if jsonl else score_line(report), file=out, flush=True)
        if not warned:  # after the first pass: a refusal or a failure stays one line
            warned.add("size")
            for w in size_warnings(job.corpus.n_docs, job.corpus.n_tokens, job.config.total_topics):
                print(f"warning: {w}", file=sys.stderr, flush=True)
        for w in warnings_of(report.scores, job.config.total_topics):
            if w not in warned:  # each partial collapse once, when it appears
                warned.add(w)
                print(f"warning: pass {report.iteration}: {w}", file=sys.stderr, flush=True)
        bar.update(report.iteration)

    bar.update(job.snapshot().iteration)
    ticker = PassTicker(job, total).start() if getattr(job.corpus, "is_batched", False) else None
    try:
        snap = run_job_blocking(
            job, on_report=on_report,
            on_interrupt=lambda: print("\nstopping after this iteration…", file=sys.stderr, flush=True))
    finally:
        if ticker is not None:
            ticker.stop()
        bar.clear()
    if snap.status == "failed":
        raise EngineError(f"training failed at iteration {snap.iteration + 1}: {snap.error}")
    msg = (f"run {snap.run_id} ({snap.name}) {snap.status} after {snap.iteration} iterations; "
           f"saved in {ws.runs_dir / snap.run_id}")
    print(msg, file=sys.stderr if jsonl else sys.stdout, flush=True)
    return snap
