"""Registration of the hierarchy family (recipe step 5).

A hierarchy level is a run of family ``"hierarchy"`` with options ``{"level": k}`` (0 = top);
a child level's config carries a :class:`~engine.families.hierarchy.regularizers.HierarchyLink`
regularizer. Training stacks levels with :func:`engine.families.hierarchy.train_levels`.
"""
from __future__ import annotations

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


FAMILY = register_family(Family(name="hierarchy", doc="hARTM: levels linked by Ψ = p(child|parent)",
                                options=_options))
