"""Shared value types of a topic model: the fitted matrices, one iteration's report, and what a
score sees. Owned by the lead; the trainer (engine.em.trainer), scores (engine.em.scores), jobs
(engine.jobs) and the app all speak these types.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
    """

    phi: np.ndarray
    theta: np.ndarray
    topic_names: list[str]
    background: np.ndarray
    modalities: list[str]
    token_modality: np.ndarray
    n_t: np.ndarray
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def n_topics(self) -> int:
        return self.phi.shape[1]

    def topic_indices(self, selector: Any = "all") -> np.ndarray:
        """Indices of ``"all"``, ``"subject"``, ``"background"``, or a list of topic names/ints."""
        if selector is None or selector == "all":
            return np.arange(self.n_topics)
        if selector == "subject":
            return np.flatnonzero(~self.background)
        if selector == "background":
            return np.flatnonzero(self.background)
        if isinstance(selector, str):
            selector = [selector]
        pos = {n: i for i, n in enumerate(self.topic_names)}
        out = []
        for s in selector:
            if isinstance(s, (int, np.integer)):
                out.append(int(s))
            elif s in pos:
                out.append(pos[s])
            else:
                from engine.errors import ConfigError

                raise ConfigError(f"unknown topic {s!r}; topics are {', '.join(self.topic_names)}")
        return np.asarray(out, dtype=np.int64)

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
    """

    corpus: Any
    model: TopicModel
    n_wt: np.ndarray
    loglik: dict[str, float]
    n_tokens: dict[str, float]
    iteration: int
    last: bool = False
