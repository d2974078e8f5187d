"""Options of a topic hierarchy (JSON only) and the checks run before anything is trained."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from engine.em.config import ModelConfig
from engine.errors import ConfigError
from engine.options import build

#: τ above this is rejected: the parent pseudo-documents would outweigh the corpus 10^6 times
MAX_TAU = 1e6
MAX_LEVELS = 8


@dataclass(frozen=True)
class HierarchyOptions:
    """How levels are linked (same for every parent → child pair).

    Attributes
    ----------
    tau : float
        Weight of the parent pseudo-documents, 0 ≤ τ ≤ 1e6 (BigARTM ``parent_level_weight``;
        1 = the parent's counts weigh as much as the corpus). 0 trains independent levels.
    psi_passes : int
        E/M updates of Ψ per pass (BigARTM ``num_document_passes`` on the parent batch).
    psi_sparsing : float
        σ ≥ 0 of HierarchySparsingTheta (fewer parents per child), relative to the parent's mass.
    one_parent : bool
        True: every child keeps only its strongest parent (a tree); False: a DAG.
    edge_threshold : float
        p(t|s) at or above which a DAG edge is shown (the strongest parent is always an edge).
    """

    tau: float = 1.0
    psi_passes: int = 10
    psi_sparsing: float = 0.0
    one_parent: bool = False
    edge_threshold: float = 0.2

    def validate(self) -> "HierarchyOptions":
        t = self.tau
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
            raise ConfigError(f"hierarchy tau must be a finite number, got {t!r}")
        if not 0 <= t <= MAX_TAU:
            raise ConfigError(f"hierarchy tau must be between 0 and {MAX_TAU:g} (1 = parents weigh "
                              f"as much as the corpus), got {t!r}")
        p = self.psi_passes
        if isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 1000:
            raise ConfigError(f"psi_passes must be an integer between 1 and 1000, got {p!r}")
        s = self.psi_sparsing
        if isinstance(s, bool) or not isinstance(s, (int, float)) or not math.isfinite(s) \
                or not 0 <= s <= MAX_TAU:
            raise ConfigError(f"psi_sparsing must be a number between 0 and {MAX_TAU:g}, got {s!r}")
        if not isinstance(self.one_parent, bool):
            raise ConfigError(f"one_parent must be true or false, got {self.one_parent!r}")
        e = self.edge_threshold
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not 0 <= e <= 1:
            raise ConfigError(f"edge_threshold must be between 0 and 1, got {e!r}")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | None) -> "HierarchyOptions":
        return build(cls, dict(d or {}), "hierarchy").validate()


def check_levels(configs: list[ModelConfig], corpus=None, parent_topics: int = 0) -> list[ModelConfig]:
    """Validate the level configs top-down; ``parent_topics`` > 0 when extending a hierarchy."""
    if not configs:
        raise ConfigError("a hierarchy needs at least one level (e.g. --levels 8,40)")
    if parent_topics == 0 and len(configs) > MAX_LEVELS:
        raise ConfigError(f"at most {MAX_LEVELS} levels, got {len(configs)}")
    prev = parent_topics
    for i, cfg in enumerate(configs):
        if not isinstance(cfg, ModelConfig):
            raise ConfigError(f"level {i}: expected a ModelConfig, got {type(cfg).__name__}")
        try:
            cfg.validate()
            if corpus is not None:
                cfg.check_corpus(corpus)
        except ConfigError as e:
            raise ConfigError(f"level {i}: {e}") from None
        if prev and cfg.total_topics < prev:
            raise ConfigError(
                f"level {i} has {cfg.total_topics} topics, fewer than its parent level's {prev}: "
                "each level must have at least as many topics as the level above (e.g. 8,40,150)")
        prev = cfg.total_topics
    return list(configs)


def parse_levels(text: str) -> list[int]:
    """``"8,40,150"`` → [8, 40, 150] with a clear message on anything else."""
    parts = [p.strip() for p in str(text).split(",") if p.strip()]
    try:
        out = [int(p) for p in parts]
    except ValueError:
        raise ConfigError(f"--levels must be comma-separated topic counts such as 8,40,150, "
                          f"got {text!r}") from None
    if not out or any(n < 1 for n in out):
        raise ConfigError(f"--levels must be positive topic counts such as 8,40,150, got {text!r}")
    return out
