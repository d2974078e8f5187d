"""A stakeholder report of one run: a self-contained, printable HTML page (no script, no
external request) of fixed width ≤ 1,200 px.

It shows the labelled topics only (background topics never), the top topics' trends as small
inline SVG charts readable on paper, a compact table of quality scores with a one-line
explanation each, and the run's configuration in one paragraph. Call it as
``stakeholder_report(run, corpus)`` (``corpus`` may be None: no trends then).
"""
from __future__ import annotations

import datetime as _dt
import html
import html as _html
import math
from typing import Iterable

import numpy as np
import pandas as pd

from engine.analysis.names import auto_names, display_names, topic_count_text
from engine.analysis.trends import choose_frequency, fastest_growing, freq_name, topic_trends

__all__ = ["stakeholder_report", "html_report", "BODY_WIDTH_PX", "SCORE_EXPLANATIONS", "run_summary"]

BODY_WIDTH_PX = 1000
MAX_TOPICS = 30
TREND_TOPICS = 6
REPORT_BINS = 24

#: Score key → (plain name, one-line meaning, how to read it).
SCORE_EXPLANATIONS = {
    "perplexity": ("Perplexity", "how surprised the model is by the texts", "lower is better"),
    "sparsity_phi": ("Word sparsity", "share of zero word-in-topic probabilities", "higher = more distinct topics"),
    "sparsity_theta": ("Document sparsity", "share of zero topic-in-document probabilities",
                       "higher = documents about fewer topics"),
    "coherence": ("Coherence", "how often a topic's top words appear together in documents",
                  "higher = more interpretable"),
    "kernel_contrast": ("Kernel contrast", "how specific a topic's core words are to it", "closer to 1 is better"),
    "kernel_purity": ("Kernel purity", "how much of a topic its core words carry", "closer to 1 is better"),
    "background_ratio": ("Background share", "share of words explained by background topics",
                         "general language, not themes"),
    "topic_distance": ("Topic distance", "mean distance between topics", "higher = less overlap"),
}

_CSS = f"""
*{{box-sizing:border-box}}
body{{font-family:Georgia,'Times New Roman',serif;color:#1f2430;margin:0 auto;padding:24px 32px;
width:{BODY_WIDTH_PX}px;max-width:{BODY_WIDTH_PX}px;font-size:15px;line-height:1.45;background:#fff}}
h1{{font-size:26px;margin:0 0 4px}} h2{{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ccd;padding-bottom:4px}}
.sub{{color:#555;margin:0 0 12px}} p{{margin:6px 0}}
table{{border-collapse:collapse;width:100%;font-size:14px;table-layout:fixed}}
th,td{{text-align:left;vertical-align:top;padding:4px 8px;border-bottom:1px solid #e3e3ea;overflow-wrap:anywhere}}
th{{background:#f3f5f9}} td.num{{text-align:right;white-space:nowrap}}
.grid{{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}}
.card{{border:1px solid #e3e3ea;padding:6px 8px;break-inside:avoid;min-width:0}} .card b{{font-size:14px}}
.note{{color:#555;font-size:13px}}
@media print{{body{{padding:0;width:auto;max-width:{BODY_WIDTH_PX}px}} h2{{break-after:avoid}} table,.card{{break-inside:avoid}}}}
@page{{size:A4;margin:15mm}}
"""


def _e(x) -> str:
    return html.escape(str(x))


def topic_names_for(run, k: int = 2) -> list[str]:
    """The display name of each topic of ``run`` (label, else its ``k`` top words; 2 everywhere
    except where a view asks for more)."""
    m = run.model
    rows = np.flatnonzero(np.asarray(m.token_modality) == 0)
    auto = auto_names(m.phi, run.tokens["token"].to_numpy(), rows if rows.size < m.phi.shape[0] else None, k=k)
    return display_names(m.topic_names, m.labels, auto, m.background)


def run_summary(run) -> str:
    """The run's configuration in one plain sentence or two."""
    cfg = run.config or {}
    regs = [r for r in cfg.get("regularizers", []) if r.get("enabled", True)]
    kinds = sorted({r.get("kind", r.get("name", "")) for r in regs})
    n, b = int(cfg.get("n_topics", run.model.n_topics)), int(cfg.get("n_background", 0))
    text = (f"{topic_count_text(n, b)} learned from corpus “{run.corpus_name}” ({run.model.theta.shape[1]:,} documents, "
            f"{run.model.phi.shape[0]:,} distinct words) in {run.iteration} passes over the data")
    text += (f", with the regularizers {', '.join(kinds)}." if kinds else ", without regularizers (plain PLSA).")
    mods = list(run.model.modalities)
    if len(mods) > 1:
        text += f" Besides words it used {', '.join(m.lstrip('@') for m in mods[1:])}."
    return text


def _topics_table(run, names: list[str]) -> tuple[str, list[int]]:
    m = run.model
    labelled = [t for t, n in enumerate(m.topic_names) if not m.background[t] and (m.labels.get(n) or "").strip()]
    subject = [t for t in range(m.n_topics) if not m.background[t]]
    shown = labelled or subject
    n_t = np.clip(np.asarray(m.n_t, dtype=np.float64), 0, None)
    share = n_t / n_t[subject].sum() if n_t[subject].sum() > 0 else np.zeros_like(n_t)
    shown = sorted(shown, key=lambda t: -share[t])[:MAX_TOPICS]
    rows_w = np.flatnonzero(np.asarray(m.token_modality) == 0)
    tokens = run.tokens["token"].to_numpy()
    body = []
    for t in shown:
        col = np.asarray(m.phi[rows_w, t])
        top = rows_w[np.argsort(-col, kind="stable")[:8]]
        words = ", ".join(str(tokens[i]) for i in top if m.phi[i, t] > 0)
        body.append(f"<tr><td>{_e(names[t])}</td><td class='num'>{100 * share[t]:.1f}%</td><td>{_e(words)}</td></tr>")
    note = "" if labelled else ("<p class='note'>No topic has a label yet, so automatic names (two most probable "
                                "words) are shown; name topics on the Topics page.</p>")
    table = ("<table><colgroup><col style='width:30%'><col style='width:10%'><col style='width:60%'></colgroup>"
             "<tr><th>Topic</th><th>Share</th><th>Most characteristic words</th></tr>" + "".join(body) + "</table>")
    return note + table, shown


def _svg_line(periods: pd.Series, values: np.ndarray, width: int = 300, height: int = 110) -> str:
    """A small line chart (percent share over time) as inline SVG; NaN values break the line."""
    x0, x1, y0, y1 = 34, width - 6, 8, height - 20
    n = len(values)
    vmax = float(np.nanmax(values)) if n and np.isfinite(values).any() else 0.0
    top = max(vmax * 1.1, 1e-9)
    xs = [x0 + (x1 - x0) * (i / max(n - 1, 1)) for i in range(n)]
    segs, cur = [], []
    for x, v in zip(xs, values):
        if np.isfinite(v):
            cur.append(f"{x:.1f},{y1 - (y1 - y0) * v / top:.1f}")
        elif cur:
            segs.append(cur)
            cur = []
    if cur:
        segs.append(cur)
    lines = "".join(f"<polyline fill='none' stroke='#3b5bdb' stroke-width='2' points='{' '.join(s)}'/>"
                    if len(s) > 1 else f"<circle cx='{s[0].split(',')[0]}' cy='{s[0].split(',')[1]}' r='2' fill='#3b5bdb'/>"
                    for s in segs)
    years = [p.year for p in pd.to_datetime(periods)]
    labels = (f"<text x='{x0}' y='{height - 4}' font-size='11'>{years[0]}</text>"
              f"<text x='{x1}' y='{height - 4}' font-size='11' text-anchor='end'>{years[-1]}</text>") if years else ""
    return (f"<svg width='100%' viewBox='0 0 {width} {height}' preserveAspectRatio='xMinYMin meet' role='img'>"
            f"<line x1='{x0}' y1='{y1}' x2='{x1}' y2='{y1}' stroke='#999'/>"
            f"<line x1='{x0}' y1='{y0}' x2='{x0}' y2='{y1}' stroke='#999'/>"
            f"<text x='{x0 - 4}' y='{y0 + 8}' font-size='11' text-anchor='end'>{100 * top:.0f}%</text>"
            f"<text x='{x0 - 4}' y='{y1}' font-size='11' text-anchor='end'>0</text>{lines}{labels}</svg>")


def _trends_section(run, corpus, names: list[str], shown: list[int]) -> str:
    if corpus is None or not getattr(corpus, "has_dates", False) or corpus.n_docs != run.model.theta.shape[1]:
        return ""
    m = run.model
    n_d = np.asarray(corpus.n_dw.sum(axis=1)).ravel()
    freq = choose_frequency(corpus.documents["date"], max_bins=REPORT_BINS)  # few, well-filled bins on paper
    tr = topic_trends(m.theta, n_d, corpus.documents["date"], freq=freq, topic_names=m.topic_names,
                      background=m.background)
    if tr.empty or tr["period"].nunique() < 2:
        return ""
    shown_names = [m.topic_names[t] for t in shown]
    tr = tr[tr["topic"].isin(shown_names)]
    growing = fastest_growing(tr, k=3)
    top = list(dict.fromkeys(growing + shown_names))[:TREND_TOPICS]
    label = dict(zip(m.topic_names, names))
    cards = []
    for t in top:
        s = tr[tr["topic"] == t].sort_values("period")
        mark = " ▲ growing" if t in growing else ""
        cards.append(f"<div class='card'><b>{_e(label[t])}</b><span class='note'>{mark}</span><br>"
                     f"{_svg_line(s['period'], s['share'].to_numpy(float))}</div>")
    return (f"<h2>How the main topics develop over time</h2><p class='note'>Share of all words per "
            f"{_e(freq_name(tr.attrs['freq']))}; gaps are periods without documents.</p>"
            f"<div class='grid'>{''.join(cards)}</div>")


def _scores_section(run) -> str:
    fs = run.final_scores()
    rows = []
    for key, (name, meaning, reading) in SCORE_EXPLANATIONS.items():
        if key in fs and math.isfinite(fs[key]):
            v = fs[key]
            val = f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3f}"
            rows.append(f"<tr><td>{_e(name)}</td><td class='num'>{val}</td><td>{_e(meaning)}; {_e(reading)}.</td></tr>")
    if not rows:
        return ""
    return ("<h2>Model quality</h2><table><colgroup><col style='width:22%'><col style='width:13%'>"
            "<col style='width:65%'></colgroup><tr><th>Measure</th><th>Value</th><th>What it means</th></tr>"
            + "".join(rows) + "</table>")


def stakeholder_report(run, corpus=None) -> str:
    """The report of ``run`` (an :class:`engine.store.runs.Run`) as one HTML document.

    ``corpus`` (the :class:`engine.Corpus` the run was trained on) adds the trends; without it,
    or when it has no dates, that section is left out.
    """
    names = topic_names_for(run)
    topics, shown = _topics_table(run, names)
    today = _dt.date.today().isoformat()
    parts = [
        f"<h1>{_e(run.name)}</h1><p class='sub'>Topic model report · corpus “{_e(run.corpus_name)}” · {today}</p>",
        f"<h2>What this is</h2><p>{_e(run_summary(run))}</p>",
        "<h2>Topics</h2>" + topics,
        _trends_section(run, corpus, names, shown),
        _scores_section(run),
        "<p class='note'>Made with ARTM Studio (topic models with additive regularization).</p>",
    ]
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><meta name='viewport' content='width=device-width'>"
            f"<title>{_e(run.name)} — topic model report</title><style>{_CSS}</style></head><body>"
            + "".join(p for p in parts if p) + "</body></html>")


# ----------------------------------------------------------- generic page of figures and tables


def html_report(title: str, sections: Iterable[tuple[str, object]], subtitle: str = "") -> str:
    """Assemble a self-contained HTML page from figures, tables and text.

    Parameters
    ----------
    title : str
    sections : iterable of (heading, content)
        ``content`` is a Plotly figure (anything with ``to_html``), a DataFrame (rendered as a
        table), or a str (escaped text, shown as a paragraph).
    subtitle : str

    Returns
    -------
    str
        One HTML document; plotly.js is embedded once, so the file opens offline.
    """
    parts: list[str] = []
    first_fig = True
    for heading, content in sections:
        parts.append(f"<section><h2>{_html.escape(str(heading))}</h2>")
        if hasattr(content, "to_html") and hasattr(content, "data") and hasattr(content, "layout"):
            parts.append(content.to_html(full_html=False, include_plotlyjs="inline" if first_fig else False))
            first_fig = False
        elif isinstance(content, pd.DataFrame):
            parts.append(content.to_html(index=False, border=0, classes="table", float_format=lambda v: f"{v:.4g}"))
        else:
            parts.append(f"<p>{_html.escape(str(content))}</p>")
        parts.append("</section>")
    style = (
        "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;"
        "color:#1f2430;padding:0 1rem}h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}"
        "section{margin:2rem 0}table.table{border-collapse:collapse;font-size:.9rem}"
        "table.table td,table.table th{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;text-align:left}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{_html.escape(title)}</title><style>{style}</style></head><body>"
        f"<h1>{_html.escape(title)}</h1><p class='sub'>{_html.escape(subtitle)}</p>"
        + "".join(parts)
        + "</body></html>"
    )
