"""The Topics page's per-topic stability: offered only when the run has sibling random starts
(same settings, another seed), and then drawn from engine.run_stability."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from streamlit.testing.v1 import AppTest

from engine import Workspace, run_stability

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TOGGLE = "Stability across random starts"


def _app_conftest():
    """tests/app/conftest.py by path (importing ``conftest`` by name picks whichever folder's
    conftest the session loaded first)."""
    spec = importlib.util.spec_from_file_location("_app_conftest_stab", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _topics_page(home, monkeypatch, run_id):
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["run_id"] = run_id
    at.switch_page("app_pages/topics.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_stability_toggle_only_with_sibling_starts(tmp_path, monkeypatch):
    helpers = _app_conftest()
    toy_corpus, train_run = helpers.toy_corpus, helpers.train_run
    ws = Workspace(tmp_path / "home")
    ws.save_corpus(toy_corpus(), "toy")
    stored = ws.load_corpus("toy")
    lone = train_run(ws, stored, name="lone", n_topics=4, seed=5)
    a = train_run(ws, stored, name="start-1", seed=1)
    train_run(ws, stored, name="start-2", seed=2)
    train_run(ws, stored, name="start-3", seed=3)
    expected = run_stability(ws, a.run_id)
    assert expected is not None and run_stability(ws, lone.run_id) is None

    at = _topics_page(ws.root, monkeypatch, lone.run_id)
    assert TOGGLE not in [t.label for t in at.toggle]  # no other starts: nothing to offer

    at = _topics_page(ws.root, monkeypatch, a.run_id)
    toggle = next(t for t in at.toggle if t.label == TOGGLE)
    toggle.set_value(True).run()
    assert not at.exception, [e.message for e in at.exception]
    chart = at.get("plotly_chart")[-1]
    assert "reappears" in chart.proto.spec  # the stability bars
    assert "Compared with 2 other start(s)" in " ".join(c.value for c in at.caption)
