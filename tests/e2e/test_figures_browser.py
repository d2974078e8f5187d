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

_BOXES = """els => els.filter(e => e.textContent).map(e => {
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; })"""


@pytest.mark.parametrize("width", [640, 900])
def test_intertopic_map_labels_do_not_overlap_in_the_browser(browser, width):
    df = _crowded_map(41)
    fig = F.intertopic_map(df)
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, default_width=f"{width}px",
                       default_height=f"{fig.layout.height}px")
    context = browser.new_context(viewport={"width": width + 40, "height": 700})
    try:
        pg = context.new_page()
        pg.set_content(html)
        pg.wait_for_selector(".textpoint text")
        boxes = pg.eval_on_selector_all(".textpoint text", _BOXES)
    finally:
        context.close()
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


@pytest.mark.parametrize("name", ["group_precision", "top_tokens_bar"])
def test_legends_never_cover_axis_titles_in_the_browser(browser, name):
    fig = dict(_legend_figures())[name]
    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, default_width="800px",
                       default_height=f"{fig.layout.height or 450}px")
    context = browser.new_context(viewport={"width": 840, "height": 900})
    try:
        pg = context.new_page()
        pg.set_content(html)
        pg.wait_for_selector(".legend")
        box = """sel => [...document.querySelectorAll(sel)].map(e => {
            const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""
        legends, titles = pg.evaluate(box, ".legend .bg"), pg.evaluate(box, ".xtitle, .g-xtitle text")
        svg = pg.evaluate(box, ".main-svg")[0]
    finally:
        context.close()
    assert legends
    for lg in legends:
        assert lg[3] <= svg[3] + 1  # inside the figure
        for t in titles:
            assert lg[3] <= t[1] or t[3] <= lg[1] or lg[2] <= t[0] or t[2] <= lg[0], (lg, t)
