"""Author–topic (three-matrix) model: planted recovery, save/load, CLI, bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.errors import InputError
from engine.families.author import model as A
from engine.em.trainer import Trainer
from engine.families.author.family import AuthorOptions, author_config
from engine.families.author.fit import fit_of, fit_of_trainer, top_documents
from engine.jobs import TrainingJob
from engine.store.checkpoints import read_checkpoint
from engine.store.runs import load_run
from engine.store.workspace import Workspace
from planted_families import author_corpus


def _psi_error(tr, phi, psi):
    match = np.argmax(np.minimum(tr.model.phi[:, :, None], phi[:, None, :]).sum(0), axis=1)
    assert sorted(match) == list(range(phi.shape[1]))
    est = np.zeros_like(psi)
    est[match] = tr.estep.psi
    return np.abs(est - psi).max()


@pytest.mark.parametrize("coauthors, mode", [(False, "fixed"), (True, "fixed"), (True, "learned")])
def test_planted_author_profiles(kernels_ready, coauthors, mode):
    c, phi, psi, names = author_corpus(coauthors=coauthors, seed=2)
    tr = Trainer(c, author_config(ModelConfig(n_topics=4, iterations=40, seed=1, threads=2),
                                  AuthorOptions(sep=";", mode=mode)))
    tr.fit()
    assert tr.estep.authors == names
    assert _psi_error(tr, phi, psi) < 0.08
    # Θ of the run is the documents' mixture Σ_c ψ_tc θ_cd
    np.testing.assert_allclose(tr.model.theta.sum(0), 1, atol=1e-5)


def test_kernel_counts_match_dense_formula(kernels_ready):
    c, _, _, _ = author_corpus(n_docs=30, coauthors=True, seed=3)
    tr = Trainer(c, author_config(ModelConfig(n_topics=4, iterations=1, seed=1, threads=1), AuthorOptions(sep=";")))
    phi0, psi0, Am = tr.phi.astype(np.float64), tr.estep.psi.copy(), tr.estep.authors_matrix.toarray()
    tr.step()
    X = c.n_dw.toarray()
    n_tc = np.zeros_like(psi0)
    n_wt = np.zeros_like(phi0)
    for d in range(X.shape[0]):
        joint = phi0[:, :, None] * psi0[None] * Am[d][None, None, :]   # (W, T, C)
        p = joint.sum((1, 2))
        post = np.divide(X[d][:, None, None] * joint, p[:, None, None], where=p[:, None, None] > 0,
                         out=np.zeros_like(joint))
        n_tc += post.sum(0)
        n_wt += post.sum(2)
    np.testing.assert_allclose(tr.estep.psi, A.norm_columns(n_tc), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(tr.model.phi, A.norm_columns(n_wt), rtol=1e-4, atol=1e-6)


def test_save_load_resume_and_views(kernels_ready, tmp_path):
    c, _, _, names = author_corpus(seed=4)
    ws = Workspace(tmp_path)
    opts = AuthorOptions(mode="learned")
    job = TrainingJob(ws, c, author_config(ModelConfig(n_topics=4, iterations=6, threads=1), opts))
    job.start()
    assert job.wait(timeout=120).status == "finished"
    run = load_run(ws, job.run_id)
    fit = fit_of(run, c)
    state, _ = read_checkpoint(ws.runs_dir / job.run_id, 6)
    again = Trainer.from_state(c, None, state)
    np.testing.assert_array_equal(again.estep.psi, fit.psi)
    np.testing.assert_array_equal(again.estep.authors_matrix.data, fit.authors_matrix.data)
    np.testing.assert_array_equal(again.model.phi, run.model.phi)
    t = int(np.argmax(fit.psi[:, 0]))
    docs = top_documents(fit, names[0], t, n=3)
    assert docs and all(c.documents["author"].iloc[d] == names[0] for d, _ in docs)
    xy = A.author_map(fit.psi)
    assert xy.shape == (len(names), 2) and np.isfinite(xy).all()


def test_bad_author_column(kernels_ready, tmp_path):
    c, _, _, _ = author_corpus(n_docs=20)
    with pytest.raises(InputError, match="no author column 'speaker'"):
        Trainer(c, author_config(ModelConfig(n_topics=2), AuthorOptions(column="speaker")))
    c.documents["nobody"] = None
    with pytest.raises(InputError, match="names no author"):
        TrainingJob(Workspace(tmp_path), c, author_config(ModelConfig(n_topics=2), AuthorOptions(column="nobody")))
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_cli_author(kernels_ready, tmp_path, capsys):
    import pandas as pd

    from engine.cli import main

    rng = np.random.default_rng(0)
    a, b = "tax budget growth market bank wages".split(), "hospital doctors nurses patients care clinic".split()
    rows = [{"id": f"d{i}", "text": " ".join(rng.choice(a if i % 2 else b, 12)), "who": f"p{i % 2}; p{2 + i % 3}"}
            for i in range(60)]
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["import", str(tmp_path / "t.csv"), "--name", "t", "--text-column", "text", "--min-df", "1"] + ws) == 0
    assert main(["author", "train", "--corpus", "t", "--authors", "nope", "--topics", "2"] + ws) == 2
    assert "no author column 'nope'" in capsys.readouterr().err
    assert main(["author", "train", "--corpus", "t", "--authors", "who", "--sep", ";", "--topics", "2",
                 "--iterations", "15", "--name", "au"] + ws) == 0
    capsys.readouterr()
    assert main(["author", "profiles", "au"] + ws) == 0
    prof = json.loads(capsys.readouterr().out)
    by = {p["author"]: p for p in prof["authors"]}
    assert set(by) == {"p0", "p1", "p2", "p3", "p4"}
    # p1 writes only money documents, p0 only health ones: opposite main topics
    assert by["p0"]["topics"][0]["topic"] != by["p1"]["topics"][0]["topic"]
