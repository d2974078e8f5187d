"""The sums of one EM pass that the default scores and the health check share, computed once.

After the M-step the trainer runs :func:`engine.em._kernels.scores.pass_sums`: one pass over n_wt
and one over Φ give, per modality m and topic t,

- n_t[m, t] = Σ_{w∈m} n_wt (topic mass; TopicMass, BackgroundTokensRatio, the trainer's n_t),
- Σ_{w∈m} φ_wt (dead topics, zeroed modalities, live topics),
- |{w∈m : φ_wt < ε}| (SparsityPhi, ε = 1e-37 as BigARTM),
- the topic kernels at δ = 0.25 (TopicKernel): size, purity and the sum of p(t|w) over the kernel.

Θ's sums (SparsityTheta's small entries, empty documents, Σ Θ) come from one pass over Θ on first
use. Scores read :attr:`ScoreContext.stats <engine.em.model.ScoreContext>` when it is set and its
ε/δ match their own, and compute from Φ/n_wt themselves otherwise (same numbers: the sums run in
row order in float64, like NumPy's ``sum(axis=0, dtype=float64)``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from engine.em._kernels import scores as KS

__all__ = ["PassStats", "pass_stats", "EPS", "KERNEL_THRESHOLD"]

EPS = 1e-37  # BigARTM's "zero" in the sparsity scores
KERNEL_THRESHOLD = 0.25  # TopicKernel's default δ


@dataclass(frozen=True, eq=False)
class PassStats:
    """Per-pass sums (see the module docstring). Arrays are (M, T) unless said otherwise.

    Attributes
    ----------
    n_t_mod : float64, Σ_{w∈m} n_wt
    n_t : (T,) float64, Σ_w n_wt
    phi_col : float64, Σ_{w∈m} φ_wt
    phi_small : int64, |{w∈m : φ_wt < eps}|
    rows : (M,) int64, number of tokens of each modality
    kernel_size, kernel_purity, kernel_contrast_sum : int64 / float64 / float64 at ``threshold``
    eps, threshold : float
    theta : (D, T) float32 or None, Θ of the pass (as the trainer keeps it), read lazily
    """

    n_t_mod: np.ndarray
    n_t: np.ndarray
    phi_col: np.ndarray
    phi_small: np.ndarray
    rows: np.ndarray
    kernel_size: np.ndarray
    kernel_purity: np.ndarray
    kernel_contrast_sum: np.ndarray
    eps: float = EPS
    threshold: float = KERNEL_THRESHOLD
    theta: np.ndarray | None = None

    def dead_topics(self) -> np.ndarray:
        """Indices of topics whose Φ column is all zero."""
        return np.flatnonzero(~(self.phi_col.sum(axis=0) > 0))

    @cached_property
    def _theta_sums(self) -> tuple[np.ndarray, int, float]:
        th = np.ascontiguousarray(self.theta, np.float32)
        small = np.zeros(th.shape[1], np.int64)
        out = np.zeros(2)
        KS.theta_sums(th, np.float32(self.eps), small, out)
        return small, int(out[0]), float(out[1])

    @property
    def theta_small(self) -> np.ndarray:
        """(T,) int64 |{d : θ_td < eps}| (one pass over Θ, on first use)."""
        return self._theta_sums[0]

    def theta_summary(self) -> tuple[int, int, float] | None:
        """(documents, documents with no topic mass, Σ Θ), or None without Θ."""
        if self.theta is None:
            return None
        _, empty, mass = self._theta_sums
        return int(self.theta.shape[0]), empty, mass


def pass_stats(n_wt: np.ndarray, phi: np.ndarray, token_modality: np.ndarray, n_modalities: int,
               theta: np.ndarray | None = None) -> PassStats:
    """:class:`PassStats` of n_wt (W, T) and Φ (W, T) (one compiled pass over each)."""
    phi = np.ascontiguousarray(phi, np.float32)
    n_wt = np.ascontiguousarray(n_wt, np.float32)
    codes = np.ascontiguousarray(token_modality, np.int32)
    M, T = int(n_modalities), phi.shape[1]
    f = lambda dt: np.zeros((M, T), dt)  # noqa: E731
    n_t_mod, n_t, phi_col, small = f(np.float64), np.zeros(T), f(np.float64), f(np.int64)
    ksize, kpur, kcs = f(np.int64), f(np.float64), f(np.float64)
    KS.pass_sums(n_wt, phi, codes, np.float32(EPS), KERNEL_THRESHOLD, n_t_mod, n_t, phi_col, small,
                 ksize, kpur, kcs)
    return PassStats(n_t_mod=n_t_mod, n_t=n_t, phi_col=phi_col, phi_small=small,
                     rows=np.bincount(codes, minlength=M).astype(np.int64), kernel_size=ksize,
                     kernel_purity=kpur, kernel_contrast_sum=kcs, theta=theta)
