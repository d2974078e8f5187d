"""Perplexity from a log-likelihood: the one formula behind the trainer's reports, the
Perplexity and HoldoutPerplexity scores and :func:`engine.em.inference.holdout_perplexity`."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["perplexity_of", "loglik_of"]


def perplexity_of(loglik: dict[str, float], n_tokens: dict[str, float], modalities: list[str],
                  weights: dict[str, float] | None = None) -> dict[str, float]:
    """Perplexity per modality and overall.

    ``perplexity@<m>`` = exp(−L_m / n_m) for every modality m with tokens, and ``perplexity`` =
    exp(−Σ_m τ_m L_m / Σ_m τ_m n_m) over all modalities (BigARTM's value; τ_m = 1 unless
    ``weights`` says otherwise), with L_m = Σ_d Σ_{w∈W_m} n_dw ln p(w|d), n_m = Σ_d Σ_{w∈W_m}
    n_dw. Keys are bare (``@`` dropped): ``perplexity@default_class``. No tokens: no
    ``perplexity`` key (rather than NaN).
    """
    out = {}
    num = den = 0.0
    for m in modalities:
        n = float(n_tokens.get(m, 0.0))
        if n > 0 and m in loglik:
            out[f"perplexity@{m.lstrip('@')}"] = float(np.exp(-float(loglik[m]) / n))
            w = float((weights or {}).get(m, 1.0))
            num += w * float(loglik[m])
            den += w * n
    if den > 0:
        out["perplexity"] = float(np.exp(-num / den))
    return out


def loglik_of(phi: np.ndarray, theta: np.ndarray, n_dw: sp.csr_matrix, token_modality: np.ndarray,
              n_modalities: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-modality Σ n_dw ln p(w|d) and Σ n_dw for p(w|d) = Σ_t φ_wt θ_td (NumPy, chunked).

    Zero p(w|d) is clamped to 1e-30 (BigARTM substitutes the collection frequency; we keep the
    value finite and count it). Shapes: phi (W, T), theta (T, D), n_dw (D, W).
    """
    n_dw = sp.csr_matrix(n_dw)
    rows = np.repeat(np.arange(n_dw.shape[0]), np.diff(n_dw.indptr))
    cols = n_dw.indices
    ll = np.zeros(n_modalities)
    nt = np.zeros(n_modalities)
    phi64 = np.asarray(phi, dtype=np.float64)
    th64 = np.asarray(theta, dtype=np.float64)
    step = 200_000
    for a in range(0, len(cols), step):
        r, c, v = rows[a:a + step], cols[a:a + step], n_dw.data[a:a + step].astype(np.float64)
        p = np.einsum("ij,ji->i", phi64[c], th64[:, r])
        lp = np.log(np.maximum(p, 1e-30))
        codes = token_modality[c]
        ll += np.bincount(codes, weights=v * lp, minlength=n_modalities)
        nt += np.bincount(codes, weights=v, minlength=n_modalities)
    return ll, nt
