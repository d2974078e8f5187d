"""A trained topic hierarchy: levels (ordinary topic models), Ψ between them, labels."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.em.config import ModelConfig
from engine.em.model import TopicModel
from engine.errors import ConfigError
from engine.families.hierarchy.options import HierarchyOptions
from engine.families.hierarchy.psi import p_parent_given_child, parent_of


@dataclass(eq=False)
class Level:
    """One level: a topic model, the config that trained it, and its link to the level above.

    Attributes
    ----------
    model : TopicModel
        Φ (W, S), Θ (S, D), names, n_t, labels.
    config : ModelConfig
    psi : ndarray (S, T_parent) float32 or None
        ψ_st = p(s|t), columns sum to 1; None for the top level.
    run_id : str or None
        The saved run that trained this level (levels trained as jobs), else None.
    """

    model: TopicModel
    config: ModelConfig
    psi: np.ndarray | None = None
    run_id: str | None = None

    @property
    def n_topics(self) -> int:
        return self.model.n_topics


@dataclass(eq=False)
class Hierarchy:
    """A stack of levels on one corpus (level 0 at the top, fewest topics)."""

    hierarchy_id: str
    name: str
    corpus_name: str
    corpus_fingerprint: str
    options: HierarchyOptions
    levels: list[Level]
    tokens: pd.DataFrame                      # token, modality (W rows)
    doc_ids: list[str]
    scores: pd.DataFrame = field(default_factory=pd.DataFrame)   # level, iteration, seconds, ...
    quality: list[dict] = field(default_factory=list)            # per child level (index k-1)
    created_at: str = ""
    seconds: float = 0.0

    def level(self, k: int) -> Level:
        if not 0 <= k < len(self.levels):
            raise ConfigError(f"level {k}: the hierarchy has levels 0..{len(self.levels) - 1}")
        return self.levels[k]

    def node_id(self, k: int, t: int) -> str:
        return f"L{k}:{self.levels[k].model.topic_names[t]}"

    def edges(self, k: int) -> pd.DataFrame:
        """Edges between level k−1 (parents) and level k (children).

        Columns: parent, child (topic indices), psi (p(child|parent)), p_parent (p(parent|child)),
        strongest (the child's strongest parent). Kept: strongest edges plus DAG edges with
        p(parent|child) ≥ ``options.edge_threshold`` (only strongest ones with one_parent).
        """
        psi = self.level(k).psi
        if psi is None:
            return pd.DataFrame(columns=["parent", "child", "psi", "p_parent", "strongest"])
        p = p_parent_given_child(psi)
        best = parent_of(psi)
        rows = []
        for s in range(psi.shape[0]):
            for t in range(psi.shape[1]):
                strongest = bool(best[s] == t)
                if strongest or (not self.options.one_parent and p[s, t] > 0
                                 and p[s, t] >= self.options.edge_threshold):
                    rows.append((t, s, float(psi[s, t]), float(p[s, t]), strongest))
        return pd.DataFrame(rows, columns=["parent", "child", "psi", "p_parent", "strongest"])

    def children(self, k: int, t: int) -> list[int]:
        """Children (level k+1 topic indices) whose edge to parent t of level k is kept."""
        if k + 1 >= len(self.levels):
            return []
        e = self.edges(k + 1)
        return e.loc[e["parent"] == t].sort_values("psi", ascending=False)["child"].astype(int).tolist()

    def summary(self) -> dict:
        return {"hierarchy_id": self.hierarchy_id, "name": self.name, "corpus": self.corpus_name,
                "levels": [lv.n_topics for lv in self.levels], "created_at": self.created_at,
                "tau": self.options.tau, "one_parent": self.options.one_parent}
