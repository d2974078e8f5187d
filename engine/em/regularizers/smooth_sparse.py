"""SmoothSparsePhi / SmoothSparseTheta: additive smoothing (τ > 0) or sparsing (τ < 0) of Φ and Θ."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em import _kernels as K
from engine.em.regularizers.base import (
    Param, Regularizer, ThetaTerms, _token_ids, register_regularizer, token_mask, topic_mask,
)


@register_regularizer
@dataclass(frozen=True)
class SmoothSparsePhi(Regularizer):
    """r_wt = τ β_w γ_t on the chosen topics and modalities (τ > 0 smooths, τ < 0 sparses).

    β_w = ``token_weights[token]`` (default ``default_token_weight``), γ_t =
    ``topic_weights[topic]`` (default 1). LDA's Dirichlet β is the τ > 0 case.
    """

    topics: Any = "all"
    modalities: Any = None
    token_weights: Any = None
    topic_weights: Any = None
    default_token_weight: float = 1.0

    kind: ClassVar[str] = "SmoothSparsePhi"
    DEFAULT_TAU: ClassVar[float] = -0.1
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "all", "Topics to regularize: all, subject, background or a list"),
        Param("modalities", "modalities", None, "Modalities to regularize (empty = all)"),
        Param("token_weights", "weights", None, "β_w per token (token -> weight); others get the default"),
        Param("topic_weights", "weights", None, "Per-topic multiplier (topic name -> weight)"),
        Param("default_token_weight", "float", 1.0, "β_w of tokens not listed in token_weights"),
    )

    def _weights(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """(β_w (W,), γ_t (T,)) as float64, zero outside the chosen modalities and topics."""
        cols = topic_mask(ctx, self.topics).astype(np.float64)
        for name, g in (self.topic_weights or {}).items():
            cols[topic_mask(ctx, (name,))] *= g
        rows = token_mask(ctx, self.modalities) * self.default_token_weight
        if self.token_weights:
            for m in (self.modalities or ctx.modalities):
                ids = _token_ids(ctx, list(self.token_weights), m)
                vals = np.array(list(self.token_weights.values()))
                ok = ids >= 0
                rows[ids[ok]] = vals[ok]
        return np.ascontiguousarray(rows, np.float64), cols

    def phi_term(self, phi, n_wt, ctx):
        rows, cols = self._weights(ctx)
        return ctx.tau * np.outer(rows, cols)

    def add_phi_term(self, phi, n_wt, ctx, out):
        rows, cols = self._weights(ctx)
        K.add_outer(out, rows, cols, float(ctx.tau))


@register_regularizer
@dataclass(frozen=True)
class SmoothSparseTheta(Regularizer):
    """r_td = τ α_t on the chosen topics (τ > 0 smooths, τ < 0 sparses); LDA's α."""

    topics: Any = "all"
    topic_weights: Any = None

    kind: ClassVar[str] = "SmoothSparseTheta"
    target: ClassVar[str] = "theta"
    DEFAULT_TAU: ClassVar[float] = -0.1
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "all", "Topics to regularize: all, subject, background or a list"),
        Param("topic_weights", "weights", None, "α_t per topic (topic name -> weight; default 1)"),
    )

    def theta_terms(self, ctx):
        alpha = topic_mask(ctx, self.topics).astype(np.float64)
        for name, a in (self.topic_weights or {}).items():
            alpha[topic_mask(ctx, (name,))] *= a
        return ThetaTerms(ctx.tau * alpha, np.zeros(ctx.n_topics))
