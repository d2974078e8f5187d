"""The regularized EM trainer and inference on new documents.

One offline pass (BigARTM ``fit_offline`` with one collection pass), DESIGN §3:

1. E-step with Φ fixed, in two nogil phases run from a thread pool: θ of every document over
   ``threads`` contiguous document chunks balanced by nnz (:func:`engine.em._kernels.estep_chunk`;
   Θ regularizers enter as per-topic arrays; the log-likelihood per modality comes out of the
   same pass), then n_wt over contiguous token ranges (:func:`engine.em._kernels.nwt_tokens`).
   Deterministic, and Φ does not even depend on the thread count.
2. Φ regularizers: r_wt = Σ_i τ_i φ ∂R_i/∂φ, added in place into one reusable float64 W × T
   buffer (``Regularizer.add_phi_term``; SmoothSparsePhi and Decorrelator are numba kernels).
3. M-step: φ_wt = max(n_wt + r_wt, 0) / Σ_w max(·, 0) within each modality; a topic whose
   column is all ≤ 0 becomes zero (dead) and never NaN. With regularizers the guards (NaN → 0,
   |x| ≤ 1e30, float32) are folded into the same kernel (:func:`engine.em._kernels.mstep_reg`).

``Trainer.step(config)`` takes the config to use for this pass, so a live-edited config applies
from the next iteration. Scores other than perplexity are computed by ``engine.scores`` from
:attr:`Trainer.last_context` (or a ``score_fn`` passed to :meth:`Trainer.step`).
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import scipy.sparse as sp

from engine.em import _kernels as K
from engine.em.config import ModelConfig
from engine.errors import ConfigError, InputError
from engine.em.regularizers import RegContext
from engine.em.model import IterationReport, ScoreContext, TopicModel

#: |r_wt|, |r_td| are clipped here so float32 never overflows (τ of any size stays finite)
_CLIP = 1e30


# --------------------------------------------------------------------------- helpers


def as_csr(n_dw, n_cols: int | None = None) -> sp.csr_matrix:
    """n_dw as CSR with float32 data, int32 indices, sorted, canonical."""
    m = sp.csr_matrix(n_dw)
    if n_cols is not None and m.shape[1] != n_cols:
        raise InputError(f"n_dw has {m.shape[1]} columns but the model has {n_cols} tokens")
    if not m.has_sorted_indices:
        m = m.sorted_indices()
    m = sp.csr_matrix((np.ascontiguousarray(m.data, np.float32),
                       np.ascontiguousarray(m.indices, np.int32),
                       np.ascontiguousarray(m.indptr, np.int64)), shape=m.shape)
    if m.nnz and (not np.all(np.isfinite(m.data)) or m.data.min() < 0):
        raise InputError("n_dw must hold finite non-negative counts")
    return m


def normalize_phi(phi: np.ndarray, token_modality: np.ndarray, n_mod: int) -> np.ndarray:
    """Columns of Φ normalized within each modality (zero columns stay zero)."""
    phi = np.ascontiguousarray(phi, np.float32)
    out = np.empty_like(phi)
    n_t = np.zeros((n_mod, phi.shape[1]))
    K.mstep(phi, np.ascontiguousarray(token_modality, np.int32), n_mod, out, n_t)
    return out


def random_phi(n_tokens: int, n_topics: int, token_modality: np.ndarray, n_mod: int,
               seed: int) -> np.ndarray:
    """Uniform random Φ from ``seed``, normalized within each modality."""
    rng = np.random.default_rng(seed)
    return normalize_phi(rng.random((n_tokens, n_topics), dtype=np.float32), token_modality, n_mod)


def load_phi(path, corpus, topic_names: list[str]) -> np.ndarray:
    """Φ (W, T) from a Parquet or CSV table aligned to ``corpus``'s vocabulary.

    Columns: ``token``, optional ``modality`` (default ``@default_class``), and either one
    column per topic name or exactly T other numeric columns (taken in order). Tokens missing
    from the table get the mean of their modality's column; the result is normalized.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"init: no such file {str(p)!r}")
    try:
        table = pd.read_parquet(p) if p.suffix.lower() in (".parquet", ".pq") else pd.read_csv(p)
    except Exception as exc:  # noqa: BLE001 - any reader failure is a user input problem
        raise InputError(f"init: cannot read Φ table {p.name}: {exc}") from None
    if "token" not in table.columns:
        raise InputError(f"init: the Φ table {p.name} has no 'token' column")
    if "modality" not in table.columns:
        table = table.assign(modality="@default_class")
    cols = [c for c in topic_names if c in table.columns]
    if len(cols) != len(topic_names):
        cols = [c for c in table.columns if c not in ("token", "modality")]
        if len(cols) != len(topic_names):
            raise InputError(f"init: the Φ table has {len(cols)} topic columns, the model has "
                             f"{len(topic_names)} topics")
    values = table[cols].to_numpy(np.float64)
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise InputError("init: Φ values must be finite and non-negative")
    key = pd.MultiIndex.from_arrays([table["modality"].astype(str), table["token"].astype(str)])
    vocab_key = pd.MultiIndex.from_arrays([corpus.vocab["modality"].astype(str),
                                           corpus.vocab["token"].astype(str)])
    pos = pd.Series(np.arange(len(table)), index=key)
    pos = pos[~pos.index.duplicated()].reindex(vocab_key).to_numpy()
    phi = np.zeros((corpus.n_tokens, len(topic_names)), np.float64)
    have = ~np.isnan(pos)
    phi[have] = values[pos[have].astype(np.int64)]
    tok_mod = corpus.token_modality
    for m in range(len(corpus.modalities)):
        miss = (tok_mod == m) & ~have
        if miss.any():
            known = (tok_mod == m) & have
            phi[miss] = phi[known].mean(axis=0) if known.any() else 1.0
    return normalize_phi(phi, tok_mod, len(corpus.modalities))


def transposed(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(colptr (W+1,) int64, rows (nnz,) int32, pos (nnz,) int64): the CSC structure of the CSR
    ``m`` with documents sorted within each token, and the CSR position of every entry."""
    at = sp.csr_matrix((np.arange(m.nnz, dtype=np.float64), m.indices, m.indptr),
                       shape=m.shape).tocsc()
    at.sort_indices()
    return (np.ascontiguousarray(at.indptr, np.int64), np.ascontiguousarray(at.indices, np.int32),
            np.ascontiguousarray(at.data, np.int64))


def _chunks(indptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous document ranges with about equal nnz."""
    D = len(indptr) - 1
    parts = max(1, min(parts, D))
    nnz = int(indptr[-1])
    cuts = [0] + [int(np.searchsorted(indptr, nnz * k / parts)) for k in range(1, parts)] + [D]
    cuts = sorted(set(min(max(c, 0), D) for c in cuts))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a] or [(0, D)]


def _perplexities(modalities, weights, loglik, n_tok) -> dict[str, float]:
    """``perplexity`` (τ_m-weighted over modalities, as BigARTM) and ``perplexity@<modality>``."""
    out = {}
    num = den = 0.0
    for j, m in enumerate(modalities):
        if n_tok[j] > 0:
            out[f"perplexity@{m.lstrip('@')}"] = float(np.exp(-loglik[j] / n_tok[j]))
            num += weights[j] * loglik[j]
            den += weights[j] * n_tok[j]
    if den > 0:  # no tokens (an empty corpus): no perplexity rather than NaN
        out["perplexity"] = float(np.exp(-num / den))
    return out


# --------------------------------------------------------------------------- trainer


class Trainer:
    """Offline regularized EM over one corpus, one pass per :meth:`step`.

    Parameters
    ----------
    corpus : engine.Corpus
    config : ModelConfig
    phi0 : ndarray (W, T) or None
        Initial Φ (normalized here); else ``config.init`` ("random" from ``config.seed`` or a
        Φ table path).
    """

    def __init__(self, corpus, config: ModelConfig, phi0: np.ndarray | None = None):
        config.validate().check_corpus(corpus)
        self.corpus = corpus
        self.config = config
        self._n_dw = as_csr(corpus.n_dw)
        self._modalities = list(corpus.modalities)
        self._tok_mod = np.ascontiguousarray(corpus.token_modality, np.int32)
        self._topic_names = config.topic_names
        self._background = np.array([False] * config.n_topics + [True] * config.n_background)
        W, T, D = corpus.n_tokens, config.total_topics, corpus.n_docs
        if phi0 is not None:
            phi0 = np.asarray(phi0)
            if phi0.shape != (W, T):
                raise ConfigError(f"phi0 must have shape ({W}, {T}), got {phi0.shape}")
            if not np.all(np.isfinite(phi0)) or (phi0 < 0).any():
                raise ConfigError("phi0 must be finite and non-negative")
            self._phi = normalize_phi(phi0, self._tok_mod, len(self._modalities))
        elif config.init == "random":
            self._phi = random_phi(W, T, self._tok_mod, len(self._modalities), config.seed)
        else:
            self._phi = load_phi(config.init, corpus, self._topic_names)
        self._theta = np.zeros((D, T), np.float32)
        self._theta_valid = False
        self._n_t: np.ndarray | None = None
        self._n_wt: np.ndarray | None = None
        self.iteration = 0
        self.last_context: ScoreContext | None = None
        self.last_report: IterationReport | None = None
        self._cache: dict = {}
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        self._csc: tuple | None = None
        self._r_wt: np.ndarray | None = None  # reusable float64 Σ r_wt buffer (regularized passes)
        self._checked: ModelConfig | None = None
        self._accept(config)

    # ----------------------------------------------------------------- public

    @property
    def model(self) -> TopicModel:
        """The current model (arrays are never modified afterwards: each pass allocates anew)."""
        T = self.config.total_topics
        return TopicModel(
            phi=self._phi, theta=self._theta.T, topic_names=list(self._topic_names),
            background=self._background.copy(), modalities=list(self._modalities),
            token_modality=self._tok_mod,
            n_t=self._n_t if self._n_t is not None else np.zeros(T))

    def step(self, config: ModelConfig | None = None,
             score_fn: Callable[[ScoreContext], dict] | None = None) -> IterationReport:
        """Run one EM pass with ``config`` (default: the current one) and return its report.

        ``score_fn(ScoreContext) -> dict`` adds scores to the report. If anything raises,
        the trainer keeps its previous state and config.
        """
        t0 = time.perf_counter()
        cfg = self._accept(config)
        it = self.iteration + 1
        taus = self.taus(cfg, it)
        ctx = self._context(it)
        active = [(r, taus[r.name]) for r in cfg.regularizers if r.enabled and taus[r.name] != 0.0]
        add, mult, add_doc = self._theta_terms(active, ctx)
        reset = not (cfg.reuse_theta and self._theta_valid)
        n_wt, theta, loglik, n_tok = self._estep(cfg, self._token_weights(cfg), reset, add, mult,
                                                 add_doc)
        phi = self._mstep(n_wt, [(r, t) for r, t in active if r.acts_on_phi], ctx)
        self.config, self.iteration = cfg, it
        self._phi, self._theta, self._theta_valid = phi, theta, True
        self._n_wt, self._n_t = n_wt, n_wt.sum(axis=0, dtype=np.float64)
        scores = _perplexities(self._modalities, [cfg.weight_of(m) for m in self._modalities],
                               loglik, n_tok)
        scores["dead_topics"] = float(len(self.dead_topics()))
        self.last_context = ScoreContext(
            corpus=self.corpus, model=self.model, n_wt=n_wt,
            loglik={m: float(loglik[j]) for j, m in enumerate(self._modalities)},
            n_tokens={m: float(n_tok[j]) for j, m in enumerate(self._modalities)},
            iteration=it, last=it >= cfg.iterations)
        if score_fn is not None:
            scores.update(score_fn(self.last_context))
        self.last_report = IterationReport(iteration=it, seconds=time.perf_counter() - t0,
                                           tau=taus, scores=scores)
        return self.last_report

    def fit(self, iterations: int | None = None, callback=None) -> list[IterationReport]:
        """Run ``iterations`` passes (default: up to ``config.iterations``); ``callback(report)``."""
        n = self.config.iterations - self.iteration if iterations is None else iterations
        reports = []
        for _ in range(max(0, n)):
            reports.append(self.step())
            if callback is not None:
                callback(reports[-1])
        return reports

    @staticmethod
    def taus(cfg: ModelConfig, iteration: int) -> dict[str, float]:
        """τ applied to each regularizer at ``iteration`` (0 when disabled or in the last
        ``regularizers_off_last`` iterations)."""
        off = iteration > cfg.iterations - cfg.regularizers_off_last
        return {r.name: (0.0 if off or not r.enabled else float(r.tau(iteration)))
                for r in cfg.regularizers}

    def dead_topics(self) -> np.ndarray:
        """Indices of topics whose Φ column is all zero."""
        return np.flatnonzero(self._phi.sum(axis=0) <= 0)

    def get_state(self) -> dict:
        """Everything needed to continue exactly: arrays plus JSON-able values."""
        return {
            "iteration": self.iteration,
            "phi": self._phi.copy(),
            "theta": self._theta.copy(),
            "theta_valid": self._theta_valid,
            "n_t": None if self._n_t is None else self._n_t.copy(),
            "config": self.config.to_dict(),
            "topic_names": list(self._topic_names),
        }

    @classmethod
    def from_state(cls, corpus, config: ModelConfig | None, state: dict) -> "Trainer":
        """A trainer that continues from :meth:`get_state` output (``config`` None: the saved one)."""
        cfg = config if config is not None else ModelConfig.from_dict(state["config"])
        tr = cls(corpus, cfg, phi0=np.asarray(state["phi"], np.float32))
        tr._phi = np.ascontiguousarray(state["phi"], np.float32)  # exact, no renormalization
        theta = np.ascontiguousarray(state["theta"], np.float32)
        if theta.shape != tr._theta.shape:
            raise ConfigError(f"state theta has shape {theta.shape}, expected {tr._theta.shape}")
        tr._theta = theta
        tr._theta_valid = bool(state.get("theta_valid", True))
        n_t = state.get("n_t")
        tr._n_t = None if n_t is None else np.asarray(n_t, np.float64)
        tr.iteration = int(state["iteration"])
        return tr

    def close(self) -> None:
        """Stop the worker threads (a closed trainer restarts them on the next step)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    # ----------------------------------------------------------------- internals

    def _accept(self, config: ModelConfig | None) -> ModelConfig:
        """Validate a (possibly live-edited) config against the corpus and the topics."""
        if config is None or config is self._checked:
            return self.config if config is None else config
        config.validate().check_corpus(self.corpus)
        if (config.n_topics, config.n_background) != (self.config.n_topics, self.config.n_background):
            raise ConfigError("n_topics: the number of topics cannot change during training")
        ctx = self._context(self.iteration + 1)
        for reg in config.regularizers:
            reg.check(ctx)
        self._checked = config
        return config

    def _context(self, iteration: int) -> RegContext:
        return RegContext(corpus=self.corpus, topic_names=self._topic_names,
                          background=self._background, modalities=self._modalities,
                          token_modality=self._tok_mod, iteration=iteration, n_t=self._n_t,
                          cache=self._cache)

    def _mstep(self, n_wt: np.ndarray, phi_regs, ctx: RegContext) -> np.ndarray:
        """Φ = norm within modality of max(n_wt + Σ r_wt, 0)."""
        phi = np.empty_like(self._phi)
        M = len(self._modalities)
        n_t = np.zeros((M, phi.shape[1]))
        if not phi_regs:
            K.mstep(n_wt, self._tok_mod, M, phi, n_t)
            return phi
        r_wt = self._r_wt
        if r_wt is None or r_wt.shape != n_wt.shape:
            r_wt = self._r_wt = np.zeros(n_wt.shape, np.float64)
        else:
            r_wt.fill(0.0)
        for reg, tau in phi_regs:
            reg.add_phi_term(self._phi, n_wt, _with_tau(ctx, tau), r_wt)
        K.mstep_reg(n_wt, r_wt, _CLIP, self._tok_mod, M, phi, n_t)
        return phi

    def _token_weights(self, cfg: ModelConfig) -> np.ndarray:
        w = np.array([cfg.weight_of(m) for m in self._modalities], np.float32)
        return w[self._tok_mod]

    def _theta_terms(self, active, ctx):
        T = len(self._topic_names)
        add = np.zeros(T)
        mult = np.zeros(T)
        add_doc = None
        for reg, tau in active:
            if reg.acts_on_theta:
                terms = reg.theta_terms(_with_tau(ctx, tau))
                add += terms.add
                mult += terms.mult
                if terms.add_doc is not None:
                    add_doc = terms.add_doc if add_doc is None else add_doc + terms.add_doc
        clip = lambda a: np.clip(np.nan_to_num(a), -_CLIP, _CLIP).astype(np.float32)  # noqa: E731
        add_doc = np.zeros((0, T), np.float32) if add_doc is None else \
            np.ascontiguousarray(clip(add_doc).reshape(-1, T))
        return clip(add), clip(mult), add_doc

    def _executor(self, n: int) -> ThreadPoolExecutor:
        if self._pool is None or self._pool_size != n:
            self.close()
            self._pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="artm-estep")
            self._pool_size = n
        return self._pool

    def _estep(self, cfg, tok_weight, reset, add, mult, add_doc):
        """Both E-step phases; returns n_wt (W, T), Θ (D, T), loglik (M,), n_tokens (M,)."""
        m = self._n_dw
        D, T = self._theta.shape
        W, M = self._phi.shape[0], len(self._modalities)
        colptr, rows, pos = self._transposed()
        chunks = _chunks(m.indptr, cfg.threads)
        spans = _chunks(colptr, cfg.threads)
        theta = np.empty((D, T), np.float32)
        ratio = np.empty(m.nnz, np.float32)
        n_wt = np.empty((W, T), np.float32)
        logs = np.zeros((3, len(chunks), M))

        def docs(c):
            d0, d1 = chunks[c]
            K.estep_chunk(d0, d1, m.indptr, m.indices, m.data, tok_weight, self._tok_mod,
                          self._phi, self._theta, theta, reset, cfg.inner_passes, add, mult,
                          add_doc, ratio, logs[0, c], logs[1, c], logs[2, c])

        def tokens(c):
            K.nwt_tokens(spans[c][0], spans[c][1], colptr, rows, pos, ratio, theta, self._phi, n_wt)

        if cfg.threads == 1:
            docs(0)
            tokens(0)
        else:
            pool = self._executor(cfg.threads)
            list(pool.map(docs, range(len(chunks))))
            list(pool.map(tokens, range(len(spans))))
        return n_wt, theta, logs[0].sum(axis=0), logs[1].sum(axis=0)

    def _transposed(self):
        """CSC structure of n_dw with the CSR position of every entry (built once)."""
        if self._csc is None:
            self._csc = transposed(self._n_dw)
        return self._csc


def _with_tau(ctx: RegContext, tau: float) -> RegContext:
    from dataclasses import replace

    return replace(ctx, tau=float(tau))


# --------------------------------------------------------------------------- inference


def _model_arrays(model: TopicModel, n_dw, modality_weights):
    W = model.phi.shape[0]
    m = as_csr(n_dw, W)
    weights = np.array([float((modality_weights or {}).get(mm, 1.0)) for mm in model.modalities],
                       np.float32)
    tok_mod = np.ascontiguousarray(model.token_modality, np.int32)
    return m, np.ascontiguousarray(model.phi, np.float32), weights[tok_mod], tok_mod


def transform(model: TopicModel, n_dw, inner_passes: int = 10, modality_weights: dict | None = None):
    """θ of new documents with Φ fixed (BigARTM ``transform``), plus their log-likelihood.

    Parameters
    ----------
    model : TopicModel
    n_dw : sparse or dense (D', W) counts over the model's vocabulary
    inner_passes : int
        θ updates per document, starting from 1/T.
    modality_weights : dict modality -> τ_m, optional

    Returns
    -------
    theta : ndarray (T, D'), float32
    loglik : dict modality -> Σ n_dw ln p(w|d)
    n_tokens : dict modality -> Σ n_dw
    """
    m, phi, tok_weight, tok_mod = _model_arrays(model, n_dw, modality_weights)
    D, T, M = m.shape[0], phi.shape[1], len(model.modalities)
    theta = np.zeros((D, T), np.float32)
    logs = np.zeros((3, M))
    z = np.zeros(T, np.float32)
    K.infer_chunk(0, D, m.indptr, m.indices, m.data, tok_weight, tok_mod, phi, theta,
                  int(inner_passes), z, z, np.zeros((0, T), np.float32), logs[0], logs[1], logs[2])
    names = list(model.modalities)
    return (theta.T.copy(), {n: float(logs[0, j]) for j, n in enumerate(names)},
            {n: float(logs[1, j]) for j, n in enumerate(names)})


def infer_theta(model: TopicModel, n_dw, inner_passes: int = 10,
                modality_weights: dict | None = None) -> np.ndarray:
    """θ (T, D') of new documents with Φ fixed; see :func:`transform`."""
    return transform(model, n_dw, inner_passes, modality_weights)[0]


def heldout_perplexity(model: TopicModel, n_dw, inner_passes: int = 10,
                       modality_weights: dict | None = None) -> dict[str, float]:
    """``perplexity`` and ``perplexity@<modality>`` of documents not used in training."""
    _, loglik, n_tok = transform(model, n_dw, inner_passes, modality_weights)
    names = list(model.modalities)
    w = [float((modality_weights or {}).get(n, 1.0)) for n in names]
    return _perplexities(names, w, [loglik[n] for n in names], [n_tok[n] for n in names])


def one_pass_theta(model: TopicModel, n_dw, modality_weights: dict | None = None) -> np.ndarray:
    """θ_td = Σ_w (τ n_dw / n_d) p(t|w), p(t|w) = norm_t(φ_wt n_t) — no iterations (TARTM).

    Returns ndarray (T, D'), float32; columns of empty documents are 0. A model without topic
    mass (never trained) uses n_t = 1.
    """
    m, phi, tok_weight, _ = _model_arrays(model, n_dw, modality_weights)
    n_t = np.asarray(model.n_t, np.float64)
    if not np.any(n_t > 0):
        n_t = np.ones(phi.shape[1])
    p_tw = np.empty_like(phi)
    K.p_t_given_w(phi, n_t, p_tw)
    theta = np.zeros((m.shape[0], phi.shape[1]), np.float32)
    K.one_pass_theta(m.indptr, m.indices, m.data, tok_weight, p_tw, theta)
    return theta.T.copy()


def token_topics(model: TopicModel, source, d: int | None = None,
                 theta_d: np.ndarray | None = None) -> np.ndarray:
    """p(t|d,w_i) for every token position i of one document: ndarray (T, n_d), float32.

    ``source`` is a Corpus (then ``d`` picks the document: its token sequence in reading order,
    or its bag-of-words tokens when the corpus has no sequences; θ_d from ``model.theta``
    unless ``theta_d`` is given) or an array of token ids (then ``theta_d`` is required, or it
    is inferred from those tokens).
    """
    phi = np.ascontiguousarray(model.phi, np.float32)
    if hasattr(source, "n_dw"):
        if d is None:
            raise InputError("token_topics: give the document index d")
        if source.sequences is not None:
            tokens = source.sequences.of(d)[0]
        else:
            row = source.n_dw[d]
            tokens = row.indices
        if theta_d is None:
            theta_d = model.theta[:, d]
    else:
        tokens = np.asarray(source, np.int64)
        if theta_d is None:
            counts = np.bincount(tokens, minlength=phi.shape[0]).astype(np.float32)[None, :]
            theta_d = infer_theta(model, sp.csr_matrix(counts))[:, 0]
    tokens = np.ascontiguousarray(tokens, np.int64)
    out = np.zeros((phi.shape[1], len(tokens)), np.float32)
    K.token_topics(phi, np.ascontiguousarray(theta_d, np.float32), tokens, out)
    return out


def compile_kernels() -> float:
    """Call every kernel once on tiny arrays (numba compiles or loads its cache); seconds taken."""
    t0 = time.perf_counter()
    W, T, D = 4, 2, 3
    n_dw = as_csr(np.array([[1, 0, 2, 0], [0, 0, 0, 0], [1, 1, 0, 3]], np.float32))
    tok_mod = np.array([0, 0, 0, 1], np.int32)
    tok_w = np.ones(W, np.float32)
    phi = normalize_phi(np.random.default_rng(0).random((W, T)), tok_mod, 2)
    theta = np.full((D, T), 0.5, np.float32)
    out = np.empty_like(theta)
    z = np.zeros(T, np.float32)
    logs = np.zeros((3, 2))
    ratio = np.empty(n_dw.nnz, np.float32)
    K.estep_chunk(0, D, n_dw.indptr, n_dw.indices, n_dw.data, tok_w, tok_mod, phi, theta, out,
                  False, 1, z, z, np.zeros((0, T), np.float32), ratio, logs[0], logs[1], logs[2])
    n_wt = np.empty((W, T), np.float32)
    K.nwt_tokens(0, W, *transposed(n_dw), ratio, out, phi, n_wt)
    K.infer_chunk(0, D, n_dw.indptr, n_dw.indices, n_dw.data, tok_w, tok_mod, phi, out, 1, z, z,
                  np.zeros((0, T), np.float32), logs[0], logs[1], logs[2])
    K.mstep(n_wt, tok_mod, 2, np.empty_like(n_wt), np.zeros((2, T)))
    r_wt = np.zeros((W, T))
    K.add_outer(r_wt, np.ones(W), np.ones(T), 0.1)
    K.add_decorrelation(r_wt, phi, np.ones(T, np.bool_), np.ones(W, np.bool_), 1.0)
    K.mstep_reg(n_wt, r_wt, 1e30, tok_mod, 2, np.empty_like(n_wt), np.zeros((2, T)))
    p_tw = np.empty_like(phi)
    K.p_t_given_w(phi, np.ones(T), p_tw)
    K.one_pass_theta(n_dw.indptr, n_dw.indices, n_dw.data, tok_w, p_tw, out)
    K.token_topics(phi, theta[0], np.array([0, 2], np.int64), np.empty((T, 2), np.float32))
    K.doc_cooccurrence(n_dw.indptr, n_dw.indices, np.arange(W, dtype=np.int64), np.zeros(W),
                       np.zeros((W, W)))
    return time.perf_counter() - t0
