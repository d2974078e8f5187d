"""ImproveCoherence: tokens that co-occur (positive NPMI) support each other in a topic."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from engine.em.regularizers.base import Param, Regularizer, register_regularizer, topic_mask
from engine.em.cooccurrence import cooccurrence, frequent_tokens, npmi_matrix


@dataclass(frozen=True)
class PairRegularizer(Regularizer):
    """Base of the terms over pairs of the ``max_tokens`` most frequent tokens of ``modality``
    (their document co-occurrences): the parameters and the cached token ids."""

    modality: str = "@default_class"
    max_tokens: int = 2000

    @staticmethod
    def pair_params(topics_default: str, topics_help: str) -> tuple:
        """PARAMS of a subclass: modality, max_tokens, then its ``topics`` field."""
        return (Param("modality", "modality", "@default_class", "Modality whose co-occurrences are counted"),
                Param("max_tokens", "int", 2000, "Pairs are counted among this many most frequent tokens"),
                Param("topics", "topics", topics_default, topics_help))

    def frequent_ids(self, ctx) -> np.ndarray:
        """:func:`~engine.em.cooccurrence.frequent_tokens` of the corpus, once per trainer."""
        key = ("frequent_tokens", self.modality, self.max_tokens)
        if key not in ctx.cache:
            ctx.cache[key] = frequent_tokens(ctx.corpus, self.modality, self.max_tokens)
        return ctx.cache[key]


@register_regularizer
@dataclass(frozen=True)
class ImproveCoherence(PairRegularizer):
    """r_wt = τ Σ_v c_wv n_vt with c_wv the positive NPMI of document co-occurrence among the
    ``max_tokens`` most frequent tokens of ``modality`` (BigARTM's ImproveCoherencePhi with an
    NPMI dictionary computed from the corpus)."""

    topics: Any = "subject"

    kind: ClassVar[str] = "ImproveCoherence"
    DEFAULT_TAU: ClassVar[float] = 0.1
    PARAMS: ClassVar[tuple] = PairRegularizer.pair_params("subject", "Topics to regularize")

    def phi_term(self, phi, n_wt, ctx):
        key = ("ImproveCoherence", self.modality, self.max_tokens)
        if key not in ctx.cache:
            ctx.cache[key] = positive_npmi(ctx.corpus, self.frequent_ids(ctx))
        ids, c = self.frequent_ids(ctx), ctx.cache[key]
        r = np.zeros(phi.shape, np.float64)
        r[ids] = c @ n_wt[ids].astype(np.float64)
        return ctx.tau * r * topic_mask(ctx, self.topics)[None, :]


def positive_npmi(corpus, ids: np.ndarray) -> np.ndarray:
    """max(NPMI, 0) of the token ``ids`` (K, K), zero diagonal."""
    co = cooccurrence(corpus)
    npmi = npmi_matrix(co.df[ids], co.pair_counts(ids), co.n_docs)
    np.fill_diagonal(npmi, 0.0)
    return np.maximum(npmi, 0.0)


def coherence_weights(corpus, modality: str, max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """(token ids (K,), positive NPMI matrix (K, K) with zero diagonal) of the ``max_tokens``
    tokens of ``modality`` with the highest document frequency."""
    ids = frequent_tokens(corpus, modality, max_tokens)
    return ids, positive_npmi(corpus, ids)
