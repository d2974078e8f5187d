"""TimeSmoothing: neighbouring time slices get similar topics."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from engine.em.regularizers.base import (
    Param, Regularizer, register_regularizer, token_mask, topic_mask,
)
from engine.errors import ConfigError


@register_regularizer
@dataclass(frozen=True)
class TimeSmoothing(Regularizer):
    """R = −τ Σ_t Σ_i |φ_it − φ_{i−1,t}| over the time tokens i of ``modality`` ordered by value
    (numbers, else dates, else strings; :func:`time_order`).

    ``rule="bigartm"`` (default) is BigARTM's SmoothTimeInTopicsPhi exactly: only interior time
    points are regularized (the first and last are left alone) and sign(0) = −1, i.e.
    r_it = τ φ_it (s(φ_{i−1,t} − φ_it) + s(φ_{i+1,t} − φ_it)) with s(x) = 1 if x > 0 else −1.
    ``rule="symmetric"`` is the engine's earlier reading: the true subgradient with sign(0) = 0
    and a one-sided term at both ends."""

    modality: str = "@time"
    topics: Any = "all"
    rule: str = "bigartm"

    kind: ClassVar[str] = "TimeSmoothing"
    DEFAULT_TAU: ClassVar[float] = 1.0
    PARAMS: ClassVar[tuple] = (
        Param("modality", "modality", "@time", "Modality whose tokens are time stamps (ordered by value)"),
        Param("topics", "topics", "all", "Topics to smooth"),
        Param("rule", "str", "bigartm", "bigartm: interior points, sign(0) = −1 (BigARTM); "
              "symmetric: subgradient with sign(0) = 0 and one-sided ends", ("bigartm", "symmetric")),
    )

    def phi_term(self, phi, n_wt, ctx):
        r = np.zeros(phi.shape, np.float64)
        if self.modality not in ctx.modalities:
            raise ConfigError(f"{self.name}.modality: the corpus has no modality {self.modality!r}; a dated "
                              "corpus gets one with 'artm-studio time add CORPUS'")
        ids = np.flatnonzero(token_mask(ctx, (self.modality,)))
        if len(ids) < 2:
            return r
        order = ids[time_order(ctx.corpus.vocab["token"].to_numpy()[ids])]
        p = phi[order].astype(np.float64)
        g = np.zeros_like(p)
        if self.rule == "bigartm":
            s = lambda x: np.where(x > 0, 1.0, -1.0)  # noqa: E731 - BigARTM: sign(0) = −1
            g[1:-1] = s(p[:-2] - p[1:-1]) + s(p[2:] - p[1:-1])
        else:
            g[1:] += np.sign(p[:-1] - p[1:])
            g[:-1] += np.sign(p[1:] - p[:-1])
        r[order] = ctx.tau * p * g * topic_mask(ctx, self.topics)[None, :]
        return r


def time_order(tokens) -> np.ndarray:
    """Stable order of time tokens by value: as numbers when all parse as numbers, else as
    dates when all parse as dates, else as strings ("2019-10" after "2019-9" by value)."""
    t = pd.Series(np.asarray(tokens).astype(str))
    num = pd.to_numeric(t, errors="coerce")
    if num.notna().all():
        return np.argsort(num.to_numpy(), kind="stable")
    dates = pd.to_datetime(t, errors="coerce", format="mixed")
    if dates.notna().all():
        return np.argsort(dates.to_numpy(), kind="stable")
    return np.argsort(t.to_numpy(), kind="stable")
