"""Figures as Chromium draws them: the intertopic map's labels at 41 topics do not overlap at the
Topics page's column width or a wider one (the label placement's pixel model holds in a browser).

Uses the session's Chromium (tests/e2e/conftest.py) on a static page made by plotly.io.to_html with
the plotly.js bundled in the Python package (no network); waits on page conditions only.
"""
from __future__ import annotations

import numpy as np
import plotly.io as pio
import pytest

from app import figures as F
from tests.app.test_figures import _crowded_map

pytestmark = pytest.mark.e2e

_BOXES = """sel => [...document.querySelectorAll(sel)].map(e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; })"""


def _drawn_boxes(browser, fig, width: int, ready: str, *selectors: str) -> list[list]:
    """``fig`` drawn by Chromium at ``width`` px (plotly.js from the Python package, no network): once
    ``ready`` is on the page, [left, top, right, bottom, text] of the elements of each selector."""
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, default_width=f"{width}px",
                       default_height=f"{fig.layout.height or 450}px")
    context = browser.new_context(viewport={"width": width + 40, "height": 1400})
    try:
        pg = context.new_page()
        pg.set_content(html)
        pg.wait_for_selector(ready)
        return [pg.evaluate(_BOXES, sel) for sel in selectors]
    finally:
        context.close()


@pytest.mark.parametrize("width", [640, 900])
def test_intertopic_map_labels_do_not_overlap_in_the_browser(browser, width):
    df = _crowded_map(41)
    fig = F.intertopic_map(df)
    (boxes,) = _drawn_boxes(browser, fig, width, ".textpoint text", ".textpoint text")
    boxes = [b for b in boxes if b[4]]
    expected = [t for t in fig.data[0].text if t]
    assert sorted(b[4] for b in boxes) == sorted(expected) and len(expected) >= 12
    overlapping = [(a[4], c[4]) for i, a in enumerate(boxes) for c in boxes[i + 1:]
                   if not (a[2] <= c[0] or c[2] <= a[0] or a[3] <= c[1] or c[3] <= a[1])]
    assert overlapping == []
    assert np.isfinite(np.asarray([b[:4] for b in boxes], float)).all()


def _legend_figures():
    import pandas as pd

    from app.figures import seeds as SF

    best = pd.DataFrame({"group": ["europe", "health", "immigration"], "precision": [1.0, 0.96, 0.64],
                         "hits": [50, 48, 19], "k_auto": [50, 50, 30], "mentions": [60, 55, 30]})
    yield "group_precision", SF.group_precision(best)
    df = pd.DataFrame({"token": list("abcdefgh"), "p": np.linspace(0.2, 0.01, 8), "p_corpus": np.full(8, 0.02)})
    yield "top_tokens_bar", F.top_tokens_bar(df, title="war · navy")
    # the Live page's score grid: τ of five regularizers in the legend (two or three rows at its width)
    its = np.arange(1, 41)
    scores = pd.DataFrame([(i, s, float(v)) for s in ("perplexity", "sparsity_phi", "sparsity_theta", "kernel_contrast")
                           for i, v in zip(its, np.linspace(1, 0.2, 40) + 1)], columns=["iteration", "score", "value"])
    regs = ["smooth_background_phi", "smooth_background_theta", "sparse_subject_phi", "sparse_subject_theta",
            "decorrelate_subject"]
    tau = pd.DataFrame([(i, r, 0.1 * (j + 1)) for j, r in enumerate(regs) for i in its],
                       columns=["iteration", "regularizer", "tau"])
    yield "score_curves", F.score_curves(scores, tau, current=40, total=40)
    # Trends: eight topics over two groups
    periods = pd.date_range("2020-01-01", periods=12, freq="MS")
    rows = [(p, g, f"topic {t}", 1 / 8) for g in ("red", "blue") for p in periods for t in range(8)]
    trends = pd.DataFrame(rows, columns=["period", "group", "topic", "share"])
    trends.attrs["freq"] = "M"
    yield "topic_trends", F.topic_trends(trends, labels={f"topic {t}": f"word{t} · other{t}" for t in range(8)})
    # Seed words: rank of each seed over iterations, legend on the right
    drift = pd.DataFrame([(i, "t1", term, r, "health") for term, r in (("nhs", 1), ("hospital", 3), ("doctor", 9))
                          for i in range(1, 11)], columns=["iteration", "topic", "term", "rank", "group"])
    yield "seed_drift", SF.seed_drift(drift)


_LEGEND_FIGURES = ["group_precision", "top_tokens_bar", "score_curves", "topic_trends", "seed_drift"]


@pytest.mark.parametrize("name", _LEGEND_FIGURES)
@pytest.mark.parametrize("width", [620, 900])
def test_legends_never_cover_axis_titles_in_the_browser(browser, name, width):
    """Every figure with a legend shows it whole, inside the figure, off the axis titles (at the
    Live page's left column width and a wider one); figures that place their own legend included."""
    fig = dict(_legend_figures())[name]
    legends, titles, heads, (svg, *_) = _drawn_boxes(browser, fig, width, ".legend", ".legend .bg",
                                                    ".xtitle, .g-xtitle text",
                                                    ".annotation-text, .gtitle",  # subplot and figure titles
                                                    ".main-svg")
    assert legends
    assert all(svg[1] - 1 <= h[1] for h in heads), (heads, svg)  # no title cut at the top
    for lg in legends:
        assert svg[0] - 1 <= lg[0] and lg[2] <= svg[2] + 1 and svg[1] - 1 <= lg[1] and lg[3] <= svg[3] + 1, (lg, svg)
        for t in titles:
            assert lg[3] <= t[1] or t[3] <= lg[1] or lg[2] <= t[0] or t[2] <= lg[0], (lg, t)
