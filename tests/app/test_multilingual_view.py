"""The Model families page on a multilingual run (AppTest): side-by-side topics with their
translation hits, cross-language search, and the train form's languages."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

ENTRY = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")


@pytest.fixture
def ml_home(tmp_path, monkeypatch):
    from engine import Workspace
    from engine.em.config import ModelConfig
    from engine.families.multilingual.corpus import LanguagePart, import_multilingual
    from engine.families.multilingual.family import MultilingualOptions, multilingual_config
    from engine.jobs import TrainingJob

    rng = np.random.default_rng(0)
    en = ["house garden river tree", "king city war sword"]
    ru = ["дом сад река дерево", "король город война меч"]
    rows = []
    for d in range(40):
        t = d % 2
        rows.append({"id": f"p{d}", "text_en": " ".join(rng.choice(en[t].split(), 12)),
                     "text_ru": " ".join(rng.choice(ru[t].split(), 12))})
    pd.DataFrame(rows).to_csv(tmp_path / "pairs.csv", index=False)
    pd.DataFrame({"en": en[0].split() + en[1].split(), "ru": ru[0].split() + ru[1].split()}).to_csv(
        tmp_path / "dict.csv", index=False)
    ws = Workspace(tmp_path)
    c = import_multilingual(ws, "ml", [LanguagePart("@en", "text_en", "en"), LanguagePart("@ru", "text_ru", "ru")],
                            tmp_path / "pairs.csv", "id", min_df=1)
    job = TrainingJob(ws, c, multilingual_config(ModelConfig(n_topics=2, iterations=10, threads=1),
                                                 MultilingualOptions(), str(tmp_path / "dict.csv")), name="ml-run")
    job.start()
    assert job.wait(timeout=120).status == "finished"
    monkeypatch.setenv("ARTM_STUDIO_HOME", str(tmp_path))
    monkeypatch.setenv("ARTM_STUDIO_NO_SAMPLE", "1")
    return job.run_id


def test_multilingual_view(ml_home):
    at = AppTest.from_file(ENTRY, default_timeout=120)
    at.run()
    at.session_state["run_id"] = ml_home
    at.switch_page("app_pages/families.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any("Multilingual" in s.value for s in at.subheader)
    assert any("Translation hits" in c.value and "8 dictionary pairs" in c.value for c in at.caption)
    words = at.dataframe[0].value["word"].tolist() + at.dataframe[1].value["word"].tolist()
    assert {"дом", "house"} <= set(words) or {"король", "king"} <= set(words)
    near = at.dataframe[2].value
    assert len(near) == 10 and near["similarity"].is_monotonic_decreasing
    at.text_input(key="families_view_multilingual_text").set_value("king war").run()
    assert not at.exception
    assert at.dataframe[2].value["id"].iloc[0] in {f"p{d}" for d in range(1, 40, 2)}  # a "king" document
    at.selectbox(key="families_family").set_value("multilingual").run()
    assert not at.exception
    assert at.multiselect(key="families_multilingual_langs").value == ["@en", "@ru"]
