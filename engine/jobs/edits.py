"""Pure helpers behind the job's controls: edits of a frozen ModelConfig (each returns a new
config, never mutates), and the JSON form of iteration reports kept in checkpoints."""
from __future__ import annotations

import dataclasses
import math
from typing import Any, Mapping

from engine.em.model import IterationReport
from engine.em.regularizers import regularizer_from_dict
from engine.em.schedule import as_trajectory
from engine.errors import ConfigError

__all__ = ["set_regularizer", "add_regularizer", "remove_regularizer", "set_modality_weights",
           "config_dict", "report_dict", "report_from_dict"]


def _index(regs, name: str) -> int:
    for i, r in enumerate(regs):
        if r.name == name:
            return i
    known = ", ".join(r.name for r in regs) or "none"
    raise ConfigError(f"no regularizer named {name!r} (regularizers: {known})")


def set_regularizer(config, name: str, *, enabled: bool | None = None, tau=None, **params):
    """``config`` with regularizer ``name`` enabled/disabled, given a new τ trajectory (a number,
    a trajectory or its dict) and/or new parameters; the regularizer re-validates them."""
    regs = list(config.regularizers)
    i = _index(regs, name)
    changes: dict[str, Any] = dict(params)
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if tau is not None:
        changes["tau"] = as_trajectory(tau)
    try:
        regs[i] = dataclasses.replace(regs[i], **changes)
    except TypeError as e:  # an unknown parameter name
        raise ConfigError(f"regularizer {name!r}: {e}") from None
    return config.with_changes(regularizers=tuple(regs))


def add_regularizer(config, regularizer):
    """``config`` plus ``regularizer`` (an object or its ``to_dict()``); names stay unique."""
    if isinstance(regularizer, dict):
        regularizer = regularizer_from_dict(regularizer)
    if any(r.name == regularizer.name for r in config.regularizers):
        raise ConfigError(f"a regularizer named {regularizer.name!r} already exists")
    return config.with_changes(regularizers=tuple(config.regularizers) + (regularizer,))


def remove_regularizer(config, name: str):
    regs = list(config.regularizers)
    del regs[_index(regs, name)]
    return config.with_changes(regularizers=tuple(regs))


def set_modality_weights(config, weights: Mapping[str, float]):
    """``config`` with τ_m of the modalities in ``weights`` replaced (others unchanged)."""
    merged = dict(config.modality_weights or {})
    merged.update({k: float(v) for k, v in weights.items()})
    return config.with_changes(modality_weights=merged)


def config_dict(config) -> dict:
    return config.to_dict() if hasattr(config, "to_dict") else dict(vars(config))


def report_dict(r: IterationReport) -> dict:
    """JSON form of a report (non-finite scores become null)."""
    return {"iteration": int(r.iteration), "seconds": float(r.seconds),
            "tau": {k: float(v) for k, v in r.tau.items()},
            "scores": {k: (None if v is None or not math.isfinite(float(v)) else float(v))
                       for k, v in r.scores.items()}}


def report_from_dict(d: dict) -> IterationReport:
    return IterationReport(iteration=int(d["iteration"]), seconds=float(d["seconds"]),
                           tau={k: float(v) for k, v in d.get("tau", {}).items()},
                           scores={k: (math.nan if v is None else float(v))
                                   for k, v in d.get("scores", {}).items()})
