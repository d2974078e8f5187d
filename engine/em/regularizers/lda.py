"""LDA(α, β): the Dirichlet priors of LDA as additive terms."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.regularizers.base import Param, Regularizer, ThetaTerms, register_regularizer


@register_regularizer
@dataclass(frozen=True)
class LDA(Regularizer):
    """LDA as ARTM: r_wt = τ β (every topic, every token), r_td = τ α — φ ∝ n_wt + β,
    θ ∝ n_td + α (the maximum a posteriori point estimate of the Dirichlet priors, minus 1)."""

    alpha: float = 0.1
    beta: float = 0.01

    kind: ClassVar[str] = "LDA"
    target: ClassVar[str] = "both"
    DEFAULT_TAU: ClassVar[float] = 1.0
    PARAMS: ClassVar[tuple] = (
        Param("alpha", "float", 0.1, "Dirichlet prior of Θ added to n_td"),
        Param("beta", "float", 0.01, "Dirichlet prior of Φ added to n_wt"),
    )

    def phi_term(self, phi, n_wt, ctx):
        return np.full(phi.shape, ctx.tau * self.beta)

    def theta_terms(self, ctx):
        T = ctx.n_topics
        return ThetaTerms(np.full(T, ctx.tau * self.alpha), np.zeros(T))
