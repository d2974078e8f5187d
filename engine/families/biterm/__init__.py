"""Biterm regularizer for short texts: R(Φ) = τ Σ_{u,v} n_uv ln Σ_t n_t φ_ut φ_vt.

Public API: :class:`Biterm` (a Φ regularizer, registered as ``"Biterm"``) and its counts/term.
"""
from engine.families.biterm.regularizer import Biterm, biterm_counts, biterm_term

__all__ = ["Biterm", "biterm_counts", "biterm_term"]
