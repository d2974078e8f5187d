"""The app's side of issue 16: a Resume button for an interrupted run (continues it from its last
checkpoint as a job of the session) and the memory estimate shown before training."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
REPO = Path(__file__).resolve().parents[2]


def _app(home, monkeypatch):
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def interrupted(app_home, tmp_path):
    """A copy of the app workspace plus a run whose trainer was killed (-9) after its first checkpoint."""
    from engine import Workspace
    from engine.store.runs import list_runs

    home = tmp_path / "home"
    shutil.copytree(app_home, home)
    before = {m["run_id"] for m in list_runs(Workspace(home))}
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "engine", "train", "--corpus", "toy", "--topics", "3",
                             "--iterations", "100000", "--name", "killed", "--workspace", str(home)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    new = []
    while not new and time.monotonic() < deadline:  # wait until the run is listed (first checkpoint)
        new = [m for m in list_runs(Workspace(home)) if m["run_id"] not in before]
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert new, "the run never appeared"
    (m,) = [m for m in list_runs(Workspace(home)) if m["run_id"] not in before]
    assert m["status"] == "interrupted"
    return home, m["run_id"]


def test_resume_button_continues_an_interrupted_run(interrupted, monkeypatch):
    from engine.jobs import default_registry

    home, run_id = interrupted
    at = _app(home, monkeypatch)
    at.switch_page("app_pages/runs.py").run()
    at.selectbox(key="runs_selected").select(run_id).run()
    assert not at.exception, [e.message for e in at.exception]
    at.button(key="runs_resume").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["job_id"] == run_id
    job = default_registry().get(run_id)
    snap = job.wait_for(lambda s: s.iteration >= 3, timeout=120)
    assert snap.run_id == run_id
    job.stop(owner=next(iter(job.owners)))  # the session that resumed it owns the job
    assert job.wait(timeout=120).status == "stopped"


def test_finished_runs_have_no_resume_button(app_home, monkeypatch):
    at = _app(app_home, monkeypatch)
    at.switch_page("app_pages/runs.py").run()
    assert not any(b.key == "runs_resume" for b in at.button)


def test_training_page_shows_the_memory_estimate_and_refuses_what_does_not_fit(app_home, monkeypatch):
    import engine.store.budget as budget

    at = _app(app_home, monkeypatch)
    at.switch_page("app_pages/train.py").run()
    captions = " ".join(c.value for c in at.caption)
    assert "Memory: about" in captions and "Φ side" in captions and "available" in captions
    monkeypatch.setattr(budget, "available_memory", lambda: 1 << 20)  # 1 MiB free
    at.run()
    assert any("would not fit in memory" in w.value for w in at.warning)
    assert at.button(key="train_start").disabled
