"""Scores that read documents as sequences: intratext coherence and segments per document
(added to every context-family run's ScoreSet)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.inference import token_topics as bag_token_topics
from engine.em.model import ScoreContext
from engine.em.scores import Score, register_score
from engine.families.context.segment import boundary_scores, merge_same_topic, pick_boundaries

__all__ = ["IntratextCoherence", "SegmentsPerDocument", "intratext_coherence", "context_scores"]


def _sample_docs(corpus, max_docs: int) -> np.ndarray:
    seqs = corpus.sequences
    if seqs is None:
        return np.zeros(0, np.int64)
    lens = np.diff(seqs.ptr)
    ok = np.flatnonzero(lens >= 2)
    if len(ok) > max_docs:
        ok = ok[np.linspace(0, len(ok) - 1, max_docs).round().astype(np.int64)]
    return ok


def _doc_topics_fn(ctx: ScoreContext):
    """docs -> [(T, n_d)]: the trainer's own reading, else p(t|d,w_i) = norm_t(φ θ_d)."""
    if ctx.token_topics is not None:
        return ctx.token_topics
    return lambda docs: [bag_token_topics(ctx.model, ctx.corpus, int(d)) for d in docs]


def intratext_coherence(P: np.ndarray, ptr: np.ndarray) -> float:
    """Share of adjacent token pairs (within documents) whose most probable topics agree.

    P : (N, T) token topics, ptr : (D+1,). 1/T for topics drawn at random, 1 for documents
    made of single-topic runs. NaN when there is no pair."""
    if P.shape[0] < 2:
        return float("nan")
    top = np.argmax(P, axis=1)
    same = top[1:] == top[:-1]
    valid = np.ones(len(same), bool)
    inner = np.asarray(ptr[1:-1]) - 1  # pair (b−1, b) crosses into the next document
    inner = inner[(inner >= 0) & (inner < len(valid))]
    valid[inner] = False
    alive = P.sum(axis=1) > 0
    valid &= alive[1:] & alive[:-1]
    return float(same[valid].mean()) if valid.any() else float("nan")


@dataclass
class SequenceScore(Score):
    """A score of up to ``max_docs`` documents (evenly spaced, with ≥ 2 tokens) read as token
    sequences: ``compute`` gives ``{}`` without sequences, else ``measure(ctx, docs, topics)``
    with ``topics(docs) -> [(T, n_d)]`` the trainer's reading of each document."""

    every: int = 5
    max_docs: int = 200

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        docs = _sample_docs(ctx.corpus, self.max_docs)
        if len(docs) == 0:
            return {}
        return self.measure(ctx, docs, _doc_topics_fn(ctx))

    def measure(self, ctx: ScoreContext, docs: np.ndarray, topics) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError


@dataclass
class IntratextCoherence(SequenceScore):
    """Intratext coherence: over up to ``max_docs`` documents (evenly spaced), the share of
    adjacent token pairs whose most probable topic p(t|d,w_i) agrees — how contiguous each
    topic's tokens are in running text (:func:`intratext_coherence`). Key
    ``intratext_coherence``; absent without token sequences."""

    kind: ClassVar[str] = "IntratextCoherence"

    def measure(self, ctx: ScoreContext, docs: np.ndarray, topics) -> dict[str, float]:
        mats = [np.asarray(m).T for m in topics(docs)]
        ptr = np.concatenate([[0], np.cumsum([m.shape[0] for m in mats])])
        v = intratext_coherence(np.concatenate(mats), ptr)
        return {} if math.isnan(v) else {"intratext_coherence": v}


@dataclass
class SegmentsPerDocument(SequenceScore):
    """Mean number of segments per document (:func:`segment` boundaries on the token topics,
    ``threshold``, window 10, neighbours with the same main topic merged) over up to
    ``max_docs`` documents. Key ``segments_per_document``."""

    kind: ClassVar[str] = "SegmentsPerDocument"
    threshold: float = 0.3
    window: float = 10.0

    def measure(self, ctx: ScoreContext, docs: np.ndarray, topics) -> dict[str, float]:
        gap = max(2, round(self.window))
        counts = []
        for m in topics(docs):
            P = np.asarray(m).T
            cuts = pick_boundaries(boundary_scores(P, self.window), self.threshold, gap)
            counts.append(len(merge_same_topic(P, cuts)) + 1)
        return {"segments_per_document": float(np.mean(counts))}


register_score(IntratextCoherence, "intratext_coherence")
register_score(SegmentsPerDocument, "segments_per_document")


def context_scores() -> list:
    """The two sequence scores (add them to a ScoreSet for context runs)."""
    return [IntratextCoherence(), SegmentsPerDocument()]
