"""Registers the ``batched`` family: a config with ``family="batched"`` trains a
:class:`~engine.corpus.batches.BatchedCorpus` through the one Trainer with
:class:`~engine.families.batched.estep.BatchedEStep` (or the Dask strategy).

Options (recorded in the run manifest with the config)::

    theta      "disk" (Θ kept between passes in a memory map; reuse_theta applies) | "none"
    online     null | {"update_every": k, "tau0": τ₀, "kappa": κ}   (online EM)
    prefetch   batches read ahead (default 1)
    theta_dir  folder of the Θ memory maps (default: a temporary one)
    dask       null | "local" | "local:N" | "tcp://host:port"   (E-step on Dask workers)
"""
from __future__ import annotations

import re

from engine.em.config import ModelConfig
from engine.em.family import Family, register_family
from engine.errors import ConfigError, InputError
from engine.families.batched.estep import THETA_MODES, BatchedEStep, OnlineOptions

_KEYS = {"theta", "online", "prefetch", "theta_dir", "dask"}
#: where the E-step runs: a LocalCluster of N processes, or a running scheduler's address
_DASK_SPEC = re.compile(r"local(:[1-9][0-9]*)?|(tcp|tls|ucx)://[^\s/:]+:[0-9]{1,5}")


def options(d: dict) -> dict:
    unknown = set(d) - _KEYS
    if unknown:
        raise ConfigError(f"batched options: unknown key(s) {', '.join(sorted(unknown))}; known: "
                          f"{', '.join(sorted(_KEYS))}")
    theta = d.get("theta", "disk")
    if theta not in THETA_MODES:
        raise ConfigError(f"batched options: theta must be one of {', '.join(THETA_MODES)}, got {theta!r}")
    online = OnlineOptions.from_dict(d.get("online"))
    prefetch = d.get("prefetch", 1)
    if isinstance(prefetch, bool) or not isinstance(prefetch, int) or not 0 <= prefetch <= 8:
        raise ConfigError(f"batched options: prefetch must be an integer 0..8, got {prefetch!r}")
    dask = d.get("dask")
    if dask not in (None, "") and (not isinstance(dask, str) or not _DASK_SPEC.fullmatch(dask)):
        raise ConfigError(f"batched options: dask must be local, local:N (N ≥ 1) or a scheduler address such as "
                          f"tcp://host:8786, got {dask!r}")
    if dask and online is not None:
        raise ConfigError("batched options: online EM does not run on Dask yet; drop online or dask")
    return {"theta": theta, "online": None if online is None else online.to_dict(), "prefetch": prefetch,
            "theta_dir": d.get("theta_dir"), "dask": dask or None}


def _estep(trainer):
    if trainer.config.options.get("dask"):
        from engine.families.batched.dask import DaskEStep  # noqa: PLC0415 - the optional Dask extra

        return DaskEStep(trainer)
    return BatchedEStep(trainer)


def _check_corpus(corpus, config) -> None:
    if not getattr(corpus, "is_batched", False):
        raise InputError(f"family 'batched' trains a corpus stored as batches; {corpus.name!r} is in "
                         "memory (import it with --batches, or use the standard family)")


def batched_config(config: ModelConfig, **opts) -> ModelConfig:
    """``config`` in the batched family with these options (keys of the module docstring)."""
    return config.with_changes(family="batched", options=options(opts)).validate()


register_family(Family(name="batched", doc="EM from batches on disk, online EM, Dask workers",
                       options=options, estep=_estep, check_corpus=_check_corpus))
