"""Shared value types of a topic model: the fitted matrices, one iteration's report, and what a
score sees. The trainer (engine.em.trainer), scores (engine.em.scores), jobs
(engine.jobs) and the app all speak these types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.em.topics import topic_indices


@dataclass(eq=False)
class TopicModel:
    """Φ, Θ and the topic bookkeeping of one model.

    Attributes
    ----------
    phi : ndarray of shape (W, T), float32
        φ_wt = p(w|t); each column sums to 1 within each modality (0 for a dead topic).
    theta : ndarray of shape (T, D), float32
        θ_td = p(t|d); each column sums to 1 (0 for an empty document).
    topic_names : list of T str
        Stable names: subject topics ``topic_0 …``, then background topics ``background_0 …``.
    background : ndarray of shape (T,), bool
        True for background topics.
    modalities : list of str
        Modality names, index = code in ``token_modality``.
    token_modality : ndarray of shape (W,), int32
    n_t : ndarray of shape (T,), float64
        Topic mass n_t = Σ_w n_wt from the last E-step (default modality weights applied).
    labels : dict str -> str
        Human labels the user gave topics (topic name -> label).
    tokens : DataFrame[token, modality] of W rows, or None
        The vocabulary: row w names Φ's row w (BigARTM ``get_phi()``'s index).
    """

    phi: np.ndarray
    theta: np.ndarray
    topic_names: list[str]
    background: np.ndarray
    modalities: list[str]
    token_modality: np.ndarray
    n_t: np.ndarray
    labels: dict[str, str] = field(default_factory=dict)
    tokens: Any = None

    @property
    def n_topics(self) -> int:
        return self.phi.shape[1]

    def topic_indices(self, selector: Any = "all") -> np.ndarray:
        """Indices of ``"all"``, ``"subject"``, ``"background"``, or a list of topic names/ints
        (:func:`engine.em.topics.topic_indices`)."""
        return topic_indices(selector, self.topic_names, self.background)

    def label(self, t: int) -> str:
        """Display name of topic ``t``: its label if the user gave one, else its name."""
        name = self.topic_names[t]
        return self.labels.get(name) or name

    def dead_topics(self) -> np.ndarray:
        """Indices of topics whose Φ column is all zero."""
        return np.flatnonzero(self.phi.sum(axis=0) <= 0)


@dataclass(frozen=True)
class IterationReport:
    """What one EM pass reports.

    Attributes
    ----------
    iteration : int
        1-based number of the pass just finished.
    seconds : float
        Wall time of the pass (E-step, M-step and scores).
    tau : dict str -> float
        τ applied to each enabled regularizer at this pass (by regularizer name).
    scores : dict str -> float
        Flat score values computed at this pass; keys are score names, with ``@modality``
        appended for per-modality scores (``perplexity``, ``perplexity@labels``, ...).
    """

    iteration: int
    seconds: float
    tau: dict[str, float]
    scores: dict[str, float]


@dataclass(frozen=True, eq=False)
class ScoreContext:
    """Everything a score may read after a pass; no score recomputes the E-step.

    Attributes
    ----------
    corpus : engine.Corpus
    model : TopicModel
    n_wt : ndarray of shape (W, T)
        Unnormalized counts Σ_d n_dw p_tdw of the pass (modality weights applied).
    loglik : dict str -> float
        Per modality Σ_d Σ_w n_dw ln p(w|d), accumulated inside the E-step.
    n_tokens : dict str -> float
        Per modality Σ_d Σ_w n_dw over the documents the log-likelihood covers.
    iteration : int
    last : bool
        True on the final pass of a run (every score is computed then).
    token_topics : callable or None
        ``docs -> [(T, n_d) p(t|d,w_i) for d in docs]`` in the trainer's reading (the family's
        E-step; default norm_t(φ_{w_i t} θ_td)); None outside a trainer.
    stats : engine.em.pass_stats.PassStats or None
        The pass's shared sums (n_t per modality, Φ column sums, small entries, topic kernels)
        from one compiled pass after the M-step; None outside a trainer (scores then compute
        them from Φ and n_wt).
    """

    corpus: Any
    model: TopicModel
    n_wt: np.ndarray
    loglik: dict[str, float]
    n_tokens: dict[str, float]
    iteration: int
    last: bool = False
    token_topics: Any = None
    stats: Any = None
