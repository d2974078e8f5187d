"""Model families: the trainer's declared extension points and the registry that finds them.

A run's :class:`~engine.em.config.ModelConfig` names its family (``config.family``, default
``"standard"``) and carries the family's options (``config.options``, a JSON-able dict). The
one :class:`~engine.em.trainer.Trainer` asks the registered :class:`Family` for everything that
differs between families; nothing else in the engine knows a family by name. A family is one
small subpackage ``engine/families/<name>/`` whose ``family.py`` calls :func:`register_family`
(``engine/__init__`` imports it); jobs, the CLI and the app never import a family to train it.

Extension points (all optional but ``name``):

``options(dict) -> dict``
    Validate and normalize ``config.options`` (raise :class:`~engine.errors.ConfigError` naming
    the bad key). Called by ``ModelConfig.validate``.
``estep(trainer) -> EStep``
    The E-step strategy (default :class:`engine.em.estep.BagEStep`: θ_d by inner iterations,
    n_wt = Σ_d τ n_dw p_tdw).
``scores(corpus, config) -> list[Score]``
    Scores every run of the family adds to its :class:`~engine.em.scores.ScoreSet`
    (:func:`engine.em.scores.score_set_for`).
``initial_phi(corpus, config) -> ndarray | None``
    Φ to start from when the caller gives none (None: ``config.init``).
``check_corpus(corpus, config)``
    Raise :class:`~engine.errors.InputError` when the family cannot train on ``corpus``.
``takes_estep_terms(options) -> bool``
    Whether the family's E-step applies E-step regularizers (else a config with one is invalid).
``warmup()``
    Call the family's numba kernels once on tiny arrays (:func:`engine.em.warmup.warmup`).

Extra Φ / Θ / E-step terms are regularizers: a family registers its classes with
:func:`engine.em.regularizers.register_regularizer`. A Φ or Θ term is an ordinary
:class:`~engine.em.regularizers.Regularizer`; an E-step term (``target = "estep"``) implements
``apply_estep(P, ptr, tau)`` and is handed to the family's E-step with its τ of the pass. Every
regularizer's τ trajectory is recorded in ``tau.parquet`` and is editable while a job runs.

Run data: what a regularizer reads that is neither configuration nor derived from the corpus is
given to a trainer you build yourself, ``Trainer(corpus, config, run_data={key: value})`` or
``trainer.provide(key, value)``, and read as ``ctx.run_data[key]``
(:class:`~engine.em.regularizers.RegContext`). A job builds its trainer itself (again from a
checkpoint after a restart), so a family trained as jobs names such data in the regularizer's
parameters and loads it into ``ctx.cache`` on the first pass (the hierarchy's parent counts:
``HierarchyLink(parent=run_id)`` and its loader registry).

Extra arrays: an E-step's :meth:`EStep.state` (JSON values and NumPy arrays) is saved in every
checkpoint and restored by :meth:`EStep.load_state`; its :meth:`EStep.arrays` are saved with the
run (``<run>/arrays/<name>.npy``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from engine.errors import ConfigError

__all__ = ["EStep", "Family", "FAMILIES", "register_family", "family_of", "family_names"]


class EStep:
    """One E-step strategy of a :class:`~engine.em.trainer.Trainer`.

    :meth:`run` gets the trainer (read ``trainer.phi``, ``trainer.theta_buffer``, ``trainer.n_t``,
    ``trainer.n_dw``, ``trainer.token_modality``, ``trainer.corpus``, ``trainer.pool(n)``), the
    pass's config, the per-token modality weights (W,) float32, whether Θ restarts from 1/T,
    the Θ terms ``(add (T,), mult (T,), add_doc (D', T))`` (float32, τ applied) and the E-step
    regularizers ``[(regularizer, τ)]`` active in this pass. It returns
    ``(n_wt (W, T) float32, Θ (D, T) float32, loglik (M,), n_tokens (M,))``.
    """

    def run(self, trainer, cfg, tok_weight, reset, theta_terms, estep_terms):  # pragma: no cover
        raise NotImplementedError

    def token_topics(self, trainer, docs) -> list[np.ndarray] | None:
        """[p(t|d,w_i) (T, n_d) for d in docs] in this E-step's reading, or None (the scores then
        use norm_t(φ_{w_i t} θ_td))."""
        return None

    def state(self) -> dict:
        """JSON values and arrays this strategy needs to continue exactly (checkpoints)."""
        return {}

    def load_state(self, state: dict) -> None:
        """Inverse of :meth:`state`."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Extra named arrays saved with the run (``<run>/arrays/<name>.npy``)."""
        return {}

    def theta_summary(self) -> tuple[int, int, float] | None:
        """(documents, documents with Σ_t θ_td = 0, Σ Θ) of the last pass when this strategy
        computed them while writing Θ (so health checks need not read a Θ kept on disk or on
        workers); None: read them from the model's Θ."""
        return None

    def frozen_theta(self, theta: np.ndarray) -> np.ndarray:
        """Θ of the last pass for a checkpoint: an array no later pass modifies (default: a copy
        in RAM; a strategy keeping Θ on disk gives a read-only copy on disk instead)."""
        return np.array(theta, copy=True)

    def close(self) -> None:
        """Release buffers; the trainer calls it when it is closed. A closed strategy still runs
        (the trainer may step again after :meth:`Trainer.close`)."""


@dataclass(frozen=True)
class Family:
    """The extension points of one model family (see the module docstring)."""

    name: str
    doc: str = ""
    options: Callable[[dict], dict] | None = None
    estep: Callable[[Any], EStep] | None = None
    scores: Callable[[Any, Any], list] | None = None
    initial_phi: Callable[[Any, Any], np.ndarray | None] | None = None
    check_corpus: Callable[[Any, Any], None] | None = None
    takes_estep_terms: Callable[[dict], bool] | None = None
    warmup: Callable[[], None] | None = None

    def check_options(self, options: dict) -> dict:
        if not isinstance(options, dict):
            raise ConfigError(f"options must be an object, got {type(options).__name__}")
        if self.options is None:
            if options:
                raise ConfigError(f"family {self.name!r} takes no options, got {', '.join(sorted(options))}")
            return {}
        return self.options(dict(options))

    def accepts_estep_terms(self, options: dict) -> bool:
        """Whether E-step regularizers (``target = "estep"``) apply with these options."""
        return bool(self.takes_estep_terms(options)) if self.takes_estep_terms is not None else False

    def extra_scores(self, corpus, config) -> list:
        return list(self.scores(corpus, config)) if self.scores is not None else []


FAMILIES: dict[str, Family] = {}


def register_family(family: Family) -> Family:
    """Add ``family`` to the registry (a second registration of a name replaces the first)."""
    FAMILIES[family.name] = family
    return family


def family_of(name: str) -> Family:
    """The registered family ``name``; ConfigError lists the known ones."""
    fam = FAMILIES.get(name)
    if fam is None:
        raise ConfigError(f"family must be one of {', '.join(FAMILIES)}, got {name!r}")
    return fam


def family_names() -> list[str]:
    return list(FAMILIES)


register_family(Family(name="standard", doc="regularized EM on bags of words (ARTM)"))
