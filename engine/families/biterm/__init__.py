"""Biterm regularizer for short texts: R(Φ) = τ Σ_{u,v} n_uv ln Σ_t n_t φ_ut φ_vt."""
