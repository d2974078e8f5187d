"""Regression on Θ: planted recovery, save/load, prediction, bad input."""
from __future__ import annotations

import numpy as np
import pytest

from engine.em.config import ModelConfig
from engine.errors import InputError, WorkspaceError
from engine.families.regression import model as M
from engine.em.trainer import Trainer
from engine.families.regression.family import RegressionOptions, regression_config
from engine.families.regression.fit import fit_of, fit_of_trainer, predict, scores
from engine.jobs import TrainingJob
from engine.store.checkpoints import read_checkpoint
from engine.store.runs import load_run
from engine.store.workspace import Workspace
from planted_families import mixture_corpus

BETA = np.array([3.0, -1.0, 0.5, 1.5])


@pytest.fixture
def labelled(kernels_ready):
    c, phi, theta = mixture_corpus(n_topics=4, n_docs=600, overlap=0.5, seed=1)
    y = theta @ BETA + np.random.default_rng(0).normal(0, 0.1, len(theta))
    c.documents["y"] = y
    c.documents["split"] = np.where(np.arange(len(y)) % 4 == 0, "test", "train")
    return c, phi, y


def _match(phi_true, phi_fit):
    """planted topic of every fitted topic (largest Φ overlap)."""
    return np.argmax(np.minimum(phi_fit[:, :, None], phi_true[:, None, :]).sum(0), axis=1)


def test_planted_effects_and_heldout(labelled):
    c, phi, y = labelled
    tr = Trainer(c, regression_config(ModelConfig(n_topics=4, iterations=40, seed=3, threads=1),
                                      RegressionOptions(column="y", unlabeled="split=test", tau=10)))
    tr.fit()
    match = _match(phi, tr.model.phi)
    assert sorted(match) == [0, 1, 2, 3]
    fit = fit_of_trainer(tr)
    eff = fit.mean + fit.sd * fit.v
    assert np.abs(eff - BETA[match]).max() < 0.5
    test = np.flatnonzero(~tr.estep.mask)
    yhat, theta = predict(tr.model, fit, c.n_dw[test])
    assert theta.shape == (4, len(test))
    assert M.r2(y[test], yhat) > 0.8
    assert scores(fit, tr.model.theta.T, y, tr.estep.mask)["r2"] > 0.9


def test_binary_auc_and_term_sign(labelled):
    c, _, y = labelled
    c.documents["hi"] = np.where(y > np.median(y), "hi", "lo")
    tr = Trainer(c, regression_config(ModelConfig(n_topics=4, iterations=15, seed=3, threads=1),
                                      RegressionOptions(column="hi", positive=("hi",), tau=10)))
    tr.fit()
    fit = fit_of_trainer(tr)
    assert fit.binary and scores(fit, tr.model.theta.T, tr.estep.y, tr.estep.mask)["auc"] > 0.9
    # the Θ term pushes θ toward topics with v_t of the residual's sign
    th = np.full((1, 4), 0.25)
    term = M.theta_term(th, np.array([1.0]), np.array([True]), np.array([1.0, -1.0, 0.0, 0.0]), 1.0)
    assert term[0, 0] > 0 > term[0, 1] and term[0, 2] == 0


def test_save_load_exact_and_resume(labelled, tmp_path):
    c, _, _ = labelled
    ws = Workspace(tmp_path)
    opts = RegressionOptions(column="y", tau=10)
    job = TrainingJob(ws, c, regression_config(ModelConfig(n_topics=4, iterations=5, threads=1), opts),
                      name="reg")
    job.start()
    job.wait(timeout=120)
    assert job.snapshot().status == "finished"
    run = load_run(ws, job.run_id)
    fit = fit_of(run)
    assert fit.options == opts
    # v is the ridge fit on the saved Θ: recomputing it from the loaded run gives the same numbers
    y, mask = M.targets(c.documents, "y")
    z, mean, sd = M.standardize(y, mask)
    v, se = M.fit_v(run.model.theta.T, z, mask)
    np.testing.assert_allclose(fit.v, v, rtol=1e-9, atol=1e-12)
    assert (fit.mean, fit.sd) == (mean, sd)
    state, _ = read_checkpoint(ws.runs_dir / job.run_id, 5)
    again = Trainer.from_state(c, None, state)
    np.testing.assert_array_equal(again.estep.v, fit.v)
    np.testing.assert_array_equal(again.model.phi, run.model.phi)
    assert again.iteration == 5


@pytest.mark.parametrize("change, message", [
    (dict(column="nope"), "no column 'nope'"),
    (dict(column="text"), "non-numeric"),
    (dict(column="ynan"), r"missing \(NaN/empty\) values"),
    (dict(column="split", positive=("zzz",)), "no document has split"),
])
def test_bad_input(labelled, tmp_path, change, message):
    c, _, y = labelled
    c.documents["ynan"] = np.where(np.arange(len(y)) == 7, np.nan, y)
    c.documents["text"] = "abc"
    cfg = regression_config(ModelConfig(n_topics=4, iterations=2), RegressionOptions(**change))
    with pytest.raises(InputError, match=message):
        Trainer(c, cfg)
    ws = Workspace(tmp_path)
    with pytest.raises(InputError, match=message):
        TrainingJob(ws, c, cfg)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_nan_as_unlabeled_and_not_a_regression_run(labelled, tmp_path):
    c, _, y = labelled
    c.documents["ynan"] = np.where(np.arange(len(y)) % 3 == 0, np.nan, y)
    tr = Trainer(c, regression_config(ModelConfig(n_topics=4, iterations=2, threads=1),
                                      RegressionOptions(column="ynan", missing="unlabeled")))
    assert tr.estep.mask.sum() == len(y) - len(y[::3])
    tr.fit()
    with pytest.raises(WorkspaceError, match="not a regression model"):
        from engine.store.runs import new_run
        fit_of(new_run(c, ModelConfig(n_topics=4).to_dict(), tr.model))


def test_cli_train_effects_predict_and_bad_column(tmp_path, capsys, kernels_ready):
    import json

    import pandas as pd

    from engine.cli import main

    rng = np.random.default_rng(0)
    a, b = "tax budget growth market bank wages".split(), "hospital doctors nurses patients care clinic".split()
    rows = [{"id": f"d{i}", "text": " ".join(rng.choice(a if i % 2 else b, 12)), "score": float(i % 2)}
            for i in range(80)]
    pd.DataFrame(rows).to_csv(tmp_path / "t.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["import", str(tmp_path / "t.csv"), "--name", "t", "--text-column", "text", "--min-df", "1"] + ws) == 0
    assert main(["regression", "train", "--corpus", "t", "--y", "nope", "--topics", "2"] + ws) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "runs").exists() or not any((tmp_path / "ws" / "runs").iterdir())
    assert main(["regression", "train", "--corpus", "t", "--y", "score", "--topics", "2", "--iterations", "10",
                 "--tau", "5", "--name", "r"] + ws) == 0
    capsys.readouterr()
    assert main(["regression", "effects", "r"] + ws) == 0
    eff = json.loads(capsys.readouterr().out)
    assert eff["binary"] and {t["effect"] > 0.5 for t in eff["topics"]} == {True, False}
    top = eff["topics"][0]  # the topic with the highest y is the money topic
    assert set(top["top_tokens"][:3]) <= set(a)
    assert main(["regression", "predict", "r", "--text", "bank wages tax"] + ws) == 0
    assert json.loads(capsys.readouterr().out)["y"] > 0.5
