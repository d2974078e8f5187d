"""Model health after every EM pass: dead topics, zeroed modalities, documents with no mass.

A regularizer with an absurd τ, an all-zero ``--init`` or a zero modality weight can empty Φ or Θ;
perplexity of such a model is meaningless (an all-zero model scored 122 against a real model's
3,869 in issue 16). After each pass :func:`check_report`:

- raises :class:`NoMassError` when the model has no mass at all (Σ Φ = 0 or Σ Θ = 0, or either
  is not finite): the job fails with that message and is never saved as "finished";
- adds three scores to the report, so they are in the score history, the live snapshot and the
  run's final scores::

      health/dead_topics        number of topics t with Σ_w φ_wt = 0
      health/zeroed_modalities  number of modalities m with Σ_{w ∈ m} Σ_t φ_wt = 0
      health/empty_documents    number of documents d with Σ_t θ_td = 0

- drops ``perplexity@m`` (and ``holdout_perplexity@m``) for every zeroed modality m, and the
  overall ``perplexity`` then too (it would cover the surviving modalities only).

:func:`warnings_of` turns those scores into the warning lines the CLI, the app and the run list
show for a partial collapse.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engine.errors import EngineError

DEAD = "health/dead_topics"
ZEROED = "health/zeroed_modalities"
EMPTY = "health/empty_documents"
KEYS = (DEAD, ZEROED, EMPTY)


class NoMassError(EngineError):
    """The model lost all its mass: every entry of Φ (or Θ) is zero or not finite."""


@dataclass(frozen=True)
class ModelHealth:
    """Health of one model (see the module docstring); names, not only counts."""

    dead_topics: tuple
    zeroed_modalities: tuple
    empty_documents: int
    n_documents: int
    phi_mass: float
    theta_mass: float

    @property
    def no_mass(self) -> bool:
        return not (self.phi_mass > 0 and np.isfinite(self.phi_mass)
                    and self.theta_mass > 0 and np.isfinite(self.theta_mass))

    def scores(self) -> dict:
        return {DEAD: float(len(self.dead_topics)), ZEROED: float(len(self.zeroed_modalities)),
                EMPTY: float(self.empty_documents)}


def model_health(model, theta_summary=None, stats=None) -> ModelHealth:
    """:class:`ModelHealth` of a :class:`~engine.em.model.TopicModel` (Φ (W, T), Θ (T, D)).

    ``theta_summary`` (documents, empty documents, Σ Θ) replaces reading Θ when the E-step
    computed it (:meth:`engine.em.family.EStep.theta_summary`: Θ on disk or on Dask workers);
    ``stats`` (the pass's :class:`~engine.em.pass_stats.PassStats` of this model) replaces
    reading Φ (its per-modality column sums) and, without ``theta_summary``, Θ."""
    if stats is not None:
        col = stats.phi_col.sum(axis=0)
        per_mod = stats.phi_col.sum(axis=1)
        if theta_summary is None:
            theta_summary = stats.theta_summary()
    else:
        phi = np.asarray(model.phi)
        col = phi.sum(axis=0, dtype=np.float64)
        rows = phi.sum(axis=1, dtype=np.float64)
        per_mod = np.bincount(np.asarray(model.token_modality), weights=rows, minlength=len(model.modalities))
    if theta_summary is None:
        theta = np.asarray(model.theta)
        doc = theta.sum(axis=0, dtype=np.float64) if theta.size else np.zeros(0)
        theta_summary = (int(theta.shape[1]) if theta.ndim == 2 else 0, int((~(doc > 0)).sum()), float(doc.sum()))
    n_docs, empty, mass = theta_summary
    return ModelHealth(
        dead_topics=tuple(n for n, c in zip(model.topic_names, col) if not c > 0),
        zeroed_modalities=tuple(m for m, s in zip(model.modalities, per_mod) if not s > 0),
        empty_documents=int(empty),
        n_documents=int(n_docs),
        phi_mass=float(col.sum()),
        theta_mass=float(mass),
    )


def check_report(report, model, theta_summary=None, stats=None):
    """``report`` with the health scores added and perplexities of zeroed modalities dropped;
    :class:`NoMassError` when the model has no mass (``theta_summary``, ``stats``: see
    :func:`model_health`)."""
    h = model_health(model, theta_summary, stats)
    if h.no_mass:
        what = "Φ" if not (h.phi_mass > 0 and np.isfinite(h.phi_mass)) else "Θ"
        raise NoMassError(f"the model has no mass after pass {report.iteration}: every entry of {what} is zero "
                          "(or not finite); a regularizer's τ, a modality weight of 0 or the initial Φ "
                          "removed everything - lower τ (e.g. SmoothSparsePhi/Theta, Decorrelator, "
                          "TopicSelection) or check --init")
    drop = {f"{p}@{m.lstrip('@')}" for m in h.zeroed_modalities for p in ("perplexity", "holdout_perplexity")}
    if h.zeroed_modalities:  # the total would be the perplexity of the surviving modalities only
        drop |= {"perplexity", "holdout_perplexity"}
    scores = {k: v for k, v in report.scores.items() if k not in drop}
    scores.update(h.scores())
    return replace(report, scores=scores)


def warnings_of(scores: dict, n_topics: int | None = None) -> list[str]:
    """Warning lines for a partial collapse, from a report's (or a run's final) scores."""
    out = []
    dead, zeroed, empty = (int(scores.get(k) or 0) for k in KEYS)
    if dead:
        out.append(f"{dead}{f' of {n_topics}' if n_topics else ''} topics are dead (no token has mass in them)")
    if zeroed:
        out.append(f"{zeroed} modalit{'y is' if zeroed == 1 else 'ies are'} zeroed (no mass; its perplexity "
                   "is not reported)")
    if empty:
        out.append(f"{empty} documents have no topic mass")
    return out


def size_warnings(n_docs: int, n_terms: int, n_topics: int) -> list[str]:
    """Warnings, before training, when the corpus is too small for ``n_topics``: more topics
    than documents, or fewer than 5 terms per topic — such models repeat the same few words
    across topics (duplicates), whatever their perplexity says."""
    out = []
    if n_topics > n_docs:
        out.append(f"{n_topics} topics for {n_docs} documents: more topics than documents, so topics will "
                   "repeat each other; use fewer topics or a larger corpus")
    if n_topics > 1 and n_topics * 5 > n_terms:
        out.append(f"{n_topics} topics for a vocabulary of {n_terms} terms (fewer than 5 terms per topic): "
                   "topics will share the same few words; use fewer topics or a lower --min-df")
    return out


__all__ = ["ModelHealth", "NoMassError", "model_health", "check_report", "warnings_of", "size_warnings", "KEYS"]
