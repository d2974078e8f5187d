"""Live steering measured in the browser: click → confirmation shown, and click → change
recorded by the job (iterations and seconds), for pause, resume and a τ edit; plus the first
paint of the home page. Real Streamlit server (`python -m engine app`) + Debian's Chromium.

    PYTHONPATH=$PWD python bench/bench_steering.py --topics 60 --repeat 3
    PYTHONPATH=$PWD python bench/bench_steering.py --topics 60 --repeat 3 \
        --corpus ../shared/corpora/20newsgroups/20newsgroups_bydate.jsonl.gz

Prints one table; the load average at the start and the end of the run is printed with it
(numbers measured on a shared machine say so). The corpus is the bundled sample (uk-commons,
~0.01 s per pass) unless --corpus names a file to import first (into the bench's own temporary
workspace, before the server starts; 20 Newsgroups gives ~0.1–0.5 s per pass, so "passes of
lag" mean something).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from engine import Workspace, import_corpus  # noqa: E402
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, _wait_healthy  # noqa: E402

LONG = 300_000


def number(page, pattern: str) -> int:
    loc = page.get_by_text(re.compile(pattern)).first
    loc.wait_for(timeout=LONG)
    return int(re.search(pattern, loc.inner_text()).group(1))


def timed(page, pattern: str, t0: float, after: int = -1) -> tuple[int, float]:
    """(the number in the text matching ``pattern``, seconds since ``t0`` when it showed), waiting
    for a number > ``after`` so the text left by the previous repetition is not taken."""
    deadline = time.monotonic() + LONG / 1000
    while time.monotonic() < deadline:
        loc = page.get_by_text(re.compile(pattern)).first
        loc.wait_for(timeout=LONG)
        m = re.search(pattern, loc.inner_text())
        if m and int(m.group(1)) > after:
            return int(m.group(1)), time.perf_counter() - t0
        page.wait_for_timeout(50)  # polling the page's text; not a fixed wait in a test
    raise TimeoutError(f"no {pattern!r} with a number > {after} within {LONG / 1000:.0f} s")


def server_controls(path: Path) -> dict[str, list[float]]:
    """action → wall-clock times the server's job registry applied it, in order (the lines
    ``engine.jobs control <action> … at=<unix time>`` logged with ARTM_STUDIO_LOG_CONTROLS=1)."""
    out: dict[str, list[float]] = {}
    for m in re.finditer(r"engine\.jobs control (\w+) job=\S+ iteration=\d+ at=([\d.]+)", path.read_text(errors="replace")):
        out.setdefault(m.group(1), []).append(float(m.group(2)))
    return out


def server_runs(path: Path) -> list[tuple[str, float, float]]:
    """(fragment, start, end) of each fragment run the server logged (``run <name> at=… seconds=…``,
    app/resources.py ``timed``): the charts poll, the control strip, the steering form."""
    return [(m.group(1), float(m.group(2)), float(m.group(2)) + float(m.group(3)))
            for m in re.finditer(r"run (\w+) at=([\d.]+) seconds=([\d.]+)", path.read_text(errors="replace"))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--topics", type=int, default=60, help="subject topics (sets the pass time)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--corpus", type=Path, help="a file to import and train on instead of the bundled sample")
    args = ap.parse_args()
    load0 = os.getloadavg()
    home = tempfile.mkdtemp(prefix="bench_steering_")
    port = _free_port()
    env = dict(os.environ, ARTM_STUDIO_HOME=home, PYTHONPATH=str(REPO), ARTM_STUDIO_LOG_CONTROLS="1")
    corpus_name = "uk-commons"
    if args.corpus is not None:
        t = time.perf_counter()
        corpus_name = import_corpus(args.corpus, "bench", workspace=Workspace(home))["name"]
        env["ARTM_STUDIO_NO_SAMPLE"] = "1"  # the imported corpus is the only one, so the one selected
        print(f"imported {args.corpus.name} as {corpus_name!r} in {time.perf_counter() - t:.0f} s", flush=True)
    log = open(Path(home) / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "engine", "app", "--workspace", home, "--port", str(port),
                             "--headless", "--address", "127.0.0.1"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    rows: dict[str, list] = {}
    clicks: dict[str, list[float]] = {}  # action → wall-clock times of the clicks (matched with the server's log)
    try:
        _wait_healthy(url, proc, 120)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            paints = []
            for _ in range(3):
                ctx = b.new_context(viewport={"width": 1440, "height": 1400})
                pg = ctx.new_page()
                t0 = time.perf_counter()
                pg.goto(url)
                pg.get_by_role("heading", name="ARTM Studio").wait_for(timeout=LONG)
                paints.append(time.perf_counter() - t0)
                ctx.close()
            rows["first paint of the home page (s)"] = paints
            ctx = b.new_context(viewport={"width": 1440, "height": 1400})
            pg = ctx.new_page()
            pg.set_default_timeout(LONG)
            pg.goto(url)
            expect(pg.get_by_role("combobox", name="Corpus")).to_have_value(corpus_name, timeout=LONG)
            pg.get_by_role("link", name="Model & training", exact=True).click()
            for label, value in (("Subject topics", args.topics), ("Iterations", 100000)):
                box = pg.get_by_role("spinbutton", name=label, exact=True)
                box.fill(str(value))
                box.press("Enter")
                expect(box).to_have_value(str(value))
            pg.get_by_role("button", name="Start training").click()
            prog = pg.locator("[data-testid='stProgress']").first
            expect(prog).to_contain_text(re.compile(r"running · iteration [3-9]"), timeout=LONG)
            # the browser's main thread: long tasks (> 50 ms) while the job trains and is steered
            pg.evaluate("""() => { window.__busy = []; new PerformanceObserver(l => l.getEntries().forEach(
                e => window.__busy.push(e.duration))).observe({type: 'longtask'}); }""")
            t_steer = time.perf_counter()
            spi = []
            last = 0  # the pass that first used the previous τ edit (a new pause arrives at or after it)
            for i in range(args.repeat):
                seen = int(re.search(r"iteration (\d+)", prog.inner_text()).group(1))  # what the user sees
                t0 = time.perf_counter()
                clicks.setdefault("pause", []).append(time.time())
                pg.get_by_role("button", name="Pause").click()
                k, shown = timed(pg, r"Pause received at iteration (\d+)", t0, last - 1)
                q, done = timed(pg, r"paused at iteration (\d+)", t0, k - 1)
                rows.setdefault("pause: click → confirmation shown (s)", []).append(shown)
                rows.setdefault("pause: click → job paused (s)", []).append(done)
                rows.setdefault("pause: passes after the control reached the job", []).append(q - k)
                rows.setdefault("pause: passes after the iteration shown at the click", []).append(q - seen)
                t0 = time.perf_counter()
                clicks.setdefault("resume", []).append(time.time())
                pg.get_by_role("button", name="Resume").click()
                expect(prog).to_contain_text("running", timeout=LONG)
                rows.setdefault("resume: click → job running (s)", []).append(time.perf_counter() - t0)
                expect(prog).to_contain_text(re.compile(rf"iteration (?!{q} )\d+"), timeout=LONG)
                tau = pg.get_by_role("spinbutton", name="τ", exact=True).first
                tau.fill(str(0.1 + 0.1 * (i + 1)))  # the live form is an st.form: typing reruns nothing
                expect(tau).to_have_value(str(0.1 + 0.1 * (i + 1)))
                seen = int(re.search(r"iteration (\d+)", prog.inner_text()).group(1))
                t0 = time.perf_counter()
                clicks.setdefault("update_config", []).append(time.time())
                pg.get_by_role("button", name="Apply changes to the running job").click()
                k, shown = timed(pg, r"Applied at iteration (\d+)", t0, q)
                n, done = timed(pg, r"first used by iteration (\d+)", t0, k)
                last = n
                rows.setdefault("τ edit: click → confirmation shown (s)", []).append(shown)
                rows.setdefault("τ edit: click → first pass using it shown (s)", []).append(done)
                rows.setdefault("τ edit: first pass using it − iteration when it reached the job", []).append(n - k)
                rows.setdefault("τ edit: first pass using it − iteration shown at the click", []).append(n - seen)
                spi.append(float(re.search(r"([\d.]+) s per iteration", prog.inner_text()).group(1)))
            rows["seconds per pass during the run"] = spi
            busy = pg.evaluate("() => window.__busy.reduce((a, b) => a + b, 0)") / 1000
            rows["browser: share of the steering time in long tasks (%)"] = [100 * busy / (time.perf_counter() - t_steer)]
            pg.get_by_role("button", name="Stop").click()
            pg.get_by_text(re.compile("run saved")).wait_for(timeout=LONG)
            b.close()
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()
    received = server_controls(Path(home) / "server.log")
    for action, label in (("pause", "pause"), ("resume", "resume"), ("update_config", "τ edit")):
        for clicked, got in zip(clicks.get(action, []), received.get(action, [])):
            rows.setdefault(f"{label}: click → control received by the job (s, server log)", []).append(got - clicked)
    runs = server_runs(Path(home) / "server.log")
    for name, what in (("status", "progress poll"), ("charts", "charts poll"), ("steer", "steering form")):
        took = [b - a for n, a, b in runs if n == name]
        if took:
            rows[f"server: one {what} run (s)"] = took
    for action, label, own in (("pause", "pause", "controls"), ("update_config", "τ edit", "steer")):
        for clicked, got in zip(clicks.get(action, []), received.get(action, [])):
            # a click's rerun waits for the fragment run in progress (Streamlit runs one at a time per session)
            rows.setdefault(f"{label}: of which spent waiting for polls (s)", []).append(
                sum(max(0.0, min(b, got) - max(a, clicked)) for n, a, b in runs if n in ("status", "charts")))
    load = os.getloadavg()
    print(f"corpus={corpus_name} topics={args.topics} repeat={args.repeat} load average (1/5/15 min) "
          f"at the start {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    print(f"| measure | median | min | max |\n|---|---|---|---|")
    for k, v in rows.items():
        print(f"| {k} | {statistics.median(v):.2f} | {min(v):.2f} | {max(v):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
