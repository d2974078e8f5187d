"""``artm-studio report RUN --out report.html`` (also ``export RUN --format html --out DIR``): the
stakeholder report of a run as one self-contained HTML file, without the dashboard.

The page is :func:`engine.analysis.html_report` (no script needed to read it, opens offline):
the run in one sentence, its topics (label, share of the collection, most probable words of the
word modality) ordered by share, background topics marked, and the final scores.
Share of topic t = n_t / Σ_s n_s over the subject topics (n_t: topic mass of the last pass).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.analysis import html_report
from engine.cli.common import run_command, workspace_of
from engine.errors import InputError
from engine.store.runs import load_run, resolve_run_id

WORDS = 10


def topics_table(run, words: int = WORDS) -> pd.DataFrame:
    """One row per topic: label, share (%) of the subject topics' mass, top words, background flag."""
    m = run.model
    rows = np.flatnonzero(run.tokens["modality"].astype(str).to_numpy() == m.modalities[0])
    tokens = run.tokens["token"].astype(str).to_numpy()
    n_t = np.clip(np.asarray(m.n_t, dtype=np.float64), 0, None)
    subject = ~np.asarray(m.background, dtype=bool)
    total = n_t[subject].sum()
    out = []
    for t in range(m.n_topics):
        col = np.asarray(m.phi[rows, t], dtype=np.float64)
        top = rows[np.argsort(-col, kind="stable")[:words]]
        out.append({"topic": m.label(t) + (" (background)" if not subject[t] else ""),
                    "share %": round(100 * n_t[t] / total, 1) if subject[t] and total > 0 else None,
                    "top words": ", ".join(tokens[i] for i in top if m.phi[i, t] > 0)})
    df = pd.DataFrame(out).sort_values("share %", ascending=False, na_position="last", kind="stable")
    df["share %"] = df["share %"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")  # background: blank
    return df.reset_index(drop=True)


def report_html(run) -> str:
    """The whole report page of ``run``."""
    m = run.model
    regs = sorted({r.get("kind", "") for r in (run.config or {}).get("regularizers", []) if r.get("enabled", True)})
    summary = (f"{m.n_topics} topics ({int(np.sum(m.background))} background) learned from corpus "
               f"“{run.corpus_name}” ({m.theta.shape[1]:,} documents, {m.phi.shape[0]:,} distinct tokens) in "
               f"{run.iteration} passes, " + (f"with the regularizers {', '.join(regs)}." if regs
                                              else "without regularizers (PLSA)."))
    scores = pd.DataFrame([{"score": k, "value": v} for k, v in run.final_scores().items()
                           if not k.startswith(("topic_mass:", "health/"))])
    return html_report(f"ARTM Studio — {run.name}", [("The model", summary), ("Topics", topics_table(run)),
                                                    ("Final scores", scores)],
                       subtitle=f"run {run.run_id} · status {run.status}")


def write_report(run, path: Path) -> Path:
    """Write :func:`report_html` to ``path`` (a missing parent folder is created)."""
    if path.is_dir():
        raise InputError(f"--out {path}: is a folder; give a file name such as report.html")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(report_html(run), encoding="utf-8")
    except OSError as e:
        raise InputError(f"--out {path}: cannot write there ({e.strerror or e})") from None
    return path


def cmd_report(args) -> int:
    ws = workspace_of(args)
    print(write_report(load_run(ws, resolve_run_id(ws, args.run)), Path(args.out)))
    return 0


def register(sub, common) -> None:
    p = run_command(sub, common, "report", cmd_report, "the run's stakeholder report as one HTML file")
    p.add_argument("--out", required=True, metavar="FILE.html")


__all__ = ["register", "report_html", "topics_table", "write_report"]
