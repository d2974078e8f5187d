"""`artm-studio app`: the command line it runs, and that the engine never imports Streamlit."""
from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from engine.cli import build_parser
from engine.cli.app import SETTINGS, command, entry_script, is_loopback
from engine.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def _flag(cmd, key):
    return cmd[cmd.index(f"--{key}") + 1]


def test_entry_script_found():
    assert entry_script().name == "streamlit_app.py" and entry_script().is_file()


def test_default_is_headless_localhost_with_theme():
    cmd = command(build_parser().parse_args(["app"]))
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("streamlit_app.py")
    assert _flag(cmd, "server.headless") == "true"            # never the e-mail prompt
    assert _flag(cmd, "browser.gatherUsageStats") == "false"
    assert _flag(cmd, "server.address") == "127.0.0.1"
    assert _flag(cmd, "server.port") == "8501"
    assert _flag(cmd, "server.maxUploadSize") == "200"
    assert _flag(cmd, "theme.primaryColor") == "#3b5bdb"
    assert _flag(cmd, "client.showErrorDetails") == "true"


def test_exposed_host_hides_error_details():
    args = build_parser().parse_args(["app", "--host", "0.0.0.0", "--port", "8600", "--headless"])
    cmd = command(args)
    assert _flag(cmd, "server.address") == "0.0.0.0" and _flag(cmd, "server.port") == "8600"
    assert _flag(cmd, "client.showErrorDetails") == "false"
    old = build_parser().parse_args(["app", "--address", "127.0.0.1"])  # the old spelling still works
    assert _flag(command(old), "server.address") == "127.0.0.1"


@pytest.mark.parametrize("host,loop", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                       ("127.0.0.2", True), ("0.0.0.0", False), ("::", False),
                                       ("192.168.1.5", False), ("myhost.example", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_bad_port_is_one_message():
    with pytest.raises(InputError, match="--port 70000"):
        command(build_parser().parse_args(["app", "--port", "70000"]))


def test_exposed_warning_printed(tmp_path, monkeypatch):
    """The launcher warns before exec'ing Streamlit when bound beyond localhost."""
    import engine.cli.app as app_cli

    seen = {}

    class Exec(Exception):
        pass

    def fake_execve(exe, cmd, env):
        seen.update(cmd=cmd, env=env)
        raise Exec  # stop where the real execve would replace the process

    monkeypatch.setattr(app_cli.os, "name", "posix")
    monkeypatch.setattr(app_cli.os, "execve", fake_execve)
    monkeypatch.chdir(tmp_path)
    args = build_parser().parse_args(["app", "--host", "0.0.0.0", "--workspace", "ws"])
    buf = io.StringIO()
    with contextlib.redirect_stderr(buf), pytest.raises(Exec):
        app_cli.run_app(args)
    assert "warning" in buf.getvalue() and "authentication" in buf.getvalue()
    assert seen["env"]["ARTM_STUDIO_HOME"] == str((tmp_path / "ws").resolve())


def test_repository_config_matches_launcher():
    """`streamlit run app/streamlit_app.py` in the repository looks like `artm-studio app`."""
    cfg = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    flat = {f"{section}.{k}": v for section, values in cfg.items() for k, v in values.items()}
    for key, value in SETTINGS.items():
        if key in flat:
            want = str(flat[key]).lower() if isinstance(flat[key], bool) else str(flat[key])
            assert want == value, key
    assert {k for k in flat if k.startswith("theme.")} == {k for k in SETTINGS if k.startswith("theme.")}


def test_engine_does_not_import_streamlit():
    code = ("import sys, engine, engine.analysis, engine.cli.app, engine.cli; engine.cli.build_parser(); "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_sample_command(tmp_path, capsys):
    from engine.cli import main

    assert main(["sample", "--workspace", str(tmp_path)]) == 0
    assert "uk-commons" in capsys.readouterr().out
    assert (tmp_path / "corpora" / "uk-commons" / "manifest.json").is_file()


def test_server_hardening_flags():
    """XSRF protection and same-origin requests on, no static file serving, and the upload limit
    passed, whatever the host (issue 16)."""
    for argv in (["app"], ["app", "--host", "0.0.0.0", "--max-upload-mb", "50"]):
        cmd = command(build_parser().parse_args(argv))
        assert _flag(cmd, "server.enableXsrfProtection") == "true"
        assert _flag(cmd, "server.enableCORS") == "true"
        assert _flag(cmd, "server.enableStaticServing") == "false"
    assert _flag(cmd, "server.maxUploadSize") == "50" and _flag(cmd, "client.showErrorDetails") == "false"
