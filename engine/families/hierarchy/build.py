"""Training a hierarchy as ordinary runs: every level is a :class:`~engine.jobs.TrainingJob`.

A build trains level 0, then level 1 linked to it, … Each level is a run in ``runs/`` (listed,
checkpointed, steerable live: τ of its HierarchyLink and of every other regularizer, pause, stop,
roll-back, through the job registry like any run). A level's run keeps its last pass's n_wt
(``arrays/n_wt.npy``, :class:`~engine.families.hierarchy.family.LevelEStep`); the next level's
HierarchyLink names that run as its ``parent`` and reads those counts, exactly.

The plan is a small record ``<workspace>/hierarchy_builds/<id>.json`` (levels' configs and run
ids, status), written before the first pass. :meth:`HierarchyBuild.run` skips finished levels,
continues a level from its newest checkpoint (a killed process, a stopped job) and starts the
others; after the last level it assembles the :class:`~engine.families.hierarchy.model.Hierarchy`
from the runs (Ψ from the final Φ and the parent counts) and saves it atomically under
``hierarchies/<id>/`` (the same id). Nothing is written for bad input.
"""
from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from engine.em.config import ModelConfig
from engine.errors import ConfigError, EngineError, WorkspaceError
from engine.families.hierarchy.model import Hierarchy, Level
from engine.families.hierarchy.options import HierarchyOptions, check_levels
from engine.families.hierarchy.quality import hierarchy_quality
from engine.families.hierarchy.regularizers import register_parent
from engine.families.hierarchy.store import load_hierarchy, save_hierarchy
from engine.families.hierarchy.trainer import check_same_corpus, level_config, level_psi, parent_counts_of
from engine.jobs.registry import JobRegistry
from engine.store.plans import PlanRecord
from engine.store.runs import load_run, new_run_id, run_path
from engine.store.workspace import Workspace, now_iso, read_json, validate_name

__all__ = ["HierarchyBuild", "plan_build", "load_build", "list_builds", "builds_dir"]

#: checkpoints kept per level run (each holds Φ, Θ and n_wt)
KEEP_CHECKPOINTS = 3
_ACTIVE: set[str] = set()          # builds whose run() is going on in this process
_ACTIVE_LOCK = threading.Lock()


def builds_dir(ws: Workspace) -> Path:
    return ws.root / "hierarchy_builds"


def _record_path(ws: Workspace, build_id: str) -> Path:
    return builds_dir(ws) / f"{validate_name(build_id, 'hierarchy id')}.json"


def parent_loader(ws: Workspace, run_id: str) -> Callable[[], np.ndarray]:
    """Reads the exact n_wt a level's run saved (``arrays/n_wt.npy``)."""
    path = run_path(ws, run_id) / "arrays" / "n_wt.npy"

    def load() -> np.ndarray:
        if not path.exists():
            raise WorkspaceError(f"the parent level's run {run_id!r} has no saved counts ({path.name}); "
                                 "it was deleted or never finished")
        return np.load(path, allow_pickle=False)
    return load


def saved_level_loader(ws: Workspace, hierarchy_id: str, level: int) -> Callable[[], np.ndarray]:
    """n_wt ≈ φ_wt n_t of level ``level`` of a saved hierarchy (when its run's exact counts are gone)."""
    return lambda: parent_counts_of(load_hierarchy(ws, hierarchy_id).levels[level].model)


def _extension_parent(ws: Workspace, parent: Hierarchy) -> tuple[str, Callable[[], np.ndarray]]:
    """(key, loader) of the last level of a saved hierarchy: its run's exact n_wt when the run is
    still saved, else φ·n_t from the hierarchy itself."""
    k, rid = len(parent.levels) - 1, parent.levels[-1].run_id
    if rid and (run_path(ws, rid) / "arrays" / "n_wt.npy").exists():
        return rid, parent_loader(ws, rid)
    return f"hierarchy-{parent.hierarchy_id}-level{k}", saved_level_loader(ws, parent.hierarchy_id, k)


class HierarchyBuild(PlanRecord):
    """The plan and state of one hierarchy trained level by level as jobs."""

    build_id = property(lambda self: self.record["build_id"])
    run_ids = property(lambda self: [lv["run_id"] for lv in self.record["levels"]])

    def path(self) -> Path:
        return _record_path(self.ws, self.build_id)

    @property
    def first_level(self) -> int:
        """Index of the first level this build trains (> 0 when it extends a saved hierarchy)."""
        return int((self.record.get("extends") or {}).get("levels", 0))

    def register_parents(self) -> None:
        """Make every level's parent counts available to its HierarchyLink (this process)."""
        ext = self.record.get("extends")
        if ext:
            key = ext["parent"]
            register_parent(key, parent_loader(self.ws, key) if key in ext.get("runs", ()) else
                            saved_level_loader(self.ws, ext["hierarchy_id"], ext["levels"] - 1))
        for rid in self.run_ids[:-1]:
            register_parent(rid, parent_loader(self.ws, rid))

    def configs(self) -> list[ModelConfig]:
        return [ModelConfig.from_dict(lv["config"]) for lv in self.record["levels"]]

    def level_status(self, k: int) -> str:
        """"finished", "resumable" (has checkpoints), or "new"."""
        return self.run_state(self.run_ids[k], needs=("arrays/n_wt.npy",))

    @property
    def active(self) -> bool:
        with _ACTIVE_LOCK:
            return self.build_id in _ACTIVE

    def run(self, corpus, registry: JobRegistry | None = None, owner: str | None = None,
            on_report: Callable | None = None, on_job: Callable[[int, str], None] | None = None,
            should_stop: Callable[[], bool] | None = None, poll: float = 0.5, **job_options) -> Hierarchy | None:
        """Train the levels not finished yet, then save the hierarchy; returns it, or None when
        a level was stopped (or ``should_stop()`` turned true) — continue later with another
        :meth:`run`. ``on_job(level, job_id)`` when a level's job starts; ``on_report(level,
        report)`` after each pass. A failed level raises EngineError with its message."""
        if corpus.fingerprint() != self.record["corpus"]["fingerprint"]:
            raise ConfigError(f"hierarchy {self.name!r} is planned on corpus {self.record['corpus']['name']!r}; "
                              "continue it on that corpus")
        with _ACTIVE_LOCK:
            if self.build_id in _ACTIVE:
                raise EngineError(f"hierarchy {self.name!r} is already training in this process")
            _ACTIVE.add(self.build_id)
        registry = registry or JobRegistry()
        try:
            return self._run(corpus, registry, owner, on_report, on_job, should_stop, poll, job_options)
        except KeyboardInterrupt:  # Ctrl-C: the level's job ends its pass, checkpoints and saves
            for rid in self.run_ids:
                if rid in registry and not registry.get(rid).snapshot().done:
                    registry.get(rid).stop(owner)
                    registry.get(rid).wait()
            self._save(status="stopped")
            raise
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(self.build_id)

    def _run(self, corpus, registry, owner, on_report, on_job, should_stop, poll, job_options):
        self._save(status="running", error=None)
        configs = self.configs()
        self.register_parents()
        for k, (cfg, rid) in enumerate(zip(configs, self.run_ids)):
            state = self.level_status(k)
            if state == "finished":
                continue
            job_options.setdefault("keep_checkpoints", KEEP_CHECKPOINTS)
            name = f"{self.name} · level {self.first_level + k} ({cfg.n_topics} topics)"
            if state == "resumable":
                job_id = registry.continue_run(self.ws, corpus, rid, owner=owner, name=name, **job_options)
            else:
                job_id = registry.start(self.ws, corpus, cfg, owner=owner, name=name, run_id=rid, exist_ok=True,
                                        **job_options)
            if on_job is not None:
                on_job(self.first_level + k, job_id)
            snap = self._follow(registry.get(job_id), self.first_level + k, owner, on_report, should_stop, poll)
            if snap.status == "failed":
                k += self.first_level
                self._save(status="failed", error=f"level {k}: {snap.error}")
                raise EngineError(f"level {k} of hierarchy {self.name!r} failed: {snap.error}")
            if snap.status != "finished":
                self._save(status="stopped")
                return None
        h = self.assemble(corpus)
        save_hierarchy(self.ws, h)
        self._save(status="finished")
        return h

    @staticmethod
    def _follow(job, k, owner, on_report, should_stop, poll):
        seen = job.snapshot().iteration
        stop_sent = False
        while True:
            snap = job.wait_for(lambda s: s.done or s.iteration != seen, poll)
            for r in snap.reports:
                if r.iteration > seen and on_report is not None:
                    on_report(k, r)
            seen = max(seen, snap.iteration)
            if snap.done:
                return snap
            if should_stop is not None and should_stop() and not stop_sent:
                job.stop(owner)
                stop_sent = True

    def assemble(self, corpus) -> Hierarchy:
        """The hierarchy from the finished level runs (Ψ from each child's final Φ); an extension
        puts its levels below the saved hierarchy's (same id, replaced when saved)."""
        ext = self.record.get("extends")
        base = load_hierarchy(self.ws, ext["hierarchy_id"]) if ext else None
        if base is not None and len(base.levels) != ext["levels"]:
            raise ConfigError(f"hierarchy {base.name!r} changed since this extension was planned "
                              f"({len(base.levels)} levels, planned below level {ext['levels'] - 1}); plan it again")
        levels = list(base.levels) if base is not None else []
        quality = list(base.quality) if base is not None else []
        frames = [base.scores] if base is not None and len(base.scores) else []
        seconds = base.seconds if base is not None else 0.0
        self.register_parents()
        for k, rid in enumerate(self.run_ids):
            run = load_run(self.ws, rid)
            cfg = ModelConfig.from_dict(run.config)
            psi = None
            if levels:
                psi = level_psi(run.model.phi, cfg)
                quality.append(hierarchy_quality(levels[-1].model.phi, run.model.phi, psi))
            levels.append(Level(model=run.model, config=cfg, psi=psi, run_id=rid))
            sc = run.scores
            if len(sc):
                sc = sc[sc["branch"] == run.branch] if "branch" in sc else sc
                wide = sc.pivot_table(index="iteration", columns="score", values="value", aggfunc="last")
                frames.append(wide.reset_index().assign(level=self.first_level + k))
                if "seconds" in wide:
                    seconds += float(wide["seconds"].sum())
        scores = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(scores):
            scores = scores[["level", "iteration"] + [c for c in scores.columns if c not in ("level", "iteration")]]
        return Hierarchy(hierarchy_id=self.record.get("hierarchy_id", self.build_id), name=self.name,
                         corpus_name=corpus.name, corpus_fingerprint=corpus.fingerprint(),
                         options=HierarchyOptions.from_dict(self.record["options"]), levels=levels,
                         tokens=corpus.vocab[["token", "modality"]].astype(str).reset_index(drop=True),
                         doc_ids=corpus.documents["id"].astype(str).tolist(), scores=scores,
                         quality=quality, created_at=now_iso(), seconds=seconds)


def plan_build(ws: Workspace, corpus, configs: list[ModelConfig], options: HierarchyOptions | dict | None = None,
               name: str | None = None, extend: str | None = None) -> HierarchyBuild:
    """Check the levels and write the plan (nothing else); each level gets its run id and, for
    k > 0, a HierarchyLink whose ``parent`` is level k−1's run id. ``extend``: the id of a saved
    hierarchy to add the levels below (same corpus, its options; saved under its id)."""
    opts = options if isinstance(options, HierarchyOptions) else HierarchyOptions.from_dict(options)
    opts.validate()
    parent = load_hierarchy(ws, extend) if extend else None
    ext, first_parent = None, "none"
    if parent is not None:
        check_same_corpus(parent, corpus)
        opts = parent.options
        first_parent, _ = _extension_parent(ws, parent)
        ext = {"hierarchy_id": parent.hierarchy_id, "levels": len(parent.levels), "parent": first_parent,
               "runs": [lv.run_id for lv in parent.levels if lv.run_id]}
    configs = check_levels(list(configs), corpus, parent.levels[-1].n_topics if parent is not None else 0)
    first = len(parent.levels) if parent is not None else 0
    run_ids = [new_run_id() for _ in configs]
    parents = [first_parent] + run_ids[:-1]
    configs = [level_config(c, first + k, opts, parent=parents[k] if first + k else "none")
               for k, c in enumerate(configs)]
    build_id = uuid.uuid4().hex[:12]
    default = f"{corpus.name or 'corpus'}-" + "-".join(str(c.total_topics) for c in configs)
    record = {"schema": 1, "kind": "hierarchy_build", "build_id": build_id,
              "hierarchy_id": parent.hierarchy_id if parent is not None else build_id, "extends": ext,
              "name": name or (parent.name if parent is not None else default),
              "corpus": {"name": corpus.name, "fingerprint": corpus.fingerprint()},
              "options": opts.to_dict(), "status": "planned", "error": None,
              "levels": [{"run_id": r, "n_topics": c.total_topics, "config": c.to_dict()}
                         for r, c in zip(run_ids, configs)],
              "created_at": now_iso(), "updated_at": now_iso()}
    builds_dir(ws).mkdir(parents=True, exist_ok=True)
    build = HierarchyBuild(ws, record)
    build._save()
    return build


def load_build(ws: Workspace, build_id: str) -> HierarchyBuild:
    return HierarchyBuild.open(ws, _record_path(ws, build_id), f"hierarchy training {build_id!r}")


def list_builds(ws: Workspace, corpus: str | None = None, unfinished: bool = True) -> list[dict]:
    """Planned/running/stopped/failed builds (newest first): build_id, name, corpus, levels,
    status ("interrupted" for a "running" one no thread of this process is training)."""
    out = []
    if builds_dir(ws).is_dir():
        for p in builds_dir(ws).glob("*.json"):
            try:
                rec = read_json(p)
            except WorkspaceError:
                continue
            if corpus is not None and rec["corpus"]["name"] != corpus:
                continue
            if unfinished and rec["status"] == "finished":
                continue
            with _ACTIVE_LOCK:
                active = rec["build_id"] in _ACTIVE
            status = "interrupted" if rec["status"] in ("running", "planned") and not active else rec["status"]
            out.append({"build_id": rec["build_id"], "name": rec["name"], "corpus": rec["corpus"]["name"],
                        "levels": [lv["n_topics"] for lv in rec["levels"]], "status": status,
                        "error": rec.get("error"), "updated_at": rec.get("updated_at", "")})
    return sorted(out, key=lambda m: m["updated_at"], reverse=True)
