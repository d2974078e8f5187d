"""A family's options and fitted extra arrays kept beside a saved run.

``<workspace>/families/<run_id>.json`` holds ``{"family": name, "options": {...},
"arrays": {name: nested list}}``, written atomically after the run itself is saved (the
trainer's ``on_saved`` hook), so a crash never leaves a half-written file. Small arrays only
(regression weights, author profiles are kept in Parquet by their family).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.em.trainer import Trainer
from engine.errors import WorkspaceError
from engine.store.workspace import read_json, write_json_atomic


def sidecar_path(workspace, run_id: str) -> Path:
    return Path(workspace.root) / "families" / f"{run_id}.json"


def save_sidecar(workspace, run_id: str, family: str, options: dict, arrays: dict,
                 meta: dict | None = None) -> Path:
    """Write the family file of ``run_id`` atomically; returns its path. ``meta``: JSON values
    that are neither options nor arrays (e.g. author names), read by :func:`sidecar_meta`."""
    p = sidecar_path(workspace, run_id)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(p, {"family": family, "options": dict(options), "meta": dict(meta or {}),
                          "arrays": {k: np.asarray(v).tolist() for k, v in arrays.items()}})
    return p


def load_sidecar(workspace, run_id: str, family: str) -> tuple[dict, dict]:
    """(options, arrays as float64 ndarrays) of ``run_id``; WorkspaceError when the run is not
    of ``family``."""
    p = sidecar_path(workspace, run_id)
    if not p.exists():
        raise WorkspaceError(f"run {run_id} is not a {family} model (no {p.name} in {p.parent})")
    data = read_json(p)
    if data.get("family") != family:
        raise WorkspaceError(f"run {run_id} is a {data.get('family')!r} model, not {family!r}")
    arrays = {k: np.asarray(v, np.float64) for k, v in (data.get("arrays") or {}).items()}
    return dict(data.get("options") or {}), arrays


def family_of(workspace, run_id: str) -> str | None:
    """The family name of ``run_id`` (None for a plain run)."""
    p = sidecar_path(workspace, run_id)
    return read_json(p).get("family") if p.exists() else None


def sidecar_meta(workspace, run_id: str) -> dict:
    """The ``meta`` part of the family file of ``run_id`` (empty when absent)."""
    p = sidecar_path(workspace, run_id)
    return dict(read_json(p).get("meta") or {}) if p.exists() else {}


# --------------------------------------------------------------------------- trainer binding


def restore(cls, init, corpus, config, state: dict, **init_kw):
    """A ``cls`` trainer continuing from ``Trainer.get_state`` output: ``init(tr, corpus, config,
    phi0=…, **init_kw)`` builds it (validating the family's inputs), then Φ, Θ, n_t and the
    iteration are copied exactly."""
    base = Trainer.from_state(corpus, config, state)
    tr = cls.__new__(cls)
    init(tr, corpus, base.config, phi0=base._phi, **init_kw)
    tr._phi, tr._theta, tr._theta_valid = base._phi, base._theta, base._theta_valid
    tr._n_t, tr.iteration = base._n_t, base.iteration
    base.close()
    return tr


def bind(base, **init_kw):
    """A subclass of the family trainer ``base`` with its extra arguments (options, links…)
    fixed, so it has the plain ``(corpus, config, phi0)`` signature ``TrainingJob`` expects."""

    class Bound(base):
        def __init__(self, corpus, config, phi0=None):
            base.__init__(self, corpus, config, phi0=phi0, **init_kw)

        @classmethod
        def from_state(cls, corpus, config, state):
            return base.from_state.__func__(cls, corpus, config, state, **init_kw)

    Bound.__name__ = Bound.__qualname__ = f"{base.__name__}[bound]"
    return Bound
