"""``LinksTrainer``: ARTM with the relational regularizer on Θ (see :mod:`.model`).

One pass = the plain offline pass with the extra per-document Θ term r_td = τ θ_td Σ_c n_dc θ_tc
(previous pass's Θ). The edge list is stored beside the saved run (``engine.families._sidecar``)
as (source row, target row, weight) arrays, so the run reloads without the original file.
Score ``link_agreement``: the mean Bhattacharyya coefficient Σ_t √(θ_td θ_tc) over the edges.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp

from engine.em.trainer import Trainer
from engine.errors import ConfigError
from engine.families import _sidecar
from engine.families.links import model as L

FAMILY = "links"


@dataclass(frozen=True)
class LinksOptions:
    """tau: τ of R (counts per unit θθ); the edges themselves are passed as a matrix."""

    tau: float = 20.0

    def validate(self) -> "LinksOptions":
        if not np.isfinite(self.tau) or self.tau < 0:
            raise ConfigError(f"links.tau must be a finite number ≥ 0, got {self.tau!r}")
        return self

    to_dict = asdict

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"links: unknown option(s) {', '.join(sorted(unknown))}")
        return cls(**data).validate()


def _edge_arrays(links: sp.csr_matrix) -> dict:
    up = sp.triu(links, k=1).tocoo()
    return {"source": up.row, "target": up.col, "weight": up.data}


def _from_arrays(arrays: dict, D: int) -> sp.csr_matrix:
    s, t, w = (np.asarray(arrays[k]) for k in ("source", "target", "weight"))
    if len(s) and max(s.max(), t.max()) >= D:
        raise ConfigError("the saved links name documents beyond the corpus (was it changed?)")
    s, t = s.astype(np.int64), t.astype(np.int64)
    return sp.coo_matrix((np.r_[w, w], (np.r_[s, t], np.r_[t, s])), shape=(D, D)).tocsr()


class LinksTrainer(Trainer):
    def __init__(self, corpus, config, phi0=None, options: LinksOptions | None = None, links=None):
        self.options = (options or LinksOptions()).validate()
        if links is None or links.nnz == 0:
            raise ConfigError("links: the edge list is empty")
        if links.shape != (corpus.n_docs, corpus.n_docs):
            raise ConfigError(f"links: expected a ({corpus.n_docs}, {corpus.n_docs}) matrix, got {links.shape}")
        super().__init__(corpus, config, phi0=phi0)
        self.links = sp.csr_matrix(links, dtype=np.float32)

    def _theta_terms(self, active, ctx):
        add, mult, add_doc = super()._theta_terms(active, ctx)
        off = ctx.iteration > self.config.iterations - self.config.regularizers_off_last
        if off or self.options.tau == 0.0 or not self._theta_valid:
            return add, mult, add_doc
        term = L.theta_term(self._theta, self.links, self.options.tau)
        return add, mult, term if add_doc.shape[0] == 0 else add_doc + term

    def step(self, config=None, score_fn=None):
        report = super().step(config, score_fn)
        report.scores["link_agreement"] = float(L.agreement(self._theta, self.links)[0].mean())
        return report

    def on_saved(self, workspace, run) -> None:
        _sidecar.save_sidecar(workspace, run.run_id, FAMILY, self.options.to_dict(), _edge_arrays(self.links))

    def get_state(self) -> dict:
        s = super().get_state()
        s["links"] = {"options": self.options.to_dict(), **_edge_arrays(self.links)}
        return s

    @classmethod
    def from_state(cls, corpus, config, state: dict, options=None, links=None) -> "LinksTrainer":
        saved = state.get("links") or {}
        opts = options or LinksOptions.from_dict(saved.get("options"))
        links = links if links is not None else _from_arrays(saved, corpus.n_docs)
        return _sidecar.restore(cls, LinksTrainer.__init__, corpus, config, state, options=opts, links=links)


def trainer_class(options, links: sp.csr_matrix):
    """A Trainer-compatible class bound to ``options`` and the (D, D) link matrix."""
    opts = options if isinstance(options, LinksOptions) else LinksOptions.from_dict(options)
    return _sidecar.bind(LinksTrainer, options=opts, links=links)


def load_links(workspace, run_id: str, n_docs: int) -> tuple[LinksOptions, sp.csr_matrix]:
    """Options and link matrix of a saved links run."""
    opts, arrays = _sidecar.load_sidecar(workspace, run_id, FAMILY)
    return LinksOptions.from_dict(opts), _from_arrays(arrays, n_docs)
