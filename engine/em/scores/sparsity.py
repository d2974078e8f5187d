"""Sparsity of Φ and Θ."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em._kernels import scores as KS
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
        st = ctx.stats
        if st is not None and st.eps == self.eps:  # counted in the pass's shared sums
            small, rows = st.phi_small, st.rows
        else:
            phi = np.ascontiguousarray(model.phi, np.float32)
            codes = np.ascontiguousarray(model.token_modality, np.int32)
            M = len(model.modalities)
            small = np.zeros((M, phi.shape[1]), np.int64)
            KS.count_small(phi, codes, np.float32(self.eps), small)  # one pass over Φ, no W × T mask
            rows = np.bincount(codes, minlength=M)
        out = {}
        for c, m in enumerate(model.modalities):
            if rows[c]:
                out[modality_key("sparsity_phi", m, model.modalities)] = \
                    float(small[c, idx].sum() / (rows[c] * len(idx)))
        return out


@_register
@dataclass
class SparsityTheta(Score):
    """Sparsity of Θ (BigARTM ``SparsityThetaScore``): the share of zero entries
    :math:`|\\{(t,d): \\theta_{td} < \\varepsilon\\}| / (|T|\\,|D|)` over the chosen topics
    (default: subject topics). Key ``sparsity_theta``.
    """

    kind: ClassVar[str] = "SparsityTheta"
    IN_MEMORY_ONLY: ClassVar[bool] = True
    topics: Any = "subject"
    eps: float = EPS

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        idx = ctx.model.topic_indices(self.topics)
        th = ctx.model.theta
        if len(idx) == 0 or th.shape[1] == 0:
            return {}
        st = ctx.stats
        if st is not None and st.theta is not None and st.eps == self.eps:
            small = st.theta_small  # one pass over Θ shared with the health check
        else:
            rows = np.ascontiguousarray(th.T, np.float32)  # Θ as the engine keeps it, (D, T): no copy
            small = np.zeros((1, rows.shape[1]), np.int64)
            KS.count_small(rows, np.zeros(rows.shape[0], np.int32), np.float32(self.eps), small)
            small = small[0]
        return {"sparsity_theta": float(small[idx].sum() / (len(idx) * th.shape[1]))}
