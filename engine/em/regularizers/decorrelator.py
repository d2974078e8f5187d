"""Decorrelator: pushes the topics' Φ columns apart."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em import _kernels as K
from engine.em.regularizers.base import (
    Param, Regularizer, register_regularizer, token_mask, topic_mask,
)


@register_regularizer
@dataclass(frozen=True)
class Decorrelator(Regularizer):
    """r_wt = −τ φ_wt Σ_{s∈S, s≠t} φ_ws for t in the topic subset S (distinct topics)."""

    topics: Any = "subject"
    modalities: Any = None

    kind: ClassVar[str] = "Decorrelator"
    DEFAULT_TAU: ClassVar[float] = 1e4
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "subject", "Topics to decorrelate (among themselves)"),
        Param("modalities", "modalities", None, "Modalities to regularize (empty = all)"),
    )

    def phi_term(self, phi, n_wt, ctx):
        cols = topic_mask(ctx, self.topics)
        rows = token_mask(ctx, self.modalities)
        p = phi.astype(np.float64) * cols[None, :]
        others = p.sum(axis=1, keepdims=True) - p
        return (-ctx.tau) * p * others * rows[:, None]

    def add_phi_term(self, phi, n_wt, ctx, out):
        K.add_decorrelation(out, np.ascontiguousarray(phi, np.float32),
                            topic_mask(ctx, self.topics), token_mask(ctx, self.modalities),
                            float(ctx.tau))
