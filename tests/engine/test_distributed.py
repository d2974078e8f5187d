"""The Dask trainer on a LocalCluster of 2 worker processes (the ``distributed`` extra)."""
from __future__ import annotations

import sys
import threading
import time
import types
from unittest import mock

import numpy as np
import pytest

pytest.importorskip("distributed")  # the optional extra; .ci/run installs it, so CI runs these

from distributed import Client, LocalCluster  # noqa: E402

from engine.corpus.batch_writer import write_batches  # noqa: E402
from engine.em.config import ModelConfig  # noqa: E402
from engine.em.regularizers import Decorrelator, SmoothSparsePhi, SmoothSparseTheta  # noqa: E402
from engine.em.trainer import Trainer  # noqa: E402
from engine.errors import ConfigError  # noqa: E402
from engine.families.batched.dask import connect  # noqa: E402
from engine.families.batched.family import batched_config  # noqa: E402


@pytest.fixture(scope="module")
def client():
    # Worker processes are spawned: a spawned child re-runs the parent's __main__ file, which in a
    # full test session may be a Streamlit page script left there by the app tests. A bare
    # __main__ (no file) makes the children start clean, also when a killed worker is restarted.
    bare = types.ModuleType("__main__")
    with mock.patch.dict(sys.modules, {"__main__": bare}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        c = Client(cluster)
        yield from _serve(c, cluster)


def _serve(c, cluster):
    yield c
    from engine.families.batched import dask as D  # the clients the trainers connected by address

    for other in D._CLIENTS.values():
        other.close()
    D._CLIENTS.clear()
    c.close()
    cluster.close()


@pytest.mark.parametrize("theta", ["disk", "none"])
def test_dask_equals_single_process(tmp_path, make_corpus, client, theta):
    c = make_corpus(n_topics=4, words_per_topic=8, n_docs=300, doc_len=30, noise=6,
                    n_background_words=5, extra_modality="@label", seed=3)
    bc = write_batches(c, tmp_path / "b", batch_docs=40)  # 8 batches: an unbalanced tree
    regs = (SmoothSparsePhi(name="sp", tau=-0.05), SmoothSparseTheta(name="st", tau=-0.02),
            Decorrelator(name="dec", tau=1e3))
    cfg = ModelConfig(n_topics=4, n_background=1, iterations=5, seed=5, inner_passes=3, threads=1,
                      regularizers=regs, modality_weights={"@label": 2.0})
    ref = Trainer(bc, batched_config(cfg, theta=theta))
    # a running scheduler by address: the tcp:// path of --dask
    dt = Trainer(bc, batched_config(cfg, theta=theta, dask=client.scheduler.address))
    for _ in range(cfg.iterations):
        r1, r2 = ref.step(), dt.step()
        assert r2.scores["perplexity"] == pytest.approx(r1.scores["perplexity"], rel=1e-5)
    np.testing.assert_allclose(dt.model.phi, ref.model.phi, atol=1e-5)
    # Θ of the last pass comes back from the workers' batch files
    np.testing.assert_allclose(np.asarray(dt.model.theta), np.asarray(ref.model.theta), atol=1e-5)
    assert dt.config.options["dask"] == client.scheduler.address and dt.estep.overhead["broadcast_s"] >= 0
    ref.close()
    dt.close()


def test_killed_worker_mid_pass_does_not_corrupt_phi(tmp_path, make_corpus, client):
    c = make_corpus(n_topics=5, words_per_topic=200, n_docs=6000, doc_len=150, noise=20, seed=8)
    bc = write_batches(c, tmp_path / "b", batch_docs=200)  # 30 batches
    cfg = ModelConfig(n_topics=40, iterations=1, seed=2, inner_passes=10, threads=1)
    ref = Trainer(bc, batched_config(cfg))
    ref.step()
    dt = Trainer(bc, batched_config(cfg, dask=client.scheduler.address))
    done = threading.Event()
    errors = []

    def run():
        try:
            dt.step()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        done.set()

    before = set(client.scheduler_info()["workers"])
    th = threading.Thread(target=run)
    th.start()
    # wait until the pass is under way (some E-step results exist), then kill one worker process
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not done.is_set():
        keys = [k for k in client.who_has() if str(k).startswith("artm-estep-1-")]
        if keys:
            break
        time.sleep(0.01)
    assert not done.is_set(), "the pass ended before a worker could be killed"
    nanny = next(iter(client.cluster.workers.values()))
    nanny.process.process.kill()
    th.join(120)
    assert not errors, errors
    assert done.is_set()
    np.testing.assert_allclose(dt.model.phi, ref.model.phi, atol=1e-5)
    # the killed worker really went away (the nanny starts a new one with a new address)
    client.wait_for_workers(2, timeout=60)
    assert set(client.scheduler_info()["workers"]) != before
    ref.close()
    dt.close()


def test_connect_errors():
    with pytest.raises(ConfigError, match="local:N"):
        connect("local:zero")
    with pytest.raises(ConfigError, match="expected"):
        connect("somewhere")


def test_cli_train_dask_local(tmp_path, make_corpus):
    """``python -m engine train --dask local:2`` in a subprocess (its LocalCluster ends with it)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from engine.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    c = make_corpus(n_topics=3, n_docs=120, seed=1)
    ws.save_corpus(c, "mem")
    write_batches(c, ws.corpus_path("bat"), name="bat", batch_docs=50)
    root = str(ws.root)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True,
                              env=env, timeout=300)

    bad = cli("train", "--workspace", root, "--corpus", "mem", "--dask", "local:1")
    assert bad.returncode == 2 and "--batches" in bad.stderr
    out = cli("train", "--workspace", root, "--corpus", "bat", "--topics", "3", "--iterations", "2",
              "--dask", "local:2", "--jsonl")
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(x) for x in out.stdout.splitlines() if x.startswith("{")]
    assert [r["iteration"] for r in lines] == [1, 2] and lines[-1]["perplexity"] > 0
    assert len(list(ws.runs_dir.iterdir())) == 1


@pytest.mark.parametrize("fan_in", [2, 3, 8])
def test_reduce_tree_sums_in_batch_order_without_touching_inputs(fan_in):
    from engine.families.batched.dask import TIMERS, _add, reduce_tree

    rng = np.random.default_rng(fan_in)
    W, T, leaves = 30, 4, []
    for b in range(11):  # 11 leaves: every fan-in leaves a short last group somewhere
        words = np.sort(rng.choice(W, size=7, replace=False))
        secs = np.zeros(len(TIMERS))
        secs[TIMERS.index("estep_s")] = 1.0
        leaves.append((words, rng.random((7, T), dtype=np.float32), np.array([-2.0]), np.array([3.0]),
                       np.array([0.0, 5.0]), secs))
    copies = [tuple(np.copy(x) for x in leaf) for leaf in leaves]
    calls = []

    def submit(fn, *args, key):
        calls.append(key)
        return fn(*args)

    root = reduce_tree(submit, leaves, (W, T), fan_in)
    dense = np.zeros((W, T), np.float32)
    for words, rows, *_ in copies:
        dense[words] += rows
    np.testing.assert_allclose(root["n_wt"], dense, rtol=1e-6)
    assert root["ll"] == -22.0 and root["nt"] == 33.0 and root["small"][1] == 55.0
    assert root["secs"][TIMERS.index("estep_s")] == 11.0 and root["secs"][TIMERS.index("adds")] == len(calls)
    assert len(calls) == {2: 10, 3: 6, 8: 3}[fan_in]  # fewer dense partial sums with a wider node
    for leaf, copy in zip(leaves, copies):
        for x, y in zip(leaf, copy):
            np.testing.assert_array_equal(x, y)
    assert _add((W, T), leaves[0])["n_wt"][leaves[0][0]].tolist() == leaves[0][1].tolist()


def test_estep_task_of_one_or_several_batches_equals_the_batches_one_by_one(tmp_path, make_corpus):
    from engine.families.batched.dask import TIMERS, _estep_task
    from engine.families.batched.estep import estep_batch, prepare_batch

    c = make_corpus(n_topics=3, words_per_topic=6, n_docs=90, doc_len=20, noise=2, seed=4)
    bc = write_batches(c, tmp_path / "b", batch_docs=30)  # 3 batches
    W, T = bc.n_tokens, 3
    phi = np.random.default_rng(1).random((W, T)).astype(np.float32)
    phi /= phi.sum(axis=0)
    static = (np.ones(W, np.float32), np.zeros(W, np.int32), 1, T)
    add, mult = np.zeros(T, np.float32), np.ones(T, np.float32)
    items = [(str(bc.batch_path(b)), b, bc.doc_range(b)[0], (None, str(tmp_path / f"t{b}.npy")), True)
             for b in range(3)]
    dense, thetas = np.zeros((W, T), np.float32), []
    for b in range(3):
        pb = prepare_batch(bc.read(b), W)
        nb, theta, _, _ = estep_batch(pb, phi, *static[:3], None, True, 2, add, mult, np.zeros((0, T), np.float32))
        dense[pb.words] += nb
        thetas.append(theta)
    words, nb, *_ = _estep_task(items[:1], phi, static, 2, add, mult)  # one batch: its own words only
    pb0 = prepare_batch(bc.read(0), W)
    ref0, *_ = estep_batch(pb0, phi, *static[:3], None, True, 2, add, mult, np.zeros((0, T), np.float32))
    np.testing.assert_array_equal(words, pb0.words)
    np.testing.assert_allclose(nb, ref0, rtol=1e-6)
    several = _estep_task(items, phi, static, 2, add, mult)
    np.testing.assert_allclose(several["n_wt"], dense, rtol=1e-5, atol=1e-7)
    assert several["secs"][TIMERS.index("estep_cpu_s")] > 0 and several["small"][0] == 0
    for b in range(3):  # every batch's θ went to its own file
        np.testing.assert_allclose(np.load(tmp_path / f"t{b}.npy"), thetas[b], rtol=1e-6)
