"""The Seed words page under AppTest: lexicon status, seeded training through the job registry,
diagnostics, documents, trends and export — on a private copy of the toy workspace."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "app_pages" / "seeds.py")
TIMEOUT = 120
# The page is not registered in the entry script yet: a tiny host script does what the entry
# script does for it (session keys, the selected corpus) and runs the page file.
HOST = f"""
import runpy
import streamlit as st
from app import state
state.init()
if not st.session_state.get(state.CORPUS):
    st.session_state[state.CORPUS] = "toy"
runpy.run_path({PAGE!r}, run_name="__main__")
"""


@pytest.fixture
def home(app_home, tmp_path, monkeypatch):
    root = tmp_path / "home"
    shutil.copytree(app_home, root)
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(root))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return root


def _app():
    at = AppTest.from_string(HOST, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at):
    return " ".join(str(m.value) for m in list(at.markdown) + list(at.caption) + list(at.info))


def test_lexicon_status_and_unknown_seed_suggestions(home):
    at = _app()
    assert at.title[0].value == "Seed words"
    at.text_area(key="seeds_text").input("economy: tax, budgets, taxx\nhealth: hospital, doctors").run()
    assert not at.exception, [e.message for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["seed"]) == ["tax", "budgets", "taxx", "hospital", "doctors"]
    status = dict(zip(table["seed"], table["status"]))
    assert status["tax"] == "✓ found" and status["taxx"] == "✗ missing"
    assert "tax" in dict(zip(table["seed"], table["near matches"]))["taxx"]
    assert "Groups with a found seed" in [m.label for m in at.metric]
    assert "(2 seeded)" in _texts(at)  # one topic per group
    at.radio(key="seeds_preset").set_value("shared").run()
    at.number_input(key="seeds_k").set_value(3).run()
    assert not at.exception
    assert "(3 seeded)" in _texts(at)


def test_train_seeded_model_then_diagnostics(home):
    from engine.jobs import default_registry

    at = _app()
    at.text_area(key="seeds_text").input("economy: tax, budget, inflation\nhealth: hospital, doctors").run()
    at.number_input(key="seeds_extra").set_value(1).run()
    at.number_input(key="seeds_iterations").set_value(8).run()
    at.button(key="seeds_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    job_id = at.session_state["seeds_job"]
    snap = default_registry().get(job_id).wait(timeout=120)
    assert snap.status == "finished"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["seeds_run"] == job_id
    from engine import Workspace
    from engine.store.runs import load_run

    run = load_run(Workspace(home), job_id)
    assert run.model.labels == {"topic_0": "economy", "topic_1": "health"}
    assert any(s.startswith("seed_rank:") for s in run.scores["score"])
    labels = {m.label: m.value for m in at.metric}
    assert labels["Seeded topics flagged ok"].endswith("/ 2")
    assert int(labels["Relevant topics"]) >= 2
    assert "Which topics captured each group" in _texts(at)
    # the Precision tab: the measure per group, and the headline agrees with its table
    assert "Do the seeded topics gather the group's documents?" in _texts(at)
    prec = next(df.value for df in at.dataframe if "P@k" in df.value.columns)
    assert set(prec["group"]) == {"economy", "health"}
    passing = int(((prec["mentions"] >= 25) & (prec["P@k"] >= 0.5)).sum())
    assert labels["Groups gathered by a topic"] == \
        f"{passing} / {int((prec['mentions'] >= 25).sum())}"
    assert int(labels["Groups too rare or thin"]) == int((prec["support"] != "enough").sum())
    at.number_input(key="seeds_user_k").set_value(10).run()
    assert not at.exception, [e.message for e in at.exception]
    prec = next(df.value for df in at.dataframe if "P@k" in df.value.columns)
    assert set(prec["your k"]) == {10}
    # drift per group, documents of another topic, trends, export
    at.selectbox(key="seeds_drift_group").select("health").run()
    assert not at.exception
    at.selectbox(key="seeds_doc_topic").select_index(1).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("<mark" in str(m.value) for m in at.markdown)
    at.selectbox(key="seeds_trend_freq").select("Y").run()
    assert not at.exception
    csv = [b for b in at.get("download_button") if b.proto.label.startswith("Download relevant documents")]
    assert csv


def test_measure_typed_lexicon_against_plain_run(home):
    at = _app()
    from engine import Workspace
    from engine.store.runs import list_runs

    toy_a = [m["run_id"] for m in list_runs(Workspace(home)) if m["name"] == "toy-a"][0]
    at.text_area(key="seeds_text").input("transport: rail, trains").run()
    at.selectbox(key="seeds_run_pick").select(toy_a).run()
    assert not at.exception
    toggle = [t for t in at.toggle if t.label.startswith("Measure the lexicon")][0]
    assert toggle.value is True  # a run without seeds: the typed lexicon is measured
    labels = {m.label: m.value for m in at.metric}
    assert labels["Seeded topics flagged ok"] == "0 / 0" and int(labels["Relevant topics"]) >= 1
