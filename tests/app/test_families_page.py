"""The Model families page under AppTest: train form, a regression run's view, bad input."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import toy_corpus  # noqa: F401 - the app tests' toy corpus builder

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


@pytest.fixture
def fam_home(tmp_path, monkeypatch):
    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.regression.family import RegressionOptions, regression_config
    from engine.jobs import TrainingJob

    from engine.corpus.ingest import ImportOptions, import_corpus

    ws = Workspace(tmp_path)
    src = toy_corpus().documents[["id", "text", "party"]]
    src.to_csv(tmp_path / "toy.csv", index=False)  # a real import, so new text can be vectorized
    import_corpus(tmp_path / "toy.csv", "toy", ImportOptions(text_column="text", id_column="id", lang="en",
                                                            min_df=1), ws)
    c = ws.load_corpus("toy")
    job = TrainingJob(ws, c, regression_config(ModelConfig(n_topics=3, iterations=6, threads=1),
                                               RegressionOptions(column="party", positive=("labour",), tau=5)),
                      name="reg-run")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return tmp_path, job.run_id


def _page(run_id):
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["run_id"] = run_id
    at.switch_page("app_pages/families.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_regression_view_and_prediction(fam_home):
    _, rid = fam_home
    at = _page(rid)
    assert at.title[0].value == "Model families"
    assert any("Regression" in s.value for s in at.subheader)
    assert any("AUC" in c.value for c in at.caption)
    at.text_area[0].set_value("tax budget growth inflation").run()
    assert not at.exception
    assert at.metric[0].label.startswith("predicted party")


def test_train_form_rejects_numeric_text_column(fam_home):
    _, rid = fam_home
    at = _page(rid)
    at.selectbox(key="families_family").set_value("regression").run()
    at.selectbox(key="families_regression_y").set_value("party").run()
    at.button(key="families_go").click().run()
    assert not at.exception
    assert any("non-numeric" in e.value for e in at.error)


def test_author_view(fam_home):
    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.author.family import AuthorOptions, author_config
    from engine.jobs import TrainingJob

    root, _ = fam_home
    ws = Workspace(root)
    job = TrainingJob(ws, ws.load_corpus("toy"), author_config(ModelConfig(n_topics=3, iterations=5, threads=1),
                                                               AuthorOptions(column="party")), name="au")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    at = _page(job.run_id)
    assert any("Author" in s.value for s in at.subheader)
    assert not at.error, [e.value for e in at.error]
    assert any("2 authors" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2
    assert any("p(t, c | d)" in m.value for m in at.markdown)


def test_links_view(fam_home):
    import pandas as pd

    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.links.family import LinksOptions, links_config
    from engine.jobs import TrainingJob

    root, _ = fam_home
    ws = Workspace(root)
    c = ws.load_corpus("toy")
    ids = c.documents["id"].tolist()
    pd.DataFrame({"source": ids[:-3], "target": ids[3:]}).to_csv(root / "e.csv", index=False)
    job = TrainingJob(ws, c, links_config(ModelConfig(n_topics=3, iterations=5, threads=1),
                                          LinksOptions(edges=str(root / "e.csv"), tau=5)), name="ln")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    at = _page(job.run_id)
    assert not at.error, [e.value for e in at.error]
    assert any("links, τ = 5" in c.value for c in at.caption)
    assert len(at.dataframe) == 1


def test_sentence_model_view_and_train_form(fam_home):
    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.hypergraph.family import hypergraph_config
    from engine.jobs import TrainingJob

    root, _ = fam_home
    ws = Workspace(root)
    c = ws.load_corpus("toy")
    job = TrainingJob(ws, c, hypergraph_config(ModelConfig(n_topics=3, iterations=5, threads=1),
                                               {"edges": "sentences"}), name="sent")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    at = _page(job.run_id)
    assert not at.error, [e.value for e in at.error]
    assert any("sentences in" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert list(table.columns) == ["topic", "p(t|d,s)", "sentence"] and len(table) >= 1
    at.selectbox(key="families_family").set_value("hypergraph").run()
    assert not at.exception
    at.button(key="families_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]


def test_transactions_view(fam_home):
    import pandas as pd

    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.hypergraph import transactions as X
    from engine.families.hypergraph.family import hypergraph_config
    from engine.jobs import TrainingJob

    root, _ = fam_home
    ws = Workspace(root)
    pd.DataFrame({"doc": ["u1", "u1", "u2", "u2"], "item": ["milk", "tea", "milk", "beer"],
                  "shop": ["A", "B", "A", "C"]}).to_csv(root / "tx.csv", index=False)
    X.import_transactions(ws, X.table_transactions(root / "tx.csv"), "tx", "tx.csv")
    c = ws.load_corpus("tx")
    job = TrainingJob(ws, c, hypergraph_config(ModelConfig(n_topics=2, iterations=5, threads=1),
                                               {"edges": "transactions", "path": str(X.transactions_path(ws, "tx"))}),
                      name="txr")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["corpus_name"] = "tx"
    at.session_state["run_id"] = job.run_id
    at.switch_page("app_pages/families.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.dataframe) == 2
    edges = at.dataframe[1].value
    assert list(edges["vertices"]) == ["item:milk shop:A", "item:tea shop:B"]
