"""Registers the document-links family: ``ModelConfig(family="links", options=
LinksOptions.to_dict())`` — relational ARTM, R(Θ) = τ Σ_{d,c} n_dc Σ_t θ_td θ_tc.

E-step (:class:`LinksEStep`): the bag-of-words E-step with the extra per-document Θ term
r_td = τ θ_td Σ_c n_dc θ_tc (previous pass's Θ). The edge list is read from ``options.edges``
(CSV/Parquet of document ids) when training starts; the edges themselves are kept in the
checkpoints and saved with the run as arrays ``links_source``, ``links_target``,
``links_weight`` (row numbers, d < c), so a run reloads and resumes without the file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from engine.em.estep import BagEStep
from engine.em.family import Family, register_family
from engine.errors import ConfigError
from engine.options import Options, finite_number
from engine.families.links import model as L

__all__ = ["FAMILY", "LinksOptions", "LinksEStep", "links_config", "links_from_arrays"]


@dataclass(frozen=True)
class LinksOptions(Options):
    """edges: path of the edge list; source/target/weight: its columns; allow_unknown: drop
    edges naming documents not in the corpus (else an error); tau: τ of R."""

    NAME: ClassVar[str] = "links"
    edges: str = ""
    source: str = "source"
    target: str = "target"
    weight: str = "weight"
    allow_unknown: bool = False
    tau: float = 20.0

    def validate(self) -> "LinksOptions":
        if not isinstance(self.edges, str) or not self.edges:
            raise ConfigError("links.edges must be the path of an edge list (CSV/Parquet: source, target[, weight])")
        finite_number(self.tau, "links.tau", low=0)
        if not isinstance(self.allow_unknown, bool):
            raise ConfigError("links.allow_unknown must be true or false")
        return self



def read_links(corpus, options: LinksOptions) -> sp.csr_matrix:
    return L.read_edges(options.edges, corpus.documents, options.source, options.target, options.weight,
                        options.allow_unknown)


def links_to_arrays(links: sp.csr_matrix) -> dict:
    up = sp.triu(links, k=1).tocoo()
    return {"links_source": up.row.astype(np.int64), "links_target": up.col.astype(np.int64),
            "links_weight": up.data.astype(np.float64)}


def links_from_arrays(arrays: dict, n_docs: int) -> sp.csr_matrix:
    s, t, w = (np.asarray(arrays[k]) for k in ("links_source", "links_target", "links_weight"))
    if len(s) and max(s.max(), t.max()) >= n_docs:
        raise ConfigError("the saved links name documents beyond the corpus (was it changed?)")
    s, t = s.astype(np.int64), t.astype(np.int64)
    return sp.coo_matrix((np.r_[w, w], (np.r_[s, t], np.r_[t, s])), shape=(n_docs, n_docs)).tocsr()


class LinksEStep(BagEStep):
    def __init__(self, trainer):
        super().__init__(trainer)
        self.options = LinksOptions.from_dict(trainer.config.options)
        self.links = sp.csr_matrix(read_links(trainer.corpus, self.options), dtype=np.float32)

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        add, mult, add_doc = theta_terms
        off = tr.iteration + 1 > cfg.iterations - cfg.regularizers_off_last
        if not off and self.options.tau > 0 and tr.iteration > 0:
            term = L.theta_term(tr.theta_buffer, self.links, self.options.tau)
            add_doc = term if add_doc.shape[0] == 0 else add_doc + term
        return super().run(tr, cfg, tok_weight, reset, (add, mult, add_doc), estep_terms)

    def state(self) -> dict:
        return links_to_arrays(self.links)

    def load_state(self, state: dict) -> None:
        if "links_source" in state:
            self.links = sp.csr_matrix(links_from_arrays(state, self.links.shape[0]), dtype=np.float32)

    def arrays(self) -> dict:
        return links_to_arrays(self.links)


def links_config(config, options: LinksOptions | dict):
    return LinksOptions.of(options).configure(config)


FAMILY = register_family(Family(
    name="links", doc="document links (relational ARTM): R = τ Σ n_dc Σ_t θ_td θ_tc",
    options=LinksOptions.normalized, estep=LinksEStep,
    check_corpus=lambda corpus, config: read_links(corpus, LinksOptions.from_dict(config.options))))
