"""Training figures: score curves with τ on a second axis, and τ trajectories."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import ACCENT, MUTED, empty, styled, topic_colors

DEFAULT_SCORES = ("perplexity", "sparsity_phi", "sparsity_theta", "kernel_contrast", "kernel_purity",
                  "coherence", "background_ratio", "topic_distance")
_DEFAULT_MODALITY = "@default_class"


def score_keys(scores: pd.DataFrame) -> pd.Series:
    """Flat score names of a long score table: ``score`` or ``score@modality``."""
    if "modality" not in scores.columns:
        return scores["score"].astype(str)
    mod = scores["modality"].fillna("").astype(str)
    plain = (mod == "") | (mod == _DEFAULT_MODALITY) | scores["score"].astype(str).str.contains("@")
    return scores["score"].astype(str).where(plain, scores["score"].astype(str) + "@" + mod.str.lstrip("@"))


def pick_scores(scores: pd.DataFrame, wanted: Sequence[str] | None = None, limit: int = 4) -> list[str]:
    """The score names to draw: ``wanted`` if given, else the defaults present, at most ``limit``."""
    present = list(dict.fromkeys(score_keys(scores))) if not scores.empty else []
    if wanted:
        return [s for s in wanted if s in present][:max(limit, 8)]
    chosen = [s for s in DEFAULT_SCORES if s in present]
    return chosen[:limit]


def thin(df: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """Rows of at most ``max_points`` evenly spaced iterations (always keeping the last one)."""
    if df is None or df.empty:
        return df
    its = np.unique(df["iteration"].to_numpy())
    if len(its) <= max_points:
        return df
    step = int(np.ceil(len(its) / max_points))
    keep = set(its[::step].tolist()) | {int(its[-1])}
    return df[df["iteration"].isin(keep)]


def plan_iterations(n_iter: int, breaks: Sequence[float] = (), max_points: int = 300) -> np.ndarray:
    """At most ~``max_points`` iterations of 1..``n_iter`` to draw a planned τ from: evenly
    spaced, plus each break of the trajectory (an iteration where it starts, stops or bends)
    and the one before it, so steps stay steps. Sorted, unique, int."""
    n_iter = max(1, int(n_iter))
    its = np.linspace(1, n_iter, min(n_iter, max_points)).round()
    extra = [b + d for b in breaks if b is not None for d in (-1, 0)]
    its = np.concatenate([its, np.asarray(extra, dtype=float)]) if extra else its
    return np.unique(its[(its >= 1) & (its <= n_iter)].astype(int))


def score_curves(scores: pd.DataFrame, tau: pd.DataFrame | None = None, *, current: int | None = None,
                 names: Sequence[str] | None = None, total: int | None = None,
                 height: int | None = None, scaled: bool = True, max_points: int = 400,
                 label=None) -> go.Figure:
    """A grid of score curves over iterations, τ of each regularizer on a secondary axis.

    Parameters
    ----------
    scores : DataFrame[iteration, score, value] (optionally a ``modality`` column)
    tau : DataFrame[iteration, regularizer, tau], optional
        τ actually applied at each iteration; drawn dashed on the right axis of every panel.
    current : int, optional
        Iteration to mark with a vertical line (the one just finished).
    names : score names to draw (default: the usual ones that are present)
    total : int, optional
        Planned number of iterations; fixes the x range so curves grow into it.
    scaled : bool
        Draw each τ divided by its largest |τ| so trajectories of very different sizes
        (Decorrelator 1e4 beside SmoothSparse 0.1) share the axis; hover shows the real τ
        (also in ``customdata``).
    max_points : int
        Long runs are drawn from at most this many evenly spaced iterations (keeps the live
        view fast).
    label : callable score name -> shown title, optional (plain names in presentation mode)
    """
    if scores is None or scores.empty:
        return empty("No scores yet: start training to see them here.")
    scores = thin(scores, max_points).assign(key=score_keys(thin(scores, max_points)))
    tau = thin(tau, max_points) if tau is not None else None
    names = pick_scores(scores, names)
    if not names:
        return empty("None of the chosen scores has been computed yet.")
    cols = 2 if len(names) > 1 else 1
    rows = math.ceil(len(names) / cols)
    fig = make_subplots(rows=rows, cols=cols, horizontal_spacing=0.17,
                        vertical_spacing=0.16, specs=[[{"secondary_y": True}] * cols for _ in range(rows)],
                        subplot_titles=[label(n) for n in names] if label else names)
    regs = [] if tau is None or tau.empty else list(dict.fromkeys(tau["regularizer"]))
    colors = dict(zip(regs, topic_colors(len(regs) + 1)[1:]))
    for i, name in enumerate(names):
        r, c = divmod(i, cols)
        sub = scores[scores["key"] == name].sort_values("iteration")
        fig.add_trace(go.Scatter(x=sub["iteration"], y=sub["value"], mode="lines+markers" if len(sub) <= 60 else "lines",
                                 name=name,
                                 line=dict(color=ACCENT, width=2), marker=dict(size=4), showlegend=False,
                                 hovertemplate=f"{name}<br>iteration %{{x}}: %{{y:.4g}}<extra></extra>"),
                      row=r + 1, col=c + 1, secondary_y=False)
        for reg in regs:
            t = tau[tau["regularizer"] == reg].sort_values("iteration")
            raw = t["tau"].to_numpy(float)
            scale = float(np.abs(raw).max()) if scaled and len(raw) and np.abs(raw).max() > 0 else 1.0
            fig.add_trace(go.Scatter(x=t["iteration"], y=raw / scale, customdata=raw, mode="lines",
                                     name=f"τ {reg}", legendgroup=reg, showlegend=i == 0,
                                     line=dict(dash="dot", color=colors[reg]),
                                     hovertemplate=f"τ {reg}<br>iteration %{{x}}: τ = %{{customdata:.4g}}<extra></extra>"),
                          row=r + 1, col=c + 1, secondary_y=True)
        if name.startswith("perplexity") or name.startswith("holdout_perplexity"):
            fig.update_yaxes(type="log", nticks=4, tickformat="~s", row=r + 1, col=c + 1, secondary_y=False)
        fig.update_yaxes(showgrid=False, title_text="scaled τ" if c == cols - 1 and regs else None,
                         title_standoff=2, title_font=dict(size=11),
                         range=[-1.1, 1.1] if scaled and regs else None,
                         tickvals=[-1, -0.5, 0, 0.5, 1] if scaled and regs else None,
                         row=r + 1, col=c + 1, secondary_y=True)
    if current is not None:
        fig.add_vline(x=current, line=dict(color=MUTED, dash="dash", width=1), row="all", col="all")
    last = int(scores["iteration"].max())
    if total and total <= max(200, 2 * last):  # grow into the planned range unless it is far away
        fig.update_xaxes(range=[0.5, max(total, last) + 0.5])
    fig.update_xaxes(title_text=None)
    fig.update_xaxes(title_text="iteration", title_standoff=4, title_font=dict(size=11), row=rows)
    return styled(fig, height=height or 260 * rows + 110).update_layout(margin_t=30)  # room for subplot titles


def tau_trajectories(values: dict[str, Sequence[float]], *, current: int | None = None,
                     height: int = 220, x: Sequence[int] | None = None) -> go.Figure:
    """τ of each regularizer over iterations 1..n (planned trajectory).

    Parameters
    ----------
    values : dict name -> sequence of τ values (iteration 1 first, or at the iterations ``x``)
    current : int, optional — iteration to mark
    x : iterations the values belong to (default 1..n); a long plan is drawn from a few
        hundred of them (see :func:`plan_iterations`), not from every iteration
    """
    if not values:
        return empty("No regularizer enabled.", height=height)
    fig = go.Figure()
    colors = topic_colors(len(values) + 1)[1:]
    for (name, v), color in zip(values.items(), colors):
        v = np.asarray(v, dtype=float)
        fig.add_trace(go.Scatter(x=np.arange(1, len(v) + 1) if x is None else np.asarray(x), y=v, mode="lines", name=name,
                                 line=dict(color=color, width=2, shape="linear"),
                                 hovertemplate=f"{name}<br>iteration %{{x}}: τ = %{{y:.4g}}<extra></extra>"))
    fig.add_hline(y=0, line=dict(color=MUTED, width=1))
    if current is not None:
        fig.add_vline(x=current, line=dict(color=MUTED, dash="dash", width=1))
    fig.update_xaxes(title_text="iteration")
    fig.update_yaxes(title_text="τ")
    return styled(fig, height=height, legend=len(values) > 1)
