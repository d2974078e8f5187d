"""End-to-end fixtures: the real Streamlit server (`artm-studio app`) on a free localhost port
with a temporary workspace, and Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from engine import warmup

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "e2e"
CHROMIUM = os.environ.get("ARTM_STUDIO_CHROMIUM", "/usr/bin/chromium")
# Playwright's `expect` gives up after 5 s by default: far too short on a loaded 2-core CI machine.
# Every expectation still ends as soon as its condition holds.
expect.set_options(timeout=90_000)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"no healthy server at {url} after {timeout} s")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the test item (the page fixtures save evidence on failure)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _evidence(request, pg, name: str) -> None:
    """On a failed test: a full-page screenshot of ``pg`` and the server log so far, in ARTIFACTS."""
    rep = getattr(request.node, "rep_call", None)
    if rep is None or not rep.failed:
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = f"FAILED-{request.node.name}-{name}"
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
    except Exception as e:  # noqa: BLE001 - evidence is best effort; the failure itself is already reported
        print(f"no screenshot of {name}: {e}")
    log = getattr(request.config, "_e2e_server_log", None)
    if log is not None and Path(log).exists():
        (ARTIFACTS / f"FAILED-{request.node.name}-server.log").write_text(Path(log).read_text(errors="replace"))


@pytest.fixture(scope="session")
def server_home(tmp_path_factory):
    """The workspace folder the e2e server uses (tests read the saved runs from it)."""
    return tmp_path_factory.mktemp("e2e_home")


@pytest.fixture(scope="session")
def server(server_home, tmp_path_factory, request):
    """Base URL of `artm-studio app` running on a fresh workspace (the sample corpus is imported
    in the background on first page load), allowing two jobs to train at once."""
    home = server_home
    port = _free_port()
    log_path = tmp_path_factory.mktemp("e2e_log") / "server.log"
    log = open(log_path, "w")
    request.config._e2e_server_log = log_path
    env = dict(os.environ, ARTM_STUDIO_HOME=str(home), ARTM_STUDIO_MAX_JOBS="2")
    env.pop("ARTM_STUDIO_NO_SAMPLE", None)
    # Every kernel compiled into numba's on-disk cache before the server starts (returns when
    # done: a condition, not a time). On a fresh checkout the server would otherwise compile them
    # while the first job waits at iteration 0 — minutes on a loaded 2-core machine, longer than
    # the tests' bounds for steering (seen: a cold run stuck at "iteration 0" for 180 s at load 20).
    warmup()
    proc = subprocess.Popen([sys.executable, "-m", "engine", "app", "--workspace", str(home), "--port", str(port),
                             "--headless", "--address", "127.0.0.1"], cwd=REPO, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, timeout=90)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1600}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    return context, pg


@pytest.fixture
def page(browser, request):
    """A page in its own browser context (= its own Streamlit session, its own user)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context, pg = _new_page(browser)
    yield pg
    _evidence(request, pg, "a")
    context.close()


@pytest.fixture
def second_page(browser, request):
    """Another user: a second browser context, so another session with another identity."""
    context, pg = _new_page(browser)
    yield pg
    _evidence(request, pg, "b")
    context.close()
