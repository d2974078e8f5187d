"""A sweep saved in the workspace: exact tables back, listed, exported, nothing half-written."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from engine import ModelConfig, Workspace
from engine.store import sweeps as store
from engine.analysis.sweep import run_sweep, topic_selection_curve
from engine.cli import main as cli_main
from engine.errors import WorkspaceError
from planted import planted_corpus


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    corpus = planted_corpus(n_topics=4, words_per_topic=8, n_docs=120, noise=4)
    ws = Workspace(tmp_path_factory.mktemp("sweeps"))
    ws.save_corpus(corpus, "p4")
    corpus = ws.load_corpus("p4")
    base = ModelConfig(iterations=20)
    res = run_sweep(corpus, [3, 4], starts=2, base=base, workers=2)
    sel = topic_selection_curve(corpus, 8, tau=0.8, base=base)
    return ws, corpus, base, res, sel


def test_save_load_round_trip(swept):
    ws, corpus, base, res, sel = swept
    saved = store.save_sweep(ws, res, corpus, topics=[3, 4], starts=2, holdout=0.1, base=base, selection=sel)
    back = store.load_sweep(ws, saved.sweep_id)
    pd.testing.assert_frame_equal(back.runs, res.runs.reset_index(drop=True))
    pd.testing.assert_frame_equal(back.summary, res.summary.reset_index(drop=True))
    pd.testing.assert_frame_equal(back.selection, sel.reset_index(drop=True))
    assert back.bends == {k: (None if v is None else float(v)) for k, v in res.bends.items()}
    assert back.manifest["config"] == base.to_dict() and back.corpus_name == "p4"
    # the per-topic stability of every run equals the one computed from Φ, and names top words
    for t in (3, 4):
        for s in (0, 1):
            fresh = res.topic_stability(t, s)
            kept = back.topic_stability(t, s)
            pd.testing.assert_frame_equal(kept.drop(columns="top_words"), fresh, check_dtype=False)
            phi = res.phis[(t, s)]
            best = corpus.vocab["token"].to_numpy()[int(np.argmax(phi[:, 0]))]
            assert kept["top_words"].iloc[0].split()[0] == best
    assert [m["sweep_id"] for m in store.list_sweeps(ws, "p4")][0] == saved.sweep_id
    assert store.list_sweeps(ws, "another") == []


def test_nothing_half_written_and_clear_errors(swept, monkeypatch):
    ws, corpus, base, res, _ = swept
    before = {m["sweep_id"] for m in store.list_sweeps(ws)}

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(store, "write_json_atomic", boom)  # fails after the Parquet files are written
    with pytest.raises(OSError):
        store.save_sweep(ws, res, corpus, topics=[3, 4], starts=2, holdout=0.1)
    monkeypatch.undo()
    assert {m["sweep_id"] for m in store.list_sweeps(ws)} == before
    assert [p.name for p in store.sweeps_dir(ws).iterdir() if p.name.startswith(".")] == []
    with pytest.raises(WorkspaceError, match="no sweep 'nope'"):
        store.load_sweep(ws, "nope")
    with pytest.raises(WorkspaceError, match="sweep id"):
        store.load_sweep(ws, "../runs")
    sid = sorted(before)[0]
    (store.sweeps_dir(ws) / sid / "summary.parquet").write_bytes(b"not parquet")
    with pytest.raises(WorkspaceError, match=f"sweep {sid} is damaged"):
        store.load_sweep(ws, sid)
    store.delete_sweep(ws, sid)
    assert sid not in {m["sweep_id"] for m in store.list_sweeps(ws)}


def test_cli_saves_lists_and_exports(tmp_path, capsys):
    ws = Workspace(tmp_path / "ws")
    ws.save_corpus(planted_corpus(n_topics=4, words_per_topic=8, n_docs=120, noise=4), "p4")
    assert cli_main(["sweep", "--workspace", str(ws.root), "--corpus", "p4", "--topics", "3,4",
                     "--starts", "2", "--iterations", "10", "--name", "first"]) == 0
    lines = capsys.readouterr().out.splitlines()
    sid = json.loads(next(x for x in lines if x.startswith('{"sweep_id"')))["sweep_id"]
    assert cli_main(["sweeps", "--workspace", str(ws.root), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["sweep_id"], m["name"], m["topics"], m["starts"]) for m in listed] == [(sid, "first", [3, 4], 2)]
    out = tmp_path / "exp" / "s"
    assert cli_main(["sweep-export", "--workspace", str(ws.root), sid, "--out", str(out)]) == 0
    data = json.loads(out.with_suffix(".json").read_text())
    assert [r["topics"] for r in data["summary"]] == [3, 4] and len(data["runs"]) == 4
    stab = pd.read_csv(tmp_path / "exp" / "s-stability.csv")
    assert len(stab) == 2 * 3 + 2 * 4 and set(stab["topics"]) == {3, 4}
    assert "Stability across starts" in out.with_suffix(".html").read_text()
    assert cli_main(["sweep-export", "--workspace", str(ws.root), "missing", "--out", str(out)]) != 0
