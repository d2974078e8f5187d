"""The one regularized EM trainer: one offline pass (BigARTM ``fit_offline`` with one collection
pass) per :meth:`Trainer.step`, for every model family (DESIGN §3).

1. E-step with Φ fixed: the strategy of the config's family (:mod:`engine.em.family`; default
   :class:`engine.em.estep.BagEStep`). Θ regularizers enter as per-topic arrays, E-step
   regularizers (``target = "estep"``) go to the strategy with their τ; the log-likelihood per
   modality comes out of the same pass.
2. Φ regularizers: r_wt = Σ_i τ_i φ ∂R_i/∂φ, added in place into one reusable float64 W × T
   buffer (``Regularizer.add_phi_term``; SmoothSparsePhi and Decorrelator are numba kernels).
3. M-step: φ_wt = max(n_wt + r_wt, 0) / Σ_w max(·, 0) within each modality; a topic whose
   column is all ≤ 0 becomes zero (dead) and never NaN. With regularizers the guards (NaN → 0,
   |x| ≤ 1e30, float32) are folded into the same kernel (:func:`engine.em._kernels.mstep_reg`).

``Trainer.step(config)`` takes the config to use for this pass, so a live-edited config applies
from the next iteration. Scores other than perplexity come from a ``score_fn`` (a
:class:`~engine.em.scores.ScoreSet`'s ``compute``) reading :attr:`Trainer.last_context`.
The training loop of a run (history, scores, checkpoints, saving) is
:class:`engine.jobs.TrainingJob`; :meth:`Trainer.fit` is the bare in-memory loop over
:meth:`step` for scripts and tests.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from engine.em import _kernels as K
from engine.em.arrays import as_csr, normalize_phi, random_phi
from engine.em.config import ModelConfig
from engine.em.estep import BagEStep
from engine.em.family import family_of
from engine.em.inference import token_topics
from engine.em.model import IterationReport, ScoreContext, TopicModel
from engine.em.pass_stats import PassStats, pass_stats
from engine.em.perplexity import perplexity_of
from engine.em.phi_table import load_phi
from engine.em.regularizers import RegContext
from engine.errors import ConfigError

__all__ = ["Trainer"]

#: |r_wt|, |r_td| are clipped here so float32 never overflows (τ of any size stays finite)
_CLIP = 1e30


class Trainer:
    """Offline regularized EM over one corpus, one pass per :meth:`step`.

    Parameters
    ----------
    corpus : engine.Corpus
    config : ModelConfig
        ``config.family`` picks the E-step and the extra scores (:mod:`engine.em.family`).
    phi0 : ndarray (W, T) or None
        Initial Φ (normalized here); else the family's initial Φ, else ``config.init``
        ("random" from ``config.random_state`` or a Φ table path).
    run_data : dict or None
        Data the regularizers read as ``ctx.run_data[key]`` (extension point: run data that is
        neither configuration nor derived from the corpus, e.g. a hierarchy's parent counts);
        more can be given later with :meth:`provide`.
    """

    def __init__(self, corpus, config: ModelConfig, phi0: np.ndarray | None = None,
                 run_data: dict | None = None):
        config.validate().check_corpus(corpus)
        self.corpus = corpus
        self.config = config
        self.family = family_of(config.family)
        if self.family.check_corpus is not None:
            self.family.check_corpus(corpus, config)
        # a corpus stored as batches has no n_dw in memory (family "batched" streams it)
        self._n_dw = None if getattr(corpus, "is_batched", False) else as_csr(corpus.n_dw)
        self._modalities = list(corpus.modalities)
        self._tok_mod = np.ascontiguousarray(corpus.token_modality, np.int32)
        self._tokens = corpus.vocab[["token", "modality"]].reset_index(drop=True)
        self._topic_names = config.topic_names
        self._background = np.array([False] * config.n_topics + [True] * config.n_background)
        W, T, D = corpus.n_tokens, config.total_topics, corpus.n_docs
        if phi0 is None and self.family.initial_phi is not None:
            phi0 = self.family.initial_phi(corpus, config)
        if phi0 is not None:
            phi0 = np.asarray(phi0)
            if phi0.shape != (W, T):
                raise ConfigError(f"phi0 must have shape ({W}, {T}), got {phi0.shape}")
            if not np.all(np.isfinite(phi0)) or (phi0 < 0).any():
                raise ConfigError("phi0 must be finite and non-negative")
            self._phi = normalize_phi(phi0, self._tok_mod, len(self._modalities))
        elif config.init == "random":
            self._phi = random_phi(W, T, self._tok_mod, len(self._modalities), config.random_state)
        else:
            self._phi = load_phi(config.init, corpus, self._topic_names, strict=False)[0]
        self._theta = np.zeros((D, T), np.float32)
        self._theta_valid = False
        self._n_t: np.ndarray | None = None
        self._stats: PassStats | None = None
        self.iteration = 0
        self.last_context: ScoreContext | None = None
        self.last_report: IterationReport | None = None
        self._cache: dict = {}
        self._run_data: dict = dict(run_data or {})
        self._pool: ThreadPoolExecutor | None = None
        self._pool_size = 0
        self._r_wt: np.ndarray | None = None  # reusable float64 Σ r_wt buffer (regularized passes)
        self._checked: ModelConfig | None = None
        self.estep = (self.family.estep or BagEStep)(self)
        self._accept(config)

    # ----------------------------------------------------------------- what an E-step reads

    @property
    def phi(self) -> np.ndarray:
        """Φ (W, T) float32 of the previous pass (never modified in place)."""
        return self._phi

    @property
    def theta_buffer(self) -> np.ndarray:
        """Θ of the previous pass, transposed: (D, T) float32."""
        return self._theta

    @property
    def n_t(self) -> np.ndarray | None:
        """Topic mass n_t = Σ_w n_wt (T,) float64 of the previous pass (None before the first)."""
        return self._n_t

    @property
    def n_dw(self):
        """The corpus's n_dw as canonical CSR (float32 data, int32 indices, int64 indptr)."""
        if self._n_dw is None:
            self._n_dw = as_csr(self.corpus.n_dw)
        return self._n_dw

    @property
    def token_modality(self) -> np.ndarray:
        return self._tok_mod

    @property
    def modalities(self) -> list[str]:
        return self._modalities

    @property
    def run_data(self) -> Mapping:
        """The run data given to the regularizers (read-only view; see :meth:`provide`)."""
        return MappingProxyType(self._run_data)

    def provide(self, key: str, value) -> None:
        """Give the regularizers ``value`` as ``ctx.run_data[key]`` from the next pass on."""
        self._run_data[str(key)] = value

    def pool(self, n: int) -> ThreadPoolExecutor:
        """The trainer's worker threads (``n`` of them; restarted when ``n`` changes)."""
        if self._pool is None or self._pool_size != n:
            self._shutdown_pool()
            self._pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="artm-estep")
            self._pool_size = n
        return self._pool

    # ----------------------------------------------------------------- public

    @property
    def model(self) -> TopicModel:
        """The current model (arrays are never modified afterwards: each pass allocates anew)."""
        T = self.config.total_topics
        return TopicModel(
            phi=self._phi, theta=self._theta.T, topic_names=list(self._topic_names),
            background=self._background.copy(), modalities=list(self._modalities),
            token_modality=self._tok_mod,
            n_t=self._n_t if self._n_t is not None else np.zeros(T),
            tokens=self._tokens)

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
        reset = not (cfg.reuse_theta and self._theta_valid)
        n_wt, theta, loglik, n_tok = self.estep.run(
            self, cfg, self._token_weights(cfg), reset, self._theta_terms(active, ctx),
            [(r, t) for r, t in active if r.acts_on_estep])
        phi = self._mstep(n_wt, [(r, t) for r, t in active if r.acts_on_phi], ctx)
        self.config, self.iteration = cfg, it
        self._phi, self._theta, self._theta_valid = phi, theta, True
        stats = self._stats = pass_stats(n_wt, phi, self._tok_mod, len(self._modalities), theta)
        self._n_t = stats.n_t  # = n_wt.sum(axis=0, dtype=float64), from the same pass
        mods = self._modalities
        lls = {m: float(loglik[j]) for j, m in enumerate(mods)}
        ntok = {m: float(n_tok[j]) for j, m in enumerate(mods)}
        scores = perplexity_of(lls, ntok, mods, {m: cfg.weight_of(m) for m in mods})
        scores["dead_topics"] = float(len(stats.dead_topics()))
        self.last_context = ScoreContext(
            corpus=self.corpus, model=self.model, n_wt=n_wt, loglik=lls, n_tokens=ntok,
            iteration=it, last=it >= cfg.iterations, token_topics=self._token_topics_fn(),
            stats=stats)
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

    def documents_topics(self, docs) -> list[np.ndarray]:
        """[p(t|d,w_i) (T, n_d) for d in docs] with the current Φ in the family's reading
        (default: norm_t(φ_{w_i t} θ_td) over each document's token sequence or bag)."""
        out = self.estep.token_topics(self, docs)
        if out is not None:
            return out
        model = self.model
        return [token_topics(model, self.corpus, int(d)) for d in docs]

    @staticmethod
    def taus(cfg: ModelConfig, iteration: int) -> dict[str, float]:
        """τ applied to each regularizer at ``iteration`` (0 when disabled or in the last
        ``regularizers_off_last`` iterations)."""
        off = iteration > cfg.iterations - cfg.regularizers_off_last
        return {r.name: (0.0 if off or not r.enabled else float(r.tau(iteration)))
                for r in cfg.regularizers}

    @property
    def last_stats(self) -> PassStats | None:
        """The sums of the last pass shared by the scores and the health check (None before it)."""
        return self._stats

    def dead_topics(self) -> np.ndarray:
        """Indices of topics whose Φ column is all zero."""
        return np.flatnonzero(self._phi.sum(axis=0) <= 0)

    def extra_arrays(self) -> dict[str, np.ndarray]:
        """Arrays the family saves with the run (:meth:`engine.em.family.EStep.arrays`)."""
        return dict(self.estep.arrays())

    def get_state(self) -> dict:
        """Everything needed to continue exactly: arrays plus JSON-able values."""
        return {
            "iteration": self.iteration,
            "phi": self._phi.copy(),
            "theta": self.estep.frozen_theta(self._theta),  # batched: a file copy, not D × T in RAM
            "theta_valid": self._theta_valid,
            "n_t": None if self._n_t is None else self._n_t.copy(),
            "config": self.config.to_dict(),
            "topic_names": list(self._topic_names),
            "family_state": self.estep.state(),
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
        tr.estep.load_state(state.get("family_state") or {})
        return tr

    def close(self) -> None:
        """Stop the worker threads and let the E-step release its buffers
        (:meth:`engine.em.family.EStep.close`); a closed trainer restarts them on the next step."""
        self._shutdown_pool()
        self.estep.close()

    def _shutdown_pool(self) -> None:
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
        if (config.family, config.options) != (self.config.family, self.config.options):
            raise ConfigError("family: the model family and its options cannot change during training")
        ctx = self._context(self.iteration + 1)
        for reg in config.regularizers:
            reg.check(ctx)
        self._checked = config
        return config

    def _context(self, iteration: int) -> RegContext:
        return RegContext(corpus=self.corpus, topic_names=self._topic_names,
                          background=self._background, modalities=self._modalities,
                          token_modality=self._tok_mod, iteration=iteration, n_t=self._n_t,
                          cache=self._cache, run_data=MappingProxyType(self._run_data))

    def _token_topics_fn(self):
        return lambda docs: self.documents_topics(docs)

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
            reg.add_phi_term(self._phi, n_wt, replace(ctx, tau=float(tau)), r_wt)
        K.mstep_reg(n_wt, r_wt, _CLIP, self._tok_mod, M, phi, n_t)
        return phi

    def _token_weights(self, cfg: ModelConfig) -> np.ndarray:
        w = np.array([cfg.weight_of(m) for m in self._modalities], np.float32)
        return w[self._tok_mod]

    def _theta_terms(self, active, ctx):
        """(add (T,), mult (T,), add_doc (D', T)) float32: Σ of the active Θ terms, clipped."""
        T = len(self._topic_names)
        add = np.zeros(T)
        mult = np.zeros(T)
        add_doc = None
        for reg, tau in active:
            if reg.acts_on_theta:
                terms = reg.theta_terms(replace(ctx, tau=float(tau)))
                add += terms.add
                mult += terms.mult
                if terms.add_doc is not None:
                    add_doc = terms.add_doc if add_doc is None else add_doc + terms.add_doc
        clip = lambda a: np.clip(np.nan_to_num(a), -_CLIP, _CLIP).astype(np.float32)  # noqa: E731
        add_doc = np.zeros((0, T), np.float32) if add_doc is None else \
            np.ascontiguousarray(clip(add_doc).reshape(-1, T))
        return clip(add), clip(mult), add_doc
