"""Scores: one small class per quality measure, computed after an EM pass from a
:class:`~engine.em.model.ScoreContext` (no score re-runs the E-step).

Names and definitions follow BigARTM (``python/artm/scores.py``, ``docs/tutorials/scores_descr.txt``).
Every score has an ``every`` setting: it is computed when ``iteration % every == 0`` and always on
the last iteration. ``compute(ctx)`` returns a flat ``dict[str, float]``; per-modality values
are keyed ``name`` for the first (default) modality and ``name@modality`` for the others
(``sparsity_phi``, ``sparsity_phi@labels`` for the modality ``@labels``). Perplexity follows the
trainer's keys instead: ``perplexity`` over all modalities plus ``perplexity@<modality>`` for each.

Conventions (shapes as in the ARTM papers): Φ is (W, T), Θ is (T, D), n_wt is (W, T).
Aggregates over topics use *subject* topics only unless a class says otherwise, and skip dead
topics (all-zero Φ column) where a value would be undefined.
"""
from engine.em.cooccurrence import Cooccurrence, coherence_per_topic, cooccurrence, npmi_coherence
from engine.em.perplexity import loglik_of, perplexity_of
from engine.em.scores.base import SCORES, Score, modality_key, score_from_dict
from engine.em.scores.perplexity import HoldoutPerplexity, Perplexity, align_counts
from engine.em.scores.sparsity import SparsityPhi, SparsityTheta
from engine.em.scores.kernel import TopicKernel
from engine.em.scores.mass import BackgroundTokensRatio, TopicMass
from engine.em.scores.coherence import Coherence, top_token_ids
from engine.em.scores.distance import TopicDistance, pairwise_topic_distance
from engine.em.scores.class_precision import ClassPrecision
from engine.em.scores.score_set import (
    SCORE_NAMES, ScoreSet, default_scores, register_score, score_set_for,
)

__all__ = [
    "Score", "Perplexity", "HoldoutPerplexity", "SparsityPhi", "SparsityTheta", "TopicKernel",
    "BackgroundTokensRatio", "TopicMass", "Coherence", "TopicDistance", "ClassPrecision",
    "SCORES", "SCORE_NAMES", "ScoreSet", "default_scores", "score_from_dict", "perplexity_of",
    "loglik_of", "cooccurrence", "Cooccurrence", "npmi_coherence", "coherence_per_topic",
    "top_token_ids", "align_counts", "pairwise_topic_distance", "modality_key", "register_score",
    "score_set_for",
]
