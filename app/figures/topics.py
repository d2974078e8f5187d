"""Topic figures: intertopic distance map, similarity heatmap, top-token bars."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._style import ACCENT, BACKGROUND_TOPIC, MUTED, empty, styled, topic_colors


_POSITIONS = (("bottom center", 0.0, -1.0), ("top center", 0.0, 1.0), ("middle right", 1.0, 0.0),
              ("middle left", -1.0, 0.0))
#: the map's plot area assumed for label placement (px): the left column of the Topics page at a
#: 1280 px window, less margins and axis titles; a wider plot only spreads the topics further apart
PLOT_W, PLOT_H = 620.0, 410.0
#: average glyph width of the 11 px label font, in font sizes (sans-serif, mixed case)
_GLYPH = 0.6


def map_ranges(x: np.ndarray, y: np.ndarray, pad: float = 0.12) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis ranges of the intertopic map: the points' extent plus ``pad`` of the larger span on
    every side (room for the circles and their labels)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    span = max(float(np.ptp(x)) if len(x) else 0.0, float(np.ptp(y)) if len(y) else 0.0) or 1.0
    m = pad * span
    return ((float(x.min()) - m, float(x.max()) + m) if len(x) else (-1.0, 1.0),
            (float(y.min()) - m, float(y.max()) + m) if len(y) else (-1.0, 1.0))


def px_per_unit(xr: tuple[float, float], yr: tuple[float, float], width_px: float = PLOT_W,
                height_px: float = PLOT_H) -> float:
    """Pixels per data unit on both axes: the map keeps an equal scale (``scaleanchor``), so the
    axis with less room per unit sets it."""
    return min(width_px / ((xr[1] - xr[0]) or 1.0), height_px / ((yr[1] - yr[0]) or 1.0))


def label_box(cx: float, cy: float, radius: float, label: str, position: str,
              font_px: float = 11) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) in px of ``label`` drawn at ``position`` next to a marker of ``radius`` px
    centred at (cx, cy) (y up)."""
    w, h = _GLYPH * font_px * len(label), 1.25 * font_px
    _, dx, dy = next(p for p in _POSITIONS if p[0] == position)
    bx = cx + dx * (radius + 3 + w / 2) - w / 2
    by = cy + dy * (radius + 2 + h / 2) - h / 2
    return bx, by, bx + w, by + h


def _overlaps(box, boxes) -> bool:
    return any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in boxes)


def place_labels(x: np.ndarray, y: np.ndarray, labels: Sequence[str], order: Sequence[int],
                 sizes: Sequence[float] | None = None, ranges=None, font_px: float = 11,
                 width_px: float = PLOT_W, height_px: float = PLOT_H) -> tuple[list[str], list[str]]:
    """Greedy label placement without overlaps: topics in ``order`` (largest first) get their
    label below, above, right or left of the marker — the first spot whose box overlaps no label
    placed so far and no other marker; a topic with no free spot is labelled on hover only.

    Geometry in px of the plot area (``width_px`` × ``height_px``) at the map's equal scale over
    ``ranges`` (default :func:`map_ranges`); ``sizes`` are marker diameters in px (default 12).
    Returns (text per point, textposition per point).
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    xr, yr = ranges or map_ranges(x, y)
    s = px_per_unit(xr, yr, width_px, height_px)
    radius = np.full(len(x), 6.0) if sizes is None else np.asarray(sizes, float) / 2
    cx, cy = (x - xr[0]) * s, (y - yr[0]) * s
    markers = [(cx[i] - radius[i], cy[i] - radius[i], cx[i] + radius[i], cy[i] + radius[i]) for i in range(len(x))]
    boxes: list[tuple[float, float, float, float]] = []
    text, pos = [""] * len(x), ["bottom center"] * len(x)
    for i in order:
        others = markers[:i] + markers[i + 1:]
        for name, _, _ in _POSITIONS:
            box = label_box(cx[i], cy[i], radius[i], str(labels[i]), name, font_px)
            if _overlaps(box, boxes) or _overlaps(box, others):
                continue
            boxes.append(box)
            text[i], pos[i] = str(labels[i]), name
            break
    return text, pos


def intertopic_map(df: pd.DataFrame, *, selected: str | None = None, height: int = 460) -> go.Figure:
    """Topics as circles placed by MDS of JS distances; area ∝ topic mass. Axis ranges are fixed
    and equally scaled, so the labels placed by :func:`place_labels` land where it assumed; the
    labels that find no free spot show on hover only (the title says how many are shown).

    Parameters
    ----------
    df : DataFrame[topic, label, x, y, mass, background] (``engine.analysis.intertopic_map``)
    selected : topic name to outline
    """
    if df is None or df.empty:
        return empty("No topics.")
    colors = topic_colors(len(df))
    mass = df["mass"].to_numpy(float)
    big = 44 * min(1.0, float(np.sqrt(12 / len(df))))  # many topics: smaller circles, room for labels
    size = 12 + big * np.sqrt(mass / max(mass.max(), 1e-12))
    fill = [BACKGROUND_TOPIC if bg else colors[i] for i, bg in enumerate(df["background"])]
    line_w = [3 if t == selected else 1 for t in df["topic"]]
    order = np.argsort(-mass, kind="stable")
    xr, yr = map_ranges(df["x"], df["y"])
    text, positions = place_labels(df["x"].to_numpy(), df["y"].to_numpy(), list(df["label"]), order,
                                   sizes=size, ranges=(xr, yr), height_px=height - 50)
    fig = go.Figure(go.Scatter(
        x=df["x"], y=df["y"], mode="markers+text", text=text, textposition=positions,
        textfont=dict(size=11), customdata=np.c_[df["topic"], 100 * mass, df["background"], df["label"]],
        marker=dict(size=size, color=fill, opacity=0.72, line=dict(width=line_w, color="#222"),
                    symbol=["circle-dot" if bg else "circle" for bg in df["background"]]),
        hovertemplate="%{customdata[3]}<br>mass %{customdata[1]:.1f}%<br>background: %{customdata[2]}<extra></extra>",
        showlegend=False, cliponaxis=False,
    ))
    fig.update_xaxes(title_text="PC1", zeroline=True, zerolinecolor="#ddd", showticklabels=False,
                     range=list(xr), constrain="domain")
    fig.update_yaxes(title_text="PC2", zeroline=True, zerolinecolor="#ddd", showticklabels=False,
                     range=list(yr), constrain="domain", scaleanchor="x", scaleratio=1)
    shown = sum(1 for t in text if t)
    note = None if shown == len(df) else f"{shown} of {len(df)} labels shown (no room for the rest: hover a circle)"
    fig = styled(fig, height=height, legend=False)
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="bottom",
                           showarrow=False, font=dict(size=11, color=MUTED))
        fig.update_layout(margin=dict(t=28))
    return fig


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
