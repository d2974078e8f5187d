"""Registration of the hierarchy family (recipe step 5).

A hierarchy level is a run of family ``"hierarchy"`` with options ``{"level": k}`` (0 = top);
a child level's config carries a :class:`~engine.families.hierarchy.regularizers.HierarchyLink`
regularizer. Training stacks levels with :func:`engine.families.hierarchy.train_levels`.
"""
from __future__ import annotations

import numpy as np

from engine.em.estep import BagEStep
from engine.em.family import Family, register_family
from engine.errors import ConfigError
from engine.options import refuse_unknown
from engine.families.hierarchy import regularizers  # noqa: F401 - registers HierarchyLink


def _options(d: dict) -> dict:
    refuse_unknown(d, ("level",), "hierarchy options")
    level = d.get("level", 0)
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < 64:
        raise ConfigError(f"hierarchy options: level must be an integer 0..63, got {level!r}")
    return {"level": level}


class LevelEStep(BagEStep):
    """The bag-of-words E-step that keeps the last pass's counts n_wt (W, T) float32: saved with
    the run (``arrays/n_wt.npy``) and in every checkpoint, they are what a child level reads as
    its parent pseudo-documents (BigARTM's ``model_nwt``), exactly, also after a restart."""

    def __init__(self, trainer):
        super().__init__(trainer)
        self._n_wt: np.ndarray | None = None

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        out = super().run(tr, cfg, tok_weight, reset, theta_terms, estep_terms)
        self._n_wt = out[0]
        return out

    def arrays(self) -> dict:
        return {"n_wt": self._n_wt} if self._n_wt is not None else {}

    def state(self) -> dict:
        return self.arrays()

    def load_state(self, state: dict) -> None:
        if state.get("n_wt") is not None:
            self._n_wt = np.ascontiguousarray(state["n_wt"], np.float32)


FAMILY = register_family(Family(name="hierarchy", doc="hARTM: levels linked by Ψ = p(child|parent)",
                                options=_options, estep=LevelEStep))
