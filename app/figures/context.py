"""Figures for topics inside the text: plain vs context token heatmaps, segment boundaries,
segment strips and segment-annotated text. Pure functions: arrays in, Plotly figures / HTML out."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import ACCENT, BACKGROUND_TOPIC, MUTED, empty, styled, topic_colors


def _color(t: int | None, n: int, background: Sequence[bool] | None) -> str:
    if t is None:
        return MUTED
    if background is not None and background[t]:
        return BACKGROUND_TOPIC
    return topic_colors(n)[t]


def compare_token_heatmaps(p_plain: np.ndarray, p_context: np.ndarray, tokens: Sequence[str],
                           labels: Sequence[str], *, offset: int = 0,
                           boundaries: Sequence[int] = (), titles: tuple[str, str] = ("plain ARTM", "context-ARTM"),
                           height: int | None = None) -> go.Figure:
    """Two p(t|d,w_i) heatmaps of the same token positions, one above the other with a shared
    x axis (plain ARTM: norm_t(φ_{w_i t} θ_td); context-ARTM: norm_t(φ_{w_i t} θ_ti)).

    Parameters
    ----------
    p_plain, p_context : ndarray (T, n) — columns are positions ``offset … offset+n−1``
    tokens : n surface forms; labels : T topic labels
    boundaries : segment boundaries (absolute positions; a line is drawn before each)
    """
    a = np.asarray(p_plain, dtype=float)
    b = np.asarray(p_context, dtype=float)
    if a.size == 0 or b.size == 0:
        return empty("No token positions to compare.")
    if a.shape != b.shape:
        raise ValueError(f"heatmaps must have the same shape, got {a.shape} and {b.shape}")
    T, n = a.shape
    x = np.arange(offset, offset + n)
    hover = np.broadcast_to(np.asarray(list(tokens), dtype=object), (T, n))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=list(titles))
    for row, z in ((1, a), (2, b)):
        fig.add_trace(go.Heatmap(z=z, x=x, y=list(labels), customdata=hover, colorscale="Viridis",
                                 zmin=0, zmax=1, showscale=row == 1,
                                 colorbar=dict(title="p(t|d,w)", thickness=12),
                                 hovertemplate="#%{x} “%{customdata}”<br>%{y}: %{z:.3f}<extra></extra>"),
                      row=row, col=1)
        fig.update_yaxes(autorange="reversed", row=row, col=1)
    for i in boundaries:
        if offset <= i < offset + n:
            fig.add_vline(x=i - 0.5, line=dict(color="white", width=2, dash="dot"))
    if n <= 80:
        fig.update_xaxes(tickmode="array", tickvals=x, ticktext=list(tokens), tickangle=-60, row=2, col=1)
    else:
        fig.update_xaxes(title_text="token position", row=2, col=1)
    return styled(fig, height=height or 2 * max(180, 50 + 16 * T) + (60 if n <= 80 else 40), legend=False)


def boundary_plot(scores: np.ndarray, threshold: float, boundaries: Sequence[int] = (), *,
                  tokens: Sequence[str] | None = None, height: int = 200) -> go.Figure:
    """Boundary score before every position (distance between the left and right topic
    contexts) with the threshold and the chosen boundaries."""
    s = np.asarray(scores, dtype=float)
    if s.size == 0:
        return empty("No token positions.", height)
    x = np.arange(len(s))
    text = list(tokens) if tokens is not None else [""] * len(s)
    fig = go.Figure(go.Scatter(x=x, y=s, mode="lines", line=dict(color=ACCENT, width=1.5), customdata=text,
                               hovertemplate="before #%{x} “%{customdata}”: %{y:.2f}<extra></extra>",
                               name="boundary score"))
    fig.add_hline(y=threshold, line=dict(color=MUTED, dash="dash"))
    if len(boundaries):
        bx = [int(i) for i in boundaries]
        fig.add_trace(go.Scatter(x=bx, y=s[bx], mode="markers", marker=dict(color="#d6336c", size=9),
                                 name="boundary", hovertemplate="boundary before #%{x}<extra></extra>"))
    fig.update_yaxes(range=[0, 1.02], title_text="left ≠ right")
    fig.update_xaxes(title_text="token position")
    return styled(fig, height=height, legend=False)


def segment_strip(segments: Sequence[dict], labels: Sequence[str], *,
                  background: Sequence[bool] | None = None, height: int = 110) -> go.Figure:
    """Segments of one document as a horizontal strip over token positions, coloured by each
    segment's main topic (``segments`` as returned by ``engine.families.context.segment``)."""
    segs = [s for s in segments if s.get("n_tokens", 0) > 0]
    if not segs:
        return empty("No segments (no tokens).", height)
    fig = go.Figure()
    T = len(labels)
    for s in segs:
        t = _topic_index(s, labels)
        tops = _tops(s)
        fig.add_trace(go.Bar(
            x=[s["token_end"] - s["token_start"]], base=[s["token_start"]], y=["segments"], orientation="h",
            marker=dict(color=_color(t, T, background), line=dict(color="white", width=2)),
            hovertemplate=f"tokens {s['token_start']}–{s['token_end'] - 1}<br>{html.escape(tops)}<extra></extra>",
            name=labels[t] if t is not None else "—", showlegend=False))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="token position")
    fig.update_yaxes(visible=False)
    return styled(fig, height=height, legend=False)


def _tops(seg: dict) -> str:
    return ", ".join(f"{d.get('label') or d.get('topic')} {100 * float(d['p']):.0f}%"
                     for d in seg.get("top_topics", []))


def _topic_index(seg: dict, labels: Sequence[str]) -> int | None:
    t = seg.get("topic_index")
    if t is not None:
        return int(t)
    th = seg.get("theta")
    if th is not None and len(th) and max(th) > 0:
        return int(np.argmax(th))
    return None


def _share(seg: dict, t: int | None) -> float:
    if t is None:
        return 0.0
    th = seg.get("theta")
    if th is not None and len(th) > t:
        return float(th[t])
    for d in seg.get("top_topics", []):
        if d.get("topic_index", None) == t:
            return float(d["p"])
    tops = seg.get("top_topics", [])
    return float(tops[0]["p"]) if tops else 0.0


def segmented_text(text: str, segments: Sequence[dict], labels: Sequence[str], *,
                   background: Sequence[bool] | None = None, max_chars: int | None = 20000) -> str:
    """HTML of ``text`` split into its segments: each segment tinted with its main topic's
    colour and opened by a chip naming that topic and its share. Escaped; safe to render."""
    if not segments:
        return f"<div class='artm-doc'>{html.escape(text)}</div>"
    T = len(labels)
    out = ["<div class='artm-doc' style='line-height:1.8'>"]
    shown = 0
    for s in segments:
        a, b = int(s["start"]), int(s["end"])
        t = _topic_index(s, labels)
        color = _color(t, T, background)
        share = _share(s, t)
        name = labels[t] if t is not None else "no topic"
        chunk = text[a:b]
        if max_chars is not None and shown + len(chunk) > max_chars:
            chunk = chunk[:max(0, max_chars - shown)] + " …"
        shown += len(chunk)
        tip = html.escape(_tops(s), quote=True)
        out.append(f"<span title=\"{tip}\" style=\"background:{color}33;border-left:3px solid {color};"
                   f"padding:1px 3px;margin-right:1px\">"
                   f"<span style=\"background:{color};color:white;border-radius:3px;padding:0 5px;"
                   f"font-size:0.75em;margin-right:4px\">§{int(s['index']) + 1} {html.escape(str(name))}"
                   f" {100 * share:.0f}%</span>{html.escape(chunk)}</span>")
        if max_chars is not None and shown >= max_chars:
            break
    out.append("</div>")
    return "".join(out)


def segments_table_rows(segments: Sequence[dict], labels: Sequence[str]) -> list[dict]:
    """One plain row per segment for a table: positions, characters, main topic, share, top topics."""
    rows = []
    for s in segments:
        t = _topic_index(s, labels)
        rows.append({
            "segment": int(s["index"]) + 1,
            "tokens": f"{s['token_start']}–{max(s['token_start'], s['token_end'] - 1)}",
            "chars": f"{s['start']}–{s['end']}",
            "topic": labels[t] if t is not None else "",
            "share": _share(s, t),
            "boundary score": float(s.get("boundary_score", 0.0)),
            "top topics": _tops(s),
        })
    return rows
