"""Run persistence: exact round trip, listing, renaming, labels, branches, export, initial Φ."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.corpus.corpus import Corpus
from engine.errors import InputError, WorkspaceError
from engine.store.runs import (
    active_history, delete_run, export_run, list_runs, load_phi, load_run, new_run, rename_run,
    resolve_run_id, save_run, set_topic_labels,
)
from engine.store.workspace import Workspace
from engine.em.model import IterationReport, TopicModel


def make_corpus():
    rng = np.random.default_rng(3)
    n_dw = sp.csr_matrix(rng.integers(0, 3, size=(5, 6)).astype(np.float32))
    vocab = pd.DataFrame({"token": ["a", "b", "c", "d", "x", "y"],
                          "modality": ["@default_class"] * 4 + ["@labels"] * 2,
                          "tf": np.asarray(n_dw.sum(0)).ravel().astype(float), "df": [1] * 6})
    docs = pd.DataFrame({"id": [f"doc{i}" for i in range(5)], "text": ["t"] * 5})
    return Corpus(name="c1", documents=docs, vocab=vocab, n_dw=n_dw)


def make_model(seed=0, T=3):
    rng = np.random.default_rng(seed)
    phi = rng.random((6, T)).astype(np.float32)
    phi[:4] /= phi[:4].sum(0)
    phi[4:] /= phi[4:].sum(0)
    theta = rng.random((T, 5)).astype(np.float32)
    theta /= theta.sum(0)
    return TopicModel(phi=phi, theta=theta, topic_names=[f"topic_{i}" for i in range(T - 1)] + ["background_0"],
                      background=np.array([False] * (T - 1) + [True]),
                      modalities=["@default_class", "@labels"],
                      token_modality=np.array([0, 0, 0, 0, 1, 1], np.int32), n_t=rng.random(T) * 10)


def make_run(**kw):
    corpus = make_corpus()
    run = new_run(corpus, {"n_topics": 3, "seed": 1}, make_model(), name="first", **kw)
    for i in (1, 2, 3):
        run.record(IterationReport(iteration=i, seconds=0.1, tau={"sparse": -0.1 * i},
                                   scores={"perplexity": 100.0 / i, "sparsity_phi": 0.1 * i}))
    run.status = "finished"
    return run, corpus


def test_save_load_exact(tmp_path):
    ws = Workspace(tmp_path)
    run, _ = make_run()
    man = save_run(ws, run)
    assert man["final_scores"] == pytest.approx({"perplexity": 100 / 3, "sparsity_phi": 0.3})
    back = load_run(ws, run.run_id)
    np.testing.assert_array_equal(back.model.phi, run.model.phi)
    np.testing.assert_array_equal(back.model.theta, run.model.theta)
    assert back.model.phi.dtype == np.float32 and back.model.theta.shape == (3, 5)
    np.testing.assert_array_equal(back.model.n_t, run.model.n_t)
    np.testing.assert_array_equal(back.model.token_modality, run.model.token_modality)
    np.testing.assert_array_equal(back.model.background, run.model.background)
    assert back.model.topic_names == run.model.topic_names
    assert back.doc_ids == run.doc_ids and back.tokens.equals(run.tokens)
    pd.testing.assert_frame_equal(back.scores, run.scores, check_dtype=False)
    pd.testing.assert_frame_equal(back.tau, run.tau, check_dtype=False)
    assert (back.status, back.iteration, back.config, back.name) == ("finished", 3, run.config, "first")
    assert back.corpus_fingerprint == make_corpus().fingerprint()
    phi_table = pd.read_parquet(ws.runs_dir / run.run_id / "phi.parquet")
    assert list(phi_table.columns) == ["token", "modality", "topic_0", "topic_1", "background_0"]


def test_save_keeps_checkpoints_and_list_skips_partial(tmp_path):
    ws = Workspace(tmp_path)
    run, _ = make_run()
    ck = ws.runs_dir / run.run_id / "checkpoints" / "iter_0001"
    ck.mkdir(parents=True)
    (ck / "checkpoint.json").write_text("{}")
    (ws.runs_dir / "20990101-000000-ffffff" / "checkpoints").mkdir(parents=True)  # no manifest yet
    save_run(ws, run)
    save_run(ws, run)
    assert (ck / "checkpoint.json").exists()
    assert [m["run_id"] for m in list_runs(ws)] == [run.run_id]


def test_list_newest_first_rename_labels_delete(tmp_path):
    ws = Workspace(tmp_path)
    r1, _ = make_run()
    r1.created_at = "2026-01-01T00:00:00+00:00"
    r2, _ = make_run()
    r2.created_at = "2026-02-01T00:00:00+00:00"
    save_run(ws, r1)
    save_run(ws, r2)
    assert [m["run_id"] for m in list_runs(ws)] == [r2.run_id, r1.run_id]
    rename_run(ws, r1.run_id, "renamed run")
    assert load_run(ws, r1.run_id).name == "renamed run"
    assert resolve_run_id(ws, "renamed run") == r1.run_id
    assert resolve_run_id(ws, r2.run_id) == r2.run_id
    set_topic_labels(ws, r1.run_id, {"topic_0": "Pets", "topic_1": " "})
    back = load_run(ws, r1.run_id)
    assert back.model.labels == {"topic_0": "Pets"} and back.model.label(0) == "Pets"
    with pytest.raises(WorkspaceError, match="unknown topic"):
        set_topic_labels(ws, r1.run_id, {"topic_9": "x"})
    delete_run(ws, r1.run_id)  # everything of a run is in its folder (no side files)
    assert [m["run_id"] for m in list_runs(ws)] == [r2.run_id]
    assert not (ws.runs_dir / r1.run_id).exists()
    with pytest.raises(WorkspaceError, match="no run"):
        load_run(ws, r1.run_id)
    with pytest.raises(WorkspaceError, match="invalid run id"):
        load_run(ws, "../etc")


def test_failed_save_leaves_previous(tmp_path, monkeypatch):
    ws = Workspace(tmp_path)
    run, _ = make_run()
    save_run(ws, run)
    before = (ws.runs_dir / run.run_id / "manifest.json").read_text()
    run.name = "changed"
    import engine.store.runs as er

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(er, "write_json_atomic", boom)
    with pytest.raises(OSError):
        save_run(ws, run)
    assert (ws.runs_dir / run.run_id / "manifest.json").read_text() == before
    assert not [p for p in ws.runs_dir.iterdir() if p.name.startswith(".tmp")]


def test_branches_active_history():
    run, _ = make_run()
    run.start_branch(2)
    run.record(IterationReport(iteration=3, seconds=0.1, tau={"sparse": -9.0}, scores={"perplexity": 7.0}))
    act = run.active_scores()
    assert act[act.score == "perplexity"].value.tolist() == pytest.approx([100.0, 50.0, 7.0])
    assert run.final_scores()["perplexity"] == 7.0
    assert run.active_tau().tau.tolist() == pytest.approx([-0.1, -0.2, -9.0])
    assert len(run.scores) == 7  # the abandoned branch stays in the history
    lineage = run.lineage
    assert lineage[0]["branch"] == 1 and lineage[0]["from_iteration"] == 2
    # a second roll-back on branch 1 to iteration 1
    run.start_branch(1)
    df = pd.DataFrame({"iteration": [1, 2, 3, 3, 2], "branch": [0, 0, 0, 1, 2], "v": range(5)})
    assert active_history(df, 2, run.lineage).v.tolist() == [0, 4]
    with pytest.raises(WorkspaceError):
        run.start_branch(5)


def test_export(tmp_path):
    run, corpus = make_run()
    for fmt in ("csv", "parquet"):
        paths = export_run(run, corpus, fmt=fmt, out_dir=tmp_path / fmt, top_n=2)
        assert sorted(p.name for p in paths) == sorted(f"{n}.{fmt}" for n in ("phi", "theta", "top_tokens", "scores"))
        read = pd.read_csv if fmt == "csv" else pd.read_parquet
        phi = read(tmp_path / fmt / f"phi.{fmt}")
        np.testing.assert_allclose(phi[run.model.topic_names].to_numpy(), run.model.phi, rtol=1e-6)
        theta = read(tmp_path / fmt / f"theta.{fmt}")
        assert theta["id"].tolist() == run.doc_ids
        tt = read(tmp_path / fmt / f"top_tokens.{fmt}")
        assert set(tt["rank"]) == {1, 2}
    with pytest.raises(InputError):
        export_run(run, corpus, fmt="xlsx", out_dir=tmp_path)


def test_load_phi(tmp_path):
    corpus = make_corpus()
    df = pd.DataFrame({"token": ["y", "x", "d", "c", "b", "a"],
                       "modality": ["@labels"] * 2 + ["@default_class"] * 4,
                       "t1": [1, 3, 1, 1, 1, 1], "t2": [0, 0, 0, 0, 2, 6]})
    p = tmp_path / "phi.csv"
    df.to_csv(p, index=False)
    phi, names = load_phi(p, corpus)
    assert names == ["t1", "t2"] and phi.dtype == np.float32
    np.testing.assert_allclose(phi[:, 0], [0.25, 0.25, 0.25, 0.25, 0.75, 0.25])
    np.testing.assert_allclose(phi[:, 1], [0.75, 0.25, 0, 0, 0, 0])
    df.to_parquet(tmp_path / "phi.parquet")
    np.testing.assert_array_equal(load_phi(tmp_path / "phi.parquet", corpus)[0], phi)

    bad = df.copy(); bad.loc[0, "t1"] = -1
    bad.to_csv(p, index=False)
    with pytest.raises(InputError, match="negative"):
        load_phi(p, corpus)
    df.iloc[1:].to_csv(p, index=False)
    with pytest.raises(InputError, match="lacks 1 corpus token"):
        load_phi(p, corpus)
    pd.concat([df, df.iloc[:1].assign(token="zzz")]).to_csv(p, index=False)
    with pytest.raises(InputError, match="not in corpus"):
        load_phi(p, corpus)
    df.drop(columns="token").to_csv(p, index=False)
    with pytest.raises(InputError, match="'token' column"):
        load_phi(p, corpus)
    df.assign(t2="abc").to_csv(p, index=False)
    with pytest.raises(InputError, match="non-numeric"):
        load_phi(p, corpus)
    with pytest.raises(InputError, match="does not exist"):
        load_phi(tmp_path / "nope.csv", corpus)


def test_damaged_run_gives_workspace_error(tmp_path):
    ws = Workspace(tmp_path)
    run, _ = make_run()
    save_run(ws, run)
    (ws.runs_dir / run.run_id / "phi.parquet").write_bytes(b"not parquet")
    with pytest.raises(WorkspaceError, match="damaged"):
        load_run(ws, run.run_id)
    save_run(ws, run)
    man = json.loads((ws.runs_dir / run.run_id / "manifest.json").read_text())
    del man["topic_names"]
    (ws.runs_dir / run.run_id / "manifest.json").write_text(json.dumps(man))
    with pytest.raises(WorkspaceError, match="topic_names"):
        load_run(ws, run.run_id)


def test_user_edits_survive_a_later_save_of_a_stale_run(tmp_path):
    ws = Workspace(tmp_path)
    run, _ = make_run()
    save_run(ws, run)
    rename_run(ws, run.run_id, "my name")
    set_topic_labels(ws, run.run_id, {"topic_1": "Money"})
    run.model.labels = {"topic_0": "stale"}
    run.name = "job name"
    save_run(ws, run)  # e.g. a training job finishing after the edits
    back = load_run(ws, run.run_id)
    assert back.name == "my name" and back.model.labels == {"topic_1": "Money"}
    set_topic_labels(ws, run.run_id, {})
    save_run(ws, run)
    assert load_run(ws, run.run_id).model.labels == {}
