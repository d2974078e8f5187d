"""The hierarchy link as an ordinary Φ regularizer (recipe step 3): ``HierarchyLink``.

R(Φ, Ψ) = τ Σ_t Σ_w n_wt ln Σ_s φ_ws ψ_st (:mod:`engine.families.hierarchy.psi`): every pass,
Ψ is re-estimated from the current Φ (``psi_passes`` updates from 1/S, optional sparsing and
one-parent switch) and r_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt is added to the child's M-step. τ is a
trajectory like any regularizer's (recorded per pass, editable live).

The parent's counts n_wt (W, T) are data, not configuration: the link names its parent by a key
(``parent``: the parent level's run id, or an in-memory key), and :func:`register_parent` maps the
key to a loader (e.g. reading ``<run>/arrays/n_wt.npy`` of the parent run). The regularizer loads
them on its first pass into the run's regularizer cache (``ctx.cache``), like any regularizer's
derived data — so a trainer made from a checkpoint, a roll-back or a restarted process finds them
again as long as the parent is registered (:mod:`engine.families.hierarchy.build` does it).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np

from engine.em.regularizers import Param, Regularizer, register_regularizer
from engine.errors import ConfigError
from engine.families.hierarchy.options import MAX_TAU
from engine.families.hierarchy.psi import estimate_psi, hierarchy_term

PARENT_COUNTS = "hierarchy.parent_counts"   # cache key prefix: (rows (W',) int64, counts (W', T) float64)

NO_PARENT = "none"   # HierarchyLink.parent before the trainer links a level to its parent

_SOURCES: dict[str, Callable[[], np.ndarray]] = {}
_SOURCES_LOCK = threading.Lock()


def register_parent(key: str, loader: Callable[[], np.ndarray]) -> None:
    """Make the parent counts n_wt (W, T) behind ``key`` available to HierarchyLink(parent=key)."""
    with _SOURCES_LOCK:
        _SOURCES[str(key)] = loader


def forget_parent(key: str) -> None:
    with _SOURCES_LOCK:
        _SOURCES.pop(str(key), None)


def has_parent(key: str) -> bool:
    with _SOURCES_LOCK:
        return str(key) in _SOURCES


def parent_rows_counts(key: str, n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows with counts, counts[rows]) of the registered parent ``key`` (checked)."""
    with _SOURCES_LOCK:
        loader = _SOURCES.get(str(key))
    if loader is None:
        raise ConfigError(f"the hierarchy link's parent level {key!r} is not loaded in this process: continue "
                          "the hierarchy from the Hierarchy page or `artm-studio hierarchy --resume ID`")
    return parent_rows(loader(), n_tokens)


@register_regularizer
@dataclass(frozen=True)
class HierarchyLink(Regularizer):
    """hARTM link to the parent level: the parent topics as pseudo-documents with counts n_wt
    weighted by τ ≥ 0 (BigARTM ``parent_level_weight``); their Θ is Ψ = p(child|parent)."""

    psi_passes: int = 10
    psi_sparsing: float = 0.0
    one_parent: bool = False
    parent: str = NO_PARENT

    kind: ClassVar[str] = "HierarchyLink"
    target: ClassVar[str] = "phi"
    DEFAULT_TAU: ClassVar[float] = 1.0
    #: reads run data (the parent's counts) from the trainer's cache, so the generic
    #: self-contained regularizer contract tests skip it; tests/engine/test_hierarchy.py covers it
    NEEDS_RUN_DATA: ClassVar[bool] = True
    PARAMS: ClassVar[tuple] = (
        Param("psi_passes", "int", 10, "Ψ updates per pass"),
        Param("psi_sparsing", "float", 0.0, "σ ≥ 0: fewer parents per child (HierarchySparsingTheta)"),
        Param("one_parent", "bool", False, "keep only the strongest parent of every child (a tree)"),
        Param("parent", "str", NO_PARENT, "the parent level (its run id); set by the hierarchy trainer"),
    )

    def __post_init__(self):
        super().__post_init__()
        d = self.tau.to_dict()
        for v in [d[k] for k in ("value", "a", "b") if k in d] + [pt[1] for pt in d.get("points", ())]:
            if not 0 <= float(v) <= MAX_TAU:  # a trajectory's extremes are its end and point values
                raise ConfigError(f"{self.name}.tau: the hierarchy link's τ must be between 0 and {MAX_TAU:g} "
                                  f"(0 = independent levels, 1 = parents weigh as much as the corpus), got {v!r}")

    def check(self, ctx) -> None:
        super().check(ctx)
        if self.psi_sparsing < 0:
            raise ConfigError(f"{self.name}.psi_sparsing must be ≥ 0, got {self.psi_sparsing!r}")
        self.parent_data(ctx)  # a missing or mismatched parent fails before the first pass

    def parent_data(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """(rows, counts) of the parent level, loaded once per run into ``ctx.cache``."""
        key = f"{PARENT_COUNTS}:{self.parent}"
        if key not in ctx.cache:
            if self.parent == NO_PARENT:
                raise ConfigError(f"{self.name}: a hierarchy link needs its parent level; train levels with "
                                  "engine.hierarchy.train_levels or `artm-studio hierarchy`")
            ctx.cache[key] = parent_rows_counts(self.parent, len(ctx.token_modality))
        return ctx.cache[key]

    def phi_term(self, phi, n_wt, ctx) -> np.ndarray:
        """r_ws (W, S) float64; τ = ``ctx.tau`` ∈ [0, 1e6] (checked on construction, live edits
        included: τ < 0 would push children away from their parents)."""
        out = np.zeros(phi.shape, np.float64)
        rows, counts = self.parent_data(ctx)
        if len(rows) and ctx.tau != 0:
            psi = estimate_psi(np.asarray(phi, np.float64)[rows], counts, self.psi_passes, self.psi_sparsing,
                               self.one_parent)
            out[rows] = hierarchy_term(phi[rows], counts, psi, ctx.tau)
        return out


def parent_rows(parent_counts: np.ndarray, n_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """The parent's n_wt (W, T), checked, as (rows with counts, counts[rows] float64)."""
    counts = np.asarray(parent_counts, np.float64)
    if counts.ndim != 2 or counts.shape[0] != n_tokens:
        raise ConfigError(f"the parent level has {counts.shape[0] if counts.ndim == 2 else '?'} tokens but "
                          f"the corpus has {n_tokens}: a child level must be trained on its parent's corpus")
    if not np.all(np.isfinite(counts)) or (counts < 0).any():
        raise ConfigError("the parent level's counts must be finite and non-negative")
    rows = np.flatnonzero(counts.sum(axis=1) > 0)
    return rows, counts[rows]
