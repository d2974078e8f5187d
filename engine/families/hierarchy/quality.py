"""Scores of a hierarchy's parent → child links (one dict per child level).

- ``parent_child_coherence``: mean over parents t of 1 − JS(φ_t, φ̂_t), φ̂_wt = Σ_s φ_ws ψ_st —
  how well the children, mixed by Ψ, reproduce their parent (JS distance in [0, 1], base 2).
- ``children_per_parent_{mean,min,max}`` over the strongest-parent assignment, and
  ``childless_parents``: parents no child picked.
- ``orphan_children``: children every parent ignores (max_t ψ_st < 1/(2S), half the uniform
  share), ``duplicate_children``: children within JS distance ``dup_distance`` of another child.
"""
from __future__ import annotations

import numpy as np

from engine.analysis.views import js_distance_matrix, topic_distributions
from engine.families.hierarchy.psi import parent_of

DUP_DISTANCE = 0.25


def _xlogx(a):
    return np.where(a > 0, a * np.log2(np.where(a > 0, a, 1.0)), 0.0)


def paired_js(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """JS distance √JS (base 2) between column j of ``p`` and column j of ``q``; shape (T,)."""
    m = 0.5 * (p + q)
    js = 0.5 * (_xlogx(p).sum(0) + _xlogx(q).sum(0)) - _xlogx(m).sum(0)
    return np.sqrt(np.clip(js, 0.0, 1.0))


def reconstruction(phi_parent: np.ndarray, phi_child: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """1 − JS(φ_t, Σ_s φ_s ψ_st) for every parent t (0 for a dead parent); shape (T,)."""
    p = topic_distributions(phi_parent)
    q = topic_distributions(np.asarray(phi_child, np.float64) @ np.asarray(psi, np.float64))
    out = 1.0 - paired_js(p, q)
    out[(p.sum(0) <= 0) | (q.sum(0) <= 0)] = 0.0
    return out


def duplicate_children(phi_child: np.ndarray, dup_distance: float = DUP_DISTANCE) -> np.ndarray:
    """Boolean (S,): children with another live child within JS distance ``dup_distance``."""
    p = topic_distributions(phi_child)
    live = p.sum(0) > 0
    d = js_distance_matrix(p)
    np.fill_diagonal(d, np.inf)
    d[:, ~live] = np.inf
    return live & (d.min(axis=1) < dup_distance)


def hierarchy_quality(phi_parent, phi_child, psi, dup_distance: float = DUP_DISTANCE) -> dict:
    """The scores above for one parent → child pair; JSON-able floats."""
    psi = np.asarray(psi, np.float64)
    S, T = psi.shape
    rec = reconstruction(phi_parent, phi_child, psi)
    par = parent_of(psi)
    counts = np.bincount(par[par >= 0], minlength=T)
    return {
        "parent_child_coherence": float(rec.mean()) if T else 0.0,
        "children_per_parent_mean": float(counts.mean()) if T else 0.0,
        "children_per_parent_min": int(counts.min()) if T else 0,
        "children_per_parent_max": int(counts.max()) if T else 0,
        "childless_parents": int((counts == 0).sum()),
        "orphan_children": int((psi.max(axis=1) < 0.5 / S).sum()) if S else 0,
        "duplicate_children": int(duplicate_children(phi_child, dup_distance).sum()),
    }
