"""Topic mass and the background share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.model import ScoreContext
from engine.em.scores.base import PerModalityScore, Score, _register, _rows, modality_key


@_register
@dataclass
class BackgroundTokensRatio(PerModalityScore):
    """Share of the token mass the E-step gives background topics:
    :math:`\\sum_{w\\in W_m}\\sum_{t\\in B} n_{wt} / \\sum_{w\\in W_m}\\sum_t n_{wt}` for the default
    modality (BigARTM's ``BackgroundTokensRatioScore`` counts tokens whose KL(p(t)‖p(t|w)) exceeds
    δ; the mass share is the direct reading of "how much text background topics absorb").
    Key ``background_ratio`` (0 when the model has no background topics).
    """

    kind: ClassVar[str] = "BackgroundTokensRatio"
    modality: str | None = None

    def measure(self, ctx: ScoreContext, m, mask, topics) -> dict[str, float]:
        model = ctx.model
        if ctx.stats is not None:
            n_t = ctx.stats.n_t_mod[model.modalities.index(m)]
        else:
            n_t = _rows(np.asarray(ctx.n_wt), mask).sum(axis=0, dtype=np.float64)
        total = n_t.sum()
        if total <= 0:
            return {}
        bg = n_t[np.asarray(model.background, dtype=bool)].sum()
        return {modality_key("background_ratio", m, model.modalities): float(bg / total)}


@_register
@dataclass
class TopicMass(Score):
    """Topic mass (BigARTM ``TopicMassPhiScore``): :math:`n_t / \\sum_s n_s` with
    :math:`n_t = \\sum_w n_{wt}` from ``ctx.n_wt`` (all modalities, weights applied).

    Keys ``topic_mass:<topic name>`` for every topic, and ``dead_topics`` (number of topics with
    an all-zero Φ column).
    """

    kind: ClassVar[str] = "TopicMass"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        st = ctx.stats
        n_t = st.n_t if st is not None else np.asarray(ctx.n_wt).sum(axis=0, dtype=np.float64)
        total = n_t.sum()
        share = n_t / total if total > 0 else np.zeros_like(n_t)
        out = {f"topic_mass:{name}": float(s) for name, s in zip(model.topic_names, share)}
        out["dead_topics"] = float(len(st.dead_topics() if st is not None else model.dead_topics()))
        return out
