"""The hierarchy link as an ordinary Φ regularizer (recipe step 3): ``HierarchyLink``.

R(Φ, Ψ) = τ Σ_t Σ_w n_wt ln Σ_s φ_ws ψ_st (:mod:`engine.families.hierarchy.psi`): every pass,
Ψ is re-estimated from the current Φ (``psi_passes`` updates from 1/S, optional sparsing and
one-parent switch) and r_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt is added to the child's M-step. τ is a
trajectory like any regularizer's (recorded per pass, editable live).

The parent's counts n_wt (W, T) are data, not configuration: :func:`attach_parent` puts them in
the trainer's regularizer cache under :data:`PARENT_COUNTS` before the first pass.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.regularizers import Param, Regularizer, register_regularizer
from engine.errors import ConfigError
from engine.families.hierarchy.psi import estimate_psi, hierarchy_term

PARENT_COUNTS = "hierarchy.parent_counts"   # cache key: (rows (W',) int64, counts (W', T) float64)


@register_regularizer
@dataclass(frozen=True)
class HierarchyLink(Regularizer):
    """hARTM link to the parent level: the parent topics as pseudo-documents with counts n_wt
    weighted by τ ≥ 0 (BigARTM ``parent_level_weight``); their Θ is Ψ = p(child|parent)."""

    psi_passes: int = 10
    psi_sparsing: float = 0.0
    one_parent: bool = False

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
    )

    def check(self, ctx) -> None:
        super().check(ctx)
        if self.psi_sparsing < 0:
            raise ConfigError(f"{self.name}.psi_sparsing must be ≥ 0, got {self.psi_sparsing!r}")

    def phi_term(self, phi, n_wt, ctx) -> np.ndarray:
        """r_ws (W, S) float64; τ = ``ctx.tau`` (τ < 0 would push children away from their parents;
        :class:`~engine.families.hierarchy.options.HierarchyOptions` only allows τ ≥ 0)."""
        out = np.zeros(phi.shape, np.float64)
        parent = ctx.cache.get(PARENT_COUNTS)
        if parent is None:
            raise ConfigError(f"{self.name}: a hierarchy link needs its parent level; train levels with "
                              "engine.hierarchy.train_levels or `artm-studio hierarchy`")
        rows, counts = parent
        if len(rows) and ctx.tau != 0:
            psi = estimate_psi(np.asarray(phi, np.float64)[rows], counts, self.psi_passes, self.psi_sparsing,
                               self.one_parent)
            out[rows] = hierarchy_term(phi[rows], counts, psi, ctx.tau)
        return out


def attach_parent(cache: dict, parent_counts: np.ndarray, n_tokens: int) -> None:
    """Store the parent's n_wt (W, T) in a trainer's regularizer cache (rows with counts only)."""
    counts = np.asarray(parent_counts, np.float64)
    if counts.ndim != 2 or counts.shape[0] != n_tokens:
        raise ConfigError(f"the parent level has {counts.shape[0] if counts.ndim == 2 else '?'} tokens but "
                          f"the corpus has {n_tokens}: a child level must be trained on its parent's corpus")
    if not np.all(np.isfinite(counts)) or (counts < 0).any():
        raise ConfigError("the parent level's counts must be finite and non-negative")
    rows = np.flatnonzero(counts.sum(axis=1) > 0)
    cache[PARENT_COUNTS] = (rows, counts[rows])
