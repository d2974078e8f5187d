"""Registers the context family (``ModelConfig(family="context", options=ContextOptions...)``)
and reads a run's context settings back from its manifest."""
from __future__ import annotations

import numpy as np

from engine.em.config import ModelConfig
from engine.em.family import Family, register_family
from engine.errors import InputError
from engine.families.context import _kernels as CK
from engine.families.context._kernels import tartm as TK
from engine.families.context.estep import ContextEStep
from engine.families.context.options import ContextOptions
from engine.families.context.scores import context_scores
from engine.store.runs import read_run_manifest

__all__ = ["FAMILY", "context_config", "load_options", "estep_terms"]


def _scores(corpus, config) -> list:
    return context_scores() if corpus is not None and corpus.sequences is not None else []


def _check_corpus(corpus, config) -> None:
    if ContextOptions.from_dict(config.options).mode == "context" and corpus.sequences is None:
        raise InputError("context-ARTM needs token sequences; this corpus was imported from a "
                         "bag of words (use mode 'one_pass' or family 'standard')")


def _takes_estep(options: dict) -> bool:
    return ContextOptions.from_dict(options).sequential


def compile_kernels() -> None:
    """Run every context kernel once on tiny arrays (numba compiles or loads its cache)."""
    W, T = 4, 2
    phi = np.full((W, T), 0.25, np.float32)
    ptr = np.array([0, 3], np.int64)
    seq = np.array([0, 1, 2], np.int32)
    z = np.zeros(2, np.int64)
    e32 = np.zeros(0, np.int32)
    ef = np.zeros(0, np.float32)
    tw = np.ones(W, np.float32)
    tm = np.zeros(W, np.int32)
    nwt = np.zeros((W, T), np.float32)
    th = np.zeros((1, T), np.float32)
    logs = np.zeros((3, 1))
    P = np.zeros((3, T), np.float32)
    for p in (np.zeros((0, T), np.float32), P):
        for inc in (False, True):
            CK.context_chunk(0, 1, ptr, seq, z, e32, ef, tw, tm, 0, tw * 0.5, np.float32(0.5), 2, inc,
                             CK.stack_phi(phi, phi), nwt, False, th, p, logs[0], logs[1], logs[2])
        CK.one_pass_chunk(0, 1, z, e32, ef, tw, tm, phi, phi, nwt, True, th, ptr, seq, p,
                          logs[0], logs[1], logs[2])
    TK.tartm_gradient(0, 1, z, e32, ef, tw, phi, phi, th, nwt)
    CK.accumulate_positions(seq, 0, 3, P, tw, nwt)
    CK.reduce_chunks(0, W, nwt[None], phi, False, nwt.copy())
    CK.smooth_sequence(P, ptr, np.float32(0.5), np.float32(0.5))
    CK.boundary_scores(P, np.float32(0.5), np.zeros(3))
    L = np.zeros_like(P)
    CK.ema_two_sided(P, ptr, np.float32(0.5), L, L.copy())


FAMILY = register_family(Family(
    name="context", doc="topics inside the text: one-pass (TARTM) and context-ARTM E-steps",
    options=ContextOptions.normalized, estep=ContextEStep, scores=_scores, check_corpus=_check_corpus,
    takes_estep_terms=_takes_estep, warmup=compile_kernels))


def context_config(config: ModelConfig, options: ContextOptions | dict | None = None,
                   estep=()) -> ModelConfig:
    """``config`` in the context family with ``options`` (default ContextOptions()) and the
    E-step regularizers ``estep`` appended to its regularizers."""
    opts = ContextOptions.from_dict(options)
    return config.with_changes(family="context", options=opts.to_dict(),
                               regularizers=tuple(config.regularizers) + tuple(estep))


def load_options(workspace, run_id: str) -> ContextOptions | None:
    """The options a run was trained with (its manifest's config), or None (another family)."""
    cfg = read_run_manifest(workspace, run_id).get("config") or {}
    if cfg.get("family") != "context":
        return None
    return ContextOptions.from_dict(cfg.get("options"))


def estep_terms(config, iteration: int = 10_000) -> list:
    """[(E-step regularizer, τ at ``iteration``)] of a config (object or dict), enabled and τ ≠ 0
    — what :func:`engine.families.context.segment.segment` needs to read a run as it trained."""
    cfg = config if isinstance(config, ModelConfig) else ModelConfig.from_dict(config)
    out = []
    for r in cfg.regularizers:
        if r.acts_on_estep and r.enabled:
            tau = float(r.tau(iteration))
            if tau:
                out.append((r, tau))
    return out
