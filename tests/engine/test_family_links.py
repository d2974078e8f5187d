"""Document links (relational ARTM): planted recovery, save/load, CLI, bad edge lists."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from engine.em.config import ModelConfig
from engine.errors import InputError
from engine.families.links import model as L
from engine.em.trainer import Trainer
from engine.families.links.family import LinksOptions, links_config, links_from_arrays
from engine.store.runs import load_run
from engine.jobs import TrainingJob
from engine.store.checkpoints import read_checkpoint
from engine.store.workspace import Workspace
from planted import planted_corpus


@pytest.fixture
def linked(kernels_ready):
    """Very short noisy documents (3 topic words + 15 random words): alone they hardly reveal
    their topic; 1,200 links join documents of the same planted topic."""
    c = planted_corpus(n_topics=4, words_per_topic=10, n_docs=400, doc_len=3, noise=15, seed=1)
    truth = np.arange(400) % 4
    rng = np.random.default_rng(0)
    src = rng.integers(0, 400, 1200)
    dst = np.array([rng.choice(np.flatnonzero(truth == truth[s])) for s in src])
    edges = pd.DataFrame({"source": [f"d{i}" for i in src], "target": [f"d{i}" for i in dst]})
    return c, truth, edges


def _accuracy(theta, truth):
    conf = np.zeros((4, 4))
    np.add.at(conf, (theta.argmax(1), truth), 1)
    r, c = linear_sum_assignment(-conf)
    return conf[r, c].sum() / len(truth)


def test_links_recover_planted_topics(linked, tmp_path):
    c, truth, edges = linked
    edges.to_csv(tmp_path / "e.csv", index=False)
    links = L.edges_from_frame(edges, c.documents)
    acc = {}
    for tau in (0.0, 5.0):
        tr = Trainer(c, links_config(ModelConfig(n_topics=4, iterations=40, seed=2, threads=1),
                                     LinksOptions(edges=str(tmp_path / "e.csv"), tau=tau)))
        tr.fit()
        theta = tr.model.theta.T
        acc[tau] = (_accuracy(theta, truth), L.agreement(theta, links)[0].mean())
    assert acc[5.0][0] > acc[0.0][0] + 0.15     # observed 0.41 → 0.67
    assert acc[5.0][1] > acc[0.0][1] + 0.1      # observed 0.78 → 0.95


def test_theta_term_pulls_toward_neighbours():
    th = np.array([[0.5, 0.5], [1.0, 0.0]], np.float32)
    links = L.edges_from_frame(pd.DataFrame({"source": ["a"], "target": ["b"]}), pd.DataFrame({"id": ["a", "b"]}))
    term = L.theta_term(th, links, 2.0)
    assert term[0, 0] == pytest.approx(1.0) and term[0, 1] == 0  # d=a pulled to topic 0 of b


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"from": ["d1"], "target": ["d2"]}), "no column 'source'"),
    (pd.DataFrame({"source": [], "target": []}), "has no edges"),
    (pd.DataFrame({"source": ["x1"], "target": ["x2"]}), "none of its document ids"),
    (pd.DataFrame({"source": ["d1", "x1"], "target": ["d2", "d3"]}), "1 edges name documents not in the corpus"),
    (pd.DataFrame({"source": ["d1"], "target": ["d2"], "weight": ["-1"]}), "must hold positive numbers"),
    (pd.DataFrame({"source": ["d1"], "target": ["d1"]}), "no edge between two different"),
])
def test_bad_edge_lists(linked, tmp_path, frame, message):
    c, _, _ = linked
    path = tmp_path / "edges.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError, match=message):
        L.read_edges(path, c.documents)
    with pytest.raises(InputError, match="does not exist"):
        L.read_edges(tmp_path / "nope.csv", c.documents)


def test_save_load_resume(linked, tmp_path):
    c, _, edges = linked
    edges.to_csv(tmp_path / "e.csv", index=False)
    links = L.edges_from_frame(edges, c.documents)
    ws = Workspace(tmp_path / "ws")
    job = TrainingJob(ws, c, links_config(ModelConfig(n_topics=4, iterations=4, threads=1),
                                          LinksOptions(edges=str(tmp_path / "e.csv"), tau=5)))
    job.start()
    assert job.wait(timeout=120).status == "finished"
    (tmp_path / "e.csv").unlink()  # the run keeps its edges: no need for the file any more
    run = load_run(ws, job.run_id)
    assert run.config["options"]["tau"] == 5
    assert (links_from_arrays(run.arrays, c.n_docs) != links).nnz == 0
    state, _ = read_checkpoint(ws.runs_dir / job.run_id, 4)
    edges.iloc[:5].to_csv(tmp_path / "e.csv", index=False)  # a changed file does not change a resumed run
    again = Trainer.from_state(c, None, state)
    assert (again.estep.links != links.astype(np.float32)).nnz == 0 and again.iteration == 4


def test_cli_links(linked, tmp_path, capsys):
    from engine.cli import main

    rng = np.random.default_rng(0)
    a, b = "tax budget growth market bank wages".split(), "hospital doctors nurses patients care clinic".split()
    pd.DataFrame([{"id": f"d{i}", "text": " ".join(rng.choice(a if i % 2 else b, 8))} for i in range(40)]) \
        .to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"source": [f"d{i}" for i in range(0, 38)], "target": [f"d{i + 2}" for i in range(0, 38)]}) \
        .to_csv(tmp_path / "e.csv", index=False)
    pd.DataFrame({"source": ["zz"], "target": ["d1"]}).to_csv(tmp_path / "bad.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["import", str(tmp_path / "t.csv"), "--name", "t", "--text-column", "text", "--min-df", "1"] + ws) == 0
    assert main(["links", "train", "--corpus", "t", "--edges", str(tmp_path / "bad.csv"), "--topics", "2"] + ws) == 2
    assert "bad.csv" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "runs").exists() or not any((tmp_path / "ws" / "runs").iterdir())
    assert main(["links", "train", "--corpus", "t", "--edges", str(tmp_path / "e.csv"), "--topics", "2",
                 "--iterations", "10", "--tau", "5", "--name", "ln"] + ws) == 0
    capsys.readouterr()
    assert main(["links", "agreement", "ln"] + ws) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["edges"] == 38 and out["mean_agreement"] > out["random_pairs_agreement"]
