"""A saved author–topic run's Ψ, θ_cd and author names, and an author's top documents."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from engine.errors import ConfigError, WorkspaceError
from engine.families.author.family import AuthorOptions, authors_of, with_theta_cd


@dataclass
class AuthorFit:
    """Ψ (T, C), the author matrix A (D, C) holding θ_cd, author names, options."""

    psi: np.ndarray
    authors_matrix: sp.csr_matrix
    authors: list
    options: AuthorOptions

    @property
    def documents_per_author(self) -> np.ndarray:
        return np.asarray((self.authors_matrix > 0).sum(axis=0)).ravel()


def fit_of(run, corpus) -> AuthorFit:
    """The fit of a loaded author run on its ``corpus`` (WorkspaceError if not an author run)."""
    cfg = run.config or {}
    if cfg.get("family") != "author" or "author_psi" not in run.arrays:
        raise WorkspaceError(f"run {run.run_id} is not an author–topic model (family {cfg.get('family', 'standard')!r})")
    opts = AuthorOptions.from_dict(cfg.get("options"))
    Am, names = authors_of(corpus, opts)
    psi = np.asarray(run.arrays["author_psi"], np.float64)
    if psi.shape[1] != len(names):
        raise ConfigError(f"the authors in column {opts.column!r} of corpus {corpus.name!r} changed since training")
    return AuthorFit(psi, with_theta_cd(Am, run.arrays["author_theta_cd"]), names, opts)


def fit_of_trainer(trainer) -> AuthorFit:
    e = trainer.estep
    return AuthorFit(e.psi.copy(), e.authors_matrix.copy(), list(e.authors), e.options)


def top_documents(fit: AuthorFit, author: str, topic: int, n: int = 10) -> list[tuple[int, float]]:
    """(document row, p(t, c | d) = ψ_tc θ_cd) of the author's documents, most about ``topic`` first."""
    if author not in fit.authors:
        raise ConfigError(f"no author {author!r}")
    c = fit.authors.index(author)
    col = fit.authors_matrix.tocsc()[:, c]
    score = fit.psi[topic, c] * col.data
    order = np.argsort(-score)[:n]
    return [(int(col.indices[i]), float(score[i])) for i in order]
