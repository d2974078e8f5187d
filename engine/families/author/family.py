"""Registers the author–topic family: ``ModelConfig(family="author", options=
AuthorOptions.to_dict())`` — the three-matrix ARTM p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd (the seed's
"Трёхматричная тематическая модель ARTM"), C = authors from a metadata column.

E-step (:class:`AuthorEStep`): :func:`engine.families.author._kernels.author_estep` over document
chunks, then ``nwt_blocks`` for n_wt with Θ := M (m_td = Σ_c ψ_tc θ_cd); it also performs the
M-steps ψ_tc = norm_t(n_tc) and, in ``mode="learned"``, θ_cd = norm_c(n_cd) over the document's
listed authors (``mode="fixed"``: 1/|A_d|, classic author–topic). The trainer's M-step for Φ is
the usual one (Φ regularizers apply); the run's Θ is M, so every page shows each document's
mixture. Θ regularizers do not apply (Θ is not a free parameter here). Ψ and θ_cd are saved
with the run as arrays ``author_psi`` (T, C) and ``author_theta_cd`` (values on A's pattern).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from engine.em.estep import DocBlocks, chunks
from engine.em.family import EStep, Family, register_family
from engine.errors import ConfigError
from engine.options import Options
from engine.families.author import _kernels as AK
from engine.families.author import model as A

__all__ = ["FAMILY", "AuthorOptions", "AuthorEStep", "author_config", "authors_of"]
MODES = ("fixed", "learned")


@dataclass(frozen=True)
class AuthorOptions(Options):
    """column: metadata column with the author(s); sep: separator of several authors in one
    string ("" = one author per value; list values always mean several); mode: fixed | learned."""

    NAME: ClassVar[str] = "author"
    column: str = "author"
    sep: str = ""
    mode: str = "fixed"

    def validate(self) -> "AuthorOptions":
        if not isinstance(self.column, str) or not self.column:
            raise ConfigError("author.column must name a corpus column")
        if not isinstance(self.sep, str):
            raise ConfigError("author.sep must be a string")
        if self.mode not in MODES:
            raise ConfigError(f"author.mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        return self



def authors_of(corpus, options: AuthorOptions | dict) -> tuple[sp.csr_matrix, list[str]]:
    """(A (D, C) with θ_cd = 1/|A_d|, sorted author names) of ``corpus`` under ``options``."""
    o = options if isinstance(options, AuthorOptions) else AuthorOptions.from_dict(options)
    return A.author_matrix(corpus.documents, o.column, o.sep, source=f"corpus {corpus.name or '(unsaved)'}")


class AuthorEStep(EStep):
    def __init__(self, trainer):
        self.options = AuthorOptions.from_dict(trainer.config.options)
        self.authors_matrix, self.authors = authors_of(trainer.corpus, self.options)
        T = trainer.config.total_topics
        rng = np.random.default_rng(trainer.config.random_state + 7919)
        self.psi = A.norm_columns(rng.random((T, len(self.authors))))
        self._single = bool((np.diff(self.authors_matrix.indptr) <= 1).all())
        self._blocks: DocBlocks | None = None

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        m = tr.n_dw
        D, T = tr.theta_buffer.shape
        phi, tok_mod = tr.phi, tr.token_modality
        W, M = phi.shape[0], len(tr.modalities)
        Am = self.authors_matrix
        mix = A.mixtures(Am, self.psi)
        if self._blocks is None:
            self._blocks = DocBlocks.of(m, T)
        blocks = self._blocks
        docs_at, spans = chunks(m.indptr, cfg.threads), chunks(blocks.token_mass, cfg.threads)
        ratio = np.empty(m.nnz, np.float32)
        g = np.empty((D, T), np.float32)
        n_wt = np.empty((W, T), np.float32)
        logs = np.zeros((2, len(docs_at), M))

        def docs(c):
            AK.author_estep(docs_at[c][0], docs_at[c][1], m.indptr, m.indices, m.data, tok_weight,
                            tok_mod, phi, mix, ratio, g, logs[0, c], logs[1, c])

        def tokens(c):
            blocks.nwt(spans[c][0], spans[c][1], ratio, mix, phi, n_wt)

        for fn, parts in ((docs, len(docs_at)), (tokens, len(spans))):
            if cfg.threads == 1:
                for i in range(parts):
                    fn(i)
            else:
                list(tr.pool(cfg.threads).map(fn, range(parts)))
        psi = A.norm_columns(A.psi_counts(Am, self.psi, g))
        if self.options.mode == "learned" and not self._single:  # one author: θ_cd = 1 either way
            self.authors_matrix = A.norm_rows_sparse(A.theta_counts(Am, self.psi, g))
        self.psi = psi
        return n_wt, mix, logs[0].sum(axis=0), logs[1].sum(axis=0)

    def state(self) -> dict:
        return {"psi": self.psi.copy(), "theta_cd": self.authors_matrix.data.copy()}

    def load_state(self, state: dict) -> None:
        if "psi" in state:
            self.psi = np.asarray(state["psi"], np.float64)
            self.authors_matrix = with_theta_cd(self.authors_matrix, state["theta_cd"])

    def arrays(self) -> dict:
        return {"author_psi": self.psi, "author_theta_cd": self.authors_matrix.data}


def with_theta_cd(Am: sp.csr_matrix, data) -> sp.csr_matrix:
    """A's pattern with the values ``data`` (ConfigError when they do not fit)."""
    data = np.asarray(data, np.float64)
    if data.shape != Am.data.shape:
        raise ConfigError("the saved θ_cd does not match the corpus's author column (was it changed?)")
    return sp.csr_matrix((data, Am.indices.copy(), Am.indptr.copy()), shape=Am.shape)


def author_config(config, options: AuthorOptions | dict):
    """``config`` with family "author" and these options."""
    return AuthorOptions.of(options).configure(config)


def _warmup() -> None:
    phi = np.full((2, 2), 0.5, np.float32)
    n = np.zeros(1)
    AK.author_estep(0, 1, np.array([0, 1], np.int64), np.array([0], np.int32), np.ones(1, np.float32),
                    np.ones(2, np.float32), np.zeros(2, np.int32), phi, np.full((1, 2), 0.5, np.float32),
                    np.zeros(1, np.float32), np.zeros((1, 2), np.float32), n, n.copy())


FAMILY = register_family(Family(
    name="author", doc="author–topic (three-matrix) ARTM: p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd",
    options=AuthorOptions.normalized, estep=AuthorEStep,
    check_corpus=lambda corpus, config: authors_of(corpus, config.options), warmup=_warmup))
