"""app.figures.context (pure figures) and app.context_view under AppTest."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.figures import context as CF

LABELS = ["Pets", "Money", "bg"]
SEGS = [
    {"index": 0, "start": 0, "end": 20, "token_start": 0, "token_end": 4, "n_tokens": 4, "boundary_score": 0.0,
     "topic": "topic_0", "topic_index": 0, "label": "Pets", "theta": [0.9, 0.1, 0.0],
     "top_topics": [{"topic": "topic_0", "label": "Pets", "p": 0.9}, {"topic": "topic_1", "label": "Money", "p": 0.1}]},
    {"index": 1, "start": 20, "end": 45, "token_start": 4, "token_end": 9, "n_tokens": 5, "boundary_score": 0.8,
     "topic": "topic_1", "topic_index": 1, "label": "Money", "theta": [0.2, 0.7, 0.1],
     "top_topics": [{"topic": "topic_1", "label": "Money", "p": 0.7}]},
]
TEXT = "cat dog <b>kitten</b> stock market bond price bank trader"


def test_compare_heatmaps_two_rows_shared_axis_and_boundaries():
    rng = np.random.default_rng(0)
    a, b = rng.random((3, 9)), rng.random((3, 9))
    fig = CF.compare_token_heatmaps(a, b, list("abcdefghi"), LABELS, offset=10, boundaries=[14, 40])
    d = fig.to_dict()
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2
    np.testing.assert_allclose(np.asarray(heat[1].z), b)
    assert list(heat[0].x) == list(range(10, 19))
    shapes = d["layout"].get("shapes", [])
    # only the boundary inside the window, drawn across both heatmaps
    assert len(shapes) == 2 and {s["x0"] for s in shapes} == {13.5}
    assert [a["text"] for a in d["layout"]["annotations"]][:2] == ["plain ARTM", "context-ARTM"]
    with pytest.raises(ValueError):
        CF.compare_token_heatmaps(a, b[:, :3], list("abc"), LABELS)
    assert "No token" in CF.compare_token_heatmaps(np.zeros((3, 0)), np.zeros((3, 0)), [], LABELS).to_dict()["layout"]["annotations"][0]["text"]


def test_boundary_plot_marks_threshold_and_boundaries():
    s = np.array([0, 0.1, 0.2, 0.9, 0.2, 0.1])
    fig = CF.boundary_plot(s, 0.3, [3], tokens=list("abcdef"))
    d = fig.to_dict()
    assert len(fig.data) == 2 and list(fig.data[1].x) == [3]
    assert d["layout"]["shapes"][0]["y0"] == 0.3


def test_segment_strip_one_bar_per_segment_coloured_by_topic():
    bars = CF.segment_strip(SEGS, LABELS).data
    assert [b.base[0] for b in bars] == [0, 4] and [b.x[0] for b in bars] == [4, 5]
    assert bars[0].marker.color != bars[1].marker.color
    assert "Money 70%" in bars[1].hovertemplate
    bg = CF.segment_strip(SEGS, LABELS, background=[False, True, True]).data
    assert bg[1].marker.color == "#b0b4ba"


def test_segmented_text_escapes_and_tiles_the_text():
    h = CF.segmented_text(TEXT, SEGS, LABELS)
    assert "&lt;b&gt;kitten" in h and "<b>kitten" not in h
    assert "§1 Pets 90%" in h and "§2 Money 70%" in h
    plain = CF.segmented_text("x", [], LABELS)
    assert plain == "<div class='artm-doc'>x</div>"


def test_segments_table_rows():
    rows = CF.segments_table_rows(SEGS, LABELS)
    assert rows[1]["topic"] == "Money" and rows[1]["share"] == pytest.approx(0.7)
    assert rows[0]["tokens"] == "0–3" and rows[1]["chars"] == "20–45"
    pd.DataFrame(rows)  # a valid table


# --------------------------------------------------------------------------- the view under AppTest

PETS = "cat dog kitten puppy leash vet collar kennel".split()
MONEY = "stock market bond trader price bank dividend broker".split()


@pytest.fixture
def ctx_home(tmp_path):
    import random

    import engine.families.context as C
    from engine.em.config import ModelConfig
    from engine.corpus.ingest import ImportOptions, import_corpus
    from engine.jobs import TrainingJob, run_job_blocking
    from engine.store.workspace import Workspace

    rnd = random.Random(0)
    rows = []
    for i in range(40):
        a, b = (PETS, MONEY) if i % 2 == 0 else (MONEY, PETS)
        rows.append({"id": f"doc{i}", "text": " ".join([rnd.choice(a) for _ in range(30)] +
                                                       [rnd.choice(b) for _ in range(30)])})
    src = tmp_path / "docs.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    ws = Workspace(tmp_path / "home")
    import_corpus(src, "mixed", ImportOptions(text_column="text", id_column="id", lang="en", min_df=1), workspace=ws)
    corpus = ws.load_corpus("mixed")
    config = C.context_config(ModelConfig(n_topics=2, iterations=25, seed=1, threads=1),
                              C.ContextOptions(window=5))
    snap = run_job_blocking(TrainingJob(ws, corpus, config, name="ctx"))
    assert snap.status == "finished", snap.error
    return tmp_path / "home", snap.run_id


def _script():
    import os

    from app import context_view
    from engine.store.runs import load_run
    from engine.store.workspace import Workspace

    ws = Workspace(os.environ["CTX_HOME"])
    run = load_run(ws, os.environ["CTX_RUN"])
    corpus = ws.load_corpus("mixed")
    context_view.render_document(run, corpus, 0, workspace=ws)
    context_view.render_paste(run, corpus, workspace=ws)


def test_view_renders_document_and_pasted_text(ctx_home, monkeypatch):
    home, run_id = ctx_home
    monkeypatch.setenv("CTX_HOME", str(home))
    monkeypatch.setenv("CTX_RUN", run_id)
    at = AppTest.from_function(_script, default_timeout=120)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("2 segments" in str(m.value) for m in at.markdown)
    charts = at.get("plotly_chart")
    specs = [json.loads(c.proto.spec) for c in charts]
    assert any(sum(t.get("type") == "heatmap" for t in s["data"]) == 2 for s in specs)
    html = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "§1" in html and "§2" in html
    # paste text: topics and the per-token heatmap at once
    at.text_area(key="paste_text").input("my cat and dog went to the vet then I bought a bond at the bank").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("tokens in the vocabulary" in str(c.value) for c in at.caption)
    assert len(at.get("plotly_chart")) >= len(charts) + 2
    # a higher threshold can only remove boundaries; a wider window still finds the switch
    at.slider(key="ctx_threshold").set_value(1.0).run()
    assert not at.exception
    assert any(("1 segment" in str(m.value) or "2 segments" in str(m.value)) for m in at.markdown)
    at.slider(key="ctx_threshold").set_value(0.3).run()
    at.slider(key="ctx_window").set_value(12).run()
    assert any("2 segments" in str(m.value) for m in at.markdown)
