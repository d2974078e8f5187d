"""``artm-studio app``: start the dashboard (``streamlit run app/streamlit_app.py``) on a workspace.

The engine never imports Streamlit: the server runs as a child process ``python -m streamlit
run <entry script>``, with the workspace passed through ``ARTM_STUDIO_HOME``.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from engine.errors import EngineError
from engine.store.workspace import default_root


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
    raise EngineError("cannot find app/streamlit_app.py; reinstall with `pip install -e .`")


def command(args, script: Path | None = None) -> list[str]:
    """The ``python -m streamlit run ...`` command line for ``args``."""
    script = script or entry_script()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script),
           "--server.port", str(args.port),
           "--server.headless", "true" if args.headless else "false",
           "--server.maxUploadSize", str(args.max_upload_mb),
           "--browser.gatherUsageStats", "false"]
    if args.address:
        cmd += ["--server.address", args.address]
    return cmd


def run_app(args) -> int:
    root = Path(args.workspace).expanduser() if args.workspace else default_root()
    root.mkdir(parents=True, exist_ok=True)
    script = entry_script()
    env = dict(os.environ, ARTM_STUDIO_HOME=str(root))
    cmd = command(args, script)
    print(f"ARTM Studio on http://{args.address or 'localhost'}:{args.port}  (workspace {root})", file=sys.stderr)
    sys.stderr.flush()
    if os.name == "posix":  # become the server: signals (Ctrl-C, SIGTERM) reach Streamlit directly
        os.chdir(script.parent.parent)
        os.execve(sys.executable, cmd, env)
    proc = subprocess.Popen(cmd, env=env, cwd=str(script.parent.parent))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            return proc.wait(timeout=30) or 130
        except subprocess.TimeoutExpired:
            proc.kill()
            return 130


def register(sub, common) -> None:
    p = sub.add_parser("app", parents=[common], help="start the web dashboard",
                       description="Start the ARTM Studio dashboard (Streamlit) on the workspace; the "
                                   "bundled sample corpus is imported on first launch.")
    p.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    p.add_argument("--address", default=None, help="address to bind (default: Streamlit's, all interfaces)")
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.add_argument("--max-upload-mb", type=int, default=200,
                   help="largest file the browser may upload (default 200 MB; use `artm-studio import` beyond)")
    p.set_defaults(func=run_app)
