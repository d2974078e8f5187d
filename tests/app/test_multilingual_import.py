"""Importing a parallel corpus and uploading a dictionary on the Model families page (AppTest):
one table with a text column per language, one file per language joined by an id, bad input
named by file/column with nothing stored."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import toy_corpus

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
KEY = "families_multilingual_import"
EN = ["house garden river tree", "king city war sword"]
RU = ["дом сад река дерево", "король город война меч"]


def _pairs(n=30) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame([{"pair": f"p{d}", "text_en": " ".join(rng.choice(EN[d % 2].split(), 10)),
                          "text_ru": " ".join(rng.choice(RU[d % 2].split(), 10))} for d in range(n)])


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


@pytest.fixture
def home(tmp_path, monkeypatch):
    from engine import Workspace

    Workspace(tmp_path).save_corpus(toy_corpus(), "toy")
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return tmp_path


def _page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["corpus_name"] = "toy"
    at.switch_page("app_pages/families.py").run()
    at.selectbox(key="families_family").set_value("multilingual").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("fewer than two language modalities" in i.value for i in at.info)
    return at


def _corpora(root) -> list[str]:
    from engine import Workspace

    return sorted(m["name"] for m in Workspace(root).list_corpora())


def test_one_table_import_then_dictionary(home):
    at = _page()
    at.file_uploader(key=f"{KEY}_file").set_value(("pairs.csv", _csv(_pairs()), "text/csv")).run()
    assert at.selectbox(key=f"{KEY}_col0").value == "text_en" and at.selectbox(key=f"{KEY}_col1").value == "text_ru"
    at.selectbox(key=f"{KEY}_id").set_value("pair")
    at.text_input(key=f"{KEY}_lang1").set_value("russian")
    at.text_input(key=f"{KEY}_name").set_value("bible")
    at.number_input(key=f"{KEY}_mindf").set_value(1).run()
    at.button(key=f"{KEY}_go").click().run()
    assert any("language code 'russian' must be two or three letters" in e.value for e in at.error)
    assert _corpora(home) == ["toy"]                                   # nothing stored
    at.text_input(key=f"{KEY}_lang1").set_value("ru").run()
    at.button(key=f"{KEY}_go").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["corpus_name"] == "bible" and _corpora(home) == ["bible", "toy"]
    assert not any((home / "uploads").rglob("pairs.csv"))               # the upload is removed once imported
    at.switch_page("app_pages/families.py").run()
    assert at.multiselect(key="families_multilingual_langs").value == ["@en", "@ru"]
    bad = _csv(pd.DataFrame({"english": ["house"], "russian": ["дом"]}))
    at.file_uploader(key="families_multilingual_dict").set_value(("dict.csv", bad, "text/csv")).run()
    assert any("dictionary dict.csv: no column 'en' for @en" in e.value for e in at.error)
    assert not (home / "dictionaries").exists() or not any((home / "dictionaries").iterdir())
    good = _csv(pd.DataFrame({"en": EN[0].split() + ["unicorn"], "ru": RU[0].split() + ["единорог"]}))
    at.file_uploader(key="families_multilingual_dict").set_value(("dict.csv", good, "text/csv")).run()
    assert not at.error, [e.value for e in at.error]
    assert any("4 of 5 pairs match" in c.value and "1 name unknown words" in c.value for c in at.caption)
    assert [b for b in at.button if b.key == "families_go"]               # ready to train


def test_files_per_language_repeated_ids(home):
    at = _page()
    at.radio(key=f"{KEY}_layout").set_value("One file per language, joined by an id column").run()
    p = _pairs()
    en = p[["pair", "text_en"]]
    ru = pd.concat([p[["pair", "text_ru"]], p[["pair", "text_ru"]].head(2)])  # two ids twice
    at.file_uploader(key=f"{KEY}_file0").set_value(("en.csv", _csv(en), "text/csv")).run()
    at.file_uploader(key=f"{KEY}_file1").set_value(("ru.csv", _csv(ru), "text/csv")).run()
    assert at.selectbox(key=f"{KEY}_idsep").value == "pair"
    at.text_input(key=f"{KEY}_name").set_value("sep").run()
    at.button(key=f"{KEY}_go").click().run()
    assert any("ru.csv: column 'pair' repeats ids" in e.value for e in at.error), [e.value for e in at.error]
    assert _corpora(home) == ["toy"]
    at.file_uploader(key=f"{KEY}_file1").set_value(("ru.csv", _csv(p[["pair", "text_ru"]].head(20)), "text/csv")).run()
    at.number_input(key=f"{KEY}_mindf").set_value(1).run()
    at.button(key=f"{KEY}_go").click().run()
    assert not at.error, [e.value for e in at.error]
    assert _corpora(home) == ["sep", "toy"]
