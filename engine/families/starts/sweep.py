"""A topic-count sweep trained as ordinary runs: every (T, start) is a :class:`~engine.jobs.TrainingJob`.

The plan is ``<workspace>/sweep_builds/<id>/manifest.json`` (topics, starts, held-out share, the
base config, one entry per (T, start) with its run id and config; status), written before the
first pass. :meth:`SweepBuild.run` trains the runs not finished yet — ``workers`` jobs at a time
(each with one E-step thread when ``workers`` > 1) in the given job registry, with checkpoints —
continues a run from its newest checkpoint (a stopped sweep, a killed process) and skips finished
ones. Runs train on the training part of the corpus (:func:`engine.analysis.sweep.split_corpus`:
every k-th document held out, k = round(1 / holdout)), the held-out part giving
``holdout_perplexity``; that part is a corpus of its own name (``"<corpus> · sweep train"``), so
document views of the full corpus never open a run trained on fewer documents.

The sweep's table, curves and stability are recomputed from the saved runs
(:meth:`SweepBuild.result`), so a continued sweep gives exactly what an uninterrupted one gives;
after the last run the sweep is saved under ``sweeps/<id>/`` (:mod:`engine.store.sweeps`, same id).
The optional TopicSelection run (many topics, redundant ones switched off) is one more job.
"""
from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from engine.analysis.stability import THRESHOLD
from engine.analysis.sweep import SweepResult, check_sweep, split_corpus, summarize
from engine.corpus.corpus import Corpus
from engine.em.config import MAX_ITERATIONS, ModelConfig
from engine.em.regularizers import TopicSelection
from engine.errors import ConfigError, EngineError, WorkspaceError
from engine.jobs.registry import JobRegistry
from engine.store.plans import PlanRecord
from engine.store.runs import load_run, new_run_id
from engine.store.sweeps import save_sweep, sweeps_dir
from engine.store.workspace import Workspace, atomic_dir, now_iso, read_json, validate_name, write_json_atomic

__all__ = ["SweepBuild", "plan_sweep", "load_sweep_build", "list_sweep_builds", "sweep_builds_dir"]

#: checkpoints kept per sweep run (each holds Φ and Θ; one is enough to continue)
KEEP_CHECKPOINTS = 1
#: the sweep's scores, computed on a run's last pass only; the other default scores are off
SWEEP_SCORES = {"coherence": MAX_ITERATIONS, "sparsity_phi": MAX_ITERATIONS, "sparsity_theta": MAX_ITERATIONS,
                "topic_distance": MAX_ITERATIONS, "holdout_perplexity": MAX_ITERATIONS, "topic_kernel": 0,
                "background_ratio": 0, "topic_mass": 0, "class_precision": 0}
SELECTION = "selection"
_ACTIVE: set[str] = set()
_ACTIVE_LOCK = threading.Lock()


def sweep_builds_dir(ws: Workspace) -> Path:
    return ws.root / "sweep_builds"


def _record_path(ws: Workspace, sweep_id: str) -> Path:
    return sweep_builds_dir(ws) / validate_name(sweep_id, "sweep id") / "manifest.json"


def train_name(corpus_name: str) -> str:
    return f"{corpus_name or 'corpus'} · sweep train"


class SweepBuild(PlanRecord):
    """The plan and state of one sweep trained as jobs."""

    sweep_id = property(lambda self: self.record["sweep_id"])
    entries = property(lambda self: list(self.record["runs"]))
    run_ids = property(lambda self: [e["run_id"] for e in self.record["runs"]])

    @property
    def active(self) -> bool:
        with _ACTIVE_LOCK:
            return self.sweep_id in _ACTIVE

    def path(self) -> Path:
        return _record_path(self.ws, self.sweep_id)

    def lock_target(self) -> Path:
        return self.path().parent  # the entry's folder: recovery skips it while it is written

    def run_status(self, run_id: str) -> str:
        """"finished", "resumable" (has checkpoints), or "new"."""
        return self.run_state(run_id)

    def progress(self) -> tuple[int, int]:
        """(runs finished, runs planned)."""
        return sum(self.run_status(r) == "finished" for r in self.run_ids), len(self.run_ids)

    def corpora(self, corpus: Corpus) -> tuple[Corpus, object]:
        """(training corpus, held-out n_dw) of this sweep's split of ``corpus``."""
        if corpus.fingerprint() != self.record["corpus"]["fingerprint"]:
            raise ConfigError(f"sweep {self.name!r} is planned on corpus {self.record['corpus']['name']!r}; "
                              "continue it on that corpus (it changed or is another one)")
        train, heldout = split_corpus(corpus, float(self.record["holdout"]))
        if heldout is not None:
            train = Corpus(name=train_name(corpus.name), documents=train.documents, vocab=train.vocab,
                           n_dw=train.n_dw, manifest=train.manifest)
        return train, heldout

    # ------------------------------------------------------------------ training
    def run(self, corpus: Corpus, registry: JobRegistry | None = None, owner: str | None = None,
            on_run: Callable[[dict], None] | None = None, on_job: Callable[[dict, str], None] | None = None,
            should_stop: Callable[[], bool] | None = None, poll: float = 0.5):
        """Train what is not finished, then save the sweep; returns the
        :class:`~engine.store.sweeps.SavedSweep`, or None when stopped (``should_stop()`` or a
        job stopped from elsewhere) — continue later with another :meth:`run`.
        ``on_run(row)`` per finished run (topics, start, seed, run_id, seconds, scores);
        ``on_job(entry, job_id)`` when a run's job starts. A failed run raises EngineError."""
        train, heldout = self.corpora(corpus)
        with _ACTIVE_LOCK:
            if self.sweep_id in _ACTIVE:
                raise EngineError(f"sweep {self.name!r} is already training in this process")
            _ACTIVE.add(self.sweep_id)
        registry = registry or JobRegistry()
        active: dict[str, dict] = {}
        t0 = time.perf_counter()
        try:
            self._save(status="running", error=None)
            done = self._train(train, heldout, corpus, registry, owner, on_run, on_job, should_stop, poll, active)
            if not done:
                self._save(status="stopped", seconds=self._seconds(t0))
                return None
            self._save(seconds=self._seconds(t0))
            saved = self.save_result(corpus)
            self._save(status="finished")
            return saved
        except KeyboardInterrupt:  # Ctrl-C: every running job ends its pass, checkpoints and saves
            self._stop_all(registry, active, owner)
            self._save(status="stopped", seconds=self._seconds(t0))
            raise
        except Exception as e:  # a refused start (memory, config): the started jobs stop and save
            self._stop_all(registry, active, owner)
            if self.record["status"] != "failed":
                self._save(status="failed", error=str(e) or type(e).__name__, seconds=self._seconds(t0))
            raise
        finally:
            with _ACTIVE_LOCK:
                _ACTIVE.discard(self.sweep_id)

    def _seconds(self, t0: float) -> float:
        return float(self.record.get("seconds", 0.0)) + time.perf_counter() - t0

    def _pending(self) -> list[dict]:
        return [e for e in self.record["runs"] if self.run_status(e["run_id"]) != "finished"]

    def _start(self, e: dict, train, heldout, corpus, registry, owner) -> str:
        data = corpus if e["start"] == SELECTION else train
        hold = None if e["start"] == SELECTION else heldout
        opts = {"owner": owner, "name": e["name"], "keep_checkpoints": KEEP_CHECKPOINTS, "holdout": hold}
        if self.run_status(e["run_id"]) == "resumable":
            return registry.continue_run(self.ws, data, e["run_id"], **opts)
        return registry.start(self.ws, data, ModelConfig.from_dict(e["config"]), run_id=e["run_id"],
                              exist_ok=True, **opts)

    def _train(self, train, heldout, corpus, registry, owner, on_run, on_job, should_stop, poll, active) -> bool:
        pending = self._pending()
        workers = max(1, int(self.record["workers"]))
        while pending or active:
            stopping = should_stop is not None and should_stop()
            while pending and len(active) < workers and not stopping:
                e = pending.pop(0)
                job_id = self._start(e, train, heldout, corpus, registry, owner)
                active[job_id] = e
                if on_job is not None:
                    on_job(e, job_id)
            if stopping:
                self._stop_all(registry, active, owner)
                return False
            first = next(iter(active))
            registry.get(first).wait(poll)  # returns at once when it ended; else re-checks the others
            for job_id in [j for j in active if registry.get(j).snapshot().done]:
                e, snap = active.pop(job_id), registry.get(job_id).snapshot()
                if snap.status == "failed":
                    self._stop_all(registry, active, owner)
                    self._save(status="failed", error=f"{e['name']}: {snap.error}")
                    raise EngineError(f"run {e['name']!r} of sweep {self.name!r} failed: {snap.error}")
                if snap.status != "finished":      # stopped from the live view or the Runs page
                    self._stop_all(registry, active, owner)
                    return False
                self._note_seconds(e, sum(r.seconds for r in snap.reports))
                if on_run is not None and e["start"] != SELECTION:
                    on_run(self._row(e, snap.reports[-1].scores if snap.reports else {}))
        return True

    def _note_seconds(self, e: dict, seconds: float) -> None:
        for x in self.record["runs"]:
            if x["run_id"] == e["run_id"]:
                x["seconds"] = float(seconds)
        self._save()

    @staticmethod
    def _stop_all(registry, active, owner) -> None:
        for job_id in active:
            job = registry.get(job_id)
            if not job.snapshot().done:
                job.stop(owner)
        for job_id in active:
            registry.get(job_id).wait()

    @staticmethod
    def _row(e: dict, scores: dict) -> dict:
        return {"topics": int(e["topics"]), "start": int(e["start"]), "seed": int(e["config"]["random_state"]),
                "run_id": e["run_id"], "seconds": float(e.get("seconds", np.nan)),
                **{k: v for k, v in scores.items() if not k.startswith(("topic_mass:", "health/"))}}

    # ------------------------------------------------------------------ results
    def result(self) -> tuple[SweepResult, pd.DataFrame | None]:
        """(the sweep's result, the TopicSelection curve or None) recomputed from the finished
        saved runs (unfinished ones are left out)."""
        rows, phis, selection = [], {}, None
        for e in self.record["runs"]:
            if self.run_status(e["run_id"]) != "finished":
                continue
            run = load_run(self.ws, e["run_id"])
            if e["start"] == SELECTION:
                selection = _selection_curve(run)
                continue
            rows.append(self._row(e, run.final_scores()))
            phis[(int(e["topics"]), int(e["start"]))] = run.model.phi
        if not rows:
            return SweepResult(runs=pd.DataFrame()), selection
        runs = pd.DataFrame(rows).sort_values(["topics", "start"]).reset_index(drop=True)
        summary, bends = summarize(runs.drop(columns="run_id"), phis, float(self.record["threshold"]))
        return SweepResult(runs=runs, phis=phis, summary=summary, bends=bends,
                           seconds=float(self.record.get("seconds", 0.0))), selection

    def save_result(self, corpus: Corpus):
        """Save the sweep (``sweeps/<id>/``) from the saved runs; returns the SavedSweep."""
        res, selection = self.result()
        base = ModelConfig.from_dict(self.record["config"])
        return save_sweep(self.ws, res, corpus, topics=self.record["topics"], starts=int(self.record["starts"]),
                          holdout=float(self.record["holdout"]), base=base, selection=selection, name=self.name,
                          threshold=float(self.record["threshold"]), sweep_id=self.sweep_id)


def _selection_curve(run) -> pd.DataFrame:
    s = run.active_scores()
    wide = s.pivot_table(index="iteration", columns="score", values="value", aggfunc="last").sort_index()
    total = int(run.model.n_topics)
    dead = wide["dead_topics"] if "dead_topics" in wide else pd.Series(0.0, index=wide.index)
    perp = wide["perplexity"] if "perplexity" in wide else pd.Series(np.nan, index=wide.index)
    return pd.DataFrame({"iteration": wide.index.astype(int), "surviving": (total - dead.astype(int)).to_numpy(),
                         "perplexity": perp.to_numpy()})


def sweep_config(base: ModelConfig, topics: int, seed: int, threads: int) -> ModelConfig:
    """The config of one sweep run: ``base`` at T topics and this seed, with the sweep's scores
    (on the last pass) unless the base config sets them."""
    scores = {**SWEEP_SCORES, **dict(base.scores or {})}
    return base.with_changes(n_topics=int(topics), seed=int(seed), threads=int(threads), scores=scores).validate()


def plan_sweep(ws: Workspace, corpus: Corpus, topics, starts: int = 3, base: ModelConfig | None = None,
               holdout: float = 0.1, workers: int = 2, threshold: float = THRESHOLD, selection: int = 0,
               selection_tau: float = 0.5, name: str | None = None) -> SweepBuild:
    """Check everything and write the plan (nothing else); returns the :class:`SweepBuild`."""
    topics = check_sweep(topics, starts, holdout)
    base = (base or ModelConfig()).validate()
    base.check_corpus(corpus)
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or not 1 <= workers <= 64:
        raise ConfigError(f"sweep: workers must be an integer in 1..64, got {workers!r}")
    if isinstance(selection, bool) or not isinstance(selection, (int, np.integer)) or selection < 0:
        raise ConfigError(f"sweep: the TopicSelection topic count must be an integer ≥ 0 (0 = off), got {selection!r}")
    threads = 1 if workers > 1 else base.threads
    sweep_id = uuid.uuid4().hex[:12]
    name = name or f"{corpus.name or 'corpus'}-T" + "-".join(map(str, topics)) + f"x{int(starts)}"
    runs = [{"topics": t, "start": s, "run_id": new_run_id(), "name": f"{name} · T={t} · start {s}",
             "config": sweep_config(base, t, base.seed + s, threads).to_dict()}
            for t in topics for s in range(int(starts))]
    if selection:
        cfg = base.with_changes(n_topics=int(selection), regularizers=tuple(base.regularizers) + (
            TopicSelection(name="topic_selection", tau=selection_tau),)).validate()
        cfg.check_corpus(corpus)
        runs.append({"topics": int(selection), "start": SELECTION, "run_id": new_run_id(),
                     "name": f"{name} · TopicSelection from {selection}", "config": cfg.to_dict()})
    record = {"schema": 1, "kind": "sweep_build", "sweep_id": sweep_id, "name": name,
              "corpus": {"name": corpus.name, "fingerprint": corpus.fingerprint()},
              "topics": topics, "starts": int(starts), "holdout": float(holdout), "workers": int(workers),
              "threshold": float(threshold), "selection": int(selection), "config": base.to_dict(),
              "status": "planned", "error": None, "seconds": 0.0, "runs": runs,
              "created_at": now_iso(), "updated_at": now_iso()}
    path = _record_path(ws, sweep_id)
    with atomic_dir(path.parent) as tmp:  # the entry appears complete or not at all
        write_json_atomic(tmp / path.name, record)
    return SweepBuild(ws, record)


def load_sweep_build(ws: Workspace, sweep_id: str) -> SweepBuild:
    return SweepBuild.open(ws, _record_path(ws, sweep_id), f"sweep training {sweep_id!r}")


def list_sweep_builds(ws: Workspace, corpus: str | None = None, unfinished: bool = True) -> list[dict]:
    """Planned/running/stopped/failed sweeps (newest first): sweep_id, name, corpus, topics,
    starts, status ("interrupted" for a "running" one no thread of this process trains), done, total."""
    out = []
    folder = sweep_builds_dir(ws)
    for p in sorted(folder.glob("*/manifest.json")) if folder.is_dir() else []:
        try:
            build = SweepBuild(ws, read_json(p))
        except WorkspaceError:
            continue
        rec = build.record
        if (corpus is not None and rec["corpus"]["name"] != corpus) or (unfinished and rec["status"] == "finished"):
            continue
        status = "interrupted" if rec["status"] in ("running", "planned") and not build.active else rec["status"]
        done, total = build.progress()
        out.append({"sweep_id": rec["sweep_id"], "name": rec["name"], "corpus": rec["corpus"]["name"],
                    "topics": rec["topics"], "starts": rec["starts"], "status": status, "error": rec.get("error"),
                    "done": done, "total": total, "updated_at": rec.get("updated_at", "")})
    return sorted(out, key=lambda m: m["updated_at"], reverse=True)


def sweep_saved(ws: Workspace, sweep_id: str) -> bool:
    return (sweeps_dir(ws) / validate_name(sweep_id, "sweep id") / "manifest.json").exists()
