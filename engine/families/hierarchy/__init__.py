"""Topic hierarchies (hARTM): levels of ordinary ARTM models linked by Ψ = p(child|parent).

- :mod:`.psi` — the maths: Ψ estimation and the hierarchy regularizer's Φ term.
- :mod:`.options` — :class:`HierarchyOptions` and the level checks.
- :mod:`.regularizers` — :class:`HierarchyLink`, the parent link as a Φ regularizer.
- :mod:`.family` — registration (family ``"hierarchy"``, options ``{"level": k}``).
- :mod:`.trainer` — :func:`train_levels` (level by level on the one Trainer, in memory).
- :mod:`.build` — :func:`plan_build` / :class:`HierarchyBuild`: every level an ordinary run
  (a TrainingJob: checkpoints, live τ, resumable after a stop or a killed process).
- :mod:`.model` — :class:`Hierarchy`, :class:`Level`, edges.
- :mod:`.quality` — parent–child coherence, children per parent, orphans, duplicates.
- :mod:`.store` — save/load/export/labels (atomic).
- :mod:`.tables` — DataFrames for the views (tree, drill-down, Ψ heatmap).
- :mod:`.task` — :class:`Task`, a background thread for long workflows (a build, a sweep).

Public API: the names in ``__all__`` plus the submodules ``store`` and ``tables``.
"""
from engine.families.hierarchy import store, tables  # noqa: F401 - submodules used as H.store, H.tables
from engine.families.hierarchy.model import Hierarchy, Level
from engine.families.hierarchy.options import HierarchyOptions, check_levels, parse_levels
from engine.families.hierarchy.psi import estimate_psi, hierarchy_term, parent_of
from engine.families.hierarchy.quality import hierarchy_quality
from engine.families.hierarchy.store import (
    delete_hierarchy, export_hierarchy, list_hierarchies, load_hierarchy, save_hierarchy,
    set_level_labels,
)
from engine.families.hierarchy import family  # noqa: F401 - registers the family and HierarchyLink
from engine.families.hierarchy.regularizers import HierarchyLink
from engine.families.hierarchy.trainer import Stopped, level_config, level_configs, level_trainer, train_levels
from engine.families.hierarchy.build import HierarchyBuild, list_builds, load_build, plan_build
from engine.families.hierarchy.tables import tree_table
from engine.families.hierarchy.task import Task

__all__ = [
    "Hierarchy", "Level", "HierarchyOptions", "check_levels", "parse_levels", "estimate_psi",
    "hierarchy_term", "parent_of", "hierarchy_quality", "save_hierarchy", "load_hierarchy",
    "list_hierarchies", "set_level_labels", "delete_hierarchy", "export_hierarchy",
    "HierarchyLink", "Stopped", "level_config", "level_configs", "level_trainer", "train_levels",
    "HierarchyBuild", "plan_build", "load_build", "list_builds", "tree_table", "Task", "store",
    "tables",
]
