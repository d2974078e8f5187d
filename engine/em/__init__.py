"""EM layer: numba kernels, ModelConfig, τ trajectories, regularizers, scores, the trainer."""
