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
           legend: bool = True) -> go.Figure:
    """Apply the shared look to ``fig`` and return it."""
    fig.update_layout(
        template="plotly_white",
        font=dict(family=FONT, size=13),
        title=dict(text=title, x=0.0, xanchor="left", font=dict(size=15)) if title else None,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        showlegend=legend,
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0.0),  # below: never over titles
        hoverlabel=dict(font_family=FONT),
    )
    if height:
        fig.update_layout(height=height)
    if legend and any(ax.title.text for ax in fig.select_xaxes()):
        # Below an x-axis title a legend at paper y = -0.12 sits on the title: put it at the foot of
        # the figure instead (container coordinates) and keep room for ticks + title above it.
        fig.update_layout(legend=dict(yref="container", y=0.0, yanchor="bottom"), margin_b=LEGEND_FOOT)
    return fig


#: bottom margin (px) of a figure with a legend under its x-axis title: tick labels (~20), the
#: title (~22) and one legend row (~26)
LEGEND_FOOT = 84


def empty(message: str, height: int = 240) -> go.Figure:
    """A blank figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(color=MUTED, size=14))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, height=height, legend=False)
