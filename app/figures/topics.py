"""Topic figures: intertopic distance map, similarity heatmap, top-token bars."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._style import ACCENT, BACKGROUND_TOPIC, MUTED, empty, styled, topic_colors


_POSITIONS = (("bottom center", 0.0, -1.0), ("top center", 0.0, 1.0), ("middle right", 1.0, 0.0),
              ("middle left", -1.0, 0.0))


def place_labels(x: np.ndarray, y: np.ndarray, labels: Sequence[str], order: Sequence[int],
                 width_px: float = 700, height_px: float = 460, font_px: float = 11) -> tuple[list[str], list[str]]:
    """Greedy label placement that avoids overlaps: topics in ``order`` (largest first) get
    their label below, above, right or left of the marker — the first spot whose box overlaps
    no label placed so far; a topic with no free spot is labelled on hover only.

    Returns (text per point, textposition per point).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    span_x = float(np.ptp(x)) or 1.0
    span_y = float(np.ptp(y)) or 1.0
    sx, sy = width_px / (1.3 * span_x), height_px / (1.3 * span_y)  # px per data unit (with margins)
    boxes: list[tuple[float, float, float, float]] = []
    text, pos = [""] * len(x), ["bottom center"] * len(x)
    for i in order:
        w, h = 0.58 * font_px * len(str(labels[i])), 1.3 * font_px
        cx, cy = x[i] * sx, y[i] * sy
        for name, dx, dy in _POSITIONS:
            bx = cx + dx * (w / 2 + 8) - w / 2
            by = cy + dy * (h / 2 + 8) - h / 2
            box = (bx, by, bx + w, by + h)
            if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
                boxes.append(box)
                text[i], pos[i] = str(labels[i]), name
                break
    return text, pos


def intertopic_map(df: pd.DataFrame, *, selected: str | None = None, height: int = 460) -> go.Figure:
    """Topics as circles placed by MDS of JS distances; area ∝ topic mass.

    Parameters
    ----------
    df : DataFrame[topic, label, x, y, mass, background] (``engine.analysis.intertopic_map``)
    selected : topic name to outline
    """
    if df is None or df.empty:
        return empty("No topics.")
    colors = topic_colors(len(df))
    mass = df["mass"].to_numpy(float)
    size = 12 + 44 * np.sqrt(mass / max(mass.max(), 1e-12))
    fill = [BACKGROUND_TOPIC if bg else colors[i] for i, bg in enumerate(df["background"])]
    line_w = [3 if t == selected else 1 for t in df["topic"]]
    order = np.argsort(-mass, kind="stable")
    text, positions = place_labels(df["x"].to_numpy(), df["y"].to_numpy(), list(df["label"]), order, height_px=height)
    fig = go.Figure(go.Scatter(
        x=df["x"], y=df["y"], mode="markers+text", text=text, textposition=positions,
        textfont=dict(size=11), customdata=np.c_[df["topic"], 100 * mass, df["background"], df["label"]],
        marker=dict(size=size, color=fill, opacity=0.72, line=dict(width=line_w, color="#222"),
                    symbol=["circle-dot" if bg else "circle" for bg in df["background"]]),
        hovertemplate="%{customdata[3]}<br>mass %{customdata[1]:.1f}%<br>background: %{customdata[2]}<extra></extra>",
        showlegend=False,
    ))
    fig.update_xaxes(title_text="PC1", zeroline=True, zerolinecolor="#ddd", showticklabels=False)
    fig.update_yaxes(title_text="PC2", zeroline=True, zerolinecolor="#ddd", showticklabels=False,
                     scaleanchor="x", scaleratio=1)
    return styled(fig, height=height, legend=False)


def similarity_heatmap(sim: np.ndarray, labels: Sequence[str], *, background: Sequence[bool] | None = None,
                       height: int | None = None) -> go.Figure:
    """Topic × topic similarity (1 − JS distance); background topics get a ◦ after the label."""
    sim = np.asarray(sim, dtype=float)
    if sim.size == 0:
        return empty("No topics.")
    names = [f"{lab} ◦" if background is not None and background[i] else str(lab) for i, lab in enumerate(labels)]
    shown = sim.copy()
    np.fill_diagonal(shown, np.nan)
    fig = go.Figure(go.Heatmap(z=shown, x=names, y=names, colorscale="Blues", zmin=0,
                               zmax=float(np.nanmax(shown)) if len(names) > 1 else 1,
                               hovertemplate="%{y} ↔ %{x}<br>similarity %{z:.3f}<extra></extra>",
                               colorbar=dict(title="sim.", thickness=12)))
    fig.update_yaxes(autorange="reversed")
    n = len(names)
    return styled(fig, height=height or min(700, 120 + 22 * n), legend=False)


def top_tokens_bar(df: pd.DataFrame, *, title: str | None = None, color: str = ACCENT,
                   height: int | None = None) -> go.Figure:
    """Horizontal bars of p(w|t) in percent for one topic, most probable at the top.

    Parameters
    ----------
    df : DataFrame with ``token`` and ``p`` (p(w|t) in [0, 1]); optional ``p_corpus`` (p(w) in
        [0, 1]) drawn as a grey bar behind, as in pyLDAvis.
    """
    if df is None or df.empty:
        return empty("No tokens.")
    df = df.iloc[::-1]
    fig = go.Figure()
    if "p_corpus" in df.columns:
        fig.add_trace(go.Bar(x=100 * df["p_corpus"], y=df["token"], orientation="h", name="corpus p(w)",
                             marker_color="#e3e6ea", hovertemplate="%{y}: p(w) %{x:.2f}%<extra></extra>"))
    fig.add_trace(go.Bar(x=100 * df["p"], y=df["token"], orientation="h", name="p(w|t)", marker_color=color,
                         hovertemplate="%{y}: p(w|t) %{x:.2f}%<extra></extra>"))
    fig.update_layout(barmode="overlay", bargap=0.15)
    fig.update_xaxes(ticksuffix="%")  # no axis title: the legend below the bars sat on it
    fig.update_yaxes(type="category", tickmode="linear", dtick=1, automargin=True)
    return styled(fig, title=title, height=height or 70 + 22 * len(df), legend="p_corpus" in df.columns)
