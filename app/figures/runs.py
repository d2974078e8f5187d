"""Figures for comparing runs and for the vocabulary preview."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import ACCENT, empty, styled, topic_colors
from .training import pick_scores, score_keys


def compare_scores(runs: dict[str, pd.DataFrame], *, names: Sequence[str] | None = None,
                   height: int | None = None) -> go.Figure:
    """Score curves of several runs overlaid, one panel per score.

    Parameters
    ----------
    runs : run label -> long score table DataFrame[iteration, score, value]
    names : score names to draw (default: the usual ones present in the first run)
    """
    runs = {k: v.assign(key=score_keys(v)) for k, v in runs.items() if v is not None and not v.empty}
    if not runs:
        return empty("These runs have no score history.")
    names = names or pick_scores(next(iter(runs.values())))
    if not names:
        return empty("No common scores.")
    cols = 2 if len(names) > 1 else 1
    rows = -(-len(names) // cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, vertical_spacing=0.16)
    colors = topic_colors(len(runs))
    for ri, (label, df) in enumerate(runs.items()):
        for i, name in enumerate(names):
            sub = df[df["key"] == name].sort_values("iteration")
            fig.add_trace(go.Scatter(x=sub["iteration"], y=sub["value"], name=label, legendgroup=label,
                                     showlegend=i == 0, mode="lines", line=dict(color=colors[ri], width=2)),
                          row=i // cols + 1, col=i % cols + 1)
            if name.startswith("perplexity"):
                fig.update_yaxes(type="log", row=i // cols + 1, col=i % cols + 1)
    return styled(fig, height=height or 250 * rows + 60)


def matching_heatmap(distance: np.ndarray, labels_a: Sequence[str], labels_b: Sequence[str],
                     pairs: pd.DataFrame | None = None, *, height: int | None = None) -> go.Figure:
    """JS distances between the topics of two runs; matched pairs marked with ●.

    Parameters
    ----------
    distance : ndarray of shape (T_a, T_b)
    pairs : DataFrame[topic_a, topic_b] of matched names (``engine.analysis.match_topics``),
        names given in the same order as ``labels_a``/``labels_b``.
    """
    d = np.asarray(distance, dtype=float)
    if d.size == 0:
        return empty("No topics to match.")
    la, lb = list(labels_a), list(labels_b)
    fig = go.Figure(go.Heatmap(z=d, x=lb, y=la, colorscale="Blues_r", zmin=0, zmax=1,
                               colorbar=dict(title="JS dist.", thickness=12),
                               hovertemplate="%{y} ↔ %{x}<br>distance %{z:.3f}<extra></extra>"))
    if pairs is not None and not pairs.empty:
        fig.add_trace(go.Scatter(x=pairs["topic_b"], y=pairs["topic_a"], mode="markers", name="matched",
                                 marker=dict(symbol="circle", size=9, color="#e8590c", line=dict(width=1, color="white")),
                                 hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed")
    return styled(fig, height=height or min(760, 140 + 22 * len(la)), legend=False)


def vocabulary_preview(vocab: pd.DataFrame, *, top: int = 30, height: int | None = None) -> go.Figure:
    """The most frequent tokens of a preview vocabulary (DataFrame[token, modality, tf, df])."""
    if vocab is None or vocab.empty:
        return empty("The vocabulary is empty with these options.")
    v = vocab.sort_values("tf", ascending=False).head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=v["tf"], y=v["token"], orientation="h", marker_color=ACCENT,
                           customdata=v["df"], hovertemplate="%{y}: %{x} occurrences in %{customdata} documents<extra></extra>"))
    fig.update_xaxes(title_text="occurrences")
    return styled(fig, height=height or 40 + 16 * len(v), legend=False)
