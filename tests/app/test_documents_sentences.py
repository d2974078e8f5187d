"""The Documents page of a sentence-model run shows every sentence's topic (AppTest); a plain
run's Documents page does not."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import THEMES

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


@pytest.fixture
def sent_home(tmp_path, monkeypatch):
    from engine import ImportOptions, ModelConfig, TrainingJob, Workspace, import_corpus
    from engine.families.hypergraph import hypergraph_config

    rng = np.random.default_rng(0)
    themes = list(THEMES)
    texts = []
    for d in range(60):  # three sentences, each from one theme
        picks = [themes[(d + k) % 3] for k in range(3)]
        texts.append(" ".join(" ".join(rng.choice(THEMES[t], 8)).capitalize() + "." for t in picks))
    pd.DataFrame({"id": [f"d{d}" for d in range(60)], "text": texts}).to_csv(tmp_path / "s.csv", index=False)
    ws = Workspace(tmp_path)
    import_corpus(tmp_path / "s.csv", "sent", ImportOptions(text_column="text", id_column="id", lang="en", min_df=1,
                                                           dates=False), ws)
    c = ws.load_corpus("sent")
    runs = {}
    for name, cfg in (("plain", ModelConfig(n_topics=3, iterations=8, threads=1, seed=1)),
                      ("sentences", hypergraph_config(ModelConfig(n_topics=3, iterations=8, threads=1, seed=1),
                                                      {"edges": "sentences"}))):
        job = TrainingJob(ws, c, cfg, name=name)
        job.start()
        assert job.wait(timeout=120).status == "finished"
        runs[name] = job.run_id
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return runs


def _documents(run_id: str, doc: int) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["corpus_name"] = "sent"
    at.session_state["run_id"] = run_id
    at.session_state["doc_index"] = doc
    at.switch_page("app_pages/documents.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


def test_sentence_topics_on_the_documents_page(sent_home):
    at = _documents(sent_home["sentences"], 4)
    assert any("Sentences, each coloured by its topic" in m.value for m in at.markdown)
    table = next(df.value for df in at.dataframe if "p(t|d,s)" in df.value.columns)
    assert len(table) == 3 and table["sentence"].str.endswith(".").all()
    assert (table["p(t|d,s)"] > 0.5).all()
    assert table["topic"].nunique() >= 2  # the three sentences come from three themes
    plain = _documents(sent_home["plain"], 4)
    assert not any("Sentences, each coloured" in m.value for m in plain.markdown)
