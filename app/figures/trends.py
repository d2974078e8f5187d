"""Trend figures: topic prevalence over time and documents per period."""
from __future__ import annotations

from typing import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import ACCENT, BACKGROUND_TOPIC, empty, styled, topic_colors

_FREQ = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year", "10Y": "decade"}


def _freq_name(freq) -> str | None:
    if freq in _FREQ:
        return _FREQ[freq]
    return f"{freq[:-1]} years" if isinstance(freq, str) and freq.endswith("Y") and freq[:-1].isdigit() else None


def topic_trends(trends: pd.DataFrame, *, topics: Sequence[str] | None = None, kind: str = "area",
                 growing: Sequence[str] = (), labels: dict[str, str] | None = None,
                 all_topics: Sequence[str] | None = None, background: Sequence[str] = (),
                 height: int | None = None) -> go.Figure:
    """Topic share over time: stacked areas or lines, one panel per group.

    Parameters
    ----------
    trends : DataFrame[period, group, topic, share, ...] (``engine.analysis.topic_trends``)
    topics : topic names to draw (default all)
    kind : ``"area"`` (stacked, percent of tokens) or ``"lines"``
    growing : topics to mark as fastest growing (▲ in the legend, thicker line)
    labels : topic name -> display label
    all_topics : full topic order, so each topic keeps its colour whatever is selected
    background : names of background topics (drawn grey)
    """
    if trends is None or trends.empty:
        return empty("No dated documents: trends need a date column.")
    if kind not in ("area", "lines"):
        raise ValueError("kind must be 'area' or 'lines'")
    order = list(all_topics) if all_topics is not None else list(dict.fromkeys(trends["topic"]))
    colors = dict(zip(order, topic_colors(len(order))))
    topics = [t for t in (topics or order) if t in set(trends["topic"])]
    groups = list(dict.fromkeys(trends["group"]))
    fig = make_subplots(rows=len(groups), cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=groups if len(groups) > 1 else None)
    labels = labels or {}
    for gi, g in enumerate(groups):
        sub = trends[trends["group"] == g]
        for t in topics:
            s = sub[sub["topic"] == t].sort_values("period")
            if kind == "area":  # stacked: an empty period counts as 0 (no tokens), never interpolated
                s = s.assign(share=s["share"].fillna(0.0))
            grow = t in growing
            name = f"{'▲ ' if grow else ''}{labels.get(t, t)}"
            color = BACKGROUND_TOPIC if t in background else colors.get(t, ACCENT)
            fig.add_trace(go.Scatter(
                x=s["period"], y=100 * s["share"], name=name, legendgroup=t, showlegend=gi == 0,
                mode="lines" if kind == "area" else "lines+markers", connectgaps=False,
                stackgroup="one" if kind == "area" else None,
                line=dict(color=color, width=3.5 if grow and kind == "lines" else 1.5),
                marker=dict(size=5, symbol="triangle-up" if grow else "circle"),
                hovertemplate=f"{labels.get(t, t)}<br>%{{x|%Y-%m-%d}}: %{{y:.1f}}%<extra>{g}</extra>",
            ), row=gi + 1, col=1)
        fig.update_yaxes(title_text="% of tokens", row=gi + 1, col=1)
    freq = _freq_name(trends.attrs.get("freq"))
    if freq:
        smooth = trends.attrs.get("smooth", 1)
        fig.update_xaxes(title_text=freq + (f" (moving average over {smooth} bins)" if smooth > 1 else ""),
                         row=len(groups), col=1)
    fig = styled(fig, height=height or 400 + 220 * (len(groups) - 1))
    return fig.update_layout(margin_t=30 if len(groups) > 1 else 10)


def documents_per_period(df: pd.DataFrame, *, height: int = 220) -> go.Figure:
    """Bars of the number of documents per time bin (DataFrame[period, documents])."""
    if df is None or df.empty:
        return empty("No dates in this corpus.", height)
    fig = go.Figure(go.Bar(x=df["period"], y=df["documents"], marker_color=ACCENT,
                           hovertemplate="%{x|%Y-%m-%d}: %{y} documents<extra></extra>"))
    freq = df.attrs.get("freq")
    fig.update_yaxes(title_text=f"documents per {_freq_name(freq) or 'period'}")
    return styled(fig, height=height, legend=False)
