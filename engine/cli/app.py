"""``artm-studio app``: start the dashboard (``streamlit run app/streamlit_app.py``) on a workspace.

The engine never imports Streamlit: the server runs as a child process ``python -m streamlit
run <entry script>``, with the workspace passed through ``ARTM_STUDIO_HOME``. Every setting the
app needs (headless, no usage statistics, theme, upload limit) is passed by this launcher as
command-line flags, which take precedence over any ``.streamlit/config.toml``; so the app looks
and behaves the same from an editable or a wheel install, from any working directory, with or
without a terminal (nohup, a container, CI, a service). It never prompts.
"""
from __future__ import annotations

import importlib.util
import ipaddress
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from engine.errors import InputError
from engine.store.workspace import default_root

#: Streamlit settings applied by the launcher (the repository's ``.streamlit/config.toml`` holds
#: the same values for a plain ``streamlit run``; a test keeps the two equal).
SETTINGS: dict[str, str] = {
    "server.headless": "true",            # never prompt for an e-mail, never open a browser
    "server.runOnSave": "false",
    "server.fileWatcherType": "none",
    "server.enableXsrfProtection": "true",  # forms and uploads need the session's XSRF token
    "server.enableCORS": "true",           # no cross-origin requests to the server
    "server.enableStaticServing": "false",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "true",    # off when the server is exposed beyond this machine
    "theme.base": "light",
    "theme.primaryColor": "#3b5bdb",
    "theme.backgroundColor": "#ffffff",
    "theme.secondaryBackgroundColor": "#f3f5f9",
    "theme.textColor": "#1f2430",
    "theme.font": "sans serif",
}

DEFAULT_HOST = "127.0.0.1"

EXPOSED_WARNING = (
    "warning: ARTM Studio is listening on {host}:{port}, reachable from other machines. It has no "
    "login of its own: anyone who can reach this port can read the workspace and start jobs. Put it "
    "behind a reverse proxy with authentication (README, 'Exposing the dashboard'); error details are "
    "hidden from the browser while exposed.")


def entry_script() -> Path:
    """Path of ``app/streamlit_app.py`` (installed package, else next to ``engine/``)."""
    spec = importlib.util.find_spec("app")
    candidates = []
    if spec is not None:
        for loc in spec.submodule_search_locations or []:
            candidates.append(Path(loc) / "streamlit_app.py")
    candidates.append(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
    for c in candidates:
        if c.is_file():
            return c
    raise InputError("cannot find app/streamlit_app.py in this installation; reinstall with `pip install artm-studio`")


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine (127.x, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: may resolve to anything, treat as exposed


def settings(host: str) -> dict[str, str]:
    """:data:`SETTINGS` for a server bound to ``host`` (error details off unless loopback)."""
    out = dict(SETTINGS)
    if not is_loopback(host):
        out["client.showErrorDetails"] = "false"
    return out


def command(args, script: Path | None = None) -> list[str]:
    """The ``python -m streamlit run ...`` command line for ``args``."""
    script = script or entry_script()
    host = args.host or DEFAULT_HOST
    if args.port is None or not 0 < int(args.port) < 65536:
        raise InputError(f"--port {args.port}: use a port number between 1 and 65535")
    if int(args.max_upload_mb) < 1:
        raise InputError(f"--max-upload-mb {args.max_upload_mb}: use a size of at least 1 MB")
    cmd = [sys.executable, "-m", "streamlit", "run", str(script),
           "--server.port", str(int(args.port)), "--server.address", host,
           "--server.maxUploadSize", str(int(args.max_upload_mb))]
    for key, value in settings(host).items():
        cmd += [f"--{key}", value]
    return cmd


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = 120.0) -> float:
    """Wait until the Streamlit server at ``url`` answers ``/_stcore/health`` with ``ok``; the
    seconds waited. Raises RuntimeError when ``proc`` (the server) exits first, TimeoutError after
    ``timeout`` seconds. For scripts and tests that start ``artm-studio app`` themselves."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"no healthy server at {url} after {timeout:g} s")


def run_app(args) -> int:
    root = (Path(args.workspace).expanduser() if args.workspace else Path(default_root())).resolve()
    root.mkdir(parents=True, exist_ok=True)
    script = entry_script()
    cmd = command(args, script)
    host = args.host or DEFAULT_HOST
    env = dict(os.environ, ARTM_STUDIO_HOME=str(root), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               STREAMLIT_SERVER_HEADLESS="true")
    source = script.parent.parent
    if (source / "pyproject.toml").is_file():  # a source checkout: the server imports this copy
        env["PYTHONPATH"] = os.pathsep.join([str(source)] + [p for p in [env.get("PYTHONPATH")] if p])
    shown = "localhost" if is_loopback(host) else host
    print(f"ARTM Studio on http://{shown}:{args.port}  (workspace {root})", file=sys.stderr)
    if not is_loopback(host):
        print(EXPOSED_WARNING.format(host=host, port=args.port), file=sys.stderr)
    sys.stderr.flush()
    # The working directory is a neutral folder (the workspace), never the installation: no
    # stray .streamlit/config.toml there can override the settings above.
    if os.name == "posix":  # become the server: signals (Ctrl-C, SIGTERM) reach Streamlit directly
        os.chdir(root)
        os.execve(sys.executable, cmd, env)
    proc = subprocess.Popen(cmd, env=env, cwd=str(root), stdin=subprocess.DEVNULL)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=30) or 130
        except subprocess.TimeoutExpired:
            proc.kill()
            return 130


def run_sample(args) -> int:
    from engine.corpus.sample import ensure_sample_corpus, sample_corpus_path  # not needed by `app`
    from engine.store.workspace import Workspace  # (same: `app` starts without the store)

    ws = Workspace(args.workspace)
    name = ensure_sample_corpus(ws)
    print(f"{name}: the bundled sample corpus ({sample_corpus_path().name}) in workspace {ws.root}")
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("app", parents=[common], help="start the web dashboard",
                       description="Start the ARTM Studio dashboard (Streamlit) on the workspace; the "
                                   "bundled sample corpus is imported on first launch. Never prompts; "
                                   "runs without a terminal (nohup, containers, services).")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--host", "--address", dest="host", default=DEFAULT_HOST, metavar="HOST",
                   help="address to bind (default 127.0.0.1, this machine only; --host 0.0.0.0 exposes "
                        "the dashboard to the network, which has no login: see README)")
    p.add_argument("--headless", action="store_true",
                   help="accepted for compatibility: the server is always headless (open the printed URL)")
    p.add_argument("--max-upload-mb", type=int, default=200,
                   help="largest file the browser may upload (default 200 MB; use `artm-studio import` beyond)")
    p.set_defaults(func=run_app)

    p = sub.add_parser("sample", parents=[common], help="import the bundled sample corpus (uk-commons)",
                       description="Import the bundled sample corpus (1,000 UK House of Commons speeches) "
                                   "as 'uk-commons', as the dashboard does on first start; nothing if present.")
    p.set_defaults(func=run_sample)
