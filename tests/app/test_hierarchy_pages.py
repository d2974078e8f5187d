"""The Hierarchy and "How many topics?" pages under AppTest, and their figure functions."""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.figures import hierarchy as hfig
from app.figures import sweep as sfig

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT = 120


def _app_conftest():
    """tests/app/conftest.py loaded by path under its own name (importing ``conftest`` by name
    picks whichever folder's conftest the session loaded first)."""
    spec = importlib.util.spec_from_file_location("_app_conftest_hier", Path(__file__).with_name("conftest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def hier_home(tmp_path_factory):
    """A workspace with the toy corpus and one saved 3 → 6 hierarchy."""
    from engine import ModelConfig, Workspace
    from engine.families.hierarchy import HierarchyOptions, level_configs, save_hierarchy, train_levels
    toy_corpus = _app_conftest().toy_corpus

    root = tmp_path_factory.mktemp("hier_home")
    ws = Workspace(root)
    ws.save_corpus(toy_corpus(), "toy")
    corpus = ws.load_corpus("toy")
    h = train_levels(corpus, level_configs([3, 6], ModelConfig(iterations=10, threads=1)), HierarchyOptions())
    save_hierarchy(ws, h)
    return root, h


@pytest.fixture
def at(hier_home, monkeypatch):
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(hier_home[0]))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    app.switch_page("app_pages/hierarchy.py").run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_tree_tab_and_labels(at, hier_home):
    from engine import Workspace
    from engine.families.hierarchy import load_hierarchy

    root, h = hier_home
    assert at.title[0].value == "Hierarchy"
    assert at.selectbox(key="hier_pick").value == h.hierarchy_id
    at.radio(key="hier_chart").set_value("sunburst").run()
    assert not at.exception
    at.radio(key="hier_chart").set_value("icicle").run()
    assert not at.exception
    # a label saved at level 1 shows in the page after the rerun (stamp = manifest mtime)
    assert at.get("arrow_data_frame") or at.get("data_editor")
    at.selectbox(key="hier_label_level").set_value(1).run()
    ws = Workspace(root)
    from engine.families.hierarchy import set_level_labels
    set_level_labels(ws, h.hierarchy_id, 1, {"topic_1": "Hospitals"})
    try:
        at.run()
        assert not at.exception
        assert load_hierarchy(ws, h.hierarchy_id).levels[1].model.labels["topic_1"] == "Hospitals"
        parent = h.edges(1).set_index("child").loc[1, "parent"]
        at.selectbox(key="hier_parent").set_value(int(parent)).run()
        assert any(o.startswith("Hospitals") for o in at.selectbox(key="hier_child").options)
        at.button(key="hier_save_labels").click().run()   # saving the unedited table keeps it
        assert not at.exception
        assert load_hierarchy(ws, h.hierarchy_id).levels[1].model.labels == {"topic_1": "Hospitals"}
    finally:
        set_level_labels(ws, h.hierarchy_id, 1, {"topic_1": ""})


def test_drill_down_parent_child_document(at, hier_home):
    _, h = hier_home
    kids = h.children(0, 0)
    at.selectbox(key="hier_parent").set_value(0).run()
    assert not at.exception
    assert at.selectbox(key="hier_child").options  # the children of parent 0
    at.selectbox(key="hier_child").set_value(kids[0]).run()
    docs = at.selectbox(key="hier_doc").options
    assert docs
    at.selectbox(key="hier_doc").set_value(at.selectbox(key="hier_doc").options[1]).run()
    assert not at.exception
    assert any("p(t|d,w)" in c.value for c in at.caption)
    at.radio(key="hier_heat_level").set_value(0).run()
    assert not at.exception


def test_psi_and_quality_tabs(at):
    assert at.selectbox(key="hier_psi_level").value == 1
    assert any("parent_child_coherence" in str(df.value.columns.tolist()) for df in at.dataframe)


def test_train_from_the_page(at, hier_home):
    from engine import Workspace
    from engine.families.hierarchy import list_hierarchies

    root, _ = hier_home
    at.text_input(key="hier_levels").set_value("2,4").run()
    at.number_input(key="hier_iterations").set_value(3).run()
    at.button(key="hier_train").click().run()
    assert not at.exception
    deadline = time.time() + 60
    while len(list_hierarchies(Workspace(root))) < 2 and time.time() < deadline:
        time.sleep(0.2)  # polling the background thread's result, not a fixed wait
    assert [m["levels"] for m in list_hierarchies(Workspace(root))].count([2, 4]) == 1


def _wait(cond, timeout=120.0):
    deadline = time.time() + timeout
    while not cond() and time.time() < deadline:
        time.sleep(0.1)  # polling the background job's state, not a fixed wait
    return cond()


def test_levels_train_as_jobs_with_live_tau_stop_and_continue(at, hier_home):
    """Levels are jobs of the server's registry: τ of the parent link edited from the page
    reaches the running level; Stop keeps level 0; Continue finishes the hierarchy."""
    from engine import Workspace
    from engine.families.hierarchy import build as B, list_hierarchies
    from engine.store.runs import load_run
    from app import resources, tasks

    root, _ = hier_home
    ws = Workspace(root)
    n = len(list_hierarchies(ws))
    at.text_input(key="hier_levels").set_value("2,5").run()
    at.number_input(key="hier_iterations").set_value(500).run()
    at.button(key="hier_train").click().run()
    task = tasks.get(at.session_state["hier_task"])
    level1 = lambda: next((e["job"] for e in task.events if e.get("level") == 1 and "job" in e), None)  # noqa: E731
    assert _wait(lambda: level1() is not None and resources.job_registry().get(level1()).snapshot().iteration >= 2)
    job = resources.job_registry().get(level1())
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    at.number_input(key="hier_tau_hierarchy_link").set_value(0.25)
    next(b for b in at.button if "Apply τ" in str(b.label)).click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert _wait(lambda: any(r.tau.get("hierarchy_link") == 0.25 for r in job.snapshot().reports))
    at.button(key="hier_stop").click().run()
    assert _wait(lambda: task.done) and task.result is None
    at.run()
    build = B.list_builds(ws, "toy")[0]
    assert build["status"] == "stopped" and len(list_hierarchies(ws)) == n
    at.button(key=f"hier_resume_{build['build_id']}").click().run()
    assert _wait(lambda: len(list_hierarchies(ws)) == n + 1, timeout=300)
    h = B.load_build(ws, build["build_id"]).assemble(ws.load_corpus("toy"))
    tau = load_run(ws, h.levels[1].run_id).tau
    assert 0.25 in set(tau[tau["regularizer"] == "hierarchy_link"]["tau"])   # the edit is in the run's history


def test_bad_levels_message(at, hier_home):
    from engine import Workspace
    from engine.families.hierarchy import list_hierarchies

    n = len(list_hierarchies(Workspace(hier_home[0])))
    at.text_input(key="hier_levels").set_value("6,3").run()
    at.button(key="hier_train").click().run()
    assert any("fewer than its parent" in str(e.value) for e in at.error)
    assert len(list_hierarchies(Workspace(hier_home[0]))) == n


def test_sweep_page_runs_and_saves(hier_home, monkeypatch):
    from engine import Workspace
    from engine.store.sweeps import list_sweeps

    monkeypatch.setenv("ARTM_STUDIO_HOME", str(hier_home[0]))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    before = {m["sweep_id"] for m in list_sweeps(Workspace(hier_home[0]))}
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app_pages/sweep.py").run()
    assert at.title[0].value == "How many topics?"
    at.text_input(key="sweep_topics").set_value("2,3,4").run()
    at.number_input(key="sweep_starts").set_value(2).run()
    at.number_input(key="sweep_iterations").set_value(5).run()
    at.number_input(key="sweep_selection").set_value(6).run()
    at.button(key="sweep_run").click().run()
    task_id = at.session_state["sweep_task"]
    from app import tasks

    deadline = time.time() + 90
    while time.time() < deadline and not tasks.get(task_id).done:
        time.sleep(0.2)  # waiting on the task's own state
    assert tasks.get(task_id).status == "finished", tasks.get(task_id).error
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    new = {m["sweep_id"] for m in list_sweeps(Workspace(hier_home[0]))} - before
    assert new == {tasks.get(task_id).result}                      # saved in the workspace
    assert at.selectbox(key="sweep_pick").value == tasks.get(task_id).result
    assert at.selectbox(key="sweep_t_pick").options == ["2", "3", "4"]
    assert any("runs in" in c.value for c in at.caption)


def test_saved_sweep_reloads_in_a_fresh_session(hier_home, monkeypatch):
    """A sweep saved by an earlier process: listed and shown with no task in memory."""
    from engine import ModelConfig, Workspace
    from engine.analysis.sweep import run_sweep
    from engine.store.sweeps import save_sweep

    ws = Workspace(hier_home[0])
    corpus = ws.load_corpus("toy")
    res = run_sweep(corpus, [2, 3], starts=2, base=ModelConfig(iterations=5), workers=1)
    saved = save_sweep(ws, res, corpus, topics=[2, 3], starts=2, holdout=0.1, name="from-disk")
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(hier_home[0]))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("app_pages/sweep.py").run()
    assert not at.exception, [e.message for e in at.exception]
    at.selectbox(key="sweep_pick").set_value(saved.sweep_id).run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.selectbox(key="sweep_t_pick").options == ["2", "3"]
    assert any("4 runs in" in c.value for c in at.caption)
    at.selectbox(key="sweep_t_pick").set_value(3).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("stable" in c.value for c in at.caption)   # the per-topic bars from the saved table


# ------------------------------------------------------------------ pure figures

def _tree():
    return pd.DataFrame({
        "node": ["L0:a", "L0:b", "L1:x", "L1:y", "L1:z"], "level": [0, 0, 1, 1, 1],
        "topic": ["a", "b", "x", "y", "z"], "index": [0, 1, 0, 1, 2], "label": ["A", "B", "X", "Y", "Z"],
        "parent": ["", "", "L0:a", "L0:a", "L0:b"], "mass": [0.6, 0.4, 0.3, 0.3, 0.4],
        "psi": [np.nan, np.nan, 0.5, 0.5, 1.0], "top_tokens": ["t1, t2"] * 5})


def test_mass_chart_and_tree_figures():
    d = hfig.topic_mass_chart(_tree(), "sunburst").to_dict()
    assert d["data"][0]["type"] == "sunburst"
    assert list(d["data"][0]["parents"]) == ["", "", "L0:a", "L0:a", "L0:b"]
    assert hfig.topic_mass_chart(_tree(), "icicle").to_dict()["data"][0]["type"] == "icicle"
    g = hfig.tree_graph(_tree(), selected="L1:y").to_dict()
    lines = [t for t in g["data"] if t["mode"] == "lines"]
    assert len(lines) == 3
    nodes = g["data"][-1]
    assert list(nodes["y"]) == [0, 0, -1, -1, -1]
    assert list(nodes["marker"]["line"]["width"]) == [1, 1, 1, 3, 1]
    # children sit under their parent: x and y of a come before z of b
    assert nodes["x"][2] < nodes["x"][4] and nodes["x"][3] < nodes["x"][4]
    assert "Train a hierarchy" in str(hfig.tree_graph(pd.DataFrame()).to_dict()["layout"]["annotations"])


def test_psi_heatmap_marks_strongest_edges():
    psi = pd.DataFrame({"parent": ["A", "B", "A", "B"], "child": ["X", "X", "Y", "Y"],
                        "psi": [0.9, 0.2, 0.1, 0.8], "p_parent": [0.8, 0.2, 0.1, 0.9],
                        "strongest": [True, False, False, True], "edge": [True, True, False, True]})
    d = hfig.psi_heatmap(psi).to_dict()
    assert np.allclose(d["data"][0]["z"], [[0.9, 0.2], [0.1, 0.8]])
    strong = [t for t in d["data"] if t.get("name") == "strongest parent"][0]
    assert list(zip(strong["x"], strong["y"])) == [("A", "X"), ("B", "Y")]
    other = [t for t in d["data"] if t.get("name") == "other edge"][0]
    assert list(zip(other["x"], other["y"])) == [("B", "X")]


def test_sweep_figures():
    summary = pd.DataFrame({"topics": [10, 20, 40], "perplexity": [900.0, 700, 650], "perplexity_std": [5.0, 4, 3],
                            "stability": [0.9, 0.8, 0.5]})
    d = sfig.sweep_curves(summary, {"perplexity": 20, "stability": None}).to_dict()
    titles = [a["text"] for a in d["layout"]["annotations"]]
    assert "Perplexity (train)" in titles and "Stability across starts" in titles
    bends = [t for t in d["data"] if t.get("name") == "bend"]
    assert len(bends) == 1 and list(bends[0]["x"]) == [20]
    sel = sfig.selection_curve(pd.DataFrame({"iteration": [1, 2, 3], "surviving": [12, 8, 5]})).to_dict()
    assert list(sel["data"][0]["y"]) == [12, 8, 5]
    table = pd.DataFrame({"topic": ["t0", "t1"], "stability": [1.0, 0.0], "mean_distance": [0.1, 0.9],
                          "stable": [True, False]})
    bars = sfig.stability_bars(table).to_dict()["data"][0]
    assert list(bars["y"]) == ["t1 ⚠", "t0"]
