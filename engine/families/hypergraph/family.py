"""Registers the hypergraph family: ``ModelConfig(family="hypergraph", options=
HypergraphOptions.to_dict())`` — the seed's "Гиперграфовая тематическая модель транзакционных
данных" and its special case "тематическая модель предложений":

    Σ_k τ_k Σ_{(d,x)∈E_k} n_kdx ln Σ_t θ_td Π_{v∈x} φ_vt^{m_v} + R(Φ, Θ) → max

E-step (:class:`HyperEStep`): p_tdx = norm_t(θ_td Π_v φ_vt^{m_v}); θ_td = norm_t(Σ_x τ_k n_dx
p_tdx + r_td) by inner passes; n_vt = Σ_x m_v τ_k n_dx p_tdx (numba:
:mod:`engine.families.hypergraph._kernels`). The trainer's M-step for Φ is the usual one (Φ
regularizers apply), Θ regularizers enter as in the bag-of-words E-step.

Edges (``options.edges``): ``"sentences"`` — every sentence of a text corpus is an edge (m_v =
n_sw; the sentence model, one topic per sentence), tokens of the other modalities one-vertex
edges of type ``@modality``; ``"transactions"`` — the edges stored by the transaction import
(``options.path``, see :mod:`engine.families.hypergraph.transactions`). ``type_weights`` maps an
edge type to τ_k (unlisted types: 1). The log-likelihood Σ n_dx ln p(x|d) is split over the
modalities of each edge's vertices in proportion to their multiplicities, so the perplexity is
per vertex (per word for sentences) and comparable with a bag-of-words model's.
"""
from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from engine.em.estep import chunks
from engine.em.family import EStep, Family, register_family
from engine.errors import ConfigError
from engine.families.hypergraph import _kernels as HK
from engine.families.hypergraph.edges import Edges, sentence_edges
from engine.families.hypergraph.reading import edge_topics, position_edges
from engine.families.hypergraph.transactions import read_transactions
from engine.options import Options, finite_number

__all__ = ["FAMILY", "HypergraphOptions", "HyperEStep", "hypergraph_config", "edges_of"]
SOURCES = ("sentences", "transactions")


@dataclass(frozen=True)
class HypergraphOptions(Options):
    """edges: sentences | transactions; path: the transactions file (edges="transactions");
    type_weights: τ_k per edge type; min_tokens: shortest sentence kept (in-vocabulary tokens)."""

    NAME: ClassVar[str] = "hypergraph"
    edges: str = "sentences"
    path: str = ""
    type_weights: dict = field(default_factory=dict)
    min_tokens: int = 1

    def validate(self) -> "HypergraphOptions":
        if self.edges not in SOURCES:
            raise ConfigError(f"hypergraph.edges must be one of {', '.join(SOURCES)}, got {self.edges!r}")
        if self.edges == "transactions" and (not isinstance(self.path, str) or not self.path):
            raise ConfigError("hypergraph.path must name the transactions file (written by 'transactions import')")
        if not isinstance(self.type_weights, dict):
            raise ConfigError("hypergraph.type_weights must map edge types to weights τ_k")
        for k, v in self.type_weights.items():
            finite_number(v, f"hypergraph.type_weights[{k!r}]", low=0)
        if isinstance(self.min_tokens, bool) or not isinstance(self.min_tokens, int) or self.min_tokens < 1:
            raise ConfigError(f"hypergraph.min_tokens must be an integer ≥ 1, got {self.min_tokens!r}")
        return self

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["type_weights"] = {str(k): float(v) for k, v in self.type_weights.items()}
        return d


#: edges already built, per corpus object (kept while the corpus lives) and options
_BUILT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def edges_of(corpus, options: HypergraphOptions | dict) -> Edges:
    """The edges of ``corpus`` under ``options`` (InputError names the file/corpus to fix);
    built once per corpus object and options (the trainer's check and its E-step share them)."""
    o = HypergraphOptions.of(options)
    key = json.dumps({"edges": o.edges, "path": o.path, "min_tokens": o.min_tokens}, sort_keys=True)
    built = _BUILT.setdefault(corpus, {})
    if key not in built:
        built[key] = sentence_edges(corpus, o.min_tokens) if o.edges == "sentences" else \
            read_transactions(o.path, corpus)
    return built[key]


def distinct_vertex_sets(edges: Edges) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(shape (E,) int64, ptr (U+1,), vertex, mult): the U distinct (vertex, multiplicity) lists
    of the edges (BigARTM likewise computes Π φ once per distinct transaction); edge x uses
    row ``shape[x]``."""
    keys = [(edges.vertex[a:b].tobytes(), edges.mult[a:b].tobytes()) for a, b in zip(edges.edge_ptr, edges.edge_ptr[1:])]
    codes, uniq = pd.factorize(pd.Series(keys, dtype=object))
    first = np.zeros(len(uniq), np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    sizes = np.diff(edges.edge_ptr)[first]
    ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    idx = np.arange(ptr[-1]) - np.repeat(ptr[:-1] - edges.edge_ptr[first], sizes)
    return codes.astype(np.int64), ptr, edges.vertex[idx], edges.mult[idx]


def edge_weights(edges: Edges, type_weights: dict) -> np.ndarray:
    """w_x = τ_k n_dx (E,) float32; ConfigError when a weight names a type the edges lack."""
    unknown = set(type_weights) - set(edges.types)
    if unknown:
        raise ConfigError(f"hypergraph.type_weights: no edges of type(s) {', '.join(sorted(unknown))}; "
                          f"the types are {', '.join(edges.types)}")
    tau = np.array([float(type_weights.get(t, 1.0)) for t in edges.types], np.float32)
    return (edges.count * tau[edges.etype]).astype(np.float32)


class HyperEStep(EStep):
    def __init__(self, trainer):
        self.options = HypergraphOptions.from_dict(trainer.config.options)
        corpus = trainer.corpus
        self.edges = e = edges_of(corpus, self.options)
        self.weight = edge_weights(e, self.options.type_weights)
        self.shape, self.set_ptr, self.set_vertex, self.set_mult = distinct_vertex_sets(e)
        U, W = len(self.set_ptr) - 1, corpus.n_tokens
        sizes = np.diff(self.set_ptr)
        mass = np.bincount(np.repeat(np.arange(U), sizes), weights=self.set_mult, minlength=U)
        self.inv_mass = np.where(mass > 0, 1.0 / np.maximum(mass, 1e-30), 0.0).astype(np.float32)
        self.edge_doc = np.repeat(np.arange(len(e.doc_ptr) - 1), np.diff(e.doc_ptr)).astype(np.int64)
        self.set_edges = np.argsort(self.shape, kind="stable").astype(np.int64)
        self.set_edge_ptr = np.r_[0, np.cumsum(np.bincount(self.shape, minlength=U))].astype(np.int64)
        self._chunks: dict[int, tuple] = {}
        self._positions = None

    def chunks_for(self, threads: int) -> tuple:
        """(sets by vertex entries, documents by edges, sets by edges + vertex entries)."""
        if threads not in self._chunks:
            self._chunks[threads] = (chunks(self.set_ptr, threads), chunks(self.edges.doc_ptr, threads),
                                     chunks(self.set_edge_ptr + self.set_ptr, threads))
        return self._chunks[threads]

    def run(self, tr, cfg, tok_weight, reset, theta_terms, estep_terms):
        add, mult, add_doc = theta_terms
        e = self.edges
        phi = tr.phi
        W, T = phi.shape
        D, M = tr.theta_buffer.shape[0], len(tr.modalities)
        alive = (phi.sum(axis=1) > 0).astype(np.float32)
        tw = np.ascontiguousarray(tok_weight * alive, np.float32)
        U = len(self.set_ptr) - 1
        q, logscale = np.empty((U, T), np.float32), np.empty(U, np.float64)
        ratio, lle = np.empty(len(self.shape), np.float32), np.empty(len(self.shape), np.float64)
        theta = np.empty((D, T), np.float32)
        at_sets, at_docs, at_scatter = self.chunks_for(cfg.threads)
        n_wts = [np.zeros((W, T), np.float32) for _ in at_scatter]
        logs = np.zeros((2, len(at_scatter), M))
        tok_mod = tr.token_modality

        def products(c):
            HK.edge_products(*at_sets[c], self.set_ptr, self.set_vertex, self.set_mult, tw, phi, q, logscale)

        def docs(c):
            HK.hyper_theta(*at_docs[c], e.doc_ptr, self.shape, self.weight, e.count, q, logscale, tr.theta_buffer,
                           theta, reset, cfg.inner_passes, add, mult, add_doc, ratio, lle)

        def scatter(c):
            HK.set_scatter(*at_scatter[c], self.set_edge_ptr, self.set_edges, self.edge_doc, ratio, lle, e.count, theta,
                           q, self.set_ptr, self.set_vertex, self.set_mult, self.inv_mass, tw, tok_mod, n_wts[c],
                           logs[0, c], logs[1, c])

        for fn, parts in ((products, len(at_sets)), (docs, len(at_docs)), (scatter, len(at_scatter))):
            if cfg.threads == 1 or parts == 1:
                for i in range(parts):
                    fn(i)
            else:
                list(tr.pool(cfg.threads).map(fn, range(parts)))
        n_wt = n_wts[0]
        for extra in n_wts[1:]:
            n_wt += extra
        return n_wt, theta, logs[0].sum(axis=0), logs[1].sum(axis=0)

    def token_topics(self, tr, docs):
        """Sentences: every position gets p(t|d,s) of its sentence (one topic per sentence)."""
        seq = tr.corpus.sequences
        if seq is None or self.options.edges != "sentences":
            return None
        if self._positions is None:
            self._positions = position_edges(self.edges, seq, tr.corpus.documents["text"])
        model = tr.model
        out = []
        for d in docs:
            d = int(d)
            a, b = int(seq.ptr[d]), int(seq.ptr[d + 1])
            pe = self._positions[a:b]
            mat = np.zeros((model.phi.shape[1], b - a), np.float32)
            lo = int(self.edges.doc_ptr[d])
            P = edge_topics(model.phi, model.theta[:, d], self.edges, self.edges.of(d))
            has = pe >= 0
            mat[:, has] = P[:, pe[has] - lo]
            out.append(mat)
        return out


def hypergraph_config(config, options: HypergraphOptions | dict):
    """``config`` with family "hypergraph" and these options."""
    return HypergraphOptions.of(options).configure(config)


def _check(corpus, config) -> None:
    opts = HypergraphOptions.from_dict(config.options)
    edge_weights(edges_of(corpus, opts), opts.type_weights)


def _warmup() -> None:
    T = 2
    ptr = np.array([0, 1], np.int64)
    v, m, one = np.array([0], np.int32), np.ones(1, np.float32), np.ones(1, np.float32)
    q, ls = np.empty((1, T), np.float32), np.empty(1)
    HK.edge_products(0, 1, ptr, v, m, one, np.full((1, T), 0.5, np.float32), q, ls)
    th = np.full((1, T), 0.5, np.float32)
    z = np.zeros(T, np.float32)
    shape, ratio, lle = np.zeros(1, np.int64), np.zeros(1, np.float32), np.zeros(1)
    HK.hyper_theta(0, 1, ptr, shape, one, one, q, ls, th, th.copy(), True, 1, z, z, np.zeros((0, T), np.float32),
                   ratio, lle)
    HK.set_scatter(0, 1, ptr, shape, shape, ratio, lle, one, th, q, ptr, v, m, one, one, np.zeros(1, np.int32),
                   np.zeros((1, T), np.float32), np.zeros(1), np.zeros(1))


FAMILY = register_family(Family(
    name="hypergraph", doc="hypergraph (transaction) ARTM: p(x|d) = Σ_t θ_td Π_{v∈x} φ_vt; sentences as edges",
    options=HypergraphOptions.normalized, estep=HyperEStep, check_corpus=_check,
    warmup=_warmup))
