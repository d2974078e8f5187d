"""The one place that styles figures: template, fonts, margins and the topic colour cycle."""
from __future__ import annotations

import colorsys

import plotly.graph_objects as go
from plotly.colors import qualitative

FONT = "Inter, system-ui, -apple-system, Segoe UI, sans-serif"
ACCENT = "#3b5bdb"
MUTED = "#9aa0a6"
BACKGROUND_TOPIC = "#b0b4ba"
def _hex(color: str) -> str:
    """``#rrggbb`` for a ``#rrggbb`` or ``rgb(r, g, b)`` colour (so an alpha suffix can be appended)."""
    if color.startswith("#"):
        return color.lower()
    r, g, b = (int(float(x)) for x in color[color.index("(") + 1:color.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


_GREYS = {"#7f7f7f", "#b3b3b3", "#666666"}  # grey is reserved for background topics
_BASE = [c for c in map(_hex, qualitative.D3 + qualitative.Dark2 + qualitative.Set2) if c not in _GREYS]


def topic_colors(n: int) -> list[str]:
    """``n`` distinct colours: a qualitative palette, then evenly spaced hues past its end."""
    if n <= len(_BASE):
        return list(_BASE[:n])
    extra = []
    for i in range(n - len(_BASE)):
        h = (i * 0.61803398875) % 1.0
        r, g, b = colorsys.hls_to_rgb(h, 0.5, 0.55)
        extra.append(f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}")
    return list(_BASE) + extra


def styled(fig: go.Figure, title: str | None = None, height: int | None = None,
           legend: bool | str = True) -> go.Figure:
    """Apply the shared look to ``fig`` and return it. ``legend``: True — horizontal, at the foot of
    the figure under the x-axis title, the bottom margin sized for its rows (:func:`legend_rows`);
    ``"right"`` — vertical, right of the plot; False — none. Figures do not place the legend
    themselves: this is the one place that knows where the axis titles are."""
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT, size=13),
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=15)) if title else None,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        showlegend=bool(legend),
        hoverlabel=dict(font_family=FONT),
    )
    if height:
        fig.update_layout(height=height)
    if legend == "right":
        fig.update_layout(legend=dict(orientation="v", yref="paper", yanchor="top", y=1.0, xanchor="left", x=1.02,
                                      font=dict(size=11)))
    elif legend:
        # at the foot of the figure (container coordinates), the bottom margin holding the tick labels,
        # the x-axis title if any, and as many legend rows as the entries need at LEGEND_WIDTH pixels
        # (a wider figure only has some blank room; Plotly does not widen margins for such a legend)
        title_px = LEGEND_TITLE_PX if any(ax.title.text for ax in fig.select_xaxes()) else 0
        rows = legend_rows([t.name for t in fig.data if t.showlegend is not False and t.name])
        fig.update_layout(legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, xanchor="left",
                                      x=0.0, font=dict(size=LEGEND_FONT)),
                          margin_b=LEGEND_TICKS_PX + title_px + rows * LEGEND_ROW_PX)
    return fig


#: the legend's font size and the pixel model of its rows (Plotly's horizontal legend: a 40 px symbol and
#: gap per entry, ~0.55 em per character), laid out for the narrowest column a legend is drawn in
LEGEND_FONT, LEGEND_ROW_PX, LEGEND_WIDTH = 12, 24, 560
#: room under the plot for tick labels, and for an x-axis title
LEGEND_TICKS_PX, LEGEND_TITLE_PX = 30, 22


def legend_rows(names: list[str], width: int = LEGEND_WIDTH) -> int:
    """Rows a horizontal legend of these entry names takes at ``width`` pixels (at least 1)."""
    rows, used = 1, 0.0
    for name in dict.fromkeys(names):  # one entry per name (legend groups show theirs once)
        w = 40 + 0.55 * LEGEND_FONT * len(str(name))
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return rows


def empty(message: str, height: int = 240) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(color=MUTED, size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, height=height, legend=False)
