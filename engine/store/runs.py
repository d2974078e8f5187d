"""Runs in the workspace: save, load, list, rename, label, delete, export, and the one
run ↔ corpus compatibility check. The in-memory :class:`~engine.store.run.Run` is in
:mod:`engine.store.run`.

On disk (``<workspace>/runs/<run_id>/``, written atomically through :func:`engine.store.workspace.atomic_dir`)::

    manifest.json   schema_version, kind="run", run_id, name, corpus {name, fingerprint}, config
                    (ModelConfig.to_dict(): family, options, regularizers... — everything that
                    defines the run), topic_names, background, modalities, labels, n_t, status,
                    iteration, branch, lineage, arrays, final_scores, created_at, updated_at,
                    engine_version, error
    phi.parquet     columns token, modality, <topic names...> (float32), one row per token
    theta.parquet   columns id, <topic names...> (float32), one row per document
    scores.parquet  long: iteration, score, value, branch
    tau.parquet     long: iteration, regularizer, tau, branch
    arrays/<name>.npy   extra arrays of the model family (optional)

Branches: a roll-back to iteration i starts a new branch; rows of the old branch stay (with
their branch number) so the history can show the fork, and :func:`active_history` gives the rows
on the path that led to the current model.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.analysis.tables import top_tokens
from engine.em.model import TopicModel
from engine.em.phi_table import load_phi
from engine.errors import InputError, WorkspaceError
from engine.store.legacy import SIDE_FOLDERS, migrate_side_files
from engine.store import csvsafe
from engine.store.checkpoints import list_checkpoints
from engine.store.locks import entry_lock, is_locked
from engine.store.run import (
    STATUSES, Run, _empty_scores, _empty_tau, active_history, new_run, new_run_id,
)
from engine.store.manifests import reading
from engine.store.workspace import (
    MANIFEST, Workspace, atomic_dir, atomic_file, delete_entry, now_iso, read_json, read_table, validate_name,
    write_json_atomic, write_table,
)

PHI = "phi.parquet"
THETA = "theta.parquet"
SCORES = "scores.parquet"
TAU = "tau.parquet"
ARRAYS = "arrays"
_RESERVED = ("token", "modality", "id")
CHECKPOINTS_DIR = "checkpoints"  # engine.store.checkpoints.CHECKPOINTS

__all__ = [
    "Run", "new_run_id", "new_run", "save_run", "load_run", "list_runs", "rename_run", "delete_run",
    "set_topic_labels", "set_family_options", "export_run", "load_phi", "active_history",
    "run_path", "compatible", "check_compatible", "STATUSES",
]


# --------------------------------------------------------------------------- run ↔ corpus

def compatible(run, corpus, documents: bool = False) -> bool:
    """True when ``corpus`` has the vocabulary Φ of ``run`` (a Run or a TopicModel with
    ``tokens``) was trained on — the same (token, modality) rows in the same order — and, with
    ``documents``, also the same documents (the corpus fingerprint the run recorded)."""
    tokens = run.tokens if isinstance(run, Run) else getattr(run, "tokens", None)
    if corpus is None or tokens is None or corpus.n_tokens != len(tokens):
        return False
    if documents and isinstance(run, Run) and corpus.fingerprint() != run.corpus_fingerprint:
        return False
    v = corpus.vocab
    return bool(np.array_equal(v["token"].astype(str).to_numpy(), tokens["token"].astype(str).to_numpy())
                and np.array_equal(v["modality"].astype(str).to_numpy(),
                                   tokens["modality"].astype(str).to_numpy()))


def check_compatible(run, corpus, documents: bool = False) -> None:
    """The one run ↔ corpus check: InputError naming the run and the corpus unless
    :func:`compatible`."""
    if not compatible(run, corpus, documents):
        what = "documents or vocabulary" if documents else "vocabulary"
        name = getattr(run, "run_id", "the model")
        raise InputError(f"corpus {getattr(corpus, 'name', '?')!r} does not match run {name}: its "
                         f"{what} changed since the run was trained (re-train on the current corpus)")


# --------------------------------------------------------------------------- workspace I/O

def run_path(ws: Workspace, run_id: str) -> Path:
    return ws.runs_dir / validate_name(run_id, "run id")


def _topic_frame(first: dict, matrix: np.ndarray, names: list[str]) -> pd.DataFrame:
    clash = [n for n in names if n in _RESERVED]
    if clash:
        raise WorkspaceError(f"topic names {clash} clash with reserved column names {_RESERVED}")
    data = dict(first)
    mat = np.ascontiguousarray(matrix, dtype=np.float32)
    for j, n in enumerate(names):
        data[n] = mat[:, j]
    return pd.DataFrame(data)


def save_run(ws: Workspace, run: Run, replace: bool = True) -> dict:
    """Write ``run`` to ``<ws.runs_dir>/<run_id>/`` atomically; returns the manifest.

    A name or topic labels the user set on disk (:func:`rename_run`, :func:`set_topic_labels`)
    win over the Run object's and are copied into it, so a job saving a run later never undoes
    them. An existing ``checkpoints/`` subfolder is kept.
    """
    target = run_path(ws, run.run_id)
    m = run.model
    if len(run.tokens) != m.phi.shape[0] or len(run.doc_ids) != m.theta.shape[1]:
        raise WorkspaceError(f"run {run.run_id}: Φ has {m.phi.shape[0]} rows for {len(run.tokens)} tokens, "
                             f"Θ has {m.theta.shape[1]} columns for {len(run.doc_ids)} documents")
    with _MANIFEST_GUARD, _run_dir(target, replace=replace) as tmp:
        manifest = _write_run_files(run, target, tmp)
    return manifest


#: serializes manifest edits (labels, name, family options) with run saves inside this process
#: (other processes: the run's entry lock), so an edit is never lost to a save that read the
#: manifest before it
_MANIFEST_GUARD = threading.RLock()
_EDIT_WAIT_SECONDS = 5.0


def _write_run_files(run: Run, target: Path, tmp: Path) -> dict:
    m = run.model
    edits = {}
    if (target / MANIFEST).exists():
        # names and labels edited by the user (rename_run / set_topic_labels) survive a later
        # save of a Run object that predates the edit (a training job saving its checkpoint)
        try:
            old = read_json(target / MANIFEST)
        except WorkspaceError:
            old = {}
        if old.get("name_edited"):
            run.name = old.get("name", run.name)
            edits["name_edited"] = True
        if old.get("labels_edited"):
            run.model.labels = dict(old.get("labels") or {})
            edits["labels_edited"] = True
    run.updated_at = now_iso()
    manifest = run.manifest()
    manifest.update(edits)
    write_table(_topic_frame({"token": run.tokens["token"].astype(str).to_numpy(),
                              "modality": run.tokens["modality"].astype(str).to_numpy()},
                             m.phi, m.topic_names), tmp / PHI)
    _write_theta(run.doc_ids, np.asarray(m.theta).T, m.topic_names, tmp / THETA)
    write_table(run.scores.reset_index(drop=True), tmp / SCORES)
    write_table(run.tau.reset_index(drop=True), tmp / TAU)
    if run.arrays:
        (tmp / ARRAYS).mkdir()
        for name, arr in run.arrays.items():
            np.save(tmp / ARRAYS / f"{validate_name(name, 'array name')}.npy", np.asarray(arr),
                    allow_pickle=False)
    write_json_atomic(tmp / MANIFEST, manifest)
    return manifest


def _write_theta(doc_ids, theta: np.ndarray, names: list[str], path: Path, rows: int = 1 << 17) -> None:
    """The Θ table (id, one column per topic) in row groups of ``rows`` documents: a Θ kept on disk
    (a batched run's memory map, D × T) is read block by block, never whole into RAM."""
    with atomic_file(path, "wb") as fh:
        writer = None
        for lo in range(0, max(len(doc_ids), 1), rows):
            frame = _topic_frame({"id": np.asarray(doc_ids[lo:lo + rows], dtype=object).astype(str)},
                                 theta[lo:lo + rows], names)
            table = pa.Table.from_pandas(frame, preserve_index=False)
            # no dictionary pages: Θ values and document ids are (nearly) all distinct, and trying
            # them cost 4× the CPU and 1.5× the bytes (10⁷ × 100: 5.3 GB with them)
            writer = writer or pq.ParquetWriter(fh, table.schema, compression="zstd", use_dictionary=False)
            writer.write_table(table)
        writer.close()


def _run_dir(target: Path, replace: bool):
    """:func:`engine.store.workspace.atomic_dir` for a run folder: its ``checkpoints/`` subfolder
    (written by :mod:`engine.store.checkpoints`, possibly before the first save) moves into the new
    folder at the swap."""
    if (target / MANIFEST).exists() and not replace:
        raise WorkspaceError(f"run {target.name!r} already exists in {target.parent}")
    return atomic_dir(target, replace=True, keep=(CHECKPOINTS_DIR,))


def _migrate(ws: Workspace) -> None:
    """Old workspaces: fold ``<root>/context`` and ``<root>/seeds`` side files into manifests."""
    if any((ws.root / f).is_dir() for f in SIDE_FOLDERS):
        migrate_side_files(ws.root, ws.runs_dir)


def _read_manifest(ws: Workspace, run_id: str) -> dict:
    _migrate(ws)
    path = run_path(ws, run_id)
    if not (path / MANIFEST).exists():
        known = ", ".join(r["run_id"] for r in list_runs(ws)[:10]) or "none"
        raise WorkspaceError(f"no run {run_id!r} in {ws.root} (recent runs: {known})")
    return _live_status(path, read_json(path / MANIFEST))


def _live_status(path: Path, man: dict) -> dict:
    """A manifest saying "running"/"paused"/"queued" whose run no process is training (nobody holds
    its lock: the trainer was killed) says "interrupted", with its last checkpoint."""
    if man.get("status") in ("running", "paused", "queued") and not is_locked(path):
        have = list_checkpoints(path)
        man = {**man, "status": "interrupted", "last_checkpoint": have[-1] if have else None}
    return man


def resolve_run_id(ws: Workspace, ref: str) -> str:
    """A run id from an id, a unique id prefix, or a unique run name.

    An empty reference, a name two runs share and a prefix of several ids are refused
    (WorkspaceError) with the candidates listed: a command never picks one for the user.
    """
    if not isinstance(ref, str) or not ref.strip():
        raise WorkspaceError("empty run reference; give a run id, a unique id prefix or a unique run name "
                             "(see: artm-studio runs)")
    if validate_name_ok(ref) and (ws.runs_dir / ref / MANIFEST).exists():
        return ref
    runs = list_runs(ws)

    def listing(rs):
        return "; ".join(f"{r['run_id']} ({r.get('name')}, {r.get('status')}, {str(r.get('created_at', ''))[:19]})"
                         for r in rs[:10])

    by_name = [r for r in runs if r.get("name") == ref]
    if len(by_name) == 1:
        return by_name[0]["run_id"]
    if len(by_name) > 1:
        raise WorkspaceError(f"{len(by_name)} runs are named {ref!r}: {listing(by_name)}; use a run id")
    pref = [r for r in runs if r["run_id"].startswith(ref)]
    if len(pref) == 1:
        return pref[0]["run_id"]
    if len(pref) > 1:
        raise WorkspaceError(f"{ref!r} matches {len(pref)} runs: {listing(pref)}; give more of the id")
    known = listing(runs) or "none"
    raise WorkspaceError(f"no run {ref!r} in {ws.root} (recent runs: {known})")


def validate_name_ok(name: str) -> bool:
    try:
        validate_name(name)
        return True
    except WorkspaceError:
        return False


def load_run(ws: Workspace, run_id: str) -> Run:
    """Read a run saved by :func:`save_run`; arrays come back bit-identical (float32).

    A damaged run folder (missing file or manifest field, unreadable table) raises
    :class:`WorkspaceError` naming the run and the problem.
    """
    man = _read_manifest(ws, run_id)
    with reading(f"run {run_id}", "is missing from its files"):
        return _load_run(ws, run_id, man)


def _load_run(ws: Workspace, run_id: str, man: dict) -> Run:
    path = run_path(ws, run_id)
    names = list(man["topic_names"])
    phi_df = read_table(path / PHI)
    theta_df = read_table(path / THETA)
    phi = np.ascontiguousarray(phi_df[names].to_numpy(dtype=np.float32))
    theta = np.ascontiguousarray(theta_df[names].to_numpy(dtype=np.float32).T)
    mods = list(man["modalities"])
    codes = {mname: i for i, mname in enumerate(mods)}
    model = TopicModel(
        phi=phi, theta=theta, topic_names=names,
        background=np.asarray(man["background"], dtype=bool), modalities=mods,
        token_modality=phi_df["modality"].map(codes).to_numpy(np.int32),
        n_t=np.asarray(man.get("n_t") or np.zeros(len(names)), dtype=np.float64),
        labels=dict(man.get("labels") or {}),
        tokens=phi_df[["token", "modality"]].astype(str).reset_index(drop=True),
    )
    arrays = {name: np.load(path / ARRAYS / f"{name}.npy", allow_pickle=False)
              for name in (validate_name(n, "array name") for n in man.get("arrays") or [])}
    scores = read_table(path / SCORES) if (path / SCORES).exists() else _empty_scores()
    tau = read_table(path / TAU) if (path / TAU).exists() else _empty_tau()
    return Run(name=man["name"], corpus_name=man["corpus"]["name"],
               corpus_fingerprint=man["corpus"]["fingerprint"], config=man["config"], model=model,
               tokens=phi_df[["token", "modality"]].copy(), doc_ids=theta_df["id"].astype(str).tolist(),
               scores=scores, tau=tau, run_id=man["run_id"], status=man["status"],
               iteration=int(man["iteration"]), branch=int(man.get("branch", 0)),
               lineage=list(man.get("lineage") or []), parent_run_id=man.get("parent_run_id"),
               error=man.get("error"), arrays=arrays, created_at=man["created_at"],
               updated_at=man["updated_at"],
               engine_version=man.get("engine_version", ""))


def read_run_manifest(ws: Workspace, run_id: str) -> dict:
    """The manifest of one run (cheap: Φ and Θ are not read)."""
    return _read_manifest(ws, run_id)


def list_runs(ws: Workspace, corpus: str | None = None) -> list[dict]:
    """Manifests of all runs (optionally of one corpus), newest first."""
    _migrate(ws)
    out = []
    if ws.runs_dir.exists():
        for p in ws.runs_dir.iterdir():
            if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists():
                try:
                    man = _live_status(p, read_json(p / MANIFEST))
                except WorkspaceError:
                    continue
                if corpus is None or man.get("corpus", {}).get("name") == corpus:
                    out.append(man)
    out.sort(key=lambda m: (m.get("created_at", ""), m.get("run_id", "")), reverse=True)
    return out


def _update_manifest(ws: Workspace, run_id: str, **changes) -> dict:
    """Read-modify-write of a run's manifest under the run's lock (another process training the
    run: refused after a few seconds) and this process's manifest guard."""
    with _MANIFEST_GUARD, entry_lock(run_path(ws, run_id), f"run {run_id!r}", timeout=_EDIT_WAIT_SECONDS):
        man = _read_manifest(ws, run_id)
        man.update(changes)
        man["updated_at"] = now_iso()
        write_json_atomic(run_path(ws, run_id) / MANIFEST, man)
    return man


def rename_run(ws: Workspace, run_id: str, name: str) -> dict:
    """Give a run a new human name (the folder keeps its id); returns the manifest."""
    name = str(name).strip()
    if not name or len(name) > 200:
        raise WorkspaceError("a run name must be 1 to 200 characters")
    return _update_manifest(ws, run_id, name=name, name_edited=True)


def set_topic_labels(ws: Workspace, run_id: str, labels: dict[str, str]) -> dict:
    """Replace the human labels of a run's topics (topic name -> label; empty label removes it)."""
    man = _read_manifest(ws, run_id)
    unknown = [t for t in labels if t not in man["topic_names"]]
    if unknown:
        raise WorkspaceError(f"unknown topic(s) {', '.join(map(repr, unknown))} in run {run_id}")
    clean = {str(k): str(v).strip() for k, v in labels.items() if str(v).strip()}
    return _update_manifest(ws, run_id, labels=clean, labels_edited=True)


def delete_run(ws: Workspace, run_id: str) -> None:
    """Delete a run. Refused (WorkspaceError) while another process trains it; a job of this
    process that trains it stops saving it (see ``TrainingJob._deleted``)."""
    delete_entry(run_path(ws, run_id), f"run {run_id!r}", f"no run {run_id!r} in {ws.root}")


def set_family_options(ws: Workspace, run_id: str, family: str, options: dict) -> dict:
    """Put ``family`` and ``options`` into a saved run's config (e.g. a seed setup for a run
    trained elsewhere); returns the manifest."""
    man = _read_manifest(ws, run_id)
    return _update_manifest(ws, run_id, config={**(man.get("config") or {}), "family": family,
                                                "options": dict(options)})


# --------------------------------------------------------------------------- export / import

def export_run(run: Run, corpus, fmt: str = "csv", out_dir: str | os.PathLike = ".", top_n: int = 20) -> list[Path]:
    """Write ``phi``, ``theta``, ``top_tokens`` and ``scores`` tables of ``run`` to ``out_dir``
    as CSV or Parquet; returns the paths written.

    phi: token, modality, one column per topic name; theta: id, one column per topic name;
    top_tokens: :func:`engine.analysis.tables.top_tokens` (``top_n`` per topic and modality, with the
    topic labels); scores: the active branch's history (iteration, score, value, branch).
    ``corpus`` (optional) supplies token frequencies for the relevance column.
    """
    if fmt not in ("csv", "parquet"):
        raise InputError(f"export format must be 'csv' or 'parquet', got {fmt!r}")

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    m = run.model
    tables = {
        "phi": _topic_frame({"token": run.tokens["token"].astype(str).to_numpy(),
                             "modality": run.tokens["modality"].astype(str).to_numpy()}, m.phi, m.topic_names),
        "theta": _topic_frame({"id": np.asarray(run.doc_ids, dtype=object).astype(str)},
                              np.asarray(m.theta).T, m.topic_names),
        "top_tokens": top_tokens(m, corpus.vocab if compatible(run, corpus) else run.tokens, n=top_n),
        "scores": run.active_scores(),
    }
    paths = []
    for name, df in tables.items():
        p = out / f"{name}.{fmt}"
        if fmt == "csv":
            csvsafe.to_csv(df, p, index=False)
        else:
            write_table(df, p)
        paths.append(p)
    return paths
