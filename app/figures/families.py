"""Figures of the model families: DataFrames in, ``go.Figure`` out."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ._style import ACCENT, empty, styled


def topic_effects_bar(effects: pd.DataFrame, y_name: str, mean: float) -> go.Figure:
    """Topics ranked by their y (ȳ + s_y v_t) with 95 % intervals; ``effects`` from
    ``engine.families.regression.model.topic_effects`` plus a ``words`` column."""
    if effects is None or effects.empty:
        return empty("No topics.")
    df = effects.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=df["effect"], y=df["topic"], orientation="h", marker_color=ACCENT,
        error_x=dict(type="data", symmetric=False, array=df["high"] - df["effect"],
                     arrayminus=df["effect"] - df["low"]),
        customdata=df.get("words", df["topic"]),
        hovertemplate="%{y}: %{x:.3g}<br>%{customdata}<extra></extra>"))
    fig.add_vline(x=mean, line_dash="dot", annotation_text=f"mean {y_name}")
    fig.update_xaxes(title=f"{y_name} of a document entirely in the topic")
    return styled(fig, height=max(260, 26 * len(df) + 80), legend=False)


def author_profiles_heatmap(psi, authors, topic_labels) -> go.Figure:
    """ψ_tc of the given authors (columns of ``psi`` (T, C')) as a heatmap, authors as rows."""
    if psi.size == 0:
        return empty("No authors.")
    fig = go.Figure(go.Heatmap(z=psi.T, x=list(topic_labels), y=list(authors), colorscale="Blues",
                               hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>", colorbar=dict(title="ψ")))
    fig.update_yaxes(autorange="reversed")
    return styled(fig, height=max(300, 22 * len(authors) + 120), legend=False)


def author_map(xy, authors, main_topic, sizes) -> go.Figure:
    """Authors on a plane (MDS of Hellinger distances of their topic profiles), coloured by
    their main topic, sized by their number of documents."""
    if len(authors) == 0:
        return empty("No authors.")
    df = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "author": authors, "topic": main_topic, "n": sizes})
    fig = go.Figure()
    for t, g in df.groupby("topic", sort=False):
        fig.add_trace(go.Scatter(x=g["x"], y=g["y"], mode="markers", name=str(t), text=g["author"],
                                 marker=dict(size=6 + 14 * (g["n"] / max(df["n"].max(), 1)) ** 0.5),
                                 hovertemplate="%{text}<extra>" + str(t) + "</extra>"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, height=480)


def link_agreement_hist(linked, random) -> go.Figure:
    """Distribution of Σ_t √(θ_td θ_tc) over the linked pairs against random pairs."""
    if len(linked) == 0:
        return empty("No links.")
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=random, name="random pairs", histnorm="probability", opacity=0.55,
                               xbins=dict(start=0, end=1.0001, size=0.05), marker_color="#9aa0a6"))
    fig.add_trace(go.Histogram(x=linked, name="linked documents", histnorm="probability", opacity=0.75,
                               xbins=dict(start=0, end=1.0001, size=0.05), marker_color=ACCENT))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="topic agreement Σ_t √(θ_td θ_tc)")
    fig.update_yaxes(title="share of pairs")
    return styled(fig, height=340)


def time_topics_chart(profiles: pd.DataFrame, column: str, title: str) -> go.Figure:
    """One line per topic over the time bins (in time order) of ``profiles`` (rows of
    ``engine.families.timegeo.time_profiles``), the y value from ``column``."""
    if profiles is None or profiles.empty:
        return empty("No topic chosen.")
    fig = go.Figure()
    for label, g in profiles.groupby("label", sort=False):
        fig.add_trace(go.Scatter(x=g["time"], y=g[column], mode="lines+markers", name=str(label),
                                 hovertemplate="%{x}: %{y:.3f}<extra>" + str(label) + "</extra>"))
    fig.update_xaxes(title="time bin", type="category")
    fig.update_yaxes(title=title, rangemode="tozero")
    return styled(fig, height=380)
