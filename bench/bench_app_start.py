"""Issue 6 target 6: time from launching ``artm-studio app`` to the first page on screen, and
the first-ever numba compile time.

Run with the product's Python (it needs streamlit and playwright, which ``bench/.venv`` lacks)::

    python bench/bench_app_start.py                 # 3 rounds, then the compile timing
    python bench/bench_app_start.py --rounds 5 --no-cold-app

What is measured (wall time, ``time.monotonic``):

* **app start** — from just before ``artm-studio app --port <free> --headless`` is spawned to
  the moment the Data page's title (the ``Data`` heading) is visible in Debian Chromium driven by
  Playwright. The browser is started before the clock (a user's browser is already open); the
  page is requested as soon as ``/_stcore/health`` answers, like a browser that retries. Each
  round uses a fresh ``ARTM_STUDIO_HOME``:

  - *first launch*: the bundled sample corpus is imported before the first page is drawn;
  - *second launch*: the same workspace again (sample already there) — the everyday start.

  Both use the normal numba cache, warmed beforehand by ``engine.warmup()``. Optionally
  (default on) one *first-ever launch*: a fresh ``NUMBA_CACHE_DIR`` too, so the server compiles
  every kernel before the first page.
* **numba compile** — ``engine.warmup()`` in a fresh subprocess with ``NUMBA_CACHE_DIR`` set to a
  new empty folder (first-ever compile), then again in another subprocess on that folder (cache
  load), plus the ``import engine`` time of each.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ARTM_STUDIO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

WARMUP_SNIPPET = """
import time
t0 = time.perf_counter()
import engine
t1 = time.perf_counter()
engine.warmup()
t2 = time.perf_counter()
from engine import context
context.compile_kernels()
t3 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {t3 - t2:.4f}")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_command(port: int) -> list[str]:
    exe = shutil.which("artm-studio")
    base = [exe] if exe else [sys.executable, "-m", "engine"]
    return base + ["app", "--port", str(port), "--headless", "--address", "127.0.0.1"]


def launch(browser, home: Path, numba_dir: Path | None, log: Path, timeout: float) -> dict:
    """Seconds from spawning the server to /_stcore/health = ok and to the visible Data heading."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ARTM_STUDIO_HOME=str(home))
    env.pop("ARTM_STUDIO_NO_SAMPLE", None)
    if numba_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_dir)
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    out = open(log, "w")
    t0 = time.monotonic()
    proc = subprocess.Popen(app_command(port), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = t0 + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with code {proc.returncode}; see {log}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"no healthy server after {timeout} s; see {log}")
            time.sleep(0.05)
        t_health = time.monotonic() - t0
        page.goto(url, wait_until="commit", timeout=timeout * 1000)
        page.get_by_role("heading", name="Data", exact=True).wait_for(
            state="visible", timeout=max(1.0, deadline - time.monotonic()) * 1000)
        t_page = time.monotonic() - t0
    finally:
        context.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
    return {"health": t_health, "page": t_page}


def warmup_seconds(numba_dir: Path | None) -> tuple[float, float, float]:
    """(import engine, engine.warmup(), engine.warmup()) seconds in a fresh
    interpreter (the app calls only engine.warmup() at start; context kernels compile on first use)."""
    env = dict(os.environ)
    if numba_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(numba_dir)
    res = subprocess.run([sys.executable, "-c", WARMUP_SNIPPET], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True)
    a, b, c = res.stdout.split()[-3:]
    return float(a), float(b), float(c)


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} / {min(values):6.2f} / {max(values):6.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="first+second launch pairs (default 3)")
    ap.add_argument("--no-cold-app", action="store_true",
                    help="skip the first-ever launch with an empty numba cache")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--compile-only", action="store_true", help="only the numba compile timings")
    args = ap.parse_args(argv)

    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="artm_app_start_"))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    imp, warm, _ = warmup_seconds(None)  # make sure the normal numba cache is warm
    print(f"normal numba cache: import engine {imp:.2f} s, engine.warmup() {warm:.2f} s")
    if args.compile_only:
        args.rounds, args.no_cold_app = 0, True

    first, second, health1, health2 = [], [], [], []
    cold = None
    with (sync_playwright() if args.rounds or not args.no_cold_app else _Nothing()) as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS) if p else None
        try:
            for r in range(args.rounds):
                home = tmp / f"home{r}"
                a = launch(browser, home, None, tmp / f"server{r}a.log", args.timeout)
                b = launch(browser, home, None, tmp / f"server{r}b.log", args.timeout)
                first.append(a["page"]), health1.append(a["health"])
                second.append(b["page"]), health2.append(b["health"])
                print(f"round {r + 1}: first launch (sample import) {a['page']:.2f} s "
                      f"(healthy {a['health']:.2f} s); second launch {b['page']:.2f} s "
                      f"(healthy {b['health']:.2f} s)", flush=True)
            if not args.no_cold_app:
                cold = launch(browser, tmp / "home_cold", tmp / "numba_cold_app",
                              tmp / "server_cold.log", args.timeout)
                print(f"first-ever launch (empty numba cache, sample import): {cold['page']:.2f} s "
                      f"(healthy {cold['health']:.2f} s)", flush=True)
        finally:
            if browser is not None:
                browser.close()

    numba_dir = tmp / "numba_cold"
    numba_dir.mkdir()
    imp_c, comp_c, ctx_c = warmup_seconds(numba_dir)
    imp_w, comp_w, ctx_w = warmup_seconds(numba_dir)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print("| measurement | seconds (median / min / max) |")
    print("|---|---|")
    if first:
        print(f"| first launch, sample import, warm numba cache: spawn → Data heading visible "
              f"({args.rounds} runs) | {summary(first)} |")
        print(f"| … of which spawn → /_stcore/health ok | {summary(health1)} |")
        print(f"| second launch (everyday start), warm numba cache: spawn → Data heading visible "
              f"({args.rounds} runs) | {summary(second)} |")
        print(f"| … of which spawn → /_stcore/health ok | {summary(health2)} |")
    if cold is not None:
        print(f"| first-ever launch: empty numba cache + sample import → Data heading visible "
              f"(1 run) | {cold['page']:.2f} |")
    print(f"| first-ever numba compile: engine.warmup(), empty NUMBA_CACHE_DIR | {comp_c:.2f} |")
    print(f"| engine.warmup() from the cache (next process) | {comp_w:.2f} |")
    print(f"| first-ever compile of the context-ARTM kernels (compiled on first use, not at start) "
          f"/ from the cache | {ctx_c:.2f} / {ctx_w:.2f} |")
    print(f"| import engine (cold cache run / warm run) | {imp_c:.2f} / {imp_w:.2f} |")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
