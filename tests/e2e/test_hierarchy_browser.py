"""A topic hierarchy in a real browser: train a 2-level hierarchy on the Hierarchy page, then
drill from a parent to a child to a document and see its p(t|d,w) heatmap.

Reuses the session's Streamlit server and Chromium (tests/e2e/conftest.py); waits on page
conditions only. A screenshot goes to tests/artifacts/e2e/hierarchy-drill.png.
"""
from __future__ import annotations

import re

import pytest

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def no_exception(page):
    errors = page.locator("[data-testid='stException']").all_inner_texts()
    assert not errors, errors


def idle(page) -> None:
    """Wait until Streamlit is not running the script (its status widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden(timeout=120_000)


def choose(page, label: str, index: int) -> str:
    """Open the selectbox ``label`` and pick its option number ``index``; returns its text.
    A rerun arriving while the list is open closes it: then open it again (bounded retries)."""
    box = page.get_by_role("combobox", name=label)
    for _ in range(5):
        idle(page)
        box.click()
        option = page.get_by_role("option").nth(index)
        try:
            option.wait_for(state="visible", timeout=10_000)
            text = option.inner_text(timeout=10_000)
            option.click(timeout=10_000)
            expect(box).to_have_value(text, timeout=10_000)
            return text
        except (PlaywrightTimeout, AssertionError):
            page.keyboard.press("Escape")
    raise AssertionError(f"could not choose option {index} of {label!r}")


def plot_types(page) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')]"
                         ".flatMap(el => (el.data || []).map(t => t.type || 'scatter'))")


def test_train_hierarchy_and_drill_to_a_document(server, page):
    page.goto(server + "/data")  # the Data page (the home page is the default one)
    page.get_by_role("heading", name="Data", exact=True).wait_for(timeout=180_000)
    expect(page.get_by_role("combobox", name="Corpus")).not_to_have_value("", timeout=60_000)
    page.get_by_role("link", name="Hierarchy", exact=True).click()
    page.get_by_role("heading", name="Hierarchy", exact=True).first.wait_for()
    no_exception(page)

    levels = page.get_by_label("Topics per level (top first)")
    levels.fill("3,6")
    levels.press("Enter")
    expect(levels).to_have_value("3,6")
    iterations = page.get_by_role("spinbutton", name="Iterations per level")
    iterations.fill("6")
    iterations.press("Enter")
    expect(iterations).to_have_value("6")
    page.get_by_role("button", name="Train hierarchy").click()
    # the fragment polls the background task; when saved, the hierarchy picker appears
    expect(page.get_by_role("combobox", name="Hierarchy")).to_be_visible(timeout=180_000)
    no_exception(page)
    expect(page.get_by_role("combobox", name="Hierarchy")).to_have_value(
        re.compile(r"\[3, 6\]"))

    idle(page)
    page.get_by_role("tab", name="Drill down").click()
    choose(page, "Parent topic", 1)
    expect(page.get_by_role("combobox", name="Child topic")).to_be_visible()
    child = choose(page, "Child topic", 0)
    assert child
    choose(page, "Document", 1)
    expect(page.get_by_text("p(t|d,w) of the first 200 token positions")).to_be_visible()
    expect(page.locator(".js-plotly-plot .heatmaplayer").first).to_be_attached()
    assert "heatmap" in plot_types(page)
    no_exception(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hierarchy-drill.png"), full_page=True)
