"""Training a hierarchy level by level (hARTM).

Every level is the engine's one :class:`~engine.em.trainer.Trainer` on a config of family
``"hierarchy"``; a lower level's config carries a
:class:`~engine.families.hierarchy.regularizers.HierarchyLink` Φ regularizer, which adds the parent
pseudo-documents' counts r_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt (:mod:`engine.families.hierarchy.psi`), with Ψ
re-estimated from the current Φ at every pass (``psi_passes`` updates from 1/S, BigARTM's
parent batch without ``reuse_theta``). So every level keeps its own regularizers, modalities and
τ trajectories, and the trainer's state (Φ, Θ) is all a checkpoint needs.

Everything is validated before the first pass; the hierarchy is built in memory and saved by
the caller in one atomic write, so an error or a stop never leaves half a hierarchy on disk.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import replace
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
from engine.families.hierarchy.psi import estimate_psi
from engine.families.hierarchy.regularizers import (
    NO_PARENT, HierarchyLink, forget_parent, parent_rows_counts, register_parent,
)
from engine.families.hierarchy.quality import hierarchy_quality
from engine.store.workspace import now_iso

class Stopped(Exception):
    """Raised inside :func:`train_hierarchy` when ``should_stop()`` says so (nothing is kept)."""


def check_same_corpus(parent: Hierarchy, corpus) -> None:
    """ConfigError unless ``corpus`` is the one ``parent`` was trained on (new levels below it)."""
    if parent.corpus_fingerprint != corpus.fingerprint():
        raise ConfigError(
            f"the hierarchy {parent.name!r} was trained on corpus {parent.corpus_name!r}; "
            f"a new level must use the same corpus (got {corpus.name or 'another corpus'!r} "
            "with different documents or vocabulary)")


def link_of(cfg: ModelConfig) -> HierarchyLink | None:
    """The config's HierarchyLink regularizer, if any."""
    return next((r for r in cfg.regularizers if isinstance(r, HierarchyLink)), None)


def level_config(cfg: ModelConfig, k: int, options: HierarchyOptions, parent: str = NO_PARENT) -> ModelConfig:
    """``cfg`` as level ``k`` of a hierarchy: family "hierarchy" with options {"level": k}, and for
    k > 0 a HierarchyLink (τ = ``options.tau``) to the parent level ``parent`` (the key its counts
    are registered under, :func:`~engine.families.hierarchy.regularizers.register_parent`) unless
    the config already has one (then its own τ trajectory and settings are used, with ``parent``)."""
    regs = tuple(r for r in cfg.regularizers if not (k == 0 and isinstance(r, HierarchyLink)))
    if k > 0:
        link = link_of(cfg)
        if link is None:
            regs += (HierarchyLink(name="hierarchy_link", tau=float(options.tau), psi_passes=options.psi_passes,
                                   psi_sparsing=float(options.psi_sparsing), one_parent=options.one_parent,
                                   parent=parent),)
        else:
            regs = tuple(replace(r, parent=parent) if r is link else r for r in regs)
    return cfg.with_changes(family="hierarchy", options={"level": k}, regularizers=regs).validate()


def level_trainer(corpus, cfg: ModelConfig, parent_counts: np.ndarray | None, key: str = "") -> tuple[Trainer, ModelConfig]:
    """The one engine Trainer for a level (and its config); a child's parent counts are registered
    under ``key`` (default: a fresh one) and its HierarchyLink points there."""
    if parent_counts is not None:
        key = key or f"memory-{uuid.uuid4().hex[:12]}"
        counts = np.asarray(parent_counts)
        register_parent(key, lambda: counts)
        link = link_of(cfg)
        cfg = cfg.with_changes(regularizers=tuple(replace(r, parent=key) if r is link else r
                                                  for r in cfg.regularizers)).validate()
    return Trainer(corpus, cfg), cfg


def level_psi(phi: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """Ψ (S, T) of a trained child Φ (W, S) (BigARTM ``get_psi``: the parent batch transformed),
    from the parent counts its HierarchyLink points to."""
    link = link_of(cfg)
    rows, counts = parent_rows_counts(link.parent, phi.shape[0])
    return estimate_psi(np.asarray(phi, np.float64)[rows], counts, link.psi_passes, link.psi_sparsing,
                        link.one_parent).astype(np.float32)


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
        check_same_corpus(parent, corpus)
        opts = parent.options
    top = parent.levels[-1].n_topics if parent is not None else 0
    configs = check_levels(list(configs), corpus, top)
    first = len(parent.levels) if parent is not None else 0
    configs = [level_config(c, first + i, opts) for i, c in enumerate(configs)]
    t0 = time.perf_counter()
    levels = list(parent.levels) if parent is not None else []
    counts = parent_counts_of(levels[-1].model) if levels else None
    history, quality = [], list(parent.quality) if parent is not None else []
    score_sets = score_sets or [ScoreSet.from_config(c.scores) for c in configs]  # bad names fail now
    for cfg, scores in zip(configs, score_sets):
        k = len(levels)
        tr, cfg = level_trainer(corpus, cfg, counts)
        link = link_of(cfg)
        try:
            history += _train_level(tr, k, cfg, scores, callback, should_stop)
            psi = level_psi(tr.phi, cfg) if k > 0 else None
            model = tr.model
            counts = np.asarray(tr.last_context.n_wt, np.float64)  # the last pass's n_wt (BigARTM's model_nwt)
        finally:
            tr.close()
            if link is not None:
                forget_parent(link.parent)
        cfg = cfg.with_changes(regularizers=tuple(replace(r, parent=NO_PARENT) if isinstance(r, HierarchyLink) else r
                                                  for r in cfg.regularizers))  # the key was this process's
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
