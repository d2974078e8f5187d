"""E-step regularizers of the context family (``target = "estep"``): post-processing
p → p̃ of the token topics p(t|d,w_i) of one E-step, rows staying on the simplex. By the seed's
theorem any such post-processing is the regularizer R(Π) = Σ n_dw Σ_t (p̃ − p) ln p. They
are ordinary entries of ``ModelConfig.regularizers`` (τ trajectories recorded in
``tau.parquet``, editable live)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from engine.em.regularizers import Param, Regularizer, register_regularizer
from engine.errors import ConfigError
from engine.families.context import _kernels as CK

__all__ = ["SequenceSmoothing"]


@register_regularizer
@dataclass(frozen=True)
class SequenceSmoothing(Regularizer):
    """p̃_i = norm_t((1 − τ) p_i + τ · ½(L_{i−1} + R_{i+1})): each token's topics pulled toward
    the exponential moving average (γ = 1/window) of its neighbours on both sides. τ ∈ [0, 1]
    (values outside are clipped). Needs family "context" with mode "one_pass" or "context"."""

    window: float = 5.0

    kind: ClassVar[str] = "SequenceSmoothing"
    target: ClassVar[str] = "estep"
    DEFAULT_TAU: ClassVar[float] = 0.5
    PARAMS: ClassVar[tuple] = (Param("window", "float", 5.0, "context width h of the moving averages (γ = 1/h)"),)

    def __post_init__(self):
        super().__post_init__()
        if not self.window >= 1:
            raise ConfigError(f"{self.name}.window must be a number ≥ 1, got {self.window!r}")

    def apply_estep(self, P, ptr, tau):
        tau = min(max(float(tau), 0.0), 1.0)
        if tau > 0:
            CK.smooth_sequence(P, ptr, np.float32(1.0 / self.window), np.float32(tau))
