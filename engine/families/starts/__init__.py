"""Random starts among saved runs: which runs are other starts of a run's configuration, and
the per-topic stability of a run against them (for the Topics page); the topic-count sweep as
job runs (:mod:`.sweep`: ``plan_sweep``, ``load_sweep_build``, ``list_sweep_builds``).

Workspace-aware, so it sits above the store; the maths is :mod:`engine.analysis.stability`.
"""
from __future__ import annotations

import pandas as pd

from engine.analysis.stability import THRESHOLD, topic_stability
from engine.store.runs import list_runs, load_run, read_run_manifest

__all__ = ["START_FIELDS", "sibling_runs", "run_stability", "SweepBuild", "plan_sweep", "load_sweep_build",
           "list_sweep_builds"]


#: config fields that may differ between random starts of "the same" configuration
START_FIELDS = ("random_state", "seed", "threads")


def _same_setup(a: dict, b: dict) -> bool:
    strip = lambda c: {k: v for k, v in (c or {}).items() if k not in START_FIELDS}  # noqa: E731
    return (a.get("corpus", {}).get("fingerprint") == b.get("corpus", {}).get("fingerprint")
            and strip(a.get("config")) == strip(b.get("config"))
            and a.get("n_topics") == b.get("n_topics") and a.get("status") != "failed")


def _seed(manifest: dict):
    c = manifest.get("config") or {}
    return c.get("random_state", c.get("seed"))


def sibling_runs(ws, run_id: str) -> list[str]:
    """Ids of saved runs that are other random starts of ``run_id``'s configuration: same corpus
    fingerprint, same config except the seed (and thread count), other seed. Newest first."""
    me = read_run_manifest(ws, run_id)
    seed = _seed(me)
    seen = {seed}
    out = []
    for m in list_runs(ws, me.get("corpus", {}).get("name")):
        s = _seed(m)
        if m["run_id"] != run_id and s not in seen and _same_setup(me, m):
            seen.add(s)
            out.append(m["run_id"])
    return out


def run_stability(ws, run_id: str, threshold: float = THRESHOLD) -> pd.DataFrame | None:
    """Per-topic stability of a saved run against its :func:`sibling_runs` (other random starts).

    Returns None when the run has no sibling; else :func:`topic_stability`'s table with the run's
    topic names plus ``label`` and ``background``; ``attrs["starts"]`` = runs compared (incl.
    this one), ``attrs["runs"]`` = their ids.
    """
    others = sibling_runs(ws, run_id)
    if not others:
        return None
    runs = [load_run(ws, run_id)] + [load_run(ws, r) for r in others]
    m = runs[0].model
    table = topic_stability([r.model.phi for r in runs], 0, m.topic_names, threshold)
    table.insert(1, "label", [m.labels.get(n, "") for n in m.topic_names])
    table.insert(2, "background", [bool(b) for b in m.background])
    table.attrs["starts"] = len(runs)
    table.attrs["runs"] = [run_id] + others
    return table


from engine.families.starts.sweep import SweepBuild, list_sweep_builds, load_sweep_build, plan_sweep  # noqa: E402 - after the helpers it does not need
