"""Registers the regression family: ``ModelConfig(family="regression", options=
RegressionOptions.to_dict())``. Extension points used: options, check_corpus (y must be
usable before anything runs) and estep (:class:`RegressionEStep`: the bag-of-words E-step with
the regression Θ term, then the M-step for v). The fitted v is saved with the run as arrays
``regression_v``, ``regression_se``, ``regression_moments`` (ȳ, s_y, binary)."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import ClassVar

import numpy as np

from engine.em.estep import BagEStep
from engine.em.family import Family, register_family
from engine.errors import ConfigError
from engine.options import Options, finite_number
from engine.families.regression import model as M

__all__ = ["FAMILY", "RegressionOptions", "RegressionEStep", "regression_config"]


@dataclass(frozen=True)
class RegressionOptions(Options):
    """column: y column of the corpus; positive: values making a binary y = 1 (``*`` suffix =
    prefix); unlabeled: ``COL=VALUE`` documents left unsupervised (their y is predicted);
    missing: "error" or "unlabeled" (what NaN/empty y means); tau: τ of R (counts); ridge: λ of
    the v fit (relative to the number of labelled documents)."""

    NAME: ClassVar[str] = "regression"
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
        for k in ("tau", "ridge"):
            finite_number(getattr(self, k), f"regression.{k}", low=0)
        if self.ridge <= 0:
            raise ConfigError("regression.ridge must be > 0")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["positive"] = list(self.positive)
        return d

    @classmethod
    def _decode(cls, data: dict) -> dict:
        if "positive" in data:
            data["positive"] = tuple(data["positive"] or ())
        return data


def _targets(corpus, opts: RegressionOptions):
    return M.targets(corpus.documents, opts.column, opts.positive, opts.unlabeled or None, opts.missing,
                     source=f"corpus {corpus.name or '(unsaved)'}")


class RegressionEStep(BagEStep):
    """The bag-of-words E-step plus r_td = 2τ θ_td v_t (ỹ_d − v·θ_d) (previous pass's Θ and v),
    followed by the ridge fit of v on the new Θ (the M-step for v)."""

    def __init__(self, trainer):
        super().__init__(trainer)
        self.options = RegressionOptions.from_dict(trainer.config.options)
        self.y, self.mask = _targets(trainer.corpus, self.options)
        self.z, self.mean, self.sd = M.standardize(self.y, self.mask)
        self.binary = M.is_binary(self.y, self.mask)
        T = trainer.config.total_topics
        self.v, self.se = np.zeros(T), np.zeros(T)

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        add, mult, add_doc = theta_terms
        off = tr.iteration + 1 > cfg.iterations - cfg.regularizers_off_last
        if not off and self.options.tau > 0 and np.any(self.v):
            term = M.theta_term(tr.theta_buffer, self.z, self.mask, self.v, self.options.tau)
            add_doc = term if add_doc.shape[0] == 0 else add_doc + term
        n_wt, theta, loglik, n_tok = super().run(tr, cfg, tok_weight, reset, (add, mult, add_doc), estep_terms)
        self.v, self.se = M.fit_v(theta, self.z, self.mask, self.options.ridge)
        return n_wt, theta, loglik, n_tok

    def state(self) -> dict:
        return {"v": self.v.copy(), "se": self.se.copy()}

    def load_state(self, state: dict) -> None:
        if "v" in state:
            self.v = np.asarray(state["v"], np.float64)
            self.se = np.asarray(state["se"], np.float64)

    def arrays(self) -> dict:
        return {"regression_v": self.v, "regression_se": self.se,
                "regression_moments": np.array([self.mean, self.sd, float(self.binary)])}


def _check_corpus(corpus, config) -> None:
    _targets(corpus, RegressionOptions.from_dict(config.options))


def regression_config(config, options: RegressionOptions | dict):
    """``config`` with family "regression" and these options."""
    return RegressionOptions.of(options).configure(config)


FAMILY = register_family(Family(
    name="regression", doc="supervised ARTM: regression of a document variable y on Θ",
    options=RegressionOptions.normalized, estep=RegressionEStep,
    check_corpus=_check_corpus))
