"""The sweep page trains its runs as jobs: Stop keeps the finished runs, Continue finishes the
sweep with the result of an uninterrupted one; bad input is one message and nothing is written.
The Hierarchy page adds levels below a saved hierarchy the same way (resumable jobs)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from test_hierarchy_pages import _wait

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT = 120


def _toy_corpus():
    """tests/app/conftest.py's toy corpus, loaded by path (see test_hierarchy_pages.py)."""
    spec = importlib.util.spec_from_file_location("_app_conftest_sweep", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.toy_corpus()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from engine import ModelConfig, Workspace
    from engine.families.hierarchy import HierarchyOptions, level_configs, save_hierarchy, train_levels

    root = tmp_path_factory.mktemp("sweep_home")
    ws = Workspace(root)
    ws.save_corpus(_toy_corpus(), "toy")
    corpus = ws.load_corpus("toy")
    save_hierarchy(ws, train_levels(corpus, level_configs([3], ModelConfig(iterations=5, threads=1)),
                                    HierarchyOptions()))
    return root


def _app(home, monkeypatch, page):
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_stop_keeps_finished_runs_and_continue_equals_an_uninterrupted_sweep(home, monkeypatch):
    from engine import ModelConfig, Workspace
    from engine.analysis.sweep import run_sweep
    from engine.families.starts import list_sweep_builds
    from engine.store.sweeps import list_sweeps, load_sweep
    from app import tasks

    ws = Workspace(home)
    at = _app(home, monkeypatch, "app_pages/sweep.py")
    at.text_input(key="sweep_topics").set_value("2,3").run()
    at.number_input(key="sweep_starts").set_value(2).run()
    at.number_input(key="sweep_iterations").set_value(200).run()
    at.button(key="sweep_run").click().run()
    task = tasks.get(at.session_state["sweep_task"])
    assert _wait(lambda: any("topics" in e for e in task.events) or task.done, timeout=300), task.error
    at.button(key="sweep_stop").click().run()
    assert _wait(lambda: task.done, timeout=300) and task.result is None
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    b = list_sweep_builds(ws, "toy")[0]
    assert b["status"] == "stopped" and 1 <= b["done"] < 4 and list_sweeps(ws) == []
    at.button(key=f"sweep_resume_{b['sweep_id']}").click().run()
    task = tasks.get(at.session_state["sweep_task"])
    assert _wait(lambda: task.done, timeout=300) and task.status == "finished" and task.result == b["sweep_id"], task.error
    saved = load_sweep(ws, b["sweep_id"])
    ref = run_sweep(ws.load_corpus("toy"), [2, 3], starts=2, base=ModelConfig(iterations=200), workers=2)
    cols = [c for c in ref.runs.columns if c != "seconds"]
    pd.testing.assert_frame_equal(saved.runs[cols], ref.runs[cols], check_dtype=False)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="sweep_pick").value == b["sweep_id"]
    assert list_sweep_builds(ws, "toy") == []


@pytest.mark.parametrize("topics, match", [("0,3", "topic counts"), ("ten", "comma-separated"), ("", "topic counts")])
def test_sweep_bad_input_one_message_nothing_written(home, monkeypatch, topics, match):
    from engine import Workspace
    from engine.families.starts import list_sweep_builds

    ws = Workspace(home)
    before = list_sweep_builds(ws, unfinished=False)
    at = _app(home, monkeypatch, "app_pages/sweep.py")
    at.text_input(key="sweep_topics").set_value(topics).run()
    at.button(key="sweep_run").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1 and match in str(at.error[0].value)
    assert at.session_state["sweep_task"] is None if "sweep_task" in at.session_state else True
    assert list_sweep_builds(ws, unfinished=False) == before


def test_extension_from_the_hierarchy_page(home, monkeypatch):
    from engine import Workspace
    from engine.families.hierarchy import list_builds, list_hierarchies, load_hierarchy
    from app import tasks

    ws = Workspace(home)
    hid = list_hierarchies(ws, "toy")[0]["hierarchy_id"]
    at = _app(home, monkeypatch, "app_pages/hierarchy.py")
    at.text_input(key="hier_ext_levels").set_value("2").run()     # fewer topics than the last level
    at.button(key="hier_extend").click().run()
    assert any("fewer than its parent" in str(e.value) for e in at.error)
    assert list_builds(ws, unfinished=False) == [] and len(load_hierarchy(ws, hid).levels) == 1
    at.text_input(key="hier_ext_levels").set_value("5").run()
    at.number_input(key="hier_ext_iterations").set_value(4).run()
    at.button(key="hier_extend").click().run()
    task = tasks.get(at.session_state["hier_task"])
    assert _wait(lambda: task.done, timeout=300) and task.status == "finished", task.error
    h = load_hierarchy(ws, hid)
    assert [lv.n_topics for lv in h.levels] == [3, 5] and h.levels[1].psi.shape == (5, 3)
    assert h.levels[1].run_id is not None                        # the new level is an ordinary run
