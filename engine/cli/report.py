"""``artm-studio report RUN --out report.html`` (also ``export RUN --format html --out DIR``): the
stakeholder report of a run as one self-contained HTML file, without the dashboard.

The page is the one the app's Runs page builds — :func:`engine.analysis.stakeholder_report`:
fixed width (``BODY_WIDTH_PX`` ≤ 1,200 px), printable, no script and no external request; the
labelled topics only (automatic two-word names when none is labelled), background topics never,
the top topics' trends when the corpus is in the workspace and has dates, the final scores
explained in one line each, and the run's configuration in one paragraph.
"""
from __future__ import annotations

from pathlib import Path

from engine.analysis import stakeholder_report
from engine.cli.common import run_command, workspace_of
from engine.errors import InputError
from engine.store.runs import load_run, resolve_run_id
from engine.store.workspace import Workspace


def report_html(run, corpus=None) -> str:
    """The whole report page of ``run`` (``corpus``: the one it was trained on, for the trends)."""
    return stakeholder_report(run, corpus)


def corpus_of(ws: Workspace, run):
    """The corpus ``run`` was trained on, or None when it is no longer in the workspace (the
    report then has no trends section)."""
    return ws.load_corpus(run.corpus_name) if ws.has_corpus(run.corpus_name) else None


def write_report(run, path: Path, corpus=None) -> Path:
    """Write :func:`report_html` to ``path`` (a missing parent folder is created)."""
    if path.is_dir():
        raise InputError(f"--out {path}: is a folder; give a file name such as report.html")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report_html(run, corpus), encoding="utf-8")
    except OSError as e:
        raise InputError(f"--out {path}: cannot write there ({e.strerror or e})") from None
    return path


def cmd_report(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    print(write_report(run, Path(args.out), corpus_of(ws, run)))
    return 0


def register(sub, common) -> None:
    p = run_command(sub, common, "report", cmd_report,
                    "the run's stakeholder report (printable, ≤ 1,200 px wide, labelled topics, no background) "
                    "as one HTML file")
    p.add_argument("--out", required=True, metavar="FILE.html")


__all__ = ["corpus_of", "register", "report_html", "write_report"]
