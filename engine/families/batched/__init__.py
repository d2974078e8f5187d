"""The ``batched`` family: training from a corpus stored as batches on disk (out of core),
online EM, and the E-step on Dask workers. See :mod:`engine.families.batched.estep`."""
