"""The three-matrix (author–topic) model: p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd, C = authors.

Public API (the app and the CLI import only these names): options and config
(:class:`AuthorOptions`, :func:`author_config`), the author matrix and maps
(:mod:`.model`), a trained run's Ψ and its documents (:mod:`.fit`).
"""
from engine.families.author.family import FAMILY, AuthorEStep, AuthorOptions, author_config, authors_of
from engine.families.author.model import author_map, author_matrix, author_similarity
from engine.families.author.fit import AuthorFit, fit_of, fit_of_trainer, top_documents

__all__ = [
    "FAMILY", "AuthorOptions", "AuthorEStep", "author_config", "authors_of", "author_matrix",
    "author_similarity", "author_map", "AuthorFit", "fit_of", "fit_of_trainer", "top_documents",
]
