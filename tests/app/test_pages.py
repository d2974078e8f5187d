"""Every page under Streamlit's AppTest, on a workspace with a toy corpus and two runs."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT = 120  # a cold numba compile is far longer than AppTest's 3 s default


@pytest.fixture
def at(app_home, monkeypatch):
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(app_home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


def _open(at, page):
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at):
    return " ".join(str(m.value) for m in list(at.markdown) + list(at.caption) + list(at.info) + list(at.title))


def test_home_page_offers_demo_and_import(at):
    assert at.title[0].value == "ARTM Studio"
    assert at.button(key="home_demo").label == "Train a demo model"
    assert at.button(key="home_import").label == "Import your corpus"
    assert "steer the model while" in _texts(at)


def test_data_page_lists_corpora(at):
    _open(at, "data")
    assert at.title[0].value == "Data"
    assert at.sidebar.selectbox[0].value == "toy"
    assert any("toy" in str(df.value) for df in at.dataframe)
    assert "artm-studio import" in _texts(at)  # the way in for files over the upload limit


def test_topics_page_tables_and_labels(at):
    _open(at, "topics")
    assert at.title[0].value == "Topics"
    assert at.slider[0].label.startswith("Relevance")
    at.slider[0].set_value(0.4).run()
    assert not at.exception
    assert at.dataframe  # the "All topics" table
    at.toggle[0].set_value(True).run()
    assert not at.exception


def test_topics_page_saves_a_name_used_everywhere(at, app_home):
    """The Topics page's own label-save path: type a name, click "Save"; the run keeps it
    and every selector shows it (never "label — label")."""
    from engine import Workspace
    from engine.store.runs import list_runs, load_run

    ws = Workspace(app_home)
    rid = at.session_state["run_id"]
    _open(at, "topics")
    topic = at.session_state["topic_name"] or "topic_0"
    at.text_input(key=f"topics_label_{topic}").input("Economy").run()
    at.button(key="topics_save_label").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert {m["run_id"]: m for m in list_runs(ws)}[rid]["labels"] == {topic: "Economy"}
    assert load_run(ws, rid).model.labels[topic] == "Economy"
    at.run()
    assert "Economy" in at.selectbox(key="topics_topic").options  # AppTest lists the shown (formatted) options
    _open(at, "documents")
    at.session_state["docs_mode"] = "Top documents of a topic"
    at.run()
    assert "Economy" in at.selectbox(key="docs_topic").options
    _open(at, "topics")
    at.text_input(key=f"topics_label_{topic}").input("").run()
    at.button(key="topics_save_label").click().run()  # empty: back to the automatic name
    assert load_run(ws, rid).model.labels == {}


def test_documents_page_heatmap_and_search(at):
    _open(at, "documents")
    assert at.title[0].value == "Documents"
    assert "coloured by its most probable topic" in _texts(at)
    at.text_input(key="docs_query").input("hospital").run()
    assert not at.exception
    at.number_input(key="docs_doc_number").set_value(5).run()
    assert not at.exception and at.session_state["doc_index"] == 5


def test_trends_page_split_by_party(at):
    _open(at, "trends")
    assert at.title[0].value == "Trends"
    at.selectbox(key="trends_by").select("@party").run()
    assert not at.exception
    assert "largest groups" in _texts(at)
    at.selectbox(key="trends_freq").select("year").run()
    assert not at.exception
    at.selectbox(key="trends_freq").select("decade").run()
    at.number_input(key="trends_smooth").set_value(3).run()
    assert not at.exception, [e.message for e in at.exception]


def test_runs_page_compare_and_report(at):
    _open(at, "runs")
    assert at.title[0].value == "Runs"
    assert "Compare two runs" in " ".join(s.value for s in at.subheader)
    at.button(key="runs_build_report").click().run()
    assert not at.exception
    report = at.session_state["runs_report"][1]
    assert report.startswith("<!DOCTYPE html>") and "<h2>Topics</h2>" in report and "develop over time" in report


def test_training_page_renders(at):
    _open(at, "train")
    assert not at.exception


def test_training_page_starts_steers_and_saves_a_job(at):
    from engine.jobs import default_registry

    _open(at, "train")
    at.number_input(key="train_g0_it").set_value(6).run()
    at.number_input(key="train_g0_T").set_value(3).run()
    at.button(key="train_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    job_id = at.session_state["job_id"]
    assert job_id and at.title[0].value == "Live training" and any("Run “" in s.value for s in at.subheader)
    job = default_registry().get(job_id)
    assert job.snapshot().name == "toy-3-topics"  # the default name counts the subject topics
    snap = job.wait(timeout=120)
    assert snap.status == "finished" and snap.iteration == 6
    _open(at, "live")  # AppTest reruns the page it was told to open; a browser stays on Live training
    at.run()  # the finished run is saved and becomes the run the other pages show
    assert at.session_state["run_id"] == job_id
    at.button(key="live_more").click().run()  # “10 more iterations” revives the finished run
    assert not at.exception
    snap = job.wait_for(lambda s: s.iteration >= 16 and s.done, timeout=120)
    assert snap.iteration == 16
    at.run()
    at.selectbox(key="live_rb_it").select(6).run()
    at.button(key="live_rollback").click().run()  # back to 6, and it stays there
    assert not at.exception, [e.message for e in at.exception]
    snap = job.wait_for(lambda s: s.branches and s.done and s.saved, timeout=120)
    assert snap.iteration == 6 and snap.status == "finished"
    at.run()
    assert "16 → 6" in _texts(at)


def test_training_page_live_tau_edit_applies(app_home, monkeypatch):
    """A τ edited in the live editor reaches the running job's config when "Apply" submits the form."""
    from engine.jobs import default_registry

    monkeypatch.setenv("ARTM_STUDIO_HOME", str(app_home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    at = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    at.run()
    _open(at, "train")
    at.number_input(key="train_g0_it").set_value(100_000).run()
    at.button(key="train_start").click().run()
    job = default_registry().get(at.session_state["job_id"])
    try:
        _open(at, "live")
        at.button(key="live_pause").click().run()
        job.wait_for(lambda s: s.status == "paused", timeout=60)
        at.run()
        key = next(k for k in at.session_state if k.endswith("smooth_background_phi_tau_value") and k.startswith("live_e"))
        at.number_input(key=key).set_value(0.5).run()  # the live form is an st.form: an edit alone sends nothing
        assert job.config.regularizer("smooth_background_phi").tau(1) == pytest.approx(0.1)
        at.number_input(key=key).set_value(0.5)
        at.button(key="live_apply").click().run()  # submitting the form sends the edit
        assert not at.exception, [e.message for e in at.exception]
        reg = job.config.regularizer("smooth_background_phi")
        assert reg.tau(1) == pytest.approx(0.5)
        assert any(s.value.startswith("Applied at iteration") for s in at.success)
        # "Preview" redraws the form (a card removed, one added) and sends nothing
        at.run()
        n_regs = len(job.config.to_dict()["regularizers"])
        rm = next(k for k in at.session_state if k.endswith("_remove") and k.startswith("live_e") and "decorrelate" in k)
        at.checkbox(key=rm).check()
        add = next(k for k in at.session_state if k.endswith("_addkind") and k.startswith("live_e"))
        at.selectbox(key=add).select("SmoothSparseTheta")
        at.button(key="live_preview").click().run()
        assert not at.exception, [e.message for e in at.exception]
        cards = [k for k in at.session_state if k.startswith("live_e") and k.endswith("_enabled")]
        assert not any("decorrelate" in k for k in cards) and any("SmoothSparseTheta_" in k for k in cards), cards
        assert len(job.config.to_dict()["regularizers"]) == n_regs  # nothing sent
    finally:
        job.stop(owner=at.session_state["_owner_id"])
        job.wait(timeout=120)


def test_training_in_context_mode_and_context_panels(at):
    from engine.jobs import default_registry

    _open(at, "train")
    at.session_state["train_reading"] = "context"
    at.number_input(key="train_g0_it").set_value(4).run()
    assert at.number_input(key="train_ctx_window").value == 10.0
    at.button(key="train_start").click().run()
    assert not at.exception, [e.message for e in at.exception]
    job = default_registry().get(at.session_state["job_id"])
    snap = job.wait(timeout=120)
    assert snap.status == "finished", snap.error
    assert snap.saved and any(k.startswith("intratext_coherence") for k in snap.latest_scores()), snap.latest_scores()
    at.run()
    _open(at, "documents")
    at.session_state["docs_extra"] = "Topics inside the text (context-ARTM)"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert "segment" in _texts(at)
    at.session_state["docs_extra"] = "Paste any text"
    at.run()
    at.text_area(key="docs_paste_text").input("Hospital doctors and nurses care for patients; rail fares rise.").run()
    assert not at.exception, [e.message for e in at.exception]


def test_seed_words_page_is_registered(at):
    _open(at, "seeds")


@pytest.mark.parametrize("page,title", [("topics", "Topics"), ("seeds", "Seed words"), ("runs", "Runs"),
                                        ("documents", "Documents")])
def test_a_page_opened_first_uses_the_workspace_corpus_and_run(app_home, monkeypatch, page, title):
    """A link or bookmark straight to a page (its first run in a new session): the sidebar, drawn
    after the page, has not chosen a corpus or run yet — the page must not say there is none."""
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(app_home))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.title[0].value == title
    texts = _texts(app)
    assert "No corpus yet" not in texts and "No trained model for this corpus yet" not in texts
    assert "No saved runs yet" not in texts
    assert app.session_state["corpus_name"] == "toy"


def test_runs_page_compares_two_runs_of_the_same_name(tmp_path, monkeypatch):
    """The same settings trained twice give two runs of one name: the comparison keeps both (it
    crashed on a table with one column name twice, and its score legend merged them)."""
    from engine import Workspace
    from tests.app.conftest import toy_corpus, train_run

    ws = Workspace(tmp_path)
    ws.save_corpus(toy_corpus(), "toy")
    stored = ws.load_corpus("toy")
    ids = [train_run(ws, stored, name="same", seed=s) for s in (1, 2)]
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.switch_page("app_pages/runs.py").run()
    assert not app.exception, [e.message for e in app.exception]
    table = next(df.value for df in app.dataframe if "distance" in df.value.columns)
    assert {c for c in table.columns if c.startswith("same (")} == {f"same ({r.run_id})" for r in ids}


def test_a_corpus_stored_as_batches_is_refused_with_what_to_do(tmp_path, monkeypatch):
    """A corpus imported with --batches is not loaded whole: the engine says so (not "damaged") and
    the pages show that message instead of an exception."""
    import subprocess
    import sys

    from engine import Workspace, WorkspaceError

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "uk_commons_speeches.jsonl.gz"
    subprocess.run([sys.executable, "-m", "engine", "import", str(sample), "--name", "sb", "--batches",
                    "--batch-size", "300", "--workspace", str(tmp_path)], check=True, capture_output=True)
    with pytest.raises(WorkspaceError, match=r"stored as batches.*artm-studio train --corpus sb"):
        Workspace(tmp_path).load_corpus("sb")
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.switch_page("app_pages/seeds.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("stored as batches" in str(e.value) for e in app.error)


def _batched_workspace(path):
    import subprocess
    import sys

    sample = Path(__file__).resolve().parents[2] / "sample_data" / "uk_commons_speeches.jsonl.gz"
    subprocess.run([sys.executable, "-m", "engine", "import", str(sample), "--name", "sb", "--batches",
                    "--batch-size", "300", "--workspace", str(path)], check=True, capture_output=True)


@pytest.mark.parametrize("where", ["here", "local"])
def test_training_page_trains_a_corpus_stored_as_batches(tmp_path, monkeypatch, where):
    """The training page takes a corpus stored as batches: out-of-core options (Θ, online EM, where
    the E-step runs — this server or a Dask LocalCluster) reach the job, which trains and saves."""
    import engine
    from engine.jobs import default_registry

    _batched_workspace(tmp_path)
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    app = AppTest.from_file(ENTRY, default_timeout=TIMEOUT)
    app.switch_page("app_pages/train.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert "stored as 4 batches" in _texts(app)
    app.number_input(key="train_g0_it").set_value(3).run()
    app.number_input(key="train_g0_T").set_value(4).run()
    app.segmented_control(key="train_ooc_theta").set_value("none").run()
    if where == "local":
        app.radio(key="train_ooc_where").set_value("local").run()
        app.number_input(key="train_ooc_workers").set_value(1).run()
    app.button(key="train_start").click().run()
    assert not app.exception, [e.message for e in app.exception]
    job = default_registry().get(app.session_state["job_id"])
    snap = job.wait(timeout=300)
    assert snap.status == "finished" and snap.iteration == 3, snap.error
    run = engine.load_run(engine.Workspace(tmp_path), snap.run_id)
    cfg = run.manifest()["config"]
    opts = cfg["options"]
    assert cfg["family"] == "batched" and opts["theta"] == "none"
    assert opts["dask"] == ("local:1" if where == "local" else None)
    assert run.model.phi.shape[1] == 5  # 4 subject topics + the preset's background topic
    # Live training offers only scores such a job computes (not those that read every document)
    app.session_state["live_score_names"] = ["perplexity", "sparsity_theta"]  # as if kept from another job
    app.switch_page("app_pages/live.py").run()
    assert not app.exception, [e.message for e in app.exception]
    offered = app.multiselect(key="live_score_names")
    assert "perplexity" in offered.options and "sparsity_phi" in offered.options
    assert not {"sparsity_theta", "coherence", "class_precision"} & set(offered.options)
    assert offered.value == ["perplexity"]
    # its topics on the Topics page (Φ only); pages that need the whole corpus say why they don't open
    app.switch_page("app_pages/topics.py").run()
    assert not app.exception, [e.message for e in app.exception]
    assert app.title[0].value == "Topics" and app.dataframe and not app.error
    app.switch_page("app_pages/trends.py").run()  # dates, lengths batch by batch, Θ of the run
    assert not app.exception, [e.message for e in app.exception]
    assert app.get("plotly_chart") and "fastest-growing" in _texts(app)
    app.switch_page("app_pages/documents.py").run()
    assert not app.exception and any("stored as batches" in str(e.value) for e in app.error)
