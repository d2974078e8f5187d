"""Coherence: mean NPMI of each topic's top tokens (:mod:`engine.em.cooccurrence`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.cooccurrence import coherence_per_topic, cooccurrence
from engine.em.model import ScoreContext
from engine.em.scores.base import PerModalityScore, _register, modality_key


def top_token_ids(phi: np.ndarray, mask: np.ndarray, topics: np.ndarray, k: int) -> list[np.ndarray]:
    """For each topic in ``topics`` the ids (global rows of Φ) of its k largest φ_wt within
    ``mask``, by decreasing φ (ties by token id); zero-probability tokens are left out."""
    rows = np.flatnonzero(mask)
    topics = np.asarray(topics, dtype=np.int64)
    kk = min(k, len(rows))
    if kk == 0 or len(topics) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in topics]
    sub = np.ascontiguousarray(np.asarray(phi)[rows][:, topics].T)  # (T', W_m), rows contiguous
    cand = np.argpartition(-sub, kk - 1, axis=1)[:, :kk] if kk < len(rows) else \
        np.tile(np.arange(len(rows)), (len(topics), 1))
    val = np.take_along_axis(sub, cand, axis=1)
    order = np.lexsort((cand, -val), axis=-1)
    cand = np.take_along_axis(cand, order, axis=1)
    val = np.take_along_axis(val, order, axis=1)
    return [rows[c[v > 0]] for c, v in zip(cand, val)]


@_register
@dataclass
class Coherence(PerModalityScore):
    """Topic coherence: mean NPMI of the top-k tokens of each live subject topic over document
    co-occurrence in the training corpus (BigARTM ``TopTokensScore`` with a co-occurrence
    dictionary; here NPMI is computed from n_dw, no external tool), averaged over topics:

    .. math:: C = \\frac{1}{|T|}\\sum_t \\frac{2}{k(k-1)}\\sum_{i<j}
              \\mathrm{NPMI}(w^t_i, w^t_j)

    Co-occurrence is built once per corpus (:func:`cooccurrence`). Key ``coherence``
    (``coherence@<modality>`` for a non-default modality). Default ``every=5``.
    """

    kind: ClassVar[str] = "Coherence"
    IN_MEMORY_ONLY: ClassVar[bool] = True
    every: int = 5
    top_k: int = 10
    modality: str | None = None
    topics: Any = "subject"

    def measure(self, ctx: ScoreContext, m, mask, idx) -> dict[str, float]:
        model = ctx.model
        co = cooccurrence(ctx.corpus)
        vals = coherence_per_topic(co, top_token_ids(model.phi, mask, idx, self.top_k))
        vals = [v for v in vals if np.isfinite(v)]
        if not vals:
            return {}
        return {modality_key("coherence", m, model.modalities): float(np.mean(vals))}
