"""Checkpoints of a training job: the trainer's exact state at one iteration, on disk.

Layout (inside a run folder, see :mod:`engine.store.runs`)::

    <root>/runs/<run_id>/checkpoints/iter_0010/checkpoint.json   scalars, config, job history
                                              /<array>.npy         one file per array of the state

A checkpoint folder is written under a temporary name next to its final place and renamed into
place (:func:`engine.store.workspace.atomic_dir`), so a process killed mid-write leaves the previous
checkpoints intact and at most a ``.tmp-*`` folder that :func:`list_checkpoints` ignores and
:func:`clean_partial` removes. Arrays are stored with ``numpy.save(allow_pickle=False)`` and read
with ``allow_pickle=False``; everything else is JSON. No pickle, nothing evaluated.

The trainer state (``Trainer.get_state()``) is any nesting of dicts (str keys), lists, JSON
scalars and NumPy arrays; arrays are replaced by ``{"__array__": "<file stem>"}`` in the JSON.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import WorkspaceError
from engine.store.workspace import atomic_dir, now_iso, read_json, write_json_atomic

__all__ = ["CHECKPOINTS", "checkpoint_path", "write_checkpoint", "read_checkpoint",
           "list_checkpoints", "delete_checkpoints", "clean_partial"]

CHECKPOINTS = "checkpoints"
CHECKPOINT_JSON = "checkpoint.json"
CHECKPOINT_SCHEMA = 1
_DIR_RE = re.compile(r"^iter_(\d{4,})$")
_SAFE_RE = re.compile(r"[^A-Za-z0-9_]+")

#: Test hook: ``"<iteration>:<seconds>"`` makes :func:`write_checkpoint` print
#: ``checkpoint-sleep <iteration>`` to stdout and sleep that long after the arrays are written but
#: before the folder is renamed into place (used to SIGKILL a process mid-write in the tests).
TEST_SLEEP_ENV = "ARTM_STUDIO_TEST_CHECKPOINT_SLEEP"


def checkpoint_path(run_dir: Path, iteration: int) -> Path:
    """``<run_dir>/checkpoints/iter_NNNN``."""
    return Path(run_dir) / CHECKPOINTS / f"iter_{int(iteration):04d}"


def _encode(obj: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """JSON-able copy of ``obj`` with arrays moved into ``arrays`` (by file stem)."""
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise WorkspaceError(f"checkpoint state {path!r} is an object array; only numeric arrays are stored")
        stem = _SAFE_RE.sub("_", path).strip("_") or "array"
        base, k = stem, 1
        while stem in arrays:
            k += 1
            stem = f"{base}_{k}"
        arrays[stem] = obj
        return {"__array__": stem}
    if isinstance(obj, dict):
        out = {}
        for key, value in obj.items():
            if not isinstance(key, str):
                raise WorkspaceError(f"checkpoint state {path!r} has a non-string key {key!r}")
            out[key] = _encode(value, arrays, f"{path}.{key}" if path else key)
        return out
    if isinstance(obj, (list, tuple)):
        return [_encode(v, arrays, f"{path}.{i}") for i, v in enumerate(obj)]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def _decode(obj: Any, folder: Path) -> Any:
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            return np.load(folder / f"{obj['__array__']}.npy", allow_pickle=False)
        return {k: _decode(v, folder) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v, folder) for v in obj]
    return obj


def _test_sleep(iteration: int) -> None:
    spec = os.environ.get(TEST_SLEEP_ENV)
    if not spec:
        return
    at, _, seconds = spec.partition(":")
    if int(at) == int(iteration):
        sys.stdout.write(f"checkpoint-sleep {iteration}\n")  # one write: the CLI's score lines come
        sys.stdout.flush()                                     # from another thread
        time.sleep(float(seconds or 60))


def write_checkpoint(run_dir: Path, iteration: int, state: dict, meta: dict | None = None) -> Path:
    """Write the checkpoint of ``iteration`` atomically; an existing one is replaced.

    Parameters
    ----------
    run_dir : Path
        The run folder (created if missing).
    iteration : int
        Number of EM passes the state has done.
    state : dict
        ``Trainer.get_state()``: dicts/lists/JSON scalars/NumPy arrays.
    meta : dict, optional
        JSON-able job data stored alongside (config, score and τ history, branches...).

    Returns
    -------
    Path of the checkpoint folder.
    """
    target = checkpoint_path(run_dir, iteration)
    arrays: dict[str, np.ndarray] = {}
    encoded = _encode(state, arrays, "")
    doc = {"schema_version": CHECKPOINT_SCHEMA, "kind": "checkpoint", "iteration": int(iteration),
           "created_at": now_iso(), "state": encoded, "meta": meta or {}}
    with atomic_dir(target, replace=True) as tmp:
        for stem, arr in arrays.items():
            with open(tmp / f"{stem}.npy", "wb") as fh:
                np.save(fh, np.ascontiguousarray(arr), allow_pickle=False)
        _test_sleep(iteration)
        write_json_atomic(tmp / CHECKPOINT_JSON, doc)
    return target


def read_checkpoint(run_dir: Path, iteration: int) -> tuple[dict, dict]:
    """``(state, meta)`` of the checkpoint at ``iteration``; WorkspaceError if absent or broken."""
    folder = checkpoint_path(run_dir, iteration)
    if not (folder / CHECKPOINT_JSON).exists():
        have = ", ".join(map(str, list_checkpoints(run_dir))) or "none"
        raise WorkspaceError(f"no checkpoint at iteration {iteration} (checkpoints: {have})")
    doc = read_json(folder / CHECKPOINT_JSON)
    try:
        state = _decode(doc["state"], folder)
    except (OSError, ValueError, KeyError) as e:
        raise WorkspaceError(f"checkpoint {folder} is damaged: {e}") from None
    return state, doc.get("meta", {})


def list_checkpoints(run_dir: Path) -> list[int]:
    """Iterations that have a complete checkpoint, ascending (partial ``.tmp-*`` folders skipped)."""
    folder = Path(run_dir) / CHECKPOINTS
    if not folder.exists():
        return []
    out = []
    for p in folder.iterdir():
        m = _DIR_RE.match(p.name)
        if m and (p / CHECKPOINT_JSON).exists():
            out.append(int(m.group(1)))
    return sorted(out)


def delete_checkpoints(run_dir: Path, iterations) -> None:
    """Remove the checkpoints at ``iterations`` (missing ones are ignored)."""
    for i in iterations:
        p = checkpoint_path(run_dir, i)
        if p.exists():
            trash = p.parent / f".del-{p.name}-{time.monotonic_ns()}"
            os.rename(p, trash)
            shutil.rmtree(trash, ignore_errors=True)


def clean_partial(run_dir: Path) -> int:
    """Remove leftovers of interrupted writes (``.tmp-*``, ``.old-*``, ``.del-*``); returns how many."""
    folder = Path(run_dir) / CHECKPOINTS
    n = 0
    if folder.exists():
        for p in folder.iterdir():
            if p.name.startswith((".tmp-", ".old-", ".del-")):
                shutil.rmtree(p, ignore_errors=True)
                n += 1
    return n
