"""A hierarchy on disk: ``<workspace>/hierarchies/<id>/``, written in one atomic folder swap.

Files: ``manifest.json`` (options, per-level config, names, n_t, labels, quality),
``level{k}_phi.parquet`` (token, modality, one float32 column per topic),
``level{k}_theta.parquet`` (id, one column per topic), ``level{k}_psi.parquet`` (child, one
column per parent topic) and ``scores.parquet`` (level, iteration, seconds, scores). Arrays load
back bit-identical.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.store import csvsafe
from engine.store.manifests import open_manifest, read_manifests, reading
from engine.em.config import ModelConfig
from engine.em.model import TopicModel
from engine.errors import WorkspaceError
from engine.families.hierarchy.model import Hierarchy, Level
from engine.families.hierarchy.options import HierarchyOptions
from engine.store.workspace import (
    Workspace, atomic_dir, engine_version, read_json, read_table, delete_entry, validate_name,
    write_json_atomic, write_table,
)

MANIFEST = "manifest.json"
SCHEMA = 1


def hierarchies_dir(ws: Workspace) -> Path:
    return ws.root / "hierarchies"


def hierarchy_path(ws: Workspace, hierarchy_id: str) -> Path:
    return hierarchies_dir(ws) / validate_name(hierarchy_id, "hierarchy id")


def _frame(first: dict, matrix: np.ndarray, names: list[str]) -> pd.DataFrame:
    data = dict(first)
    mat = np.ascontiguousarray(matrix, np.float32)
    for j, n in enumerate(names):
        data[n] = mat[:, j]
    return pd.DataFrame(data)


def _manifest(h: Hierarchy) -> dict:
    levels = []
    for lv in h.levels:
        m = lv.model
        levels.append({"n_topics": m.n_topics, "topic_names": list(m.topic_names),
                       "background": [bool(b) for b in m.background],
                       "n_t": [float(x) for x in m.n_t], "labels": dict(m.labels),
                       "config": lv.config.to_dict(), "has_psi": lv.psi is not None, "run_id": lv.run_id})
    return {"schema": SCHEMA, "kind": "hierarchy", "hierarchy_id": h.hierarchy_id, "name": h.name,
            "corpus": {"name": h.corpus_name, "fingerprint": h.corpus_fingerprint},
            "options": h.options.to_dict(), "modalities": list(h.levels[0].model.modalities),
            "levels": levels, "quality": h.quality, "created_at": h.created_at,
            "seconds": h.seconds, "engine_version": engine_version()}


def save_hierarchy(ws: Workspace, h: Hierarchy, replace: bool = True) -> dict:
    """Write ``h`` atomically (all files or nothing); returns the manifest."""
    if not h.levels:
        raise WorkspaceError("a hierarchy without levels cannot be saved")
    man = _manifest(h)
    tok = {"token": h.tokens["token"].astype(str).to_numpy(),
           "modality": h.tokens["modality"].astype(str).to_numpy()}
    with atomic_dir(hierarchy_path(ws, h.hierarchy_id), replace=replace) as tmp:
        for k, lv in enumerate(h.levels):
            names = lv.model.topic_names
            write_table(_frame(tok, lv.model.phi, names), tmp / f"level{k}_phi.parquet")
            write_table(_frame({"id": np.asarray(h.doc_ids, dtype=object).astype(str)},
                               np.asarray(lv.model.theta).T, names), tmp / f"level{k}_theta.parquet")
            if lv.psi is not None:
                parents = h.levels[k - 1].model.topic_names
                write_table(_frame({"child": list(names)}, lv.psi, parents), tmp / f"level{k}_psi.parquet")
        write_table(h.scores.reset_index(drop=True) if len(h.scores) else
                    pd.DataFrame({"level": pd.Series(dtype="int64")}), tmp / "scores.parquet")
        write_json_atomic(tmp / MANIFEST, man)
    return man


def load_hierarchy(ws: Workspace, hierarchy_id: str) -> Hierarchy:
    """Read a hierarchy saved by :func:`save_hierarchy` (arrays bit-identical)."""
    path = hierarchy_path(ws, hierarchy_id)
    man = open_manifest(path, "hierarchy", "hierarchy_id")
    with reading(f"hierarchy {hierarchy_id}"):
        mods = list(man["modalities"])
        codes = {m: i for i, m in enumerate(mods)}
        levels, tokens, doc_ids = [], None, None
        for k, info in enumerate(man["levels"]):
            names = list(info["topic_names"])
            phi_df = read_table(path / f"level{k}_phi.parquet")
            theta_df = read_table(path / f"level{k}_theta.parquet")
            if tokens is None:
                tokens = phi_df[["token", "modality"]].astype(str).reset_index(drop=True)
                doc_ids = theta_df["id"].astype(str).tolist()
            model = TopicModel(
                phi=np.ascontiguousarray(phi_df[names].to_numpy(np.float32)),
                theta=np.ascontiguousarray(theta_df[names].to_numpy(np.float32).T),
                topic_names=names, background=np.asarray(info["background"], bool),
                modalities=mods, token_modality=phi_df["modality"].map(codes).to_numpy(np.int32),
                n_t=np.asarray(info["n_t"], np.float64), labels=dict(info.get("labels") or {}))
            psi = None
            if info.get("has_psi"):
                parents = list(man["levels"][k - 1]["topic_names"])
                psi = np.ascontiguousarray(
                    read_table(path / f"level{k}_psi.parquet")[parents].to_numpy(np.float32))
            levels.append(Level(model=model, config=ModelConfig.from_dict(info["config"]), psi=psi,
                                run_id=info.get("run_id")))
        scores = read_table(path / "scores.parquet")
        return Hierarchy(hierarchy_id=man["hierarchy_id"], name=man["name"],
                         corpus_name=man["corpus"]["name"],
                         corpus_fingerprint=man["corpus"]["fingerprint"],
                         options=HierarchyOptions.from_dict(man["options"]), levels=levels,
                         tokens=tokens, doc_ids=doc_ids, scores=scores,
                         quality=list(man.get("quality") or []), created_at=man.get("created_at", ""),
                         seconds=float(man.get("seconds", 0.0)))


def list_hierarchies(ws: Workspace, corpus: str | None = None) -> list[dict]:
    """Manifest summaries (id, name, corpus, levels, created_at), newest first."""
    out = [{"hierarchy_id": man["hierarchy_id"], "name": man["name"], "corpus": man["corpus"]["name"],
            "levels": [lv["n_topics"] for lv in man["levels"]], "created_at": man.get("created_at", "")}
           for man in read_manifests(hierarchies_dir(ws), corpus)]
    return sorted(out, key=lambda m: m["created_at"], reverse=True)


def set_level_labels(ws: Workspace, hierarchy_id: str, level: int, labels: dict[str, str]) -> dict:
    """Merge ``labels`` (topic name → label; "" removes) into one level; persisted atomically."""
    path = hierarchy_path(ws, hierarchy_id)
    man = read_json(path / MANIFEST)
    if not 0 <= level < len(man["levels"]):
        raise WorkspaceError(f"hierarchy {hierarchy_id} has levels 0..{len(man['levels']) - 1}, not {level}")
    info = man["levels"][level]
    unknown = set(labels) - set(info["topic_names"])
    if unknown:
        raise WorkspaceError(f"level {level} has no topic(s) {', '.join(sorted(unknown))}")
    cur = dict(info.get("labels") or {})
    for k, v in labels.items():
        v = str(v).strip()
        if v:
            cur[k] = v[:200]
        else:
            cur.pop(k, None)
    info["labels"] = cur
    write_json_atomic(path / MANIFEST, man)
    return man


def delete_hierarchy(ws: Workspace, hierarchy_id: str) -> None:
    """Delete a hierarchy (under its lock, renamed aside first: a kill never leaves half of it)."""
    delete_entry(hierarchy_path(ws, hierarchy_id), f"hierarchy {hierarchy_id!r}",
                 f"no hierarchy {hierarchy_id!r} in {ws.root}")


def export_hierarchy(h: Hierarchy, out_dir: str | os.PathLike, fmt: str = "csv") -> list[Path]:
    """Φ per level, Ψ per link and Θ per level as CSV or Parquet files in ``out_dir``."""
    if fmt not in ("csv", "parquet"):
        raise WorkspaceError(f"export format must be csv or parquet, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tok = {"token": h.tokens["token"].to_numpy(), "modality": h.tokens["modality"].to_numpy()}
    frames = {}

    def names_of(m):  # labels as column names unless two topics share one
        labels = [m.label(t) for t in range(m.n_topics)]
        return labels if len(set(labels)) == len(labels) else list(m.topic_names)

    for k, lv in enumerate(h.levels):
        names = names_of(lv.model)
        frames[f"level{k}_phi"] = _frame(tok, lv.model.phi, names)
        frames[f"level{k}_theta"] = _frame({"id": h.doc_ids}, np.asarray(lv.model.theta).T, names)
        if lv.psi is not None:
            parents = names_of(h.levels[k - 1].model)
            frames[f"level{k}_psi"] = _frame({"child": names}, lv.psi, parents)
    paths = []
    for stem, df in frames.items():
        p = out / f"{stem}.{fmt}"
        csvsafe.to_csv(df, p) if fmt == "csv" else write_table(df, p)
        paths.append(p)
    return paths
