"""Ψ between two hierarchy levels and the hierarchy regularizer's additive term (pure NumPy).

hARTM (BigARTM ``hierarchy_utils``): the parent level's topics t = 1..T enter the child level
(topics s = 1..S, Φ of shape (W, S)) as T pseudo-documents whose counts are the parent's
n_wt (shape (W, T)), weighted by τ (BigARTM's ``parent_level_weight``). The θ column of pseudo-
document t is ψ_·t with ψ_st = p(s|t). This is the seed's regularizer

    R(Φ, Ψ) = τ Σ_t Σ_w n_wt ln Σ_s φ_ws ψ_st,

whose EM steps are, with Z_wt = Σ_s φ_ws ψ_st (Φ fixed inside a pass):

    E/M for Ψ:   ψ_st ∝ max(n_st + r_st, 0),   n_st = ψ_st Σ_w n_wt φ_ws / Z_wt
    term for Φ:  r_ws = φ_ws ∂R/∂φ_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt  (the pseudo-documents' n_ws)

Optional sparsing of Ψ is BigARTM's HierarchySparsingTheta on the pseudo-documents:
r_st = −σ n_t (1/T − p(t|s)), p(t|s) = ψ_st / Σ_t' ψ_st' (uniform p(t), as BigARTM's default);
σ is relative to the pseudo-document length n_t = Σ_w n_wt, i.e. BigARTM's τ = σ·n_t.
"One parent per child" keeps, for every child s, only ψ_st of its strongest parent
t* = argmax_t p(t|s) (then renormalizes each parent's column).
"""
from __future__ import annotations

import numpy as np

__all__ = ["estimate_psi", "hierarchy_term", "parent_of", "p_parent_given_child"]


def _ratio(phi: np.ndarray, counts: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """n_wt / Z_wt with Z = Φ Ψ (W', T); 0 where Z = 0."""
    z = phi @ psi
    return np.divide(counts, z, out=np.zeros_like(z), where=z > 0)


def _norm_columns(a: np.ndarray) -> np.ndarray:
    a = np.maximum(a, 0.0)
    s = a.sum(axis=0, keepdims=True)
    return np.divide(a, s, out=np.zeros_like(a), where=s > 0)


def p_parent_given_child(psi: np.ndarray) -> np.ndarray:
    """p(t|s) ∝ ψ_st (uniform p(t)); rows of a child no parent uses stay 0. Shape (S, T)."""
    psi = np.asarray(psi, np.float64)
    s = psi.sum(axis=1, keepdims=True)
    return np.divide(psi, s, out=np.zeros_like(psi), where=s > 0)


def parent_of(psi: np.ndarray) -> np.ndarray:
    """Strongest parent of every child: argmax_t p(t|s); -1 for a child no parent uses. (S,)"""
    p = p_parent_given_child(psi)
    out = p.argmax(axis=1).astype(np.int64)
    out[p.sum(axis=1) <= 0] = -1
    return out


def _one_parent(psi: np.ndarray) -> np.ndarray:
    keep = np.zeros_like(psi)
    par = parent_of(psi)
    rows = np.flatnonzero(par >= 0)
    keep[rows, par[rows]] = psi[rows, par[rows]]
    return _norm_columns(keep)


def estimate_psi(phi: np.ndarray, counts: np.ndarray, passes: int = 10, sparsing: float = 0.0,
                 one_parent: bool = False) -> np.ndarray:
    """Ψ (S, T): θ of the T pseudo-documents ``counts`` (W, T) under the child Φ (W, S) fixed.

    Starts from ψ = 1/S and runs ``passes`` E/M updates (BigARTM's ``num_document_passes`` on the
    parent batch; ``transform`` when called on a trained Φ). Columns sum to 1 (a parent with no
    counts gets a zero column). Rows of Φ where all counts are 0 can be dropped by the caller.
    """
    phi = np.asarray(phi, np.float64)
    counts = np.asarray(counts, np.float64)
    S, T = phi.shape[1], counts.shape[1]
    n_t = counts.sum(axis=0)
    psi = np.where(n_t[None, :] > 0, 1.0 / max(S, 1), 0.0) * np.ones((S, T))
    for _ in range(int(passes)):
        n_st = psi * (phi.T @ _ratio(phi, counts, psi))
        if sparsing > 0:
            n_st = n_st - sparsing * n_t[None, :] * (1.0 / T - p_parent_given_child(psi))
        psi = _norm_columns(n_st)
    return _one_parent(psi) if one_parent else psi


def hierarchy_term(phi: np.ndarray, counts: np.ndarray, psi: np.ndarray, tau: float) -> np.ndarray:
    """r_ws = τ φ_ws Σ_t n_wt ψ_st / Z_wt, shape (W, S) float64 — the n_ws the pseudo-documents
    add to the child's counts before its M-step (Σ_ws r_ws = τ Σ_wt n_wt over parents with
    children)."""
    phi = np.asarray(phi, np.float64)
    return float(tau) * phi * (_ratio(phi, np.asarray(counts, np.float64), psi) @ psi.T)
