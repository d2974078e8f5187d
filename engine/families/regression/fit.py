"""A saved regression run's fit (v, its standard errors, ȳ, s_y) and prediction for new text."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.em.inference import transform
from engine.errors import WorkspaceError
from engine.families.regression import model as M
from engine.families.regression.family import RegressionOptions


@dataclass
class RegressionFit:
    v: np.ndarray
    se: np.ndarray
    mean: float
    sd: float
    binary: bool
    options: RegressionOptions = field(default_factory=RegressionOptions)

    def effects(self, topic_names):
        return M.topic_effects(topic_names, self.v, self.se, self.mean, self.sd)


def fit_of(run) -> RegressionFit:
    """The regression fit of a loaded run (WorkspaceError if it is not a regression run)."""
    cfg = run.config or {}
    if cfg.get("family") != "regression" or "regression_v" not in run.arrays:
        raise WorkspaceError(f"run {run.run_id} is not a regression model (family {cfg.get('family', 'standard')!r})")
    mean, sd, binary = np.asarray(run.arrays["regression_moments"], np.float64)
    return RegressionFit(np.asarray(run.arrays["regression_v"], np.float64),
                         np.asarray(run.arrays["regression_se"], np.float64), float(mean), float(sd),
                         bool(binary), RegressionOptions.from_dict(cfg.get("options")))


def predict(model, fit: RegressionFit, n_dw, inner_passes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(ŷ (D',), θ (T, D')) of new documents: θ by ``transform`` with Φ fixed, ŷ = ȳ + s_y v·θ."""
    theta = transform(model, n_dw, inner_passes)[0]
    return M.predict_from_theta(theta.T, fit.v, fit.mean, fit.sd), theta


def fit_of_trainer(trainer) -> RegressionFit:
    """The current fit of a trainer of family "regression" (in memory)."""
    e = trainer.estep
    return RegressionFit(e.v.copy(), e.se.copy(), e.mean, e.sd, e.binary, e.options)


def scores(fit: RegressionFit, theta_dt, y, mask) -> dict:
    """R² (and AUC for a binary y) of ŷ = ȳ + s_y v·θ on the documents of ``mask``."""
    yhat = M.predict_from_theta(theta_dt, fit.v, fit.mean, fit.sd)
    out = {"r2": M.r2(y[mask], yhat[mask])}
    if fit.binary:
        out["auc"] = M.auc(y[mask], yhat[mask])
    return out
