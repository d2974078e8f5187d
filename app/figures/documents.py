"""Document figures: θ_d bars, the per-token p(t|d,w) heatmap and topic-highlighted text."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import BACKGROUND_TOPIC, empty, styled, topic_colors


def theta_bar(theta_d: np.ndarray, labels: Sequence[str], *, background: Sequence[bool] | None = None,
              min_share: float = 0.0, height: int = 260) -> go.Figure:
    """θ_d = p(t|d) of one document as bars in percent (topics with share ≥ ``min_share``)."""
    theta_d = np.asarray(theta_d, dtype=float)
    if theta_d.size == 0 or theta_d.sum() <= 0:
        return empty("This document has no topic distribution (empty after filtering).", height)
    colors = topic_colors(len(theta_d))
    keep = np.flatnonzero(theta_d >= min_share)
    keep = keep[np.argsort(-theta_d[keep], kind="stable")]
    fill = [BACKGROUND_TOPIC if background is not None and background[t] else colors[t] for t in keep]
    fig = go.Figure(go.Bar(x=[labels[t] for t in keep], y=100 * theta_d[keep], marker_color=fill,
                           hovertemplate="%{x}: %{y:.1f}%<extra></extra>"))
    fig.update_yaxes(title_text="p(t|d), %")
    fig.update_layout(bargap=0.15 if len(keep) > 6 else 0.6)
    return styled(fig, height=height, legend=False)


def token_heatmap(ptdw: np.ndarray, tokens: Sequence[str], labels: Sequence[str], *, offset: int = 0,
                  height: int | None = None) -> go.Figure:
    """p(t|d,w_i) as a topics × token-positions heatmap, columns in reading order.

    Parameters
    ----------
    ptdw : ndarray of shape (T, n) — column i is the topic distribution of token position
        ``offset + i``.
    tokens : n surface forms (x tick labels when few enough to read)
    labels : T topic labels (rows)
    offset : position of the first column in the document
    """
    ptdw = np.asarray(ptdw, dtype=float)
    if ptdw.size == 0:
        return empty("No token positions to show (bag-of-words input or an empty window).")
    T, n = ptdw.shape
    x = np.arange(offset, offset + n)
    hover = np.broadcast_to(np.asarray(tokens, dtype=object), (T, n))
    fig = go.Figure(go.Heatmap(z=ptdw, x=x, y=list(labels), customdata=hover, colorscale="Viridis",
                               zmin=0, zmax=1, colorbar=dict(title="p(t|d,w)", thickness=12),
                               hovertemplate="#%{x} “%{customdata}”<br>%{y}: %{z:.3f}<extra></extra>"))
    if n <= 80:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=list(tokens), tickangle=-60)
    else:
        fig.update_xaxes(title_text="token position")
    fig.update_yaxes(autorange="reversed")
    return styled(fig, height=height or max(220, 60 + 18 * T) + (60 if n <= 80 else 0), legend=False)


def highlighted_text(text: str, starts: Sequence[int], ends: Sequence[int], topics: Sequence[int],
                     probs: Sequence[float], labels: Sequence[str], *, background: Sequence[bool] | None = None,
                     window: tuple[int, int] | None = None) -> str:
    """HTML of ``text`` with each token coloured by its most probable topic.

    Parameters
    ----------
    text : the original document text
    starts, ends : character offsets of each token position
    topics : argmax_t p(t|d,w_i) of each position
    probs : that maximal probability (sets the colour strength)
    labels : topic labels (shown in the tooltip)
    window : (first, last) positions to show; the text between them is included verbatim.

    Returns
    -------
    str — escaped HTML, safe to render with ``unsafe_allow_html``.
    """
    n = len(starts)
    colors = topic_colors(len(labels))
    lo, hi = (0, n) if window is None else (max(0, window[0]), min(n, window[1]))
    if n == 0 or lo >= hi:
        return f"<div class='artm-doc'>{html.escape(text)}</div>"
    pos = int(starts[lo]) if lo > 0 else 0
    end = int(ends[hi - 1]) if hi < n else len(text)
    out = ["<div class='artm-doc' style='line-height:1.9'>"]
    if lo > 0:
        out.append("… ")
    for i in range(lo, hi):
        s, e, t = int(starts[i]), int(ends[i]), int(topics[i])
        if s > pos:
            out.append(html.escape(text[pos:s]))
        color = BACKGROUND_TOPIC if background is not None and background[t] else colors[t]
        alpha = int(round(40 + 180 * float(probs[i])))
        tip = html.escape(f"#{i} {labels[t]}: {100 * float(probs[i]):.0f}%", quote=True)
        out.append(f"<span title=\"{tip}\" style=\"background:{color}{alpha:02x};border-radius:3px;"
                   f"padding:0 2px\">{html.escape(text[s:e])}</span>")
        pos = e
    if end > pos:
        out.append(html.escape(text[pos:end]))
    if hi < n:
        out.append(" …")
    out.append("</div>")
    return "".join(out)


def topic_legend(labels: Sequence[str], topics: Sequence[int], *, background: Sequence[bool] | None = None) -> str:
    """HTML chips naming the colours used for ``topics``."""
    colors = topic_colors(len(labels))
    chips = []
    for t in dict.fromkeys(int(x) for x in topics):
        color = BACKGROUND_TOPIC if background is not None and background[t] else colors[t]
        chips.append(f"<span style=\"background:{color}cc;border-radius:3px;padding:1px 6px;margin:2px;"
                     f"display:inline-block;font-size:0.85em\">{html.escape(str(labels[t]))}</span>")
    return "".join(chips)
