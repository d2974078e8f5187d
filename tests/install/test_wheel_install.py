"""The real install: build the wheel, install it into a fresh virtual environment (dependencies
from the package index, nothing from this checkout), start ``artm-studio app`` with no terminal
and check that the landing page is served with the bundled sample corpus imported.

Marked ``install`` and deselected by default (it downloads ~900 MB of dependencies the first
time); ``.ci/run`` runs it on every CI run with ``python -m pytest -m install``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from engine.cli.app import wait_healthy

pytestmark = pytest.mark.install

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ARTM_STUDIO_CHROMIUM", "/usr/bin/chromium")
SHIPPED = ["engine/sample_data/uk_commons_speeches.jsonl.gz", "engine/sample_data/stopwords_commons.txt",
           "engine/corpus/stopwords/en.txt", "engine/corpus/stopwords/fr.txt", "engine/corpus/stopwords/pl.txt",
           "app/streamlit_app.py", "app/app_pages/data.py", "app/assets/screenshot.png"]


def _clean_env() -> dict:
    """The environment of a user who has only the installed package: no PYTHONPATH into this
    checkout, no workspace variables."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "ARTM_STUDIO", "STREAMLIT", "VIRTUAL_ENV"))}
    return env


def _source_copy(dest: Path) -> Path:
    """The files of this checkout that git would commit (tracked and new, not ignored), so no
    stale build/ folder or local artefact can leak into the wheel."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                         cwd=REPO, capture_output=True, check=True)
    for rel in filter(None, out.stdout.decode().split("\0")):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    return dest


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh virtual environment (no system site-packages) with the wheel installed."""
    base = tmp_path_factory.mktemp("install")
    src = _source_copy(base / "src")
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                   check=True, env=_clean_env(), cwd=base)
    wheels = list(dist.glob("artm_studio-*.whl"))
    assert len(wheels) == 1, wheels
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    missing = [n for n in SHIPPED if n not in names]
    assert not missing, f"package data missing from the wheel: {missing}"
    env_dir = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    t0 = time.monotonic()
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheels[0])],
                   check=True, env=_clean_env(), cwd=base)
    print(f"\n[install] wheel + dependencies into a fresh venv: {time.monotonic() - t0:.1f} s")
    return env_dir


def test_installed_package_is_self_contained(venv, tmp_path):
    """The engine imports from site-packages (not this checkout) and imports the sample from it."""
    code = ("import engine, sys; ws = engine.Workspace(sys.argv[1]); "
            "print(engine.__file__); print(engine.ensure_sample_corpus(ws)); "
            "print(ws.load_corpus('uk-commons').n_docs)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code, str(tmp_path / "ws")], cwd=tmp_path,
                         env=_clean_env(), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    path, name, n_docs = out.stdout.split()
    assert Path(path).is_relative_to(venv) and not Path(path).is_relative_to(REPO)
    assert name == "uk-commons" and int(n_docs) > 900


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> float:
    try:
        return wait_healthy(url, proc, timeout)
    except (RuntimeError, TimeoutError) as e:
        raise AssertionError(f"{e}:\n{log.read_text()}") from None


def test_app_serves_sample_without_terminal(venv, tmp_path):
    """``artm-studio app`` from the wheel, detached from any terminal (own session, stdin
    /dev/null), in a working directory with no .streamlit/: healthy, and the browser sees the
    landing page with the sample corpus imported into the workspace."""
    from playwright.sync_api import sync_playwright  # the test extra; only this test drives a browser

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM} (Debian package `chromium`; .ci/run installs it)")
    ws, cwd, log = tmp_path / "ws", tmp_path / "cwd", tmp_path / "server.log"
    cwd.mkdir()
    port = _free_port()
    t0 = time.monotonic()
    with open(log, "w") as out:
        proc = subprocess.Popen([str(venv / "bin" / "artm-studio"), "app", "--workspace", str(ws),
                                 "--port", str(port)], cwd=cwd, env=_clean_env(), stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        healthy = _wait_healthy(url, proc, log, timeout=180)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(url)  # the landing page, whichever page is the default
            page.locator("h1").first.wait_for(timeout=240_000)  # its title is drawn
            served = time.monotonic() - t0
            manifest = ws / "corpora" / "uk-commons" / "manifest.json"
            deadline = time.monotonic() + 300
            while not manifest.is_file() and time.monotonic() < deadline:  # imported on first start
                page.wait_for_timeout(250)
            page.goto(url + "/data")  # the Data page lists the workspace's corpora
            page.get_by_text("Corpora in the workspace").first.wait_for(timeout=240_000)
            # the corpora table is a canvas grid: its cells exist for assistive technology only
            page.get_by_text("uk-commons").first.wait_for(state="attached", timeout=240_000)
            print(f"\n[install] artm-studio app from the wheel: healthy after {healthy:.1f} s, landing page "
                  f"drawn after {served:.1f} s, sample listed after {time.monotonic() - t0:.1f} s")
            # the launcher's theme reached the browser: its text colour #1f2430 and secondary
            # background #f3f5f9 (Streamlit's defaults are #31333f and #f0f2f6) are in use
            colours = set(page.evaluate("""() => { const c = new Set();
                for (const e of document.querySelectorAll('*')) {
                    const s = getComputedStyle(e); c.add(s.color); c.add(s.backgroundColor); }
                return [...c]; }"""))
            browser.close()
        assert {"rgb(31, 36, 48)", "rgb(243, 245, 249)"} <= colours, f"theme not applied: {colours}"
        assert (ws / "corpora" / "uk-commons" / "manifest.json").is_file()
        text = log.read_text()
        assert "Welcome to Streamlit" not in text and "Email" not in text
        assert proc.poll() is None, text
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
