"""Topic-hierarchy figures: the tree (node-link), sunburst/icicle of topic mass, Ψ heatmap.
Pure: DataFrames from ``engine.families.hierarchy.tables`` in, ``go.Figure`` out."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._style import ACCENT, MUTED, empty, styled, topic_colors


def _wrap(text: str, width: int = 40) -> str:
    out, line = [], ""
    for w in str(text).split(", "):
        if len(line) + len(w) > width and line:
            out.append(line)
            line = ""
        line = f"{line}, {w}" if line else w
    return "<br>".join(out + [line])


def _colors(tree: pd.DataFrame) -> dict:
    """Every node inherits the colour of its top-level ancestor."""
    top = tree[tree["level"] == 0]
    pal = dict(zip(top["node"], topic_colors(len(top))))
    parent = dict(zip(tree["node"], tree["parent"]))
    out = {}
    for n in tree["node"]:
        a = n
        while parent.get(a):
            a = parent[a]
        out[n] = pal.get(a, MUTED)
    return out


def topic_mass_chart(tree: pd.DataFrame, kind: str = "sunburst", *, height: int = 520) -> go.Figure:
    """Sunburst or icicle: every topic under its strongest parent, sized by its mass share
    (``branchvalues="remainder"``: a parent's own mass plus its children's)."""
    if tree is None or tree.empty:
        return empty("Train a hierarchy to see its topics.")
    cls = go.Icicle if kind == "icicle" else go.Sunburst
    colors = _colors(tree)
    fig = go.Figure(cls(
        ids=tree["node"], labels=tree["label"], parents=tree["parent"], values=tree["mass"],
        branchvalues="remainder", marker=dict(colors=[colors[n] for n in tree["node"]]),
        customdata=np.stack([tree["top_tokens"].map(_wrap), tree["level"].astype(str)], axis=-1),
        hovertemplate="<b>%{label}</b> (level %{customdata[1]})<br>mass %{value:.1%}"
                      "<br>%{customdata[0]}<extra></extra>"))
    return styled(fig, height=height, legend=False)


def _positions(tree: pd.DataFrame) -> dict:
    """x of every node: leaves of each level ordered under their parents, parents centred."""
    pos = {}
    levels = sorted(tree["level"].unique())
    order = {}
    for k in levels:
        sub = tree[tree["level"] == k].copy()
        sub["key"] = [order.get(p, -1) for p in sub["parent"]]
        sub = sub.sort_values(["key", "index"], kind="stable")
        n = len(sub)
        for i, node in enumerate(sub["node"]):
            pos[node] = (i + 0.5) / n
            order[node] = i
    return pos


def tree_graph(tree: pd.DataFrame, edges: pd.DataFrame | None = None, *, selected: str | None = None,
               height: int | None = None) -> go.Figure:
    """Node-link tree: one row per level (top first), marker area ∝ mass, label and top tokens
    on hover; lines from each child to its parents with width ∝ p(child|parent) (``edges``:
    DataFrame[parent_node, child_node, psi, strongest]; default: strongest parents only)."""
    if tree is None or tree.empty:
        return empty("Train a hierarchy to see its topics.")
    pos = _positions(tree)
    colors = _colors(tree)
    if edges is None:
        e = tree[tree["parent"] != ""]
        edges = pd.DataFrame({"parent_node": e["parent"], "child_node": e["node"], "psi": e["psi"],
                              "strongest": True})
    level_of = dict(zip(tree["node"], tree["level"]))
    fig = go.Figure()
    for r in edges.itertuples():
        if r.parent_node not in pos or r.child_node not in pos:
            continue
        fig.add_trace(go.Scatter(
            x=[pos[r.parent_node], pos[r.child_node]], y=[-level_of[r.parent_node], -level_of[r.child_node]],
            mode="lines", hoverinfo="skip", showlegend=False,
            line=dict(color=ACCENT if r.strongest else MUTED, width=0.5 + 6 * float(r.psi),
                      dash=None if r.strongest else "dot")))
    mass = tree["mass"].to_numpy(float)
    size = 10 + 40 * np.sqrt(mass / max(mass.max(), 1e-12))
    fig.add_trace(go.Scatter(
        x=[pos[n] for n in tree["node"]], y=[-int(k) for k in tree["level"]], mode="markers+text",
        text=tree["label"].tolist(), textposition="bottom center", textfont=dict(size=10),
        marker=dict(size=size.tolist(), color=[colors[n] for n in tree["node"]],
                    line=dict(width=[3 if n == selected else 1 for n in tree["node"]], color="#1f2430")),
        customdata=np.stack([tree["node"], tree["top_tokens"].map(_wrap), tree["mass"]], axis=-1),
        hovertemplate="<b>%{text}</b><br>mass %{customdata[2]:.1%}<br>%{customdata[1]}<extra></extra>",
        showlegend=False, name="topics"))
    n_levels = int(tree["level"].max()) + 1
    fig.update_xaxes(visible=False, range=[-0.02, 1.02])
    fig.update_yaxes(tickvals=[-k for k in range(n_levels)], ticktext=[f"level {k}" for k in range(n_levels)],
                     range=[-n_levels + 0.5, 0.4], zeroline=False, showgrid=False)
    return styled(fig, height=height or 170 * n_levels + 80, legend=False)


def psi_heatmap(psi: pd.DataFrame, *, height: int | None = None) -> go.Figure:
    """Ψ = p(child|parent) as a children × parents heatmap; the strongest parent of every child
    marked ●, other kept DAG edges ○ (``psi``: DataFrame[parent, child, psi, strongest, edge])."""
    if psi is None or psi.empty:
        return empty("The top level has no parents (pick a lower level).")
    parents = list(dict.fromkeys(psi["parent"]))
    children = list(dict.fromkeys(psi["child"]))
    z = psi.pivot_table(index="child", columns="parent", values="psi", sort=False).reindex(
        index=children, columns=parents).to_numpy().tolist()
    fig = go.Figure(go.Heatmap(z=z, x=parents, y=children, colorscale="Blues", zmin=0,
                               colorbar=dict(title="ψ = p(s|t)", thickness=12),
                               hovertemplate="parent %{x}<br>child %{y}<br>ψ %{z:.3f}<extra></extra>"))
    for flag, symbol, name in ((True, "circle", "strongest parent"), (False, "circle-open", "other edge")):
        sub = psi[psi["edge"] & (psi["strongest"] == flag)]
        if len(sub):
            fig.add_trace(go.Scatter(x=sub["parent"], y=sub["child"], mode="markers", name=name,
                                     marker=dict(symbol=symbol, size=9, color="#e8590c"),
                                     hoverinfo="skip"))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return styled(fig, height=height or max(300, 18 * len(children) + 120))
