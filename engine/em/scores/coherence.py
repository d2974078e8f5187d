"""Coherence: mean NPMI of each topic's top tokens (:mod:`engine.em.cooccurrence`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em._kernels import scores as KS
from engine.em.cooccurrence import coherence_per_topic, cooccurrence
from engine.em.model import ScoreContext
from engine.em.scores.base import PerModalityScore, _register, modality_key


def top_token_ids(phi: np.ndarray, mask: np.ndarray, topics: np.ndarray, k: int) -> list[np.ndarray]:
    """For each topic in ``topics`` the ids (global rows of Φ) of its k largest φ_wt within
    ``mask``, by decreasing φ (ties by token id); zero-probability tokens are left out. One
    compiled pass over Φ's rows (:func:`engine.em._kernels.scores.top_k_rows`), no copy of Φ."""
    rows = np.flatnonzero(mask).astype(np.int64)
    topics = np.asarray(topics, dtype=np.int64)
    kk = min(int(k), len(rows))
    if kk <= 0 or len(topics) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in topics]
    phi = np.asarray(phi)
    phi = np.ascontiguousarray(phi, phi.dtype if phi.dtype in (np.float32, np.float64) else np.float64)
    ids = np.zeros((len(topics), kk), np.int64)
    vals = np.zeros((len(topics), kk), phi.dtype)
    counts = np.zeros(len(topics), np.int64)
    KS.top_k_rows(phi, rows, topics, kk, ids, vals, counts)
    return [ids[j, :counts[j]].copy() for j in range(len(topics))]


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
