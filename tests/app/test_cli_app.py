"""`artm-studio app`: the command line it runs, and that the engine never imports Streamlit."""
from __future__ import annotations

import argparse
import subprocess
import sys

from engine.cli import build_parser
from engine.cli.app import command, entry_script


def test_entry_script_found():
    assert entry_script().name == "streamlit_app.py" and entry_script().is_file()


def test_command_line():
    args = build_parser().parse_args(["app", "--port", "8600", "--headless", "--address", "127.0.0.1"])
    cmd = command(args)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("streamlit_app.py")
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "200"
    default = command(argparse.Namespace(port=8501, headless=False, max_upload_mb=50, address=None))
    assert "--server.address" not in default and default[default.index("--server.headless") + 1] == "false"


def test_engine_does_not_import_streamlit():
    code = ("import sys, engine, engine.analysis, engine.cli.app, engine.cli; engine.cli.build_parser(); "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
