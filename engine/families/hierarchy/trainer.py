"""Training a hierarchy level by level (hARTM).

Level 0 is an ordinary :class:`~engine.em.trainer.Trainer`. Every lower level is a
:class:`LevelTrainer`: the same offline EM, whose M-step first adds the parent pseudo-documents'
counts r_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt (:mod:`engine.families.hierarchy.psi`), with Ψ
re-estimated from the current Φ at every pass (``psi_passes`` updates from 1/S, BigARTM's
parent batch without ``reuse_theta``). So every level keeps its own regularizers, modalities and
τ trajectories, and the trainer's state (Φ, Θ) is all a checkpoint needs.

Everything is validated before the first pass; the hierarchy is built in memory and saved by
the caller in one atomic write, so an error or a stop never leaves half a hierarchy on disk.
"""
from __future__ import annotations

import time
import uuid
from typing import Callable

import numpy as np
import pandas as pd

from engine.em.config import ModelConfig
from engine.em.model import IterationReport, TopicModel
from engine.em.scores import ScoreSet
from engine.em.trainer import Trainer
from engine.errors import ConfigError
from engine.families.hierarchy.model import Hierarchy, Level
from engine.families.hierarchy.options import HierarchyOptions, check_levels
from engine.families.hierarchy.psi import estimate_psi, hierarchy_term
from engine.families.hierarchy.quality import hierarchy_quality
from engine.store.workspace import now_iso

_CLIP = 1e30


class Stopped(Exception):
    """Raised inside :func:`train_hierarchy` when ``should_stop()`` says so (nothing is kept)."""


class LevelTrainer(Trainer):
    """A child level: offline EM plus the parent pseudo-documents in the M-step.

    Parameters
    ----------
    corpus, config, phi0 : as :class:`~engine.em.trainer.Trainer`
    parent_counts : ndarray (W, T)
        The parent level's n_wt (the pseudo-documents' counts), non-negative.
    options : HierarchyOptions
    """

    def __init__(self, corpus, config: ModelConfig, parent_counts: np.ndarray,
                 options: HierarchyOptions, phi0=None):
        options.validate()
        counts = np.asarray(parent_counts, np.float64)
        if counts.ndim != 2 or counts.shape[0] != corpus.n_tokens:
            raise ConfigError(f"the parent level has {counts.shape[0] if counts.ndim == 2 else '?'} "
                              f"tokens but the corpus has {corpus.n_tokens}: a child level must be "
                              "trained on its parent's corpus")
        if not np.all(np.isfinite(counts)) or (counts < 0).any():
            raise ConfigError("the parent level's counts must be finite and non-negative")
        super().__init__(corpus, config, phi0)
        self.options = options
        self._rows = np.flatnonzero(counts.sum(axis=1) > 0)
        self._counts = counts[self._rows]
        self.psi: np.ndarray | None = None

    def _estimate(self, phi_rows: np.ndarray) -> np.ndarray:
        o = self.options
        return estimate_psi(phi_rows, self._counts, o.psi_passes, o.psi_sparsing, o.one_parent)

    def _mstep(self, n_wt, phi_regs, ctx):
        if self.options.tau > 0 and len(self._rows):
            phi_rows = self._phi[self._rows]
            psi = self._estimate(phi_rows)
            term = hierarchy_term(phi_rows, self._counts, psi, self.options.tau)
            n_wt = n_wt.copy()
            n_wt[self._rows] = np.clip(n_wt[self._rows] + term, 0.0, _CLIP)
            self.psi = psi
        return super()._mstep(n_wt, phi_regs, ctx)

    def final_psi(self) -> np.ndarray:
        """Ψ (S, T) of the current Φ (BigARTM ``get_psi``: the parent batch transformed)."""
        return self._estimate(self._phi[self._rows]).astype(np.float32)


def parent_counts_of(model: TopicModel) -> np.ndarray:
    """n_wt ≈ φ_wt n_t for a saved level (exact n_wt is used while training in one go)."""
    return np.asarray(model.phi, np.float64) * np.asarray(model.n_t, np.float64)[None, :]


ReportFn = Callable[[int, IterationReport], None]


def _train_level(trainer: Trainer, k: int, cfg: ModelConfig, scores: ScoreSet, callback,
                 should_stop) -> list[dict]:
    rows = []
    for _ in range(cfg.iterations):
        if should_stop is not None and should_stop():
            raise Stopped(f"stopped during level {k}")
        rep = trainer.step(score_fn=scores.compute)
        rows.append({"level": k, "iteration": rep.iteration, "seconds": rep.seconds, **rep.scores})
        if callback is not None:
            callback(k, rep)
    return rows


def train_levels(corpus, configs: list[ModelConfig], options: HierarchyOptions | dict | None = None,
                 *, parent: Hierarchy | None = None, callback: ReportFn | None = None,
                 should_stop: Callable[[], bool] | None = None, name: str | None = None,
                 score_sets: list[ScoreSet] | None = None) -> Hierarchy:
    """Train ``configs`` top-down and return the hierarchy (nothing is written to disk).

    ``parent``: extend a trained hierarchy with more levels below its last one (the corpus
    must be the one it was trained on). ``callback(level, report)`` after every pass;
    ``should_stop()`` checked before every pass (raises :class:`Stopped`).
    """
    opts = options if isinstance(options, HierarchyOptions) else HierarchyOptions.from_dict(options)
    opts.validate()
    if parent is not None:
        if parent.corpus_fingerprint != corpus.fingerprint():
            raise ConfigError(
                f"the hierarchy {parent.name!r} was trained on corpus {parent.corpus_name!r}; "
                f"a new level must use the same corpus (got {corpus.name or 'another corpus'!r} "
                "with different documents or vocabulary)")
        opts = parent.options
    top = parent.levels[-1].n_topics if parent is not None else 0
    configs = check_levels(list(configs), corpus, top)
    t0 = time.perf_counter()
    levels = list(parent.levels) if parent is not None else []
    counts = parent_counts_of(levels[-1].model) if levels else None
    history, quality = [], list(parent.quality) if parent is not None else []
    score_sets = score_sets or [ScoreSet.from_config(c.scores) for c in configs]  # bad names fail now
    for cfg, scores in zip(configs, score_sets):
        k = len(levels)
        tr = Trainer(corpus, cfg) if counts is None else LevelTrainer(corpus, cfg, counts, opts)
        try:
            history += _train_level(tr, k, cfg, scores, callback, should_stop)
            psi = tr.final_psi() if isinstance(tr, LevelTrainer) else None
            model = tr.model
            counts = np.asarray(tr._n_wt, np.float64)  # the exact n_wt of the last pass (BigARTM's model_nwt)
        finally:
            tr.close()
        model.labels = {}
        levels.append(Level(model=model, config=cfg, psi=psi))
        if psi is not None:
            quality.append(hierarchy_quality(levels[-2].model.phi, model.phi, psi))
    scores_df = pd.DataFrame(history)
    if parent is not None and len(parent.scores):
        scores_df = pd.concat([parent.scores, scores_df], ignore_index=True)
    return Hierarchy(
        hierarchy_id=parent.hierarchy_id if parent is not None else uuid.uuid4().hex[:12],
        name=name or (parent.name if parent is not None else
                      f"{corpus.name or 'corpus'}-" + "-".join(str(c.total_topics) for c in configs)),
        corpus_name=corpus.name, corpus_fingerprint=corpus.fingerprint(), options=opts,
        levels=levels,
        tokens=corpus.vocab[["token", "modality"]].astype(str).reset_index(drop=True),
        doc_ids=corpus.documents["id"].astype(str).tolist(),
        scores=scores_df, quality=quality, created_at=now_iso(),
        seconds=(parent.seconds if parent is not None else 0.0) + time.perf_counter() - t0)


def level_configs(topics: list[int], base: ModelConfig | None = None, **changes) -> list[ModelConfig]:
    """One config per level from a base config, with ``n_topics`` from ``topics`` and seeds
    base.seed + k (a different random start per level)."""
    base = base or ModelConfig()
    return [base.with_changes(n_topics=int(n), seed=int(base.seed) + k, **changes)
            for k, n in enumerate(topics)]
