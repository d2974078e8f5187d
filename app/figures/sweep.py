""""How many topics?" figures: metric curves against T with bends marked, the TopicSelection
survivor count, per-topic stability. Pure: DataFrames in, ``go.Figure`` out (and
:func:`sweep_html`: the same figures as one offline HTML page)."""
from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine import html_report

from ._style import ACCENT, MUTED, empty, styled

#: metric -> (panel title, log y)
PANELS = {
    "perplexity": ("Perplexity (train)", True),
    "holdout_perplexity": ("Perplexity (held-out)", True),
    "coherence": ("Coherence (NPMI)", False),
    "sparsity_phi": ("Sparsity of Φ", False),
    "sparsity_theta": ("Sparsity of Θ", False),
    "topic_distance": ("Topic distinctness", False),
    "stability": ("Stability across starts", False),
}


def sweep_curves(summary: pd.DataFrame, bends: dict | None = None, *, height: int | None = None) -> go.Figure:
    """One panel per metric: mean over starts (± std as error bars) against T on a log axis;
    the bend (``bends[metric]``) as a dotted vertical line with a ◆ marker."""
    if summary is None or summary.empty or "topics" not in summary:
        return empty("Run a sweep to see the curves.")
    names = [m for m in PANELS if m in summary.columns and summary[m].notna().any()]
    if not names:
        return empty("The sweep has no scores.")
    cols = 2 if len(names) > 1 else 1
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[PANELS[n][0] for n in names],
                        vertical_spacing=0.12, horizontal_spacing=0.1)
    s = summary.sort_values("topics")
    for i, name in enumerate(names):
        r, c = i // cols + 1, i % cols + 1
        std = s.get(f"{name}_std")
        fig.add_trace(go.Scatter(
            x=s["topics"].tolist(), y=s[name].tolist(), mode="lines+markers", name=PANELS[name][0], showlegend=False,
            line=dict(color=ACCENT, width=2),
            error_y=dict(type="data", array=std.fillna(0).tolist(), visible=True) if std is not None else None,
            hovertemplate="T=%{x}<br>%{y:.4g}<extra></extra>"), row=r, col=c)
        bend = (bends or {}).get(name)
        if bend is not None and not (isinstance(bend, float) and math.isnan(bend)):
            yb = s.loc[s["topics"] == bend, name]
            fig.add_vline(x=bend, line=dict(color=MUTED, dash="dot"), row=r, col=c)
            if len(yb):
                fig.add_trace(go.Scatter(x=[bend], y=[float(yb.iloc[0])], mode="markers", showlegend=False,
                                         marker=dict(symbol="diamond", size=12, color="#e8590c"),
                                         name="bend", hovertemplate=f"bend at T={bend:g}<extra></extra>"),
                              row=r, col=c)
        fig.update_xaxes(type="log", title_text="T", tickvals=s["topics"].tolist(), row=r, col=c)
        if PANELS[name][1]:
            fig.update_yaxes(type="log", row=r, col=c)
    return styled(fig, height=height or 260 * rows + 60, legend=False)


def selection_curve(df: pd.DataFrame, *, height: int = 300) -> go.Figure:
    """Topics surviving TopicSelection after each iteration."""
    if df is None or df.empty:
        return empty("Train with TopicSelection to see how many topics survive.")
    fig = go.Figure(go.Scatter(x=df["iteration"].tolist(), y=df["surviving"].tolist(), mode="lines+markers",
                               line=dict(color=ACCENT, width=2, shape="hv"), name="surviving topics",
                               hovertemplate="iteration %{x}: %{y} topics<extra></extra>"))
    last = int(df["surviving"].iloc[-1])
    fig.add_hline(y=last, line=dict(color=MUTED, dash="dot"),
                  annotation_text=f"{last} topics survive", annotation_position="top right")
    fig.update_xaxes(title_text="iteration")
    fig.update_yaxes(title_text="surviving topics", rangemode="tozero")
    return styled(fig, title="TopicSelection: surviving topics", height=height, legend=False)


def stability_bars(table: pd.DataFrame, labels: dict | None = None, *, height: int | None = None) -> go.Figure:
    """Per-topic stability (share of other starts where the topic reappears); stable topics in
    the accent colour, unstable ones grey and flagged ⚠."""
    if table is None or table.empty:
        return empty("Per-topic stability needs a model trained with several random starts.")
    t = table.sort_values("stability", ascending=True, kind="stable")
    names = [(labels or {}).get(n, n) + ("" if ok else " ⚠") for n, ok in zip(t["topic"], t["stable"])]
    colors = [ACCENT if ok else MUTED for ok in t["stable"]]
    fig = go.Figure(go.Bar(x=t["stability"].tolist(), y=names, orientation="h", marker_color=colors,
                           customdata=t["mean_distance"],
                           hovertemplate="%{y}: reappears in %{x:.0%} of starts"
                                         "<br>mean matched JS distance %{customdata:.3f}<extra></extra>"))
    fig.update_xaxes(range=[0, 1.02], tickformat=".0%", title_text="share of other starts where the topic reappears")
    return styled(fig, height=height or max(240, 22 * len(t) + 80), legend=False)


def sweep_html(result, selection: pd.DataFrame | None = None) -> str:
    """A sweep (fresh SweepResult or SavedSweep: ``summary``, ``bends``, ``runs``, ``seconds``)
    as a self-contained HTML page: the curves with bends, the per-T table, TopicSelection."""
    sections = [("Scores against the number of topics", sweep_curves(result.summary, result.bends)),
                ("Per-T summary", result.summary),
                ("Bends", "; ".join(f"{k}: T={v:g}" for k, v in result.bends.items() if v is not None) or "none")]
    if selection is not None:
        sections.append(("TopicSelection", selection_curve(selection)))
    return html_report("How many topics?", sections,
                       subtitle=f"{len(result.runs)} runs in {result.seconds:.0f} s")
