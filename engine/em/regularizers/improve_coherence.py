"""ImproveCoherence: tokens that co-occur (positive NPMI) support each other in a topic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.regularizers.base import Param, Regularizer, register_regularizer, topic_mask
from engine.errors import ConfigError
from engine.em.cooccurrence import cooccurrence, npmi_matrix


@register_regularizer
@dataclass(frozen=True)
class ImproveCoherence(Regularizer):
    """r_wt = τ Σ_v c_wv n_vt with c_wv the positive NPMI of document co-occurrence among the
    ``max_tokens`` most frequent tokens of ``modality`` (BigARTM's ImproveCoherencePhi with an
    NPMI dictionary computed from the corpus)."""

    modality: str = "@default_class"
    max_tokens: int = 2000
    topics: Any = "subject"

    kind: ClassVar[str] = "ImproveCoherence"
    DEFAULT_TAU: ClassVar[float] = 0.1
    PARAMS: ClassVar[tuple] = (
        Param("modality", "modality", "@default_class", "Modality to use"),
        Param("max_tokens", "int", 2000, "Co-occurrences are counted among this many most frequent tokens"),
        Param("topics", "topics", "subject", "Topics to regularize"),
    )

    def phi_term(self, phi, n_wt, ctx):
        key = ("ImproveCoherence", self.modality, self.max_tokens)
        if key not in ctx.cache:
            ctx.cache[key] = coherence_weights(ctx.corpus, self.modality, self.max_tokens)
        ids, c = ctx.cache[key]
        r = np.zeros(phi.shape, np.float64)
        r[ids] = c @ n_wt[ids].astype(np.float64)
        return ctx.tau * r * topic_mask(ctx, self.topics)[None, :]


def coherence_weights(corpus, modality: str, max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """(token ids (K,), positive NPMI matrix (K, K) with zero diagonal) of the ``max_tokens``
    tokens of ``modality`` with the highest document frequency."""
    cand = np.flatnonzero((corpus.vocab["modality"] == modality).to_numpy())
    if len(cand) == 0:
        raise ConfigError(f"modality: the corpus has no modality {modality!r}")
    df = corpus.vocab["df"].to_numpy()[cand]
    ids = np.sort(cand[np.argsort(-df, kind="stable")[:max_tokens]])
    co = cooccurrence(corpus)
    npmi = npmi_matrix(co.df[ids], co.pair_counts(ids), co.n_docs)
    np.fill_diagonal(npmi, 0.0)
    return ids, np.maximum(npmi, 0.0)
