"""Sparsity of Φ and Θ."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.model import ScoreContext
from engine.em.scores.base import EPS, Score, _register, modality_key


@_register
@dataclass
class SparsityPhi(Score):
    """Sparsity of Φ (BigARTM ``SparsityPhiScore``): the share of zero entries
    :math:`|\\{(w,t): \\phi_{wt} < \\varepsilon\\}| / (|W_m|\\,|T|)` per modality over the chosen
    topics (default: subject topics). Keys ``sparsity_phi``, ``sparsity_phi@<modality>``.
    """

    kind: ClassVar[str] = "SparsityPhi"
    topics: Any = "subject"
    eps: float = EPS

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        idx = model.topic_indices(self.topics)
        if len(idx) == 0:
            return {}
        zero = model.phi[:, idx] < self.eps
        codes = np.asarray(model.token_modality)
        out = {}
        for c, m in enumerate(model.modalities):
            mask = codes == c
            if mask.any():
                out[modality_key("sparsity_phi", m, model.modalities)] = float(zero[mask].mean())
        return out


@_register
@dataclass
class SparsityTheta(Score):
    """Sparsity of Θ (BigARTM ``SparsityThetaScore``): the share of zero entries
    :math:`|\\{(t,d): \\theta_{td} < \\varepsilon\\}| / (|T|\\,|D|)` over the chosen topics
    (default: subject topics). Key ``sparsity_theta``.
    """

    kind: ClassVar[str] = "SparsityTheta"
    topics: Any = "subject"
    eps: float = EPS

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        idx = ctx.model.topic_indices(self.topics)
        th = ctx.model.theta
        if len(idx) == 0 or th.shape[1] == 0:
            return {}
        return {"sparsity_theta": float((th[idx] < self.eps).mean())}
