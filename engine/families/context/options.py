"""How the context family reads documents: :class:`ContextOptions`, kept in
``ModelConfig.options`` of a run with ``family="context"``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from engine.em.schedule import Trajectory, as_trajectory
from engine.errors import ConfigError
from engine.options import Options

__all__ = ["MODES", "IMPORTANCE", "ContextOptions", "trajectory"]

MODES = ("standard", "one_pass", "tartm", "context")
IMPORTANCE = ("none", "idf")


def trajectory(value, name: str) -> Trajectory:
    try:
        return value if isinstance(value, Trajectory) else as_trajectory(value)
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None


@dataclass(frozen=True)
class ContextOptions(Options):
    """The context family's options.

    Attributes
    ----------
    mode : {"standard", "one_pass", "tartm", "context"}
        The E-step (see :mod:`engine.families.context`): ``one_pass`` is the seed's naive
        TARTM (p′ = p), ``tartm`` its modified EM with the n_td/θ_td correction.
    window : trajectory or number
        Context width h (γ = 1/h); may change with the iteration.
    beta : trajectory or number in [0, 1]
        Weight of the left context (1: left only, 0: right only).
    context_passes : int
        Context passes per E-step (the p_ti of one pass replace p(t|w_i) in the next); not to
        be confused with ``ModelConfig.inner_passes`` (θ updates per document). The old key
        ``passes`` is accepted.
    importance : {"none", "idf"}
        Scale γ_w by idf_w / mean idf (rare words move the context more), capped at 1.
    include_self : bool
        False (default): the context of a token is its neighbours, θ_ti = β L_{i−1} +
        (1 − β) R_{i+1}, so p(w_i|C_i) predicts the token from the others. True: the seed's
        literal θ_ti = β L_i + (1 − β) R_i (the token is part of its own context; its perplexity
        is then optimistic and words tend to stick to one topic).

    E-step regularizers (:class:`~engine.families.context.regularizers.SequenceSmoothing`) are
    ordinary entries of ``ModelConfig.regularizers``.
    """

    NAME: ClassVar[str] = "context"
    mode: str = "context"
    window: Any = 10.0
    beta: Any = 0.5
    context_passes: int = 2
    importance: str = "none"
    include_self: bool = False

    def __post_init__(self):
        object.__setattr__(self, "window", trajectory(self.window, "window"))
        object.__setattr__(self, "beta", trajectory(self.beta, "beta"))
        self.validate()

    def validate(self) -> "ContextOptions":
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        p = self.context_passes
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 20:
            raise ConfigError(f"context_passes must be an integer between 1 and 20, got {p!r}")
        if not isinstance(self.include_self, bool):
            raise ConfigError(f"include_self must be true or false, got {self.include_self!r}")
        if self.importance not in IMPORTANCE:
            raise ConfigError(f"importance must be one of {', '.join(IMPORTANCE)}, got {self.importance!r}")
        for it in (1, 2, 10):
            if not self.window(it) >= 1.0:
                raise ConfigError(f"window must be ≥ 1 token, got {self.window(it)!r} at iteration {it}")
            if not 0.0 <= self.beta(it) <= 1.0:
                raise ConfigError(f"beta must lie in [0, 1], got {self.beta(it)!r} at iteration {it}")
        return self

    @property
    def sequential(self) -> bool:
        """True for the modes whose E-step walks token sequences (E-step terms apply)."""
        return self.mode in ("one_pass", "context")

    def gamma(self, iteration: int) -> float:
        return 1.0 / max(1.0, float(self.window(iteration)))

    def beta_at(self, iteration: int) -> float:
        return min(1.0, max(0.0, float(self.beta(iteration))))

    def to_dict(self) -> dict:
        return {"mode": self.mode, "window": self.window.to_dict(), "beta": self.beta.to_dict(),
                "context_passes": self.context_passes, "importance": self.importance,
                "include_self": self.include_self}

    @classmethod
    def _decode(cls, d: dict) -> dict:
        """``passes`` accepted for ``context_passes`` (the old ``estep`` list belongs to the
        config's regularizers: see :func:`split_legacy`)."""
        if "passes" in d:
            d.setdefault("context_passes", d.pop("passes"))
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> "ContextOptions":
        """From :meth:`to_dict` output (an instance passes through)."""
        if isinstance(d, ContextOptions):
            return d
        if d is not None and not isinstance(d, dict):
            raise ConfigError(f"context options must be an object, got {type(d).__name__}")
        return super().from_dict(d)


def split_legacy(d: dict) -> tuple[dict, list]:
    """An old options dict (side file or checkpoint state, with ``passes`` and ``estep``) →
    (options dict, list of E-step regularizer dicts for ``ModelConfig.regularizers``)."""
    d = dict(d or {})
    estep = list(d.pop("estep", None) or [])
    return ContextOptions.from_dict(d).to_dict(), estep
