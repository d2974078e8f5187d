"""The dashboard in a real browser (Chromium, real Streamlit server).

1. Two users at once: A and B (two browser contexts = two sessions) both train; B sees A's job
   read-only and cannot control it; a τ edit by A applies at the next pass after the click and
   pause stops before the next pass — both asserted from the job's own record (the saved run).
2. A new user's path: home → import a CSV → train → Topics, Documents, Trends → the printable
   report, whose body is measured in Chromium to be ≤ 1,200 px wide.

Every wait is on a condition (Playwright's auto-waiting ``expect``/``wait_for``); no sleeps.
Screenshots go to tests/artifacts/e2e/.
"""
from __future__ import annotations

import csv
import random
import re
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from playwright.sync_api import expect

from engine import Workspace
from engine.cli import main as cli_main
from engine.store.runs import load_run, resolve_run_id

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e
LONG = 180_000  # ms: generous bounds for a loaded machine; waits end as soon as the condition holds

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
            w.writerow([f"s{d:03d}", f"{1950 + 3 * d % 60}-{1 + d % 12:02d}-{1 + d % 27:02d}", ["red", "blue"][d % 2], text])


def shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_exception(page):
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def go(page, title, heading=None):
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=heading or title, exact=True).first.wait_for(timeout=LONG)
    no_exception(page)


def progress(page):
    return page.locator("[data-testid='stProgress']").first


def number(page, pattern: str) -> int:
    """Wait for a text matching ``pattern`` (one group of digits) and return that number."""
    loc = page.get_by_text(re.compile(pattern)).first
    loc.wait_for(timeout=LONG)
    return int(re.search(pattern, loc.inner_text()).group(1))


def start_long_job(page):
    """From anywhere: set up a long run on the current corpus and start it; returns its job id."""
    go(page, "Model & training")
    iterations = page.get_by_role("spinbutton", name="Iterations", exact=True)
    iterations.fill("20000")  # far more than needed: the test steers, pauses and stops it
    iterations.press("Enter")
    expect(iterations).to_have_value("20000")
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("heading", name="Live training", exact=True).wait_for(timeout=LONG)
    expect(progress(page)).to_contain_text(re.compile(r"running · iteration [1-9]"), timeout=LONG)
    page.wait_for_url(re.compile(r"job="))
    return parse_qs(urlparse(page.url).query)["job"][0]


def test_two_users_train_at_once_and_only_the_owner_steers(page, second_page, server, server_home):
    a, b = page, second_page
    a.goto(server)
    a.get_by_role("heading", name="ARTM Studio").wait_for(timeout=LONG)
    expect(a.get_by_role("button", name="Train a demo model")).to_be_visible()
    expect(a.get_by_role("combobox", name="Corpus")).to_have_value("uk-commons", timeout=LONG)  # sample imported
    shot(a, "01-home")
    job_a = start_long_job(a)
    expect(progress(a)).to_contain_text(re.compile(r"iteration ([3-9]|\d\d+) /"), timeout=LONG)
    a.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => (t.name || '').startsWith('τ ')))""", timeout=LONG)  # the score chart
    expect(a.get_by_text("Shown after the first iteration.")).to_have_count(0, timeout=LONG)  # top words drawn
    shot(a, "02-live-training")  # the top of the page: progress, controls and charts in view

    b.goto(server)
    b.get_by_role("heading", name="ARTM Studio").wait_for(timeout=LONG)
    expect(b.get_by_role("combobox", name="Corpus")).to_have_value("uk-commons", timeout=LONG)
    job_b = start_long_job(b)
    assert job_a != job_b
    # both train at once: B's job runs, and B's list shows A's job running too
    b.reload()
    expect(progress(b)).to_contain_text("running", timeout=LONG)
    row_a = b.get_by_text(re.compile(r"· running · iteration \d+/\d+ · owner: another session"))
    expect(row_a).to_be_visible(timeout=LONG)

    # B opens A's job: read-only (charts and scores, no controls)
    b.get_by_role("button", name="Watch (read-only)").first.click()
    expect(b.get_by_text(re.compile("Read-only: this job belongs to another session"))).to_be_visible(timeout=LONG)
    expect(b.get_by_role("button", name="Pause")).to_have_count(0)
    expect(b.get_by_role("button", name="Apply changes to the running job")).to_have_count(0)
    expect(b.locator(".js-plotly-plot").first).to_be_visible(timeout=LONG)
    assert parse_qs(urlparse(b.url).query)["job"][0] == job_a

    # A edits τ during training: it applies from the first pass that starts after the click
    tau = a.get_by_role("spinbutton", name="τ", exact=True).first
    expect(tau).to_have_value("0.1")
    tau.fill("0.5")  # the live form is an st.form: typing reruns nothing, "Apply" sends the form
    expect(tau).to_have_value("0.5")
    a.get_by_role("button", name="Apply changes to the running job").click()
    clicked_at = number(a, r"Applied at iteration (\d+)")
    first_new = number(a, r"first used by iteration (\d+)")
    assert clicked_at < first_new <= clicked_at + 2  # the pass in progress, at most, kept the old τ

    # A pauses: the job stops before the next pass
    a.get_by_role("button", name="Pause").click()
    paused_click = number(a, r"Pause received at iteration (\d+)")
    paused_at = number(a, r"paused at iteration (\d+)")
    assert paused_click <= paused_at <= paused_click + 1
    expect(progress(a)).to_contain_text(f"paused · iteration {paused_at} /", timeout=LONG)
    a.get_by_role("button", name="Stop").click()
    expect(a.get_by_text(re.compile(r"stopped at iteration \d+, run saved"))).to_be_visible(timeout=LONG)
    expect(b.get_by_text(re.compile(r"stopped · \d+ iterations"))).to_be_visible(timeout=LONG)  # B follows it
    no_exception(a)
    no_exception(b)

    # the job's own record: τ by pass, and no pass after the pause
    run = load_run(Workspace(server_home), job_a)
    tau_by_it = run.active_tau().query("regularizer == 'smooth_background_phi'").set_index("iteration")["tau"]
    assert tau_by_it[first_new - 1] == pytest.approx(0.1) and tau_by_it[first_new] == pytest.approx(0.5)
    assert np.allclose(tau_by_it[tau_by_it.index >= first_new].to_numpy(), 0.5)
    assert np.allclose(tau_by_it[tau_by_it.index < first_new].to_numpy(), 0.1)
    assert run.iteration == paused_at  # stopped while paused: no pass ran after the pause

    # B stops its own job
    b.goto(f"{server}/live?job={job_b}&sid={parse_qs(urlparse(b.url).query)['sid'][0]}")
    b.get_by_role("button", name="Stop").click()
    expect(b.get_by_text(re.compile(r"stopped at iteration \d+, run saved"))).to_be_visible(timeout=LONG)


def test_new_user_imports_trains_inspects_and_prints_a_report(page, server, server_home, tmp_path):
    page.goto(server)
    page.get_by_role("heading", name="ARTM Studio").wait_for(timeout=LONG)
    page.get_by_role("button", name="Import your corpus").click()
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    src = tmp_path / "speeches.csv"
    write_corpus(src)
    page.locator("input[type='file']").set_input_files(str(src))
    page.get_by_text("Vocabulary @default_class").wait_for(timeout=LONG)
    page.get_by_role("combobox", name=re.compile("Columns to use as modalities")).click()
    page.get_by_role("option", name="party").click()
    page.keyboard.press("Escape")
    name = page.get_by_label("Corpus name")
    name.fill("e2e-small")
    name.press("Enter")
    expect(name).to_have_value("e2e-small")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("combobox", name="Corpus")).to_have_value("e2e-small", timeout=LONG)
    no_exception(page)

    go(page, "Model & training")
    topics = page.get_by_role("spinbutton", name="Subject topics", exact=True)
    topics.fill("3")  # three planted themes (12 topics on 35 words: sparsing empties most of them)
    topics.press("Enter")
    expect(topics).to_have_value("3")
    iterations = page.get_by_role("spinbutton", name="Iterations", exact=True)
    iterations.fill("25")
    iterations.press("Enter")
    expect(iterations).to_have_value("25")
    expect(page.get_by_role("textbox", name="Run name")).to_have_attribute("placeholder", "e2e-small-3-topics")
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("heading", name="Live training", exact=True).wait_for(timeout=LONG)
    expect(progress(page)).to_contain_text("finished · 25 iterations", timeout=LONG)
    expect(page.get_by_role("button", name="Open in Topics")).to_be_enabled(timeout=LONG)
    no_exception(page)

    page.get_by_role("button", name="Open in Topics").click()
    page.get_by_role("heading", name="Topics", exact=True).wait_for(timeout=LONG)
    page.get_by_text("Intertopic distance map").wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => t.type === 'scatter' && t.mode === 'markers+text'))""")
    labels = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .flatMap(el => (el.data || []).filter(t => t.mode === 'markers+text').flatMap(t => [...(t.text || [])]))""")
    assert any(labels) and not any(re.fullmatch(r"(topic|background)_\d+", x) for x in labels)  # names, not ids
    expect(page.get_by_role("combobox", name="Topic", exact=True)).not_to_have_value(re.compile(r"^topic_\d+$"))
    shot(page, "03-topics")

    go(page, "Documents")
    page.get_by_text("p(t|d,w) for every token position").wait_for()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => t.type === 'heatmap'))""")

    go(page, "Trends")
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .some(el => (el.data || []).some(t => t.type === 'scatter' && (t.name || '').length))""")
    names = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
        .flatMap(el => (el.data || []).map(t => t.name || ''))""")
    assert names and not any(n.startswith("background") for n in names)  # background excluded
    shot(page, "04-trends")

    go(page, "Runs")
    page.get_by_role("button", name="Build report (HTML, printable)").click()
    button = page.get_by_role("button", name="Download report.html")
    button.wait_for()
    with page.expect_download() as info:
        button.click()
    target = ARTIFACTS / "report.html"
    info.value.save_as(str(target))
    html = target.read_text(encoding="utf-8")
    body = html.split("<body>", 1)[1]
    assert html.startswith("<!DOCTYPE html>") and "<h2>Topics</h2>" in body and "background:" not in body

    # the report in Chromium at a wide window: its body is at most 1,200 px wide, nothing overflows
    width, overflow = measure_report(page, target, "05-report.png")
    assert width <= 1200 and overflow <= width + 1, (width, overflow)  # nothing sticks out of the body

    # the command line's report of the same run is the same stakeholder page (issue 17)
    run_id = resolve_run_id(Workspace(server_home), "e2e-small-3-topics")
    assert cli_main(["export", run_id, "--workspace", str(server_home), "--format", "html",
                     "--out", str(tmp_path / "cli")]) == 0
    cli_html = (tmp_path / "cli" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Topics</h2>" in cli_html and "background:" not in cli_html.split("<body>", 1)[1]
    width, overflow = measure_report(page, tmp_path / "cli" / "report.html", "06-cli-report.png")
    assert width <= 1200 and overflow <= width + 1, (width, overflow)


def measure_report(page, path, shot_name: str) -> tuple[float, float]:
    """Open the HTML file ``path`` in a 1,600 px window: (body width, rightmost edge of any element
    measured from the body's left), in CSS px."""
    report = page.context.new_page()
    report.set_viewport_size({"width": 1600, "height": 1200})
    report.goto(path.as_uri())
    width = report.evaluate("() => document.body.getBoundingClientRect().width")
    overflow = report.evaluate("() => Math.max(...[...document.body.querySelectorAll('*')]"
                               ".map(e => e.getBoundingClientRect().right)) - document.body.getBoundingClientRect().left")
    report.screenshot(path=str(ARTIFACTS / shot_name))
    report.close()
    return width, overflow
