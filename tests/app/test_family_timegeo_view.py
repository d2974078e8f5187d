"""Time and place on the Model families page (AppTest): deriving @time / @place corpora,
uploading a place similarity (a bad file refused with its name, nothing kept), training from the
form, and the view (topics over time, the GeoSmoothing effect)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import toy_corpus

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
KEY = "families_timegeo"
REGIONS = ["north", "south", "east", "west", "centre"]


@pytest.fixture
def tg_home(tmp_path, monkeypatch):
    from engine import ImportOptions, Workspace, import_corpus

    src = toy_corpus().documents[["id", "text", "date", "party"]]
    src["region"] = [REGIONS[d % 5] for d in range(len(src))]
    src.to_csv(tmp_path / "toy.csv", index=False)
    import_corpus(tmp_path / "toy.csv", "toy", ImportOptions(text_column="text", id_column="id", date_column="date",
                                                            lang="en", min_df=1), Workspace(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return tmp_path


def _form(corpus: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["corpus_name"] = corpus
    at.switch_page("app_pages/families.py").run()
    at.selectbox(key="families_family").set_value("timegeo").run()
    at.number_input(key="families_topics").set_value(3)
    at.number_input(key="families_iterations").set_value(6).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _train_and_view(at: AppTest, root: Path) -> AppTest:
    """Click Train, wait for the job's run to finish, then open its view."""
    from engine import Workspace, list_runs

    at.button(key="families_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run_id = at.session_state["job_id"]
    deadline = time.time() + 120
    while time.time() < deadline and not any(m["run_id"] == run_id and m["status"] == "finished"
                                             for m in list_runs(Workspace(root))):
        time.sleep(0.2)
    view = AppTest.from_file(ENTRY, default_timeout=120)
    view.run()
    view.session_state["corpus_name"] = at.session_state["corpus_name"]
    view.session_state["run_id"] = run_id
    view.switch_page("app_pages/families.py").run()
    assert not view.exception and not view.error, [e.value for e in view.error]
    assert any("Time and place" in s.value for s in view.subheader)
    return view


def test_time_modality_trained_and_viewed(tg_home):
    at = _form("toy")
    assert any("has dates but no @time modality" in c.value for c in at.caption)
    at.button(key=f"{KEY}_time_go").click().run()
    assert at.session_state["corpus_name"] == "toy-time"
    at.switch_page("app_pages/families.py").run()
    assert any("@time: 59 bins (month), 2015-01 … 2019-11" in c.value for c in at.caption), [c.value for c in at.caption]
    at.number_input(key=f"{KEY}_ttau").set_value(2.0).run()
    view = _train_and_view(at, tg_home)
    assert any("Topics over @time" in m.value and "τ = 2.0" in m.value for m in view.markdown)
    assert len(view.get("plotly_chart")) >= 1
    view.segmented_control(key="families_view_timegeo_what").set_value("p(time|t)").run()
    assert not view.exception
    again = _form("toy")                                     # the derived corpus exists: refused, nothing replaced
    again.button(key=f"{KEY}_time_go").click().run()
    assert any("“toy-time” already exists: choose another name" in e.value for e in again.error)
    assert again.session_state["corpus_name"] == "toy"


def test_place_similarity_bad_file_then_geo_smoothing(tg_home):
    at = _form("toy")
    at.selectbox(key=f"{KEY}_col").set_value("region").run()
    at.button(key=f"{KEY}_place_go").click().run()
    assert at.session_state["corpus_name"] == "toy-place"
    at.switch_page("app_pages/families.py").run()
    at.selectbox(key=f"{KEY}_mod").set_value("@place").run()
    at.file_uploader(key=f"{KEY}_sim").set_value(("near.csv", b"x,y\nnorth,south\n", "text/csv")).run()
    assert not at.exception
    assert any("near.csv: no column(s) a, b; the columns are x, y" in e.value for e in at.error)
    assert not (tg_home / "similarities").exists() or not any((tg_home / "similarities").iterdir())
    assert not [b for b in at.button if b.key == "families_go"]  # nothing to train yet
    pairs = b"a,b,weight\nnorth,centre,1\nsouth,centre,1\neast,centre,1\nwest,centre,1\nnowhere,centre,1\n"
    at.file_uploader(key=f"{KEY}_sim").set_value(("near.csv", pairs, "text/csv")).run()
    assert not at.error, [e.value for e in at.error]
    assert any("4 pairs between 5 of the 5 places" in c.value for c in at.caption)
    view = _train_and_view(at, tg_home)
    assert any("Places of @place" in m.value for m in view.markdown)
    labels = [m.label for m in view.metric]
    assert labels[0].startswith("similar places") and float(view.metric[2].value) > 0
    assert sorted(view.dataframe[0].value["place"]) == sorted(REGIONS)
