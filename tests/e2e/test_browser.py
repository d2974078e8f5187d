"""The dashboard in a real browser: upload a corpus, train, change τ during training and see the
chart change, then Topics, Documents (heatmap), Trends, and an HTML report from Runs.

Screenshots of every page go to tests/artifacts/e2e/.
"""
from __future__ import annotations

import csv
import random
import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

THEMES = {
    "economy": "tax budget growth inflation market jobs wages bank investment prices".split(),
    "health": "hospital doctors nurses patients care waiting surgery clinic nhs treatment".split(),
    "transport": "rail trains roads buses fares railway station traffic commuters tickets".split(),
}


def write_corpus(path, n=150, seed=3):
    rng = random.Random(seed)
    names = list(THEMES)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "date", "party", "text"])
        for d in range(n):
            main = names[d % 3]
            words = [rng.choice(THEMES[main]) for _ in range(25)] + [rng.choice(THEMES[names[(d + 1) % 3]]) for _ in range(5)]
            text = "The minister said " + " ".join(words) + " in the house today."
            w.writerow([f"s{d:03d}", f"{2016 + d % 4}-{1 + d % 12:02d}-{1 + d % 27:02d}", ["red", "blue"][d % 2], text])


def shot(page, name):
    time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_exception(page):
    errors = page.locator("[data-testid='stException']").all_inner_texts()
    assert not errors, errors


def go(page, title):
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    no_exception(page)


def traces(page):
    """Every Plotly trace on the page: name, type and customdata as numbers (Plotly ≥ 6 ships
    NumPy arrays base64-encoded as {dtype, bdata}; decoded here)."""
    return page.evaluate("""() => {
        const dec = v => {
            if (!v) return [];
            if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v).map(Number);
            if (v.bdata) {
                const bin = atob(v.bdata), buf = new Uint8Array(bin.length);
                for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
                const T = {f8: Float64Array, f4: Float32Array, i8: BigInt64Array, i4: Int32Array, i2: Int16Array,
                           i1: Int8Array, u1: Uint8Array, u2: Uint16Array, u4: Uint32Array}[v.dtype.replace(/[<>|=]/, '')];
                return Array.from(new T(buf.buffer)).map(Number);
            }
            return [];
        };
        return [...document.querySelectorAll('.js-plotly-plot')].flatMap(el => (el.data || []).map(t =>
            ({name: t.name || '', type: t.type || 'scatter', stackgroup: t.stackgroup || null,
              customdata: dec(t.customdata)})));
    }""")


def progress_text(page):
    loc = page.locator("[data-testid='stProgress']")
    return loc.first.inner_text() if loc.count() else ""


def wait_progress(page, pattern, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = progress_text(page)
        if re.search(pattern, text):
            return text
        time.sleep(0.3)
    raise AssertionError(f"progress never matched {pattern!r}; last: {progress_text(page)!r}")


def test_upload_train_steer_inspect_export(page, server, tmp_path):
    # Data: the sample corpus is there on first launch; upload a small CSV and import it.
    page.goto(server)
    page.get_by_role("heading", name="Data", exact=True).wait_for(timeout=180_000)
    expect(page.get_by_role("combobox", name="Corpus")).to_have_value("uk-commons", timeout=60_000)
    no_exception(page)
    src = tmp_path / "speeches.csv"
    write_corpus(src)
    page.locator("input[type='file']").set_input_files(str(src))
    page.get_by_text("Vocabulary @default_class").wait_for()
    page.get_by_role("combobox", name=re.compile("Columns to use as modalities")).click()
    page.get_by_role("option", name="party").click()
    page.keyboard.press("Escape")
    name = page.get_by_label("Corpus name")
    name.fill("e2e-small")
    name.press("Enter")
    shot(page, "01-data-preview")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("combobox", name="Corpus")).to_have_value("e2e-small", timeout=60_000)
    no_exception(page)
    shot(page, "02-data-imported")

    # Training: a long run, pause it, change a τ, resume; the τ overlay shows the new value.
    go(page, "Model & training")
    iterations = page.get_by_role("spinbutton", name="Iterations", exact=True)
    iterations.fill("20000")  # far more than needed: the test pauses, edits τ, resumes and stops it
    iterations.press("Enter")
    time.sleep(1)
    page.get_by_role("button", name="Start training").click()
    wait_progress(page, r"iteration \d+")
    page.get_by_role("button", name="Pause").click()
    wait_progress(page, r"paused")
    before = [t for t in traces(page) if t["name"] == "τ smooth_background_phi"]
    assert before and before[0]["customdata"] and all(abs(v - 0.1) < 1e-9 for v in before[0]["customdata"])
    tau = page.get_by_role("spinbutton", name="τ", exact=True).first
    tau.fill("0.5")
    tau.press("Enter")
    time.sleep(1)
    page.get_by_role("button", name="Apply changes to the running job").click()
    time.sleep(1.5)
    page.get_by_role("button", name="Resume").click()
    deadline = time.monotonic() + 60
    changed = False
    while time.monotonic() < deadline and not changed:
        time.sleep(0.5)
        after = [t for t in traces(page) if t["name"] == "τ smooth_background_phi"]
        changed = bool(after) and any(abs(v - 0.5) < 1e-9 for v in after[0]["customdata"])
    shot(page, "03-training-live")
    assert changed, "the τ chart did not show the edited τ"
    page.get_by_role("button", name="Stop").click()
    wait_progress(page, r"stopped|finished")
    no_exception(page)
    shot(page, "04-training-stopped")

    # Topics: the map and the top tokens.
    go(page, "Topics")
    page.get_by_text("Intertopic distance map").wait_for()
    assert any(t["type"] == "scatter" for t in traces(page))
    shot(page, "05-topics")

    # Documents: the p(t|d,w) heatmap is present.
    go(page, "Documents")
    page.get_by_text("p(t|d,w) for every token position").wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => t.type === 'heatmap'))""")
    shot(page, "06-documents")

    # Trends.
    go(page, "Trends")
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => t.stackgroup))""")
    shot(page, "07-trends")

    # Runs: build and download the standalone HTML report.
    go(page, "Runs")
    page.get_by_role("button", name="Build HTML report").click()
    button = page.get_by_role("button", name="Download report.html")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    target = ARTIFACTS / "report.html"
    info.value.save_as(str(target))
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Intertopic distance map" in html and "Topic trends" in html
    shot(page, "08-runs")
