"""SeedDocuments: a Θ regularizer that pulls the documents mentioning a group's seeds towards
the group's topic (semi-supervised seeding of Θ, not of Φ).

For every document d and seeded topic t

.. math::

    r_{td} = \\tau \\, n_d \\, m_{dt}, \\qquad
    m_{dt} = \\frac{c_{dt}}{\\sum_s c_{ds}},

where c_dt is the number of occurrences in d of the seed terms of topic t (of ``modality``)
and n_d the document's length in that modality. A document that mentions one group gets
τ·n_d pseudo-counts on that group's topic (τ = 1 doubles its length in favour of the topic);
one mentioning two groups is split between them by mention counts. Documents without a seed
get nothing: they reach a seeded topic only through Φ — the words the marked documents share
— which is how the topic gathers the group's documents that do not use the seed words.

τ should fade (a trajectory, e.g. constant then linear to a small value) so that the final Θ
is the model's own reading of the marked documents rather than the keyword match.

The per-document matrix (D, T) is computed once per corpus and lexicon and cached in the
trainer's context cache; the E-step kernel adds it inside its inner loop
(:class:`~engine.em.regularizers.ThetaTerms` ``add_doc``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from engine.em.regularizers import REGULARIZERS, Param, Regularizer, ThetaTerms, topic_mask

__all__ = ["SeedDocuments", "seed_document_weights"]


def seed_document_weights(n_dw, id_lists: list[np.ndarray], modality_mask: np.ndarray | None = None) -> np.ndarray:
    """n_d · m_dt (D, len(id_lists)), float64: see the module formula.

    Parameters
    ----------
    n_dw : CSR (D, W)
    id_lists : list of ndarray
        Seed token ids of each seeded topic.
    modality_mask : ndarray (W,), bool, optional
        Tokens counted in n_d (default: all).
    """
    n_dw = sp.csr_matrix(n_dw)
    D, W = n_dw.shape
    mask = np.ones(W, bool) if modality_mask is None else np.asarray(modality_mask, bool)
    n_d = np.asarray(n_dw @ mask.astype(np.float64)).ravel()
    c = np.zeros((D, len(id_lists)))
    for j, ids in enumerate(id_lists):
        ids = np.asarray(ids, np.int64)
        if len(ids):
            c[:, j] = np.asarray(n_dw[:, ids].sum(axis=1)).ravel()
    s = c.sum(axis=1, keepdims=True)
    m = np.divide(c, s, out=np.zeros_like(c), where=s > 0)
    return m * n_d[:, None]


@dataclass(frozen=True)
class SeedDocuments(Regularizer):
    """r_td = τ n_d m_dt: documents that mention topic t's seed words are pulled towards t
    (m_dt = share of d's seed occurrences that belong to t). τ ≈ 0.5–2, fading."""

    lexicon: Any = None
    modality: str = "@default_class"

    kind: ClassVar[str] = "SeedDocuments"
    target: ClassVar[str] = "theta"
    DEFAULT_TAU: ClassVar[float] = 1.0
    PARAMS: ClassVar[tuple] = (
        Param("lexicon", "lexicon", None, "Seed lexicon: topic name -> list of words"),
        Param("modality", "modality", "@default_class", "Modality of the seed words"),
    )

    def __post_init__(self):
        empty = not self.lexicon  # an empty lexicon is a no-op (the base check wants a non-empty one)
        if empty:
            object.__setattr__(self, "lexicon", {"-": ("-",)})
        super().__post_init__()
        if empty:
            object.__setattr__(self, "lexicon", {})

    def check(self, ctx):
        super().check(ctx)
        for topic in self.lexicon:
            topic_mask(ctx, (topic,))

    def weights(self, ctx) -> np.ndarray:
        """The cached (D, T) matrix n_d m_dt (zero columns for topics without seeds)."""
        key = ("SeedDocuments", self.modality, tuple(self.lexicon.items()), tuple(ctx.topic_names))
        hit = ctx.cache.get(key)
        if hit is None:
            corpus = ctx.corpus
            cols = [int(np.flatnonzero(topic_mask(ctx, (t,)))[0]) for t in self.lexicon]
            ids = []
            for words in self.lexicon.values():
                tid = corpus.token_ids(list(words), self.modality)
                ids.append(np.asarray(tid[tid >= 0], np.int64))
            w = seed_document_weights(corpus.n_dw, ids, corpus.modality_mask(self.modality))
            hit = np.zeros((corpus.n_docs, ctx.n_topics), np.float32)
            for j, t in enumerate(cols):
                hit[:, t] += w[:, j]
            ctx.cache[key] = hit
        return hit

    def theta_terms(self, ctx):
        T = ctx.n_topics
        return ThetaTerms(np.zeros(T), np.zeros(T), ctx.tau * self.weights(ctx))


REGULARIZERS.setdefault(SeedDocuments.kind, SeedDocuments)
