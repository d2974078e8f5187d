"""Regression on Θ (supervised ARTM): a numeric or binary document variable y explained by the
topics, R(Θ, v) = −τ Σ_d (y_d − Σ_t v_t θ_td)² with v fitted in the M-step.

Public API (the app and the CLI import only these names): :class:`RegressionOptions`,
:func:`regression_config`, the targets and per-topic effects (:mod:`.model`), a trained run's fit,
predictions and scores (:mod:`.fit`).
"""
from engine.families.regression.family import FAMILY, RegressionEStep, RegressionOptions, regression_config
from engine.families.regression.model import targets, topic_effects
from engine.families.regression.fit import RegressionFit, fit_of, fit_of_trainer, predict, scores

__all__ = [
    "FAMILY", "RegressionOptions", "RegressionEStep", "regression_config", "targets",
    "topic_effects", "RegressionFit", "fit_of", "fit_of_trainer", "predict", "scores",
]
