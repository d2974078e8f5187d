"""Distinctness: pairwise distances between topics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em._kernels import scores as KS
from engine.em.model import ScoreContext
from engine.errors import ConfigError
from engine.em.scores.base import PerModalityScore, _register, _rows, modality_key


def pairwise_topic_distance(phi: np.ndarray, metric: str = "hellinger") -> np.ndarray:
    """(T, T) distances between the columns of ``phi`` (each a distribution over tokens).

    * ``hellinger``: :math:`H(p,q) = \\sqrt{1 - \\sum_w \\sqrt{p_w q_w}}` (in [0, 1]);
    * ``jensen_shannon``: :math:`JS(p,q) = \\tfrac12 KL(p\\|m) + \\tfrac12 KL(q\\|m)`,
      m = (p+q)/2, in bits (in [0, 1]).
    """
    phi = np.asarray(phi)
    if metric == "hellinger":
        return hellinger_distances(phi, np.arange(phi.shape[0]), np.arange(phi.shape[1]))
    p = np.asarray(phi, dtype=np.float64)
    s = p.sum(axis=0, keepdims=True)
    p = np.divide(p, s, out=np.zeros_like(p), where=s > 0)
    T = p.shape[1]
    if metric == "jensen_shannon":
        out = np.zeros((T, T))
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(p > 0, np.log2(p), 0.0)
            for i in range(T):
                for j in range(i + 1, T):
                    a, b = p[:, i], p[:, j]
                    mm = 0.5 * (a + b)
                    nz = mm > 0
                    logm = np.log2(mm[nz])
                    kl_a = np.sum(a[nz] * (logp[nz, i] - logm))
                    kl_b = np.sum(b[nz] * (logp[nz, j] - logm))
                    out[i, j] = out[j, i] = 0.5 * (kl_a + kl_b)
        return np.clip(out, 0.0, 1.0)
    raise ConfigError(f"TopicDistance.metric must be 'hellinger' or 'jensen_shannon', got {metric!r}")


def hellinger_distances(phi: np.ndarray, rows: np.ndarray, topics: np.ndarray,
                        col_sum: np.ndarray | None = None) -> np.ndarray:
    """(T', T') Hellinger distances between the columns ``topics`` of Φ restricted to ``rows``,
    each column normalized to sum 1 over those rows (``col_sum``: those sums, float64, if known).

    H(p, q) = √(1 − Σ_w √(p_w q_w)); the Bhattacharyya sums are one compiled pass over the rows
    (:func:`engine.em._kernels.scores.hellinger_gram`: blocks of 256 rows, vectorized dots; not
    BLAS, whose threads spin when the E-step threads or other processes hold the cores)."""
    phi = np.asarray(phi)
    phi = np.ascontiguousarray(phi, phi.dtype if phi.dtype in (np.float32, np.float64) else np.float64)
    rows = np.asarray(rows, np.int64)
    topics = np.asarray(topics, np.int64)
    if col_sum is None:
        sub = phi if len(rows) == phi.shape[0] else phi[rows]
        col_sum = sub.sum(axis=0, dtype=np.float64)[topics]
    bc = np.zeros((len(topics), len(topics)))
    KS.hellinger_gram(phi, rows, topics,
                      np.ascontiguousarray(col_sum, np.float64), bc)
    bc = np.clip(bc, 0.0, 1.0)
    return np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))


@_register
@dataclass
class TopicDistance(PerModalityScore):
    """Topic distinctness: mean pairwise distance between the Φ columns (within one modality) of
    the live subject topics, :math:`\\frac{2}{|T|(|T|-1)}\\sum_{s<t} d(\\phi_s, \\phi_t)` with d the
    Hellinger distance (default) or the Jensen–Shannon divergence in bits. Both lie in [0, 1];
    larger is more distinct. Key ``topic_distance``.
    """

    kind: ClassVar[str] = "TopicDistance"
    metric: str = "hellinger"
    modality: str | None = None
    topics: Any = "subject"
    LEAST_TOPICS: ClassVar[int] = 2  # a distance needs a pair

    def __post_init__(self):
        super().__post_init__()
        if self.metric not in ("hellinger", "jensen_shannon"):
            raise ConfigError(f"TopicDistance.metric must be 'hellinger' or 'jensen_shannon', got {self.metric!r}")

    def measure(self, ctx: ScoreContext, m, mask, idx) -> dict[str, float]:
        model = ctx.model
        if self.metric == "hellinger":  # no copy of Φ; column sums from the pass's shared sums
            st = ctx.stats
            col = st.phi_col[model.modalities.index(m)][idx] if st is not None else None
            d = hellinger_distances(model.phi, np.flatnonzero(mask), idx, col)
        else:
            d = pairwise_topic_distance(_rows(np.asarray(model.phi), mask)[:, idx], self.metric)
        iu = np.triu_indices(len(idx), 1)
        return {modality_key("topic_distance", m, model.modalities): float(d[iu].mean())}
