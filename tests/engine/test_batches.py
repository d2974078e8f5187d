"""Batched corpora on disk and the batched / online trainers."""
from __future__ import annotations

import numpy as np
import pytest

from engine.corpus.batch_writer import write_batches
from engine.corpus.batches import BatchedCorpus, is_batched, open_corpus
from engine.em.config import ModelConfig
from engine.families.batched.estep import OnlineOptions
from engine.families.batched.family import batched_config
from engine.em.scores import score_set_for
from engine.em.regularizers import Decorrelator, SmoothSparsePhi, SmoothSparseTheta
from engine.em.trainer import Trainer
from engine.errors import ConfigError, WorkspaceError
from engine.store.workspace import Workspace


def _noisy(make_corpus, n_docs=250):
    return make_corpus(n_topics=4, words_per_topic=8, n_docs=n_docs, doc_len=30, noise=6,
                       n_background_words=5, extra_modality="@label", seed=3)


def test_round_trip_keeps_every_count(tmp_path, make_corpus):
    c = _noisy(make_corpus)
    bc = write_batches(c, tmp_path / "b", batch_docs=37)
    assert bc.n_batches == int(np.ceil(c.n_docs / 37)) and bc.n_docs == c.n_docs
    assert [b["docs"] for b in bc.batches][:-1] == [37] * (bc.n_batches - 1)
    back = bc.to_corpus()
    assert (back.n_dw != c.n_dw).nnz == 0
    assert bc.modalities == c.modalities and np.array_equal(bc.token_modality, c.token_modality)
    assert np.array_equal(bc.vocab["tf"].to_numpy(), np.asarray(c.n_dw.sum(axis=0)).ravel())
    assert list(bc.documents["id"]) == list(c.documents["id"])
    # prefetching yields the same batches in the same order
    a = [b.n_dw.toarray() for b in bc.iter_batches(prefetch=0)]
    b = [b.n_dw.toarray() for b in bc.iter_batches(prefetch=2)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == bc.n_batches


def test_workspace_open_picks_the_storage(tmp_path, make_corpus):
    ws = Workspace(tmp_path)
    c = _noisy(make_corpus)
    ws.save_corpus(c, "mem")
    write_batches(c, ws.corpus_path("bat"), name="bat", batch_docs=100)
    assert not is_batched(ws, "mem") and is_batched(ws, "bat")
    assert isinstance(open_corpus(ws, "bat"), BatchedCorpus)
    assert open_corpus(ws, "mem").n_dw.shape == c.n_dw.shape
    assert "bat" in [m["name"] for m in ws.list_corpora()]


def test_failed_write_leaves_nothing(tmp_path, make_corpus):
    c = _noisy(make_corpus)
    with pytest.raises(Exception):
        write_batches(c, tmp_path / "x", batch_docs=0)
    assert not (tmp_path / "x").exists()
    with pytest.raises(WorkspaceError):
        BatchedCorpus(tmp_path / "nothing")


@pytest.mark.parametrize("reuse", [True, False])
def test_streamed_equals_in_memory(tmp_path, make_corpus, reuse):
    c = _noisy(make_corpus)
    bc = write_batches(c, tmp_path / "b", batch_docs=40)
    regs = (SmoothSparsePhi(name="sp", tau=-0.05), SmoothSparseTheta(name="st", tau=-0.02),
            Decorrelator(name="dec", tau=1e3))
    cfg = ModelConfig(n_topics=4, n_background=1, iterations=8, seed=5, inner_passes=3,
                      reuse_theta=reuse, threads=2, regularizers=regs,
                      modality_weights={"@label": 2.0})
    mem = Trainer(c, cfg)
    bat = Trainer(bc, batched_config(cfg, theta="disk"))
    assert bat.config.to_dict()["options"]["theta"] == "disk"  # the run records it
    try:
        for _ in range(cfg.iterations):
            r1, r2 = mem.step(), bat.step()
            assert r2.scores["perplexity"] == pytest.approx(r1.scores["perplexity"], rel=1e-4)
        np.testing.assert_allclose(bat.model.phi, mem.model.phi, atol=2e-5)
        np.testing.assert_allclose(np.asarray(bat.model.theta), mem.model.theta, atol=2e-5)
        np.testing.assert_allclose(bat.model.n_t, mem.model.n_t, rtol=1e-4)
        # Θ of the last pass is a file that the next pass does not overwrite
        last = np.array(bat.model.theta)
        held = bat.model.theta
        bat.step()
        assert np.array_equal(np.asarray(held), last)
    finally:
        bat.close()


def test_theta_none_starts_from_uniform_each_pass(tmp_path, make_corpus):
    c = _noisy(make_corpus)
    bc = write_batches(c, tmp_path / "b", batch_docs=64)
    cfg = ModelConfig(n_topics=4, iterations=5, seed=1, inner_passes=2, reuse_theta=True)
    ref = Trainer(c, cfg.with_changes(reuse_theta=False))
    tr = Trainer(bc, batched_config(cfg, theta="none"))
    for _ in range(5):
        ref.step()
        tr.step()
    np.testing.assert_allclose(tr.model.phi, ref.model.phi, atol=2e-5)
    np.testing.assert_allclose(np.asarray(tr.model.theta), ref.model.theta, atol=2e-5)
    with pytest.raises(ConfigError, match="theta"):
        batched_config(cfg, theta="ram")
    with pytest.raises(ConfigError, match="unknown"):
        batched_config(cfg, thetas="disk")
    with pytest.raises(Exception, match="batches"):
        Trainer(c, batched_config(cfg))  # an in-memory corpus is not for this family


@pytest.mark.parametrize("spec", ["foo", "local:0", "local:x", "tcp://host", "http://host:8786", "tcp://a b:1", 3])
def test_a_bad_dask_address_is_refused_when_configured_not_when_the_job_starts(spec):
    cfg = ModelConfig(n_topics=4, iterations=2)
    with pytest.raises(ConfigError, match="dask must be local, local:N"):
        batched_config(cfg, dask=spec)
    for good in ("local", "local:3", "tcp://127.0.0.1:8786", "tls://scheduler.example.org:8786", None, ""):
        assert batched_config(cfg, dask=good).options["dask"] == (good or None)


def test_state_round_trip_continues_exactly(tmp_path, make_corpus):
    c = _noisy(make_corpus)
    bc = write_batches(c, tmp_path / "b", batch_docs=50)
    cfg = ModelConfig(n_topics=4, iterations=6, seed=2, inner_passes=2)
    cfg = batched_config(cfg, online={"update_every": 2, "tau0": 2.0, "kappa": 0.8})
    a = Trainer(bc, cfg)
    a.fit(3)
    b = Trainer.from_state(bc, None, a.get_state())
    assert b.estep._updates == a.estep._updates > 0
    a.fit(2)
    b.fit(2)
    np.testing.assert_array_equal(a.model.phi, b.model.phi)
    a.close()
    b.close()


def _purity(phi, words_per_topic, n_topics):
    """Share of each planted topic's words whose argmax topic is one learned topic, averaged."""
    best = phi[: n_topics * words_per_topic].argmax(axis=1).reshape(n_topics, words_per_topic)
    return np.mean([np.bincount(row).max() / words_per_topic for row in best]), \
        len({np.bincount(row).argmax() for row in best})


def test_online_em_recovers_planted_topics(tmp_path, make_corpus):
    c = make_corpus(n_topics=5, words_per_topic=10, n_docs=2000, doc_len=40, noise=4, seed=11)
    bc = write_batches(c, tmp_path / "b", batch_docs=100)
    cfg = ModelConfig(n_topics=5, iterations=2, seed=4, inner_passes=5, reuse_theta=False)
    online = OnlineOptions(update_every=2, tau0=4.0, kappa=0.6)
    tr = Trainer(bc, batched_config(cfg, online=online.to_dict(), theta="none"))
    reports = tr.fit()
    purity, distinct = _purity(tr.model.phi, 10, 5)
    assert purity == 1.0 and distinct == 5
    assert tr.estep._updates == 2 * 10  # 20 batches / 2 per update, twice
    assert reports[-1].scores["perplexity"] < reports[0].scores["perplexity"] * 1.01
    # the 4th update (3 before it) has ρ = (τ₀ + 4)^(−κ), BigARTM's update_count from 1
    assert online.rho(3) == pytest.approx(8.0 ** -0.6)
    with pytest.raises(ConfigError):
        OnlineOptions(kappa=0.3)


# --------------------------------------------------------------------------- streaming import


def _write_sources(tmp_path, n=3000):
    import gzip
    import json

    import pandas as pd

    rng = np.random.default_rng(0)
    words = [f"word{k}" for k in range(400)] + ["the", "and", "of"]
    rows = []
    for i in range(n):
        k = rng.integers(3, 30)
        text = " ".join(rng.choice(words, size=k)) if i % 97 else "the and of 123"  # some become empty
        rows.append({"doc": f"d{i}", "body": text, "year": 1990 + i % 20, "src": "abc"[i % 3]})
    frame = pd.DataFrame(rows)
    with open(tmp_path / "c.jsonl", "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    with gzip.open(tmp_path / "c.jsonl.gz", "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    frame.to_csv(tmp_path / "c.csv", index=False)
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    return frame


@pytest.mark.parametrize("fname", ["c.jsonl", "c.jsonl.gz", "c.csv", "c.parquet"])
def test_stream_import_equals_in_memory_import(tmp_path, fname, kernels_ready):
    from engine.corpus.ingest import ImportOptions, build_corpus
    from engine.corpus.stream import stream_import

    _write_sources(tmp_path)
    src = tmp_path / fname
    opts = ImportOptions(text_column="body", id_column="doc", min_df=3, max_df=0.9, lang="en")
    ref = build_corpus(src, opts)
    ws = Workspace(tmp_path / "ws")
    seen = []
    summary = stream_import(src, "s", opts, ws, batch_docs=500, chunk_chars=1 << 13,
                            progress=lambda f, m: seen.append(f))
    assert len(seen) > 10 and seen[-1] == 1.0 and seen == sorted(seen)  # many chunks, in order
    bc = open_corpus(ws, "s")
    assert summary["documents"] == ref.n_docs == bc.n_docs and summary["batches"] == bc.n_batches > 1
    assert list(bc.vocab["token"]) == list(ref.vocab["token"])
    assert (bc.to_corpus().n_dw != ref.n_dw).nnz == 0
    assert list(bc.documents["id"]) == list(ref.documents["id"])
    assert bc.manifest["dropped_empty"] == ref.manifest["dropped_empty"] > 0
    assert pd_equal_dates(bc.documents, ref.documents)


def pd_equal_dates(a, b):
    return "date" in a.columns and (a["date"].to_numpy() == b["date"].to_numpy()).all()


def test_stream_import_refuses_bad_input_and_writes_nothing(tmp_path):
    from engine.corpus.ingest import ImportOptions
    from engine.corpus.stream import stream_import
    from engine.errors import InputError

    frame = _write_sources(tmp_path, n=300)
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(InputError, match="duplicate"):
        frame.assign(doc="same").to_parquet(tmp_path / "dup.parquet")
        stream_import(tmp_path / "dup.parquet", "d", ImportOptions(text_column="body", id_column="doc"), ws)
    with pytest.raises(InputError, match="vocabulary filters"):
        stream_import(tmp_path / "c.jsonl", "f", ImportOptions(text_column="body", min_df=10_000), ws)
    with pytest.raises(InputError, match="text column 'nope'"):
        stream_import(tmp_path / "c.csv", "g", ImportOptions(text_column="nope"), ws)
    with pytest.raises(InputError, match="the file is empty"):
        (tmp_path / "c.txt").write_text("  \n")
        stream_import(tmp_path / "c.txt", "h", None, ws)
    with pytest.raises(InputError, match="no parseable dates"):  # fails in the writing pass
        stream_import(tmp_path / "c.parquet", "k", ImportOptions(text_column="body", date_column="src"), ws,
                      batch_docs=50, chunk_chars=1000)
    assert ws.list_corpora() == [] and not any(p.name.startswith(".tmp") for p in ws.corpora_dir.iterdir())


def test_cli_import_batches_then_train_picks_the_batched_trainer(tmp_path, capsys, kernels_ready):
    import json

    from engine.cli import main
    from engine.store.runs import load_run

    _write_sources(tmp_path, n=1200)
    root = str(tmp_path / "ws")
    assert main(["import", "--workspace", root, str(tmp_path / "c.jsonl"), "--name", "big", "--batches",
                 "--batch-size", "250", "--text-column", "body", "--lang", "en"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["batches"] == 5 and summary["documents"] > 1100
    ws = Workspace(root)
    assert is_batched(ws, "big")
    assert main(["train", "--workspace", root, "--corpus", "big", "--topics", "4", "--iterations", "3",
                 "--jsonl", "--theta", "none"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines() if x.startswith("{")]
    assert [r["iteration"] for r in lines] == [1, 2, 3]
    assert all("perplexity" in r and "coherence" not in r for r in lines)
    run_id = ws.runs_dir.iterdir().__next__().name
    run = load_run(ws, run_id)
    assert run.model.theta.shape == (4, summary["documents"]) and run.config["reuse_theta"] is True
    assert run.config["family"] == "batched" and run.config["options"]["theta"] == "none"
    assert main(["train", "--workspace", root, "--corpus", "big", "--topics", "4", "--iterations", "2",
                 "--online", "--update-every", "2", "--tau0", "1"]) == 0


def test_scores_reading_all_of_n_dw_or_theta_are_left_out_for_batches(tmp_path, make_corpus):
    """score_set_for drops IN_MEMORY_ONLY scores (coherence, class precision, Θ sparsity) for a
    batched corpus only; the CLI no longer zeroes them in the config."""
    c = make_corpus(n_topics=3, n_docs=60, seed=2)
    bc = write_batches(c, tmp_path / "b", batch_docs=25)
    cfg = ModelConfig(n_topics=3, iterations=2)
    mem = {s.kind for s in score_set_for(cfg, c)}
    bat = {s.kind for s in score_set_for(batched_config(cfg), bc)}
    assert {"Coherence", "SparsityTheta", "ClassPrecision"} <= mem
    assert mem - bat == {"Coherence", "SparsityTheta", "ClassPrecision"}
    assert batched_config(cfg).scores == {}
