"""The ``batched`` family: training from a corpus stored as batches on disk (out of core),
online EM, and the E-step on Dask workers. See :mod:`engine.families.batched.estep`.

Public API: :func:`batched_config` (a run config of this family) and the E-step's options.
The Dask E-step (:mod:`.dask`, an optional dependency) is imported only when a run asks for it.
"""
from engine.families.batched.estep import THETA_MODES, BatchedEStep, OnlineOptions
from engine.families.batched.family import batched_config

__all__ = ["THETA_MODES", "BatchedEStep", "OnlineOptions", "batched_config"]
