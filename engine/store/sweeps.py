"""A topic-count sweep on disk: ``<workspace>/sweeps/<id>/``, written in one atomic folder swap.

Files (all Parquet but the manifest):

- ``manifest.json`` — id, name, corpus (name, fingerprint), topics, starts, holdout, the base
  config, bends (metric → T), seconds, created_at;
- ``runs.parquet`` — one row per (topics, start): seed, seconds, final scores;
- ``summary.parquet`` — one row per T: means, ``<metric>_std``, starts, stability (the curves);
- ``topic_stability.parquet`` — per (topics, start, topic): stability, mean/worst matched
  distance, stable, top words (the per-topic bars; Φ itself is not kept: 10..80 topics × 3
  starts of a 20 Newsgroups vocabulary would be ~100 MB);
- ``selection.parquet`` — TopicSelection's surviving count per iteration (when it was run).

:func:`save_sweep` writes everything or nothing; :func:`load_sweep` gives a :class:`SavedSweep`
that the page and the CLI export read exactly like a fresh result.
"""
from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.analysis.stability import THRESHOLD
from engine.errors import WorkspaceError
from engine.store.manifests import open_manifest, read_manifests, reading
from engine.store.workspace import (
    Workspace, atomic_dir, engine_version, now_iso, read_json, read_table, validate_name,
    write_json_atomic, write_table,
)

__all__ = ["SavedSweep", "stability_tables", "save_sweep", "load_sweep", "list_sweeps", "delete_sweep",
           "sweeps_dir"]

MANIFEST = "manifest.json"
SCHEMA = 1
TOP_WORDS = 6
_STAB_COLS = ["topics", "start", "topic", "stability", "mean_distance", "worst_distance", "stable", "top_words"]


@dataclass(eq=False)
class SavedSweep:
    """A sweep as stored: the tables of :class:`engine.analysis.sweep.SweepResult` without Φ,
    plus the per-topic stability of every run and the TopicSelection curve (or None)."""

    sweep_id: str
    name: str
    corpus_name: str
    runs: pd.DataFrame
    summary: pd.DataFrame
    bends: dict
    stability: pd.DataFrame
    selection: pd.DataFrame | None = None
    seconds: float = 0.0
    manifest: dict = field(default_factory=dict)

    def topic_stability(self, topics: int, start: int = 0) -> pd.DataFrame:
        """Per-topic stability of run (topics, start) against the other starts at that T."""
        s = self.stability
        return s[(s["topics"] == int(topics)) & (s["start"] == int(start))].drop(
            columns=["topics", "start"]).reset_index(drop=True)

    def labels(self, topics: int, start: int = 0) -> dict:
        """topic → "topic_3: top words" for the bars."""
        t = self.topic_stability(topics, start)
        return {r.topic: f"{r.topic}: {r.top_words}" if r.top_words else r.topic for r in t.itertuples()}


def sweeps_dir(ws: Workspace) -> Path:
    return ws.root / "sweeps"


def _path(ws: Workspace, sweep_id: str) -> Path:
    return sweeps_dir(ws) / validate_name(sweep_id, "sweep id")


def stability_tables(result, tokens, threshold: float = THRESHOLD, n_words: int = TOP_WORDS) -> pd.DataFrame:
    """DataFrame[topics, start, topic, stability, mean_distance, worst_distance, stable, top_words]
    for every run of ``result`` (a :class:`~engine.analysis.sweep.SweepResult`) at a T with ≥ 2
    starts; ``tokens`` (W,) names Φ's rows."""
    tokens = np.asarray(tokens, dtype=object).astype(str)
    frames = []
    for t in sorted({k[0] for k in result.phis}):
        starts = sorted(s for (tt, s) in result.phis if tt == t)
        if len(starts) < 2:
            continue
        for s in starts:
            per = result.topic_stability(t, s, threshold)
            phi = np.asarray(result.phis[(t, s)])
            top = np.argsort(-phi, axis=0, kind="stable")[:n_words].T
            words = [" ".join(tokens[i] for i in row if phi[i, j] > 0) for j, row in enumerate(top)]
            frames.append(per.assign(topics=int(t), start=int(s), top_words=words[:len(per)]))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in _STAB_COLS})
    return pd.concat(frames, ignore_index=True)[_STAB_COLS]


def save_sweep(ws: Workspace, result, corpus, *, topics, starts: int, holdout: float, base=None,
               selection: pd.DataFrame | None = None, name: str | None = None,
               threshold: float = THRESHOLD, sweep_id: str | None = None) -> SavedSweep:
    """Write ``result`` (and the TopicSelection curve) atomically under ``sweep_id`` (default: a
    new id; an existing sweep of that id is replaced); returns what :func:`load_sweep` reads back."""
    if result.runs is None or result.runs.empty:
        raise WorkspaceError("a sweep without finished runs cannot be saved")
    sweep_id = validate_name(sweep_id, "sweep id") if sweep_id else uuid.uuid4().hex[:12]
    ts = [int(t) for t in topics]
    man = {"schema": SCHEMA, "kind": "sweep", "sweep_id": sweep_id,
           "name": name or f"{corpus.name or 'corpus'}-T" + "-".join(map(str, ts)) + f"x{int(starts)}",
           "corpus": {"name": corpus.name, "fingerprint": corpus.fingerprint()},
           "topics": ts, "starts": int(starts), "holdout": float(holdout), "threshold": float(threshold),
           "config": base.to_dict() if base is not None else None,
           "bends": {k: (None if v is None or not np.isfinite(v) else float(v)) for k, v in result.bends.items()},
           "seconds": float(result.seconds), "has_selection": selection is not None,
           "created_at": now_iso(), "engine_version": engine_version()}
    stab = stability_tables(result, corpus.vocab["token"].to_numpy(), threshold)
    with atomic_dir(_path(ws, sweep_id), replace=True) as tmp:
        write_table(result.runs.reset_index(drop=True), tmp / "runs.parquet")
        write_table(result.summary.reset_index(drop=True), tmp / "summary.parquet")
        write_table(stab, tmp / "topic_stability.parquet")
        if selection is not None:
            write_table(selection.reset_index(drop=True), tmp / "selection.parquet")
        write_json_atomic(tmp / MANIFEST, man)
    return load_sweep(ws, sweep_id)


def load_sweep(ws: Workspace, sweep_id: str) -> SavedSweep:
    path = _path(ws, sweep_id)
    man = open_manifest(path, "sweep", "sweep_id")
    with reading(f"sweep {sweep_id}"):
        sel = read_table(path / "selection.parquet") if man.get("has_selection") else None
        return SavedSweep(sweep_id=man["sweep_id"], name=man["name"], corpus_name=man["corpus"]["name"],
                          runs=read_table(path / "runs.parquet"), summary=read_table(path / "summary.parquet"),
                          bends=dict(man["bends"]), stability=read_table(path / "topic_stability.parquet"),
                          selection=sel, seconds=float(man.get("seconds", 0.0)), manifest=man)


def list_sweeps(ws: Workspace, corpus: str | None = None) -> list[dict]:
    """Manifest summaries (sweep_id, name, corpus, topics, starts, created_at), newest first."""
    out = [{"sweep_id": man["sweep_id"], "name": man["name"], "corpus": man["corpus"]["name"],
            "topics": man["topics"], "starts": man["starts"], "created_at": man.get("created_at", "")}
           for man in read_manifests(sweeps_dir(ws), corpus)]
    return sorted(out, key=lambda m: m["created_at"], reverse=True)


def delete_sweep(ws: Workspace, sweep_id: str) -> None:
    path = _path(ws, sweep_id)
    if not (path / MANIFEST).exists():
        raise WorkspaceError(f"no sweep {sweep_id!r} in {ws.root}")
    shutil.rmtree(path)
