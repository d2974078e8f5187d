"""TopicSelection: drives the mass of weak topics in Θ to zero."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.regularizers.base import (
    Param, Regularizer, ThetaTerms, register_regularizer, topic_mask,
)


@register_regularizer
@dataclass(frozen=True)
class TopicSelection(Regularizer):
    """BigARTM's TopicSelectionTheta: r_td = −τ n_td v_t with v_t = n / (n_t |T|) from the
    previous pass (n = Σ_t n_t); small topics are driven to zero. v = 1 before the first pass."""

    topics: Any = "subject"

    kind: ClassVar[str] = "TopicSelection"
    target: ClassVar[str] = "theta"
    DEFAULT_TAU: ClassVar[float] = 0.5
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "subject", "Topics that may be removed"),
    )

    def theta_terms(self, ctx):
        T = ctx.n_topics
        v = np.ones(T)
        if ctx.n_t is not None and np.sum(ctx.n_t) > 0:
            n_t = np.asarray(ctx.n_t, np.float64)
            v = np.divide(n_t.sum(), n_t * T, out=np.zeros(T), where=n_t > 0)
            v = np.minimum(v, 1e6)
        mult = -ctx.tau * v * topic_mask(ctx, self.topics)
        return ThetaTerms(np.zeros(T), mult)
