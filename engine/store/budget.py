"""Memory needed to train a model, estimated before training starts.

For a corpus of D documents, W tokens (all modalities), ``nnz`` non-zero counts and a model of
T topics (incl. background) trained with ``threads`` E-step workers::

    Φ side   W·T·(4 Φ + 4 new Φ + 4·threads n_wt accumulators + 8 float64 r_wt + 8 saving copies)
    Θ side   D·T·(4 Θ + 4 new Θ + 4 live snapshot + 8 saving copies)
    corpus   nnz·12 (CSR data + indices, the sequences aside) + D·8
    base     200 MiB (interpreter, libraries, compiled kernels)

The figures are upper-side estimates of what :class:`engine.em.trainer.Trainer` and the run
writer allocate; :func:`check_training_memory` refuses (:class:`~engine.errors.ConfigError`
with the numbers) when the estimate exceeds the memory available to the process
(:func:`engine.corpus.limits.available_memory`: free RAM, or the ``RLIMIT_AS`` headroom).
``ARTM_STUDIO_SKIP_MEMORY_CHECK=1`` skips the check (the estimate is then only reported).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from engine.corpus.limits import MiB, available_memory, fmt_bytes
from engine.errors import ConfigError

BASE_BYTES = 200 * MiB
_SKIP_ENV = "ARTM_STUDIO_SKIP_MEMORY_CHECK"


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes of each part of a training job (see the module docstring) and what is available."""

    phi: int
    theta: int
    corpus: int
    base: int
    available: int

    @property
    def total(self) -> int:
        return self.phi + self.theta + self.corpus + self.base

    @property
    def fits(self) -> bool:
        return self.total <= self.available

    def describe(self) -> str:
        return (f"about {fmt_bytes(self.total)} (Φ side {fmt_bytes(self.phi)}, Θ side {fmt_bytes(self.theta)}, "
                f"corpus {fmt_bytes(self.corpus)}) of {fmt_bytes(self.available)} available")


def estimate_training_memory(n_docs: int, n_tokens: int, nnz: int, n_topics: int, threads: int = 1,
                             available: int | None = None) -> MemoryEstimate:
    """The estimate for D = ``n_docs``, W = ``n_tokens``, ``nnz`` counts and T = ``n_topics``."""
    W, D, T = int(n_tokens), int(n_docs), int(n_topics)
    return MemoryEstimate(
        phi=W * T * (4 + 4 + 4 * max(int(threads), 1) + 8 + 8),
        theta=D * T * (4 + 4 + 4 + 8),
        corpus=int(nnz) * 12 + D * 8,
        base=BASE_BYTES,
        available=available_memory() if available is None else int(available),
    )


def training_memory(corpus, config) -> MemoryEstimate:
    """The estimate for training ``config`` on ``corpus`` (in memory, or stored as batches: then
    two batches are resident, the one computed and the prefetched one)."""
    if getattr(corpus, "is_batched", False):
        docs, nnz = corpus.resident(2)
    else:
        docs, nnz = corpus.n_docs, corpus.n_dw.nnz
    return estimate_training_memory(docs, corpus.n_tokens, nnz, config.total_topics, config.threads)


def check_training_memory(corpus, config) -> MemoryEstimate:
    """:func:`training_memory`; ConfigError when it does not fit."""
    T = config.total_topics
    est = training_memory(corpus, config)
    if not est.fits and os.environ.get(_SKIP_ENV, "").strip() not in ("1", "true", "yes"):
        raise ConfigError(f"training {T} topics on {corpus.n_docs:,} documents × {corpus.n_tokens:,} tokens needs "
                          f"{est.describe()}; use fewer topics, a smaller vocabulary (--max-vocab on import) or "
                          f"fewer threads (set {_SKIP_ENV}=1 to try anyway)")
    return est


__all__ = ["MemoryEstimate", "estimate_training_memory", "training_memory", "check_training_memory"]
