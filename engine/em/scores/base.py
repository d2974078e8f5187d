"""The score base class, its registry (``SCORES``), JSON round trip and the helpers every score
uses (per-modality keys, live subject topics)."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from engine.em.model import ScoreContext, TopicModel
from engine.em.pass_stats import EPS  # noqa: F401 - BigARTM's eps for "zero" in sparsity scores
from engine.errors import ConfigError
from engine.options import refuse_unknown



def modality_key(name: str, modality: str, modalities: list[str]) -> str:
    """``name`` for the first (default) modality, ``name@modality`` for the others (the
    modality's own leading ``@`` dropped: ``perplexity@labels`` for ``@labels``)."""
    if modalities and modality == modalities[0]:
        return name
    return f"{name}@{modality.lstrip('@')}"


def _pick_modality(model: TopicModel, modality: str | None) -> tuple[str, np.ndarray] | None:
    """(name, token mask) of ``modality`` (default: the first one); None if the model lacks it."""
    if not model.modalities:
        return None
    m = modality or model.modalities[0]
    if m not in model.modalities:
        return None
    code = model.modalities.index(m)
    return m, np.asarray(model.token_modality) == code


def _rows(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``a[mask]`` without a copy when the mask selects every row."""
    return a if mask.all() else a[mask]


def _live_subject(model: TopicModel, topics: Any = "subject", stats=None) -> np.ndarray:
    """Indices of the selected topics whose Φ column is not all zero (from the pass's
    :class:`~engine.em.pass_stats.PassStats` when given: no pass over Φ)."""
    idx = model.topic_indices(topics)
    col = stats.phi_col.sum(axis=0) if stats is not None else np.asarray(model.phi).sum(axis=0, dtype=np.float64)
    return idx[col[idx] > 0]


# --------------------------------------------------------------------------- base + registry

SCORES: dict[str, type["Score"]] = {}
#: kinds renamed since runs were first saved (old name -> new)
OLD_KINDS = {"HeldOutPerplexity": "HoldoutPerplexity"}


def _register(cls):
    SCORES[cls.kind] = cls
    return cls


@dataclass
class Score:
    """Base class: ``every`` schedule, JSON round trip. Subclasses set ``kind`` and ``compute``."""

    kind: ClassVar[str] = "Score"
    RENAMED: ClassVar[dict] = {}  # old field name -> new (accepted by score_from_dict)
    #: reads the whole n_dw or Θ in RAM: left out for a corpus stored as batches (score_set_for)
    IN_MEMORY_ONLY: ClassVar[bool] = False
    every: int = 1

    def __post_init__(self):
        if not isinstance(self.every, (int, np.integer)) or isinstance(self.every, bool) or self.every < 1:
            raise ConfigError(f"{self.kind}.every must be an integer >= 1, got {self.every!r}")

    def due(self, iteration: int, last: bool = False) -> bool:
        """True when the score should be computed at ``iteration`` (1-based)."""
        return bool(last) or iteration % self.every == 0

    def compute(self, ctx: ScoreContext) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            if f.metadata.get("transient"):
                continue
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d



class PerModalityScore(Score):
    """A score of one modality's tokens and the live topics of a selection.

    ``compute`` picks the subclass's ``modality`` (default: the first) and the live topics of its
    ``topics`` field (a class without one reads no topics), gives ``{}`` when the model lacks the
    modality or has fewer than ``LEAST_TOPICS`` live topics, else calls
    ``measure(ctx, modality, token_mask (W,) bool, topic_indices)``.
    """

    LEAST_TOPICS: ClassVar[int] = 1

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        picked = _pick_modality(ctx.model, self.modality)
        if picked is None:
            return {}
        topics = getattr(self, "topics", None)
        idx = None if topics is None else _live_subject(ctx.model, topics, ctx.stats)
        if idx is not None and len(idx) < self.LEAST_TOPICS:
            return {}
        return self.measure(ctx, picked[0], picked[1], idx)

    def measure(self, ctx: ScoreContext, modality: str, mask: np.ndarray,
                topics: np.ndarray | None) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError


def score_from_dict(d: dict) -> Score:
    """Build a score from ``{"kind": ..., "every": ..., params...}``; ConfigError names bad fields."""
    if not isinstance(d, dict) or "kind" not in d:
        raise ConfigError(f"a score setting needs a 'kind' (one of {', '.join(SCORES)}), got {d!r}")
    kind = OLD_KINDS.get(d["kind"], d["kind"])
    if kind not in SCORES:
        raise ConfigError(f"unknown score kind {kind!r}; known: {', '.join(SCORES)}")
    cls = SCORES[kind]
    allowed = [f.name for f in fields(cls) if not f.metadata.get("transient")]
    params = {cls.RENAMED.get(k, k): v for k, v in d.items() if k != "kind"}
    refuse_unknown(params, allowed, kind, word="field")
    for k, v in params.items():
        if isinstance(v, list):
            params[k] = tuple(v)
    return cls(**params)
