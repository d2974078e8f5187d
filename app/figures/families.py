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
