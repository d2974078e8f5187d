"""Topic-level formulas shared by training, scores and analysis: p(t|w), topic selectors and
topic kernels."""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.em import _kernels as K
from engine.errors import ConfigError

__all__ = ["TOPIC_GROUPS", "p_t_given_w", "topic_indices", "kernel_stats"]

TOPIC_GROUPS = ("all", "subject", "background")


def p_t_given_w(phi: np.ndarray, n_t, *, no_mass: str = "uniform") -> np.ndarray:
    """p(t|w) = φ_wt n_t / Σ_s φ_ws n_s, shape (W, T), float32 (numba kernel, sums in float64).

    ``n_t`` (T,) is the topic mass Σ_w n_wt. When it is None or has no positive entry (a model
    never trained), ``no_mass="uniform"`` uses n_t = 1 (p(t|w) = norm_t φ_wt) and
    ``no_mass="zero"`` gives all zeros. Rows of tokens no topic has are 0.
    """
    phi = np.ascontiguousarray(phi, np.float32)
    T = phi.shape[1]
    n_t = np.zeros(T) if n_t is None else np.asarray(n_t, np.float64)
    if not np.any(n_t > 0):
        if no_mass == "zero":
            return np.zeros_like(phi)
        n_t = np.ones(T)
    out = np.empty_like(phi)
    K.p_t_given_w(phi, np.ascontiguousarray(n_t, np.float64), out)
    return out


def topic_indices(selector: Any, topic_names: list[str], background) -> np.ndarray:
    """Indices (int64) of ``"all"``/None, ``"subject"``, ``"background"``, or a list of topic
    names / integer indices (a single name is a list of one). Unknown names raise ConfigError."""
    T = len(topic_names)
    background = np.asarray(background, bool)
    if selector is None or (isinstance(selector, str) and selector == "all"):
        return np.arange(T)
    if isinstance(selector, str) and selector == "subject":
        return np.flatnonzero(~background)
    if isinstance(selector, str) and selector == "background":
        return np.flatnonzero(background)
    if isinstance(selector, str):
        selector = [selector]
    pos = {n: i for i, n in enumerate(topic_names)}
    out = []
    for s in selector:
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= int(s) < T:
            out.append(int(s))
        elif s in pos:
            out.append(pos[s])
        else:
            raise ConfigError(f"topics: unknown topic {s!r}; topics are {', '.join(topic_names)}")
    return np.asarray(out, dtype=np.int64)


def kernel_stats(phi: np.ndarray, n_t, threshold: float = 0.25, *, no_mass: str = "uniform"
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Topic kernels W_t = {w : p(t|w) > δ} (BigARTM ``TopicKernelScore``) of the rows ``phi``
    (one modality, (W', T)) with topic mass ``n_t`` (T,) and δ = ``threshold``.

    Returns size |W_t| (T,) int64, purity Σ_{w∈W_t} φ_wt (T,), contrast
    (1/|W_t|) Σ_{w∈W_t} p(t|w) (T,; 0 for an empty kernel) and p(t|w) (W', T).
    """
    phi = np.asarray(phi)
    ptw = p_t_given_w(phi, n_t, no_mass=no_mass)
    kern = ptw > threshold
    size = kern.sum(axis=0)
    purity = np.where(kern, phi, 0.0).sum(axis=0, dtype=np.float64)
    contrast = np.divide(np.where(kern, ptw, 0.0).sum(axis=0, dtype=np.float64), size,
                         out=np.zeros(phi.shape[1]), where=size > 0)
    return size.astype(np.int64), purity, contrast, ptw
