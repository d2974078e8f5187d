"""Seed-word figures: seed drift, coverage per group, capture matrix, topic relevance; and the
HTML of a document with seed and topic words highlighted. Pure: DataFrames in, figures/strings out.
"""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._style import ACCENT, MUTED, empty, styled, topic_colors

SEED_MARK = "#ffd43b"
TOPIC_MARK = "#c5d3ff"


def seed_drift(drift: pd.DataFrame, *, group: str | None = None, max_lines: int = 30,
               height: int | None = 420) -> go.Figure:
    """Rank of each seed word in its topic over iterations (1 = the topic's top word; log axis,
    best at the top).

    Parameters
    ----------
    drift : DataFrame[iteration, topic, term, rank, group] (``engine.families.seeds.workflow.seed_drift``)
    group : draw only this group
    max_lines : at most this many seeds (the best ranked at the last iteration)
    """
    if drift is None or drift.empty:
        return empty("No seed ranks recorded: train with the Seed words page (or seeds-train) to track drift.")
    d = drift if group is None else drift[drift["group"] == group]
    if d.empty:
        return empty(f"No seed ranks for group {group!r}.")
    last = d.sort_values("iteration").groupby(["topic", "term"], sort=False)["rank"].last().sort_values()
    keep = list(last.index[:max_lines])
    colors = topic_colors(len(keep))
    fig = go.Figure()
    for (topic, term), color in zip(keep, colors):
        s = d[(d["topic"] == topic) & (d["term"] == term)].sort_values("iteration")
        g = s["group"].iloc[0] if "group" in s.columns and len(s) else ""
        fig.add_trace(go.Scatter(
            x=s["iteration"], y=s["rank"], mode="lines+markers", name=f"{term} · {g or topic}",
            line=dict(color=color, width=1.8), marker=dict(size=4),
            hovertemplate=f"{html.escape(str(term))} in {html.escape(str(topic))}<br>iteration %{{x}}: rank %{{y}}<extra></extra>"))
    top = float(max(2.0, d["rank"].max()))
    ticks = [v for v in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000) if v <= top * 1.5]
    fig.update_yaxes(type="log", range=[np.log10(top * 1.3), np.log10(0.8)], tickvals=ticks,
                     ticktext=[str(v) for v in ticks], title_text="rank in its topic (1 = top)")
    fig.update_xaxes(title_text="iteration")
    return styled(fig, height=height, legend="right")


def group_coverage(cov: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Horizontal bars: per group, the share of documents mentioning its seeds whose dominant
    topic is one of its topics (DataFrame[group, documents, covered, share])."""
    if cov is None or cov.empty:
        return empty("No group has a seed word in the corpus.")
    d = cov.iloc[::-1]
    colors = [ACCENT if g != "(all)" else MUTED for g in d["group"]]
    fig = go.Figure(go.Bar(
        x=100 * d["share"], y=d["group"], orientation="h", marker_color=colors,
        text=[f"{c}/{n}" for c, n in zip(d["covered"], d["documents"])], textposition="auto",
        hovertemplate="%{y}: %{x:.1f}% of %{text} documents<extra></extra>"))
    fig.update_xaxes(title_text="% of documents mentioning a seed, dominated by the group's topic", range=[0, 100])
    return styled(fig, height=height or max(260, 24 * len(d) + 80), legend=False)


def group_precision(best: pd.DataFrame, threshold: float = 0.5, height: int | None = None) -> go.Figure:
    """Horizontal bars: per group, precision@k of its best seeded topic — the share of the
    topic's top-k documents (by θ_td, k = min(50, mentions)) that mention the group; the rest
    (hatched grey) are candidates beyond the keywords. ``best`` is
    ``engine.families.seeds.precision.best_per_group`` (groups without mentions are left out)."""
    d = best[best["mentions"] > 0] if best is not None else None
    if d is None or d.empty:
        return empty("No group is mentioned in the corpus.")
    d = d.iloc[::-1]
    hits = 100 * d["precision"]
    fig = go.Figure([
        go.Bar(x=hits, y=d["group"], orientation="h", name="mention the group",
               marker_color=[ACCENT if p >= threshold else "#e8590c" for p in d["precision"]],
               customdata=np.stack([d["hits"], d["k_auto"], d["mentions"]], axis=-1),
               hovertemplate="%{y}: %{customdata[0]} of the top %{customdata[1]} documents mention it "
                             "(%{customdata[2]} documents do)<extra></extra>"),
        go.Bar(x=100 - hits, y=d["group"], orientation="h", name="beyond the keywords",
               marker_color=MUTED, opacity=0.45, hovertemplate="%{y}: %{x:.0f}% do not mention it<extra></extra>")])
    fig.add_vline(x=100 * threshold, line_dash="dot", line_color=MUTED)
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text="% of the best topic's top-k documents that mention the group", range=[0, 100])
    return styled(fig, height=height or max(260, 24 * len(d) + 100))


def capture_matrix(capture: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Heatmap group × topic: Σ over the group's seed words of p(t|w) (how much of the group's
    words each topic holds). ``capture`` is ``engine.families.seeds.workflow.seed_capture``."""
    if capture is None or capture.empty:
        return empty("No seed word found in the model.")
    m = capture.pivot_table(index="group", columns="label", values="p_t_w", aggfunc="sum", fill_value=0.0)
    groups = list(dict.fromkeys(capture["group"]))
    topics = list(dict.fromkeys(capture.sort_values("p_t_w", ascending=False)["label"]))
    m = m.reindex(index=groups, columns=topics, fill_value=0.0)
    n_words = capture.groupby("group")["term"].nunique().reindex(groups).to_numpy(np.float64)
    z = m.to_numpy() / n_words[:, None]
    fig = go.Figure(go.Heatmap(
        z=z, x=topics, y=groups, colorscale="Blues", zmin=0, zmax=1, colorbar=dict(title="share"),
        hovertemplate="%{y} → %{x}: %{z:.0%} of the group's seed words<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return styled(fig, height=height or max(260, 26 * len(groups) + 120), legend=False)


def topic_relevance(rel: pd.DataFrame, height: int | None = None) -> go.Figure:
    """Bars: the relevant topics ranked by the probability mass of seed words (seeded topics in
    the accent colour). ``rel`` is ``engine.families.seeds.workflow.relevant_topics``."""
    if rel is None or rel.empty:
        return empty("No topic has a seed word among its top words.")
    d = rel.iloc[::-1]
    fig = go.Figure(go.Bar(
        x=d["relevance"], y=[f"{l} ({t})" if l != t else t for l, t in zip(d["label"], d["topic"])], orientation="h",
        marker_color=[ACCENT if s else MUTED for s in d["seeded"]],
        customdata=np.stack([d["top_words"].astype(str)], axis=-1),
        hovertemplate="%{y}<br>Σ p(seed|t) = %{x:.3f}<br>%{customdata[0]}<extra></extra>"))
    fig.update_xaxes(title_text="Σ p(w|t) over seed words")
    return styled(fig, height=height or max(260, 24 * len(d) + 80), legend=False)


def marked_html(segments, max_chars: int = 4000) -> str:
    """HTML of a document cut into ``(piece, kind)`` segments (``engine.families.seeds.workflow.document_marks``):
    seed words in yellow, topic words in blue, everything escaped."""
    out, n = [], 0
    for piece, kind in segments:
        if n >= max_chars:
            out.append("…")
            break
        piece = piece[: max_chars - n]
        n += len(piece)
        text = html.escape(piece)
        if kind == "seed":
            out.append(f'<mark style="background:{SEED_MARK};padding:0 2px;border-radius:3px">{text}</mark>')
        elif kind == "topic":
            out.append(f'<mark style="background:{TOPIC_MARK};padding:0 2px;border-radius:3px">{text}</mark>')
        else:
            out.append(text)
    body = "".join(out).replace("\n", "<br>")
    return f'<div style="line-height:1.6">{body}</div>'
