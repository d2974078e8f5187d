"""``RegressionTrainer``: ARTM with the regression regularizer on Θ (see :mod:`.model`).

One pass = the plain offline pass (engine.em.trainer) with the extra per-document Θ term
r_td = 2τ θ_td v_t (ỹ_d − v·θ_d) (previous pass's Θ and v), then the M-step for v (ridge on
the new Θ). Options and the fitted v are kept beside the saved run
(``engine.families._sidecar``); :func:`load_fit` reads them back, :func:`predict` gives ŷ for
new documents (θ inferred with Φ fixed; y is not used).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from engine.em.trainer import Trainer, transform
from engine.errors import ConfigError
from engine.families import _sidecar
from engine.families.regression import model as M

FAMILY = "regression"


@dataclass(frozen=True)
class RegressionOptions:
    """column: y column of the corpus; positive: values making a binary y = 1 (prefix with
    ``*``); unlabeled: ``COL=VALUE`` documents left unsupervised; missing: "error" or
    "unlabeled"; tau: τ of R (in counts); ridge: λ of the v fit (relative to |L|)."""

    column: str = "y"
    positive: tuple = ()
    unlabeled: str = ""
    missing: str = "error"
    tau: float = 50.0
    ridge: float = M.RIDGE

    def validate(self) -> "RegressionOptions":
        if not isinstance(self.column, str) or not self.column:
            raise ConfigError("regression.column must name a corpus column")
        if self.missing not in ("error", "unlabeled"):
            raise ConfigError(f"regression.missing must be error or unlabeled, got {self.missing!r}")
        if not np.isfinite(self.tau) or self.tau < 0:
            raise ConfigError(f"regression.tau must be a finite number ≥ 0, got {self.tau!r}")
        if not np.isfinite(self.ridge) or self.ridge <= 0:
            raise ConfigError(f"regression.ridge must be > 0, got {self.ridge!r}")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["positive"] = list(self.positive)
        return d

    @classmethod
    def from_dict(cls, data: dict | None) -> "RegressionOptions":
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"regression: unknown option(s) {', '.join(sorted(unknown))}")
        if "positive" in data:
            data["positive"] = tuple(data["positive"] or ())
        return cls(**data).validate()


@dataclass
class RegressionFit:
    """What prediction needs: v (T,), its standard errors, ȳ, s_y, the options."""

    v: np.ndarray
    se: np.ndarray
    mean: float
    sd: float
    binary: bool
    options: RegressionOptions = field(default_factory=RegressionOptions)

    def arrays(self) -> dict:
        return {"v": self.v, "se": self.se, "moments": np.array([self.mean, self.sd, float(self.binary)])}


class RegressionTrainer(Trainer):
    """Trainer with the regression Θ term and the v M-step; ``options``: RegressionOptions."""

    def __init__(self, corpus, config, phi0=None, options: RegressionOptions | None = None):
        self.options = (options or RegressionOptions()).validate()
        y, mask = M.targets(corpus.documents, self.options.column, self.options.positive,
                            self.options.unlabeled or None, self.options.missing,
                            source=f"corpus {corpus.name or '(unsaved)'}")
        super().__init__(corpus, config, phi0=phi0)
        self.y, self.mask = y, mask
        self._z, mean, sd = M.standardize(y, mask)
        T = config.total_topics
        self.fit_ = RegressionFit(np.zeros(T), np.zeros(T), mean, sd, M.is_binary(y, mask), self.options)

    def _theta_terms(self, active, ctx):
        add, mult, add_doc = super()._theta_terms(active, ctx)
        tau = 0.0 if ctx.iteration > self.config.iterations - self.config.regularizers_off_last \
            else self.options.tau
        if tau == 0.0 or not self._theta_valid or not np.any(self.fit_.v):
            return add, mult, add_doc
        term = M.theta_term(self._theta, self._z, self.mask, self.fit_.v, tau)
        return add, mult, term if add_doc.shape[0] == 0 else add_doc + term

    def step(self, config=None, score_fn=None):
        report = super().step(config, score_fn)
        v, se = M.fit_v(self._theta, self._z, self.mask, self.options.ridge)
        self.fit_ = RegressionFit(v, se, self.fit_.mean, self.fit_.sd, self.fit_.binary, self.options)
        yhat = M.predict_from_theta(self._theta, v, self.fit_.mean, self.fit_.sd)
        report.scores["regression_r2"] = M.r2(self.y[self.mask], yhat[self.mask])
        if self.fit_.binary:
            report.scores["regression_auc"] = M.auc(self.y[self.mask], yhat[self.mask])
        return report

    def on_saved(self, workspace, run) -> None:
        _sidecar.save_sidecar(workspace, run.run_id, FAMILY, self.options.to_dict(), self.fit_.arrays())

    def get_state(self) -> dict:
        s = super().get_state()
        s["regression"] = {"options": self.options.to_dict(), "v": self.fit_.v.copy(),
                           "se": self.fit_.se.copy()}
        return s

    @classmethod
    def from_state(cls, corpus, config, state: dict, options=None) -> "RegressionTrainer":
        saved = state.get("regression") or {}
        opts = options or RegressionOptions.from_dict(saved.get("options"))
        tr = _sidecar.restore(cls, RegressionTrainer.__init__, corpus, config, state, options=opts)
        if "v" in saved:
            tr.fit_ = RegressionFit(np.asarray(saved["v"], np.float64), np.asarray(saved["se"], np.float64),
                                    tr.fit_.mean, tr.fit_.sd, tr.fit_.binary, opts)
        return tr


def trainer_class(options: RegressionOptions | dict | None):
    """A Trainer-compatible class bound to ``options`` (for ``TrainingJob(trainer_cls=...)``)."""
    opts = options if isinstance(options, RegressionOptions) else RegressionOptions.from_dict(options)
    return _sidecar.bind(RegressionTrainer, options=opts)


def load_fit(workspace, run_id: str) -> RegressionFit:
    """The fitted regression of a saved run (WorkspaceError if it is not a regression run)."""
    opts, arrays = _sidecar.load_sidecar(workspace, run_id, FAMILY)
    mean, sd, binary = arrays["moments"]
    return RegressionFit(arrays["v"], arrays["se"], float(mean), float(sd), bool(binary),
                         RegressionOptions.from_dict(opts))


def predict(model, fit: RegressionFit, n_dw, inner_passes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(ŷ (D',), θ (T, D')) of new documents: θ by ``transform`` with Φ fixed, ŷ = ȳ + s_y v·θ."""
    theta = transform(model, n_dw, inner_passes)[0]
    return M.predict_from_theta(theta.T, fit.v, fit.mean, fit.sd), theta
