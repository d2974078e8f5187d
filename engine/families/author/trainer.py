"""``AuthorTrainer``: the three-matrix ARTM p(w|d) = Σ_t Σ_c φ_wt ψ_tc θ_cd (the seed's
"Трёхматричная тематическая модель ARTM"), C = authors from a metadata column.

One pass: the E-step (:func:`engine.families.author._kernels.author_estep` over document
chunks, then ``nwt_tokens`` for n_wt with Θ := M = (Σ_c ψ_tc θ_cd)) gives n_wt, n_tc and n_cd;
M-step φ_wt = norm_w(n_wt + r_wt) (the engine's Φ regularizers apply), ψ_tc = norm_t(n_tc),
θ_cd = norm_c(n_cd) in ``mode="learned"`` (over the document's listed authors) or fixed
1/|A_d| in ``mode="fixed"`` (classic author–topic). The run's Θ is M, so the other pages show
each document's topic mixture. Θ regularizers do not apply (Θ is not a free parameter here).
Ψ, θ_cd and the author names are kept beside the saved run (``engine.families._sidecar``).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.em.trainer import Trainer, _chunks
from engine.errors import ConfigError
from engine.families import _sidecar
from engine.families.author import _kernels as AK
from engine.families.author import model as A

FAMILY = "author"
MODES = ("fixed", "learned")


@dataclass(frozen=True)
class AuthorOptions:
    """column: metadata column with the author(s); sep: separator of several authors in one
    string ("" = one author per value; list values are always several); mode: fixed | learned."""

    column: str = "author"
    sep: str = ""
    mode: str = "fixed"

    def validate(self) -> "AuthorOptions":
        if not isinstance(self.column, str) or not self.column:
            raise ConfigError("author.column must name a corpus column")
        if self.mode not in MODES:
            raise ConfigError(f"author.mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        return self

    to_dict = asdict

    @classmethod
    def from_dict(cls, data: dict | None) -> "AuthorOptions":
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"author: unknown option(s) {', '.join(sorted(unknown))}")
        return cls(**data).validate()


class AuthorTrainer(Trainer):
    def __init__(self, corpus, config, phi0=None, options: AuthorOptions | None = None):
        self.options = (options or AuthorOptions()).validate()
        self.authors_matrix, self.authors = A.author_matrix(
            corpus.documents, self.options.column, self.options.sep,
            source=f"corpus {corpus.name or '(unsaved)'}")
        super().__init__(corpus, config, phi0=phi0)
        T = config.total_topics
        rng = np.random.default_rng(config.seed + 7919)
        self.psi = A.norm_columns(rng.random((T, len(self.authors))))
        self._single_author = bool((np.diff(self.authors_matrix.indptr) <= 1).all())
        self._pending = None

    def _estep(self, cfg, tok_weight, reset, add, mult, add_doc):
        m = self._n_dw
        D, T = self._theta.shape
        W, M = self._phi.shape[0], len(self._modalities)
        Am = self.authors_matrix
        mix = A.mixtures(Am, self.psi)
        colptr, rows, pos = self._transposed()
        chunks, spans = _chunks(m.indptr, cfg.threads), _chunks(colptr, cfg.threads)
        ratio = np.empty(m.nnz, np.float32)
        g = np.empty((D, T), np.float32)
        n_wt = np.empty((W, T), np.float32)
        logs = np.zeros((2, len(chunks), M))

        def docs(c):
            AK.author_estep(chunks[c][0], chunks[c][1], m.indptr, m.indices, m.data, tok_weight,
                            self._tok_mod, self._phi, mix, ratio, g, logs[0, c], logs[1, c])

        def tokens(c):
            K.nwt_tokens(spans[c][0], spans[c][1], colptr, rows, pos, ratio, mix, self._phi, n_wt)

        pool = self._executor(cfg.threads) if cfg.threads > 1 else None
        for fn, parts in ((docs, len(chunks)), (tokens, len(spans))):
            list(pool.map(fn, range(parts))) if pool else [fn(i) for i in range(parts)]
        psi = A.norm_columns(A.psi_counts(Am, self.psi, g))
        single = self._single_author
        theta_cd = A.norm_rows_sparse(A.theta_counts(Am, self.psi, g)) \
            if self.options.mode == "learned" and not single else Am  # one author: θ_cd = 1 either way
        self._pending = (psi, theta_cd)
        return n_wt, mix, logs[0].sum(axis=0), logs[1].sum(axis=0)

    def step(self, config=None, score_fn=None):
        report = super().step(config, score_fn)
        self.psi, self.authors_matrix = self._pending
        self._pending = None
        return report

    def extras(self) -> dict:
        return {"psi": self.psi, "theta_cd": self.authors_matrix.data}

    def on_saved(self, workspace, run) -> None:
        _sidecar.save_sidecar(workspace, run.run_id, FAMILY, self.options.to_dict(), self.extras(),
                              meta={"authors": self.authors})

    def get_state(self) -> dict:
        s = super().get_state()
        s["author"] = {"options": self.options.to_dict(), "psi": self.psi.copy(),
                       "theta_cd": self.authors_matrix.data.copy()}
        return s

    @classmethod
    def from_state(cls, corpus, config, state: dict, options=None) -> "AuthorTrainer":
        saved = state.get("author") or {}
        opts = options or AuthorOptions.from_dict(saved.get("options"))
        tr = _sidecar.restore(cls, AuthorTrainer.__init__, corpus, config, state, options=opts)
        if "psi" in saved:
            tr.psi = np.asarray(saved["psi"], np.float64)
            tr.authors_matrix = _with_data(tr.authors_matrix, saved["theta_cd"])
        return tr


def _with_data(Am: sp.csr_matrix, data) -> sp.csr_matrix:
    data = np.asarray(data, np.float64)
    if data.shape != Am.data.shape:
        raise ConfigError("saved θ_cd does not match the corpus's author column (was it changed?)")
    return sp.csr_matrix((data, Am.indices.copy(), Am.indptr.copy()), shape=Am.shape)


def trainer_class(options: AuthorOptions | dict | None):
    """A Trainer-compatible class bound to ``options`` (for ``TrainingJob(trainer_cls=...)``)."""
    opts = options if isinstance(options, AuthorOptions) else AuthorOptions.from_dict(options)
    return _sidecar.bind(AuthorTrainer, options=opts)


@dataclass
class AuthorFit:
    """Ψ (T, C), the author matrix A (D, C) with θ_cd, author names, options."""

    psi: np.ndarray
    authors_matrix: sp.csr_matrix
    authors: list
    options: AuthorOptions


def load_fit(workspace, run_id: str, corpus) -> AuthorFit:
    """Ψ, θ_cd and author names of a saved author–topic run on ``corpus``."""
    opts, arrays = _sidecar.load_sidecar(workspace, run_id, FAMILY)
    options = AuthorOptions.from_dict(opts)
    Am, names = A.author_matrix(corpus.documents, options.column, options.sep, source=f"corpus {corpus.name}")
    if names != list(_sidecar.sidecar_meta(workspace, run_id).get("authors") or []):
        raise ConfigError(f"the authors in column {options.column!r} of corpus {corpus.name!r} changed since training")
    return AuthorFit(arrays["psi"], _with_data(Am, arrays["theta_cd"]), names, options)


def top_documents(fit: AuthorFit, model, author: str, topic: int, n: int = 10) -> list[tuple[int, float]]:
    """(document row, p(t, c | d)) of the author's documents, most about ``topic`` first:
    p(t, c | d) = ψ_tc θ_cd / Σ_t' m_t'd."""
    if author not in fit.authors:
        raise ConfigError(f"no author {author!r}")
    c = fit.authors.index(author)
    col = fit.authors_matrix.tocsc()[:, c]
    docs, theta_cd = col.indices, col.data
    score = fit.psi[topic, c] * theta_cd
    order = np.argsort(-score)[:n]
    return [(int(docs[i]), float(score[i])) for i in order]
