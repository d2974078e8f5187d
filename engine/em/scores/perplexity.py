"""Perplexity and held-out perplexity (formula in :mod:`engine.em.perplexity`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.em.inference import transform
from engine.em.model import ScoreContext
from engine.em.perplexity import loglik_of, perplexity_of
from engine.em.scores.base import Score, _register


@_register
@dataclass
class Perplexity(Score):
    """Train perplexity (BigARTM ``PerplexityScore``), overall and per modality.

    .. math:: \\mathcal{P}_m = \\exp\\Big(-\\frac{1}{n_m} \\sum_d \\sum_{w \\in W_m} n_{dw}
              \\ln \\sum_t \\phi_{wt}\\theta_{td}\\Big),\\quad n_m = \\sum_d\\sum_{w\\in W_m} n_{dw}

    and ``perplexity`` = exp(−Σ_m L_m / Σ_m n_m). Read from ``ctx.loglik`` / ``ctx.n_tokens``,
    which the E-step accumulates (no second pass). :class:`engine.em.trainer.Trainer` already puts
    these keys (with modality weights) into every report, so this class is not in
    :func:`default_scores`; it exists for contexts built elsewhere. Keys ``perplexity``,
    ``perplexity@<modality>``.
    """

    kind: ClassVar[str] = "Perplexity"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        return perplexity_of(ctx.loglik, ctx.n_tokens, ctx.model.modalities)


@_register
@dataclass
class HoldoutPerplexity(Score):
    """Held-out perplexity per modality: Θ of the held-out documents is inferred with Φ fixed
    (BigARTM: ``transform`` with a ``PerplexityScore`` attached), then

    .. math:: \\mathcal{P}^{hold}_m = \\exp\\big(-\\tfrac{1}{n'_m}\\sum_{d\\in D'}\\sum_{w\\in W_m}
              n'_{dw}\\ln\\sum_t\\phi_{wt}\\theta'_{td}\\big)

    ``n_dw`` is the held-out count matrix (D', W) over the training vocabulary (transient, not
    serialized). By default :func:`engine.em.inference.transform` infers Θ with ``inner_passes`` inner
    iterations and returns the log-likelihood from the same kernel (BigARTM's zero-p(w|d)
    fallback included); a custom ``infer(model, n_dw) -> theta (T, D')`` uses :func:`loglik_of`.
    Keys ``holdout_perplexity`` (all modalities) and ``holdout_perplexity@<modality>``.
    Default ``every=5``.
    """

    kind: ClassVar[str] = "HoldoutPerplexity"
    RENAMED: ClassVar[dict] = {"passes": "inner_passes"}
    every: int = 5
    inner_passes: int = 10
    n_dw: Any = field(default=None, repr=False, metadata={"transient": True})
    infer: Any = field(default=None, repr=False, metadata={"transient": True})

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        if self.n_dw is None or self.n_dw.shape[0] == 0:
            return {}
        model = ctx.model
        mods = model.modalities
        if self.infer is None:
            _theta, ll, nt = transform(model, self.n_dw, inner_passes=self.inner_passes)
            per = perplexity_of(ll, nt, mods)
        else:
            theta = self.infer(model, self.n_dw)
            ll, nt = loglik_of(model.phi, theta, self.n_dw, np.asarray(model.token_modality), len(mods))
            per = perplexity_of(dict(zip(mods, ll)), dict(zip(mods, nt)), mods)
        return {"holdout_" + k: v for k, v in per.items()}


def align_counts(other, corpus) -> sp.csr_matrix:
    """n_dw of corpus ``other`` re-indexed onto ``corpus``'s vocabulary, shape (D', W): tokens
    are matched by (modality, token) string; tokens ``corpus`` lacks are dropped. Used to score a
    held-out corpus imported separately (same preprocessing) against a model of ``corpus``."""
    key = lambda v: pd.MultiIndex.from_arrays([v["modality"].astype(str), v["token"].astype(str)])  # noqa: E731
    target = key(corpus.vocab)
    if target.has_duplicates:
        target = target.drop_duplicates()
    pos = target.get_indexer(key(other.vocab))  # other's token id -> corpus token id or -1
    m = sp.csr_matrix(other.n_dw).tocoo()
    keep = pos[m.col] >= 0
    out = sp.csr_matrix((m.data[keep].astype(np.float32), (m.row[keep], pos[m.col[keep]])),
                        shape=(m.shape[0], corpus.n_tokens))
    out.sum_duplicates()
    out.sort_indices()
    out.indices = out.indices.astype(np.int32)
    return out
