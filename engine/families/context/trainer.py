"""Topics inside the text: one-pass (TARTM) and context-ARTM training, E-step regularization,
segmentation, and the scores that read documents as sequences (DESIGN §3 items 1–4).

Training modes (:class:`ContextOptions.mode`):

``"standard"``
    The regularized EM of :class:`engine.em.trainer.Trainer`, unchanged.
``"one_pass"``
    EM with the one-pass E-step (Θ-less ARTM): θ_td = Σ_w (τ n_dw / n_d) p(t|w) with
    p(t|w) = norm_t(φ_wt n_t) (n_t of the previous pass, uniform on the first), then
    p_tdw = norm_t(φ_wt θ_td) and n_wt = Σ_d τ n_dw p_tdw. Works on bags of words.
``"context"``
    Context-ARTM: per token position, left and right exponential moving averages of p(t|w_i)
    with γ = 1/window (γ = 1 at the document start, γ = 0 skips a token, optionally scaled by
    idf), θ_ti = β·left + (1−β)·right over the token's neighbours, p_ti = norm_t(φ_{w_i t} θ_ti),
    n_wt = Σ_i [w_i = w] τ p_ti;
    ``passes`` > 1 re-runs the averages over the p_ti of the previous pass. Needs token
    sequences (text corpora). θ_d reported for the document is norm_t Σ_i p_ti.

In every mode the Φ regularizers, the M-step, the perplexity bookkeeping and the score
machinery are those of :class:`engine.em.trainer.Trainer` (:class:`ContextTrainer` replaces only its
E-step). Θ regularizers have no Θ to act on in the one-pass and context modes and are ignored
there. The reported perplexity in context mode is exp(−Σ_i ln p(w_i|C_i) / n) with
p(w_i|C_i) = Σ_t φ_{w_i t} θ_ti / Σ_t θ_ti: each token predicted from its neighbours (with
``include_self`` the token is inside its own context, as in the seed's formula, and this
perplexity is optimistic).

E-step regularizers (:class:`EStepRegularizer`) post-process p(t|d,w_i) of the sequence
modes before it is accumulated into n_wt — by the seed's theorem any such post-processing is
the regularizer R(Π) = Σ n_dw Σ_t (p̃ − p) ln p. The first instance is
:class:`SequenceSmoothing`.

window and β follow trajectories (:mod:`engine.schedule`) like τ.

Options are not part of :class:`engine.em.config.ModelConfig`; they are kept beside a run in
``<workspace>/context/<run_id>.json`` (:func:`save_options`/:func:`load_options`).
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, fields, replace
from typing import Any, Callable, ClassVar

import numpy as np

from engine.families.context import _kernels as CK
from engine.em import _kernels as K
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import ConfigError, InputError
from engine.em.trainer import Trainer, as_csr
from engine.em.schedule import Trajectory, as_trajectory
from engine.em.model import IterationReport, ScoreContext, TopicModel

MODES = ("standard", "one_pass", "context")
IMPORTANCE = ("none", "idf")
#: positions per block when an E-step regularizer needs p_ti materialized
BLOCK_POSITIONS = 1 << 17


def _traj(value, name: str) -> Trajectory:
    try:
        return value if isinstance(value, Trajectory) else as_trajectory(value)
    except ConfigError as e:
        raise ConfigError(f"{name}: {e}") from None


# --------------------------------------------------------------------------- E-step regularizers

ESTEP_REGULARIZERS: dict[str, type["EStepRegularizer"]] = {}


def _register_estep(cls):
    ESTEP_REGULARIZERS[cls.kind] = cls
    return cls


@dataclass(frozen=True)
class EStepRegularizer:
    """Post-processing p → p̃ of the token topics p(t|d,w_i) of one E-step (rows stay on the
    simplex). Subclasses set ``kind`` and implement :meth:`apply`; ``tau`` is a trajectory."""

    kind: ClassVar[str] = ""
    tau: Any = 0.5
    enabled: bool = True

    def __post_init__(self):
        object.__setattr__(self, "tau", _traj(self.tau, f"{self.kind}.tau"))

    def apply(self, P: np.ndarray, ptr: np.ndarray, tau: float) -> None:  # pragma: no cover
        """Change P (N, T) float32 in place; ``ptr`` (D'+1,) int64 delimits documents."""
        raise NotImplementedError

    def to_dict(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            d[f.name] = v.to_dict() if isinstance(v, Trajectory) else v
        return d


@_register_estep
@dataclass(frozen=True)
class SequenceSmoothing(EStepRegularizer):
    """p̃_i = norm_t((1 − τ) p_i + τ · ½(L_{i−1} + R_{i+1})): each token's topics pulled toward
    the exponential moving average (γ = 1/window) of its neighbours on both sides. τ ∈ [0, 1]."""

    kind: ClassVar[str] = "SequenceSmoothing"
    window: float = 5.0

    def __post_init__(self):
        super().__post_init__()
        if not (isinstance(self.window, (int, float)) and self.window >= 1):
            raise ConfigError(f"SequenceSmoothing.window must be a number ≥ 1, got {self.window!r}")

    def apply(self, P, ptr, tau):
        tau = min(max(float(tau), 0.0), 1.0)
        if tau > 0:
            CK.smooth_sequence(P, ptr, np.float32(1.0 / self.window), np.float32(tau))


def estep_from_dict(d: dict) -> EStepRegularizer:
    if isinstance(d, EStepRegularizer):
        return d
    if not isinstance(d, dict) or d.get("kind") not in ESTEP_REGULARIZERS:
        raise ConfigError(f"E-step regularizer must be one of {', '.join(ESTEP_REGULARIZERS)}, got {d!r}")
    cls = ESTEP_REGULARIZERS[d["kind"]]
    args = {k: v for k, v in d.items() if k != "kind"}
    bad = set(args) - {f.name for f in fields(cls)}
    if bad:
        raise ConfigError(f"{cls.kind}: unknown field(s) {', '.join(sorted(bad))}")
    return cls(**args)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ContextOptions:
    """How a :class:`ContextTrainer` reads the documents.

    Attributes
    ----------
    mode : {"standard", "one_pass", "context"}
    window : trajectory or number
        Context width h (γ = 1/h); may change with the iteration.
    beta : trajectory or number in [0, 1]
        Weight of the left context (1: left only, 0: right only).
    passes : int
        Context passes per E-step (the p_ti of one pass replace p(t|w_i) in the next).
    importance : {"none", "idf"}
        Scale γ_w by idf_w / mean idf (rare words move the context more), capped at 1.
    include_self : bool
        False (default): the context of a token is its neighbours, θ_ti = β L_{i−1} +
        (1 − β) R_{i+1}, so p(w_i|C_i) predicts the token from the others. True: the seed's
        literal θ_ti = β L_i + (1 − β) R_i (the token is part of its own context; its perplexity
        is then optimistic and words tend to stick to one topic).
    estep : tuple of EStepRegularizer
        Post-processing of p(t|d,w_i) (sequence modes only).
    """

    mode: str = "context"
    window: Any = 10.0
    beta: Any = 0.5
    passes: int = 2
    importance: str = "none"
    include_self: bool = False
    estep: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "window", _traj(self.window, "window"))
        object.__setattr__(self, "beta", _traj(self.beta, "beta"))
        object.__setattr__(self, "estep", tuple(estep_from_dict(r) for r in (self.estep or ())))
        self.validate()

    def validate(self) -> "ContextOptions":
        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if isinstance(self.passes, bool) or not isinstance(self.passes, int) or not 1 <= self.passes <= 20:
            raise ConfigError(f"passes must be an integer between 1 and 20, got {self.passes!r}")
        if not isinstance(self.include_self, bool):
            raise ConfigError(f"include_self must be true or false, got {self.include_self!r}")
        if self.importance not in IMPORTANCE:
            raise ConfigError(f"importance must be one of {', '.join(IMPORTANCE)}, got {self.importance!r}")
        for it in (1, 2, 10):
            if not self.window(it) >= 1.0:
                raise ConfigError(f"window must be ≥ 1 token, got {self.window(it)!r} at iteration {it}")
            if not 0.0 <= self.beta(it) <= 1.0:
                raise ConfigError(f"beta must lie in [0, 1], got {self.beta(it)!r} at iteration {it}")
        if self.estep and self.mode == "standard":
            raise ConfigError("E-step regularizers need mode 'one_pass' or 'context'")
        return self

    def gamma(self, iteration: int) -> float:
        return 1.0 / max(1.0, float(self.window(iteration)))

    def beta_at(self, iteration: int) -> float:
        return min(1.0, max(0.0, float(self.beta(iteration))))

    def to_dict(self) -> dict:
        return {"mode": self.mode, "window": self.window.to_dict(), "beta": self.beta.to_dict(),
                "passes": self.passes, "importance": self.importance, "include_self": self.include_self,
                "estep": [r.to_dict() for r in self.estep]}

    @classmethod
    def from_dict(cls, d: dict | None) -> "ContextOptions":
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise ConfigError(f"context options must be an object, got {type(d).__name__}")
        bad = set(d) - {f.name for f in fields(cls)}
        if bad:
            raise ConfigError(f"unknown context option(s): {', '.join(sorted(bad))}")
        return cls(**d)


def options_path(workspace, run_id: str):
    return workspace.root / "context" / f"{run_id}.json"


def save_options(workspace, run_id: str, options: ContextOptions) -> None:
    """Keep a run's context options beside it (survives re-saves of the run folder)."""
    from engine.store.workspace import write_json_atomic

    p = options_path(workspace, run_id)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(p, options.to_dict())


def load_options(workspace, run_id: str) -> ContextOptions | None:
    """The options a run was trained with, or None (a standard run).

    Read from ``<workspace>/context/<run_id>.json`` (:func:`save_options`), else from the
    newest checkpoint of the run (a :class:`ContextTrainer` state carries its options; this
    covers runs trained by a background job, which saves checkpoints but not the side file).
    """
    p = options_path(workspace, run_id)
    if p.exists():
        return ContextOptions.from_dict(json.loads(p.read_text(encoding="utf-8")))
    from engine.store.checkpoints import CHECKPOINT_JSON, checkpoint_path, list_checkpoints
    from engine.store.runs import run_path
    from engine.store.workspace import read_json

    run_dir = run_path(workspace, run_id)
    its = list_checkpoints(run_dir)
    if not its:
        return None
    state = read_json(checkpoint_path(run_dir, its[-1]) / CHECKPOINT_JSON).get("state") or {}
    ctx = state.get("context") if isinstance(state, dict) else None
    return ContextOptions.from_dict(ctx) if isinstance(ctx, dict) else None


# --------------------------------------------------------------------------- helpers


def _split(ptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Contiguous document ranges with about equal numbers of positions (ptr = cumulative)."""
    D = len(ptr) - 1
    parts = max(1, min(parts, D))
    tot = float(ptr[-1])
    cuts = [0] + [int(np.searchsorted(ptr, tot * k / parts)) for k in range(1, parts)] + [D]
    cuts = sorted(set(min(max(c, 0), D) for c in cuts))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a] or [(0, D)]


def _blocks(ptr: np.ndarray, d0: int, d1: int, limit: int) -> list[tuple[int, int]]:
    out, a = [], d0
    while a < d1:
        b = a + 1
        while b < d1 and ptr[b + 1] - ptr[a] <= limit:
            b += 1
        out.append((a, b))
        a = b
    return out


def p_t_given_w(phi: np.ndarray, n_t) -> np.ndarray:
    """p(t|w) = norm_t(φ_wt n_t) (W, T) float32; n_t all-zero/None → uniform prior."""
    phi = np.ascontiguousarray(phi, np.float32)
    n_t = np.zeros(phi.shape[1]) if n_t is None else np.asarray(n_t, np.float64)
    if not np.any(n_t > 0):
        n_t = np.ones(phi.shape[1])
    out = np.empty_like(phi)
    K.p_t_given_w(phi, np.ascontiguousarray(n_t, np.float64), out)
    return out


def token_gammas(vocab_df, n_docs: int, tok_mod: np.ndarray, seq_mod: int, gamma: float,
                 importance: str) -> np.ndarray:
    """γ_w (W,) float32: ``gamma`` for tokens of the sequence modality (times idf_w / mean idf
    with ``importance="idf"``, capped at 1), 0 for other tokens."""
    W = len(tok_mod)
    g = np.zeros(W, np.float32)
    mask = np.asarray(tok_mod) == seq_mod
    if importance == "idf" and "df" in vocab_df.columns and n_docs > 0:
        df = np.maximum(vocab_df["df"].to_numpy(np.float64), 1.0)
        idf = np.log(max(n_docs, 1) / df) + 1.0
        scale = idf / max(idf[mask].mean() if mask.any() else 1.0, 1e-12)
        g[mask] = np.minimum(1.0, gamma * scale[mask])
    else:
        g[mask] = gamma
    return g


def _seq_mod(modalities: list[str]) -> int:
    return modalities.index(DEFAULT_MODALITY) if DEFAULT_MODALITY in modalities else 0


# --------------------------------------------------------------------------- trainer


@dataclass(frozen=True, eq=False)
class SequenceScoreContext(ScoreContext):
    """A :class:`~engine.em.model.ScoreContext` that also knows how the model reads
    documents: ``token_topics(docs) -> [(T, n_d) p(t|d,w_i) for d in docs]`` in the trainer's
    mode (one batched call)."""

    token_topics: Callable | None = None


def _with_token_topics(ctx: ScoreContext, fn: Callable) -> SequenceScoreContext:
    if isinstance(ctx, SequenceScoreContext):
        return ctx
    vals = {f.name: getattr(ctx, f.name) for f in fields(ScoreContext)}
    return SequenceScoreContext(**vals, token_topics=fn)


class ContextTrainer(Trainer):
    """:class:`engine.em.trainer.Trainer` with the E-step of ``options.mode``.

    Parameters
    ----------
    corpus : engine.Corpus
        Must have token sequences for mode ``"context"`` (and for E-step regularizers).
    config : ModelConfig
    phi0 : ndarray (W, T) or None
    options : ContextOptions or dict or None
        Default: ``ContextOptions()`` (context mode, window 10, β = 0.5, two context passes).
    """

    def __init__(self, corpus, config, phi0=None, options: ContextOptions | dict | None = None):
        super().__init__(corpus, config, phi0=phi0)
        self.options = options if isinstance(options, ContextOptions) else ContextOptions.from_dict(options)
        seqs = corpus.sequences
        if (self.options.mode == "context" or self.options.estep) and seqs is None:
            raise InputError("context-ARTM needs token sequences; this corpus was imported from a "
                             "bag of words (use mode 'one_pass' or 'standard')")
        self._seq_mod = _seq_mod(self._modalities)
        if seqs is not None:
            self._ptr = np.ascontiguousarray(seqs.ptr, np.int64)
            self._seq = np.ascontiguousarray(seqs.token, np.int32)
            if len(self._ptr) != corpus.n_docs + 1:
                raise InputError(f"the corpus has {corpus.n_docs} documents but sequences for "
                                 f"{len(self._ptr) - 1}")
        else:
            self._ptr = np.zeros(corpus.n_docs + 1, np.int64)
            self._seq = np.zeros(0, np.int32)
        self._cbufs: np.ndarray | None = None

    # ------------------------------------------------------------------ public

    def step(self, config=None, score_fn=None) -> IterationReport:
        fn = self.documents_topics

        def wrapped(ctx):
            ctx2 = _with_token_topics(ctx, fn)
            self.last_context = ctx2
            return score_fn(ctx2)

        rep = super().step(config, score_fn=wrapped if score_fn is not None else None)
        if self.last_context is not None and not isinstance(self.last_context, SequenceScoreContext):
            self.last_context = _with_token_topics(self.last_context, fn)
        return rep

    def document_topics(self, d: int) -> np.ndarray:
        """p(t|d,w_i) (T, n_d) of training document d with the current Φ, in this mode."""
        return self.documents_topics([d])[0]

    def documents_topics(self, docs) -> list[np.ndarray]:
        """[p(t|d,w_i) (T, n_d) for d in docs], computed in one batched kernel call."""
        docs = [int(d) for d in docs]
        seqs = self.corpus.sequences
        parts = [seqs.of(d)[0] if seqs is not None else self.corpus.n_dw[d].indices for d in docs]
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in parts])]).astype(np.int64)
        seq = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
        thetas = self._theta[docs] if self.options.mode == "standard" else None
        P = positions_topics(self.model, ptr, seq, self.options, max(1, self.iteration),
                             corpus=self.corpus, thetas=thetas)
        return [np.ascontiguousarray(P[ptr[i]:ptr[i + 1]].T) for i in range(len(docs))]

    def extra_scores(self) -> list:
        """Scores a run in this mode adds to its ScoreSet (the sequence scores, if any text)."""
        return context_scores() if self.corpus.sequences is not None else []

    def on_saved(self, workspace, run) -> None:
        """Keep the options beside the saved run (:func:`save_options`)."""
        save_options(workspace, run.run_id, self.options)

    def get_state(self) -> dict:
        s = super().get_state()
        s["context"] = self.options.to_dict()
        return s

    @classmethod
    def from_state(cls, corpus, config, state: dict, options=None) -> "ContextTrainer":
        tr = super().from_state(corpus, config, state)
        if options is None and state.get("context") is not None:
            tr.options = ContextOptions.from_dict(state["context"])
        elif options is not None:
            tr.options = options if isinstance(options, ContextOptions) else ContextOptions.from_dict(options)
        return tr

    # ------------------------------------------------------------------ E-step

    def _estep(self, cfg, tok_weight, *args, **kwargs):
        mode = self.options.mode
        if mode == "standard":
            return super()._estep(cfg, tok_weight, *args, **kwargs)
        it = self.iteration + 1
        opts = self.options
        m = self._n_dw
        D, T = self._theta.shape
        W, M = self._phi.shape[0], len(self._modalities)
        p_tw = p_t_given_w(self._phi, self._n_t)
        pp = CK.stack_phi(self._phi, p_tw) if mode == "context" else None
        gamma_w = token_gammas(self.corpus.vocab, self.corpus.n_docs, self._tok_mod, self._seq_mod,
                               opts.gamma(it), opts.importance)
        beta = np.float32(opts.beta_at(it))
        hooks = [(r, float(r.tau(it))) for r in opts.estep if r.enabled]
        hooks = [(r, t) for r, t in hooks if t != 0.0]
        direct = bool(hooks)
        weights = m.indptr  # bag entries (+ positions in the sequence modes) balance the chunks
        if mode == "context" or direct:
            weights = self._ptr + m.indptr
        chunks = _split(np.asarray(weights, np.float64), cfg.threads)
        C = len(chunks)
        if self._cbufs is None or self._cbufs.shape != (C, W, T):
            self._cbufs = np.empty((C, W, T), np.float32)
        bufs = self._cbufs
        theta = np.zeros((D, T), np.float32)
        logs = np.zeros((3, C, M))
        phi = self._phi
        seq, ptr = self._seq, self._ptr
        empty_p = np.zeros((0, T), np.float32)

        def run(c):
            d0, d1 = chunks[c]
            bufs[c].fill(0.0)
            blocks = _blocks(ptr, d0, d1, BLOCK_POSITIONS) if direct else [(d0, d1)]
            for b0, b1 in blocks:
                s0, s1 = int(ptr[b0]), int(ptr[b1])
                P = np.empty((s1 - s0, T), np.float32) if direct else empty_p
                if direct and s1 == s0:
                    P = np.zeros((0, T), np.float32)
                if mode == "context":
                    CK.context_chunk(b0, b1, ptr, seq, m.indptr, m.indices, m.data, tok_weight,
                                     self._tok_mod, self._seq_mod, gamma_w, beta, opts.passes,
                                     opts.include_self, pp,
                                     bufs[c], direct, theta, P, logs[0, c], logs[1, c], logs[2, c])
                else:
                    CK.one_pass_chunk(b0, b1, m.indptr, m.indices, m.data, tok_weight, self._tok_mod,
                                      phi, p_tw, bufs[c], direct, theta, ptr, seq, P,
                                      logs[0, c], logs[1, c], logs[2, c])
                if direct and P.shape[0]:
                    local = np.ascontiguousarray(ptr[b0:b1 + 1] - s0)
                    for reg, tau in hooks:
                        reg.apply(P, local, tau)
                    CK.accumulate_positions(seq, s0, s1, P, tok_weight, bufs[c])

        n_wt = np.empty((W, T), np.float32)
        rows = _split(np.arange(W + 1, dtype=np.float64), C)

        def reduce(r):
            CK.reduce_chunks(rows[r][0], rows[r][1], bufs, phi, direct, n_wt)

        if C == 1:
            run(0)
            reduce(0)
        else:
            pool = self._executor(C)
            list(pool.map(run, range(C)))
            list(pool.map(reduce, range(len(rows))))
        return n_wt, theta, logs[0].sum(axis=0), logs[1].sum(axis=0)


def trainer_class(options: ContextOptions | dict | None):
    """A ``Trainer``-compatible class bound to ``options`` — pass it as
    ``engine.jobs.TrainingJob(..., trainer_cls=trainer_class(opts))``."""
    opts = options if isinstance(options, ContextOptions) else ContextOptions.from_dict(options)

    class BoundContextTrainer(ContextTrainer):
        def __init__(self, corpus, config, phi0=None):
            super().__init__(corpus, config, phi0=phi0, options=opts)

        @classmethod
        def from_state(cls, corpus, config, state, options=None):
            return super().from_state(corpus, config, state, options=options or opts)

    BoundContextTrainer.__name__ = f"ContextTrainer[{opts.mode}]"
    return BoundContextTrainer


# --------------------------------------------------------------------------- token topics


def token_topics(model: TopicModel, tokens, options: ContextOptions | dict | None = None,
                 iteration: int = 1, corpus=None, theta_d=None) -> np.ndarray:
    """p(t|d,w_i) (T, n) for one token sequence under ``options.mode``.

    ``"context"``: the context E-step of the sequence (window/β at ``iteration``);
    ``"one_pass"``: norm_t(φ_{w_i t} θ_t) with the one-pass θ of these tokens;
    ``"standard"``: norm_t(φ_{w_i t} θ_t) with ``theta_d`` (else θ inferred from the tokens).
    E-step regularizers of the options are applied. Empty sequences give (T, 0).
    """
    opts = options if isinstance(options, ContextOptions) else ContextOptions.from_dict(options)
    tokens = np.ascontiguousarray(tokens, np.int64)
    P = positions_topics(model, np.array([0, len(tokens)], np.int64), tokens, opts, iteration,
                         corpus=corpus, thetas=None if theta_d is None else np.asarray(theta_d)[None, :])
    return np.ascontiguousarray(P.T)


def positions_topics(model: TopicModel, ptr, seq, options: ContextOptions | None = None,
                     iteration: int = 1, corpus=None, thetas=None) -> np.ndarray:
    """p(t|d,w_i) (N, T) float32 for many sequences at once (``ptr`` (D'+1,), ``seq`` (N,)).

    ``thetas`` (D', T) is used by mode ``"standard"`` (else θ is inferred per sequence).
    """
    from engine.em.trainer import infer_theta

    opts = options or ContextOptions()
    phi = np.ascontiguousarray(model.phi, np.float32)
    W, T = phi.shape
    ptr = np.ascontiguousarray(ptr, np.int64)
    seq = np.ascontiguousarray(seq, np.int32)
    N, D = int(ptr[-1]), len(ptr) - 1
    if N and (seq.min() < 0 or seq.max() >= W):
        raise InputError("token ids out of the model's vocabulary")
    P = np.zeros((N, T), np.float32)
    if N == 0:
        return P
    tok_mod = np.ascontiguousarray(model.token_modality, np.int32)
    seq_mod = _seq_mod(list(model.modalities))
    tok_weight = np.ones(W, np.float32)
    mode = opts.mode
    if mode == "context":
        p_tw = p_t_given_w(phi, model.n_t)
        vocab = corpus.vocab if corpus is not None else None
        if vocab is not None and opts.importance == "idf":
            gamma_w = token_gammas(vocab, corpus.n_docs, tok_mod, seq_mod, opts.gamma(iteration), "idf")
        else:
            gamma_w = token_gammas(None, 0, tok_mod, seq_mod, opts.gamma(iteration), "none")
        z = np.zeros(D + 1, np.int64)
        logs = np.zeros((3, len(model.modalities)))
        CK.context_chunk(0, D, ptr, seq, z, np.zeros(0, np.int32), np.zeros(0, np.float32),
                         tok_weight, tok_mod, seq_mod, gamma_w, np.float32(opts.beta_at(iteration)),
                         opts.passes, opts.include_self, CK.stack_phi(phi, p_tw),
                         np.zeros((0, T), np.float32), True,
                         np.zeros((D, T), np.float32), P, logs[0], logs[1], logs[2])
    else:
        import scipy.sparse as sp

        doc = np.repeat(np.arange(D), np.diff(ptr))
        bag = as_csr(sp.csr_matrix((np.ones(N, np.float32), (doc, seq)), shape=(D, W)), W)
        if mode == "one_pass":
            th = np.zeros((D, T), np.float32)
            CK.one_pass_chunk(0, D, bag.indptr, bag.indices, bag.data, tok_weight, tok_mod, phi,
                              p_t_given_w(phi, model.n_t), np.zeros((0, T), np.float32), True, th,
                              ptr, seq, P, *np.zeros((3, len(model.modalities))))
            # one_pass_chunk wrote P for positions of the sequence modality only
            return _finish(P, ptr, opts, iteration)
        th = np.asarray(thetas, np.float32) if thetas is not None else infer_theta(model, bag).T
        for d in range(D):
            a, b = ptr[d], ptr[d + 1]
            x = phi[seq[a:b]] * th[d][None, :]
            s = x.sum(axis=1, keepdims=True)
            P[a:b] = np.divide(x, s, out=np.zeros_like(x), where=s > 0)
    return _finish(P, ptr, opts, iteration)


def _finish(P, ptr, opts, iteration):
    for reg in opts.estep:
        tau = float(reg.tau(iteration))
        if reg.enabled and tau:
            reg.apply(P, ptr, tau)
    return P


# --------------------------------------------------------------------------- segmentation


def boundary_scores(P: np.ndarray, window: float = 10.0) -> np.ndarray:
    """Boundary score before every position of one document (n,): total variation between the
    left context ending at i−1 and the right context starting at i (EMAs with γ = 1/window) of
    the token topics ``P`` (n, T)."""
    P = np.ascontiguousarray(P, np.float32)
    out = np.zeros(P.shape[0], np.float64)
    CK.boundary_scores(P, np.float32(1.0 / max(1.0, window)), out)
    return out


def pick_boundaries(scores: np.ndarray, threshold: float, min_gap: int) -> list[int]:
    """Positions i (boundary before i) whose score is ≥ ``threshold`` and is a peak: the
    largest within ``min_gap`` positions on either side (the decaying tails of the moving
    averages around a true boundary are not peaks). Boundaries closer than ``min_gap`` to
    each other or to a document edge are dropped, taken greedily from the highest score."""
    scores = np.asarray(scores, np.float64)
    n = len(scores)
    gap = max(1, int(min_gap))
    chosen: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        i = int(i)
        if scores[i] < threshold:
            break
        if i < gap or n - i < gap:
            continue
        if scores[i] < scores[max(0, i - gap):i + gap + 1].max():
            continue
        if all(abs(i - j) >= gap for j in chosen):
            chosen.append(i)
    return sorted(chosen)


def merge_same_topic(P: np.ndarray, cuts: list[int]) -> list[int]:
    """Drop the boundaries between neighbouring segments whose mean token topics (rows of P,
    (n, T)) have the same most probable topic."""
    n = P.shape[0]
    kept: list[int] = []
    a = 0
    for c, b in zip(cuts, list(cuts[1:]) + [n]):
        left = P[a:c].astype(np.float64).mean(axis=0)
        right = P[c:b].astype(np.float64).mean(axis=0)
        if left.sum() > 0 and right.sum() > 0 and int(np.argmax(left)) == int(np.argmax(right)):
            continue  # the same main topic on both sides: the segment goes on
        kept.append(int(c))
        a = c
    return kept


def segment(model: TopicModel, corpus, d: int, threshold: float = 0.3,
            options: ContextOptions | None = None, window: float | None = None,
            min_length: int | None = None, top: int = 3, merge: bool = True) -> list[dict]:
    """Split document ``d`` where its left and right topic contexts differ most.

    Token topics come from ``options`` (default: context mode, window 10, β = 0.5, 2 passes) on
    ``model``; boundary scores as in :func:`boundary_scores` with ``window`` (default: the
    options' window at its last value); a boundary needs a score ≥ ``threshold`` (in [0, 1])
    and at least ``min_length`` tokens (default: the window, ≥ 2) to any other boundary or edge.
    With ``merge`` (default) neighbouring segments whose most probable topic is the same are
    joined (the boundary between them changed the mixture, not the main topic).

    Returns
    -------
    list of dict, one per segment, tiling the text: ``index``, ``start``/``end`` (character
    offsets; the first starts at 0, the last ends at len(text)), ``token_start``/``token_end``
    (positions, end exclusive), ``n_tokens``, ``boundary_score`` (of the boundary opening the
    segment; 0 for the first), ``topic`` (the most probable topic's name), ``topic_index``,
    ``label``, ``theta`` (list of T floats: the mean token topics of the segment) and
    ``top_topics`` (up to ``top`` dicts {topic, label, p}). A document without tokens gives one
    empty-topic segment.
    """
    if corpus.sequences is None:
        raise InputError("segmentation needs token sequences; this corpus has only bags of words")
    if not 0 <= d < corpus.n_docs:
        raise InputError(f"document index {d} out of range (0..{corpus.n_docs - 1})")
    opts = options or ContextOptions()
    if opts.mode == "standard":
        opts = replace(opts, mode="context")
    tokens, start, end = corpus.sequences.of(d)
    text = str(corpus.documents["text"].iloc[d] or "") if "text" in corpus.documents.columns else ""
    T = model.n_topics
    n = len(tokens)
    win = float(window if window is not None else opts.window(10_000))
    gap = int(min_length if min_length is not None else max(2, round(win)))
    if n == 0:
        return [{"index": 0, "start": 0, "end": len(text), "token_start": 0, "token_end": 0,
                 "n_tokens": 0, "boundary_score": 0.0, "topic": None, "topic_index": None, "label": None,
                 "theta": [0.0] * T, "top_topics": []}]
    P = token_topics(model, tokens, opts, iteration=10_000, corpus=corpus).T  # (n, T)
    scores = boundary_scores(P, win)
    cuts = pick_boundaries(scores, threshold, gap)
    if merge:
        cuts = merge_same_topic(P, cuts)
    edges = [0] + cuts + [n]
    out = []
    for k, (a, b) in enumerate(zip(edges, edges[1:])):
        th = P[a:b].astype(np.float64).mean(axis=0)
        s = th.sum()
        th = th / s if s > 0 else th
        order = np.argsort(-th, kind="stable")[:top]
        best = int(order[0]) if s > 0 else None
        out.append({
            "index": k,
            "start": 0 if k == 0 else int(start[a]),
            "end": len(text) if b == n else int(start[b]),
            "token_start": int(a), "token_end": int(b), "n_tokens": int(b - a),
            "boundary_score": 0.0 if k == 0 else float(scores[a]),
            "topic": None if best is None else model.topic_names[best],
            "topic_index": best,
            "label": None if best is None else model.label(best),
            "theta": [float(x) for x in th],
            "top_topics": [{"topic": model.topic_names[int(t)], "label": model.label(int(t)),
                            "p": float(th[t])} for t in order if th[t] > 0],
        })
    if out and not text:
        out[-1]["end"] = int(end[-1])
    return out


# --------------------------------------------------------------------------- scores


def _sample_docs(corpus, max_docs: int) -> np.ndarray:
    seqs = corpus.sequences
    if seqs is None:
        return np.zeros(0, np.int64)
    lens = np.diff(seqs.ptr)
    ok = np.flatnonzero(lens >= 2)
    if len(ok) > max_docs:
        ok = ok[np.linspace(0, len(ok) - 1, max_docs).round().astype(np.int64)]
    return ok


def _doc_topics_fn(ctx: ScoreContext):
    """docs -> [(T, n_d)]: the trainer's own reading, else p(t|d,w_i) = norm_t(φ θ_d)."""
    fn = getattr(ctx, "token_topics", None)
    if fn is not None:
        return fn
    from engine.em.trainer import token_topics as std

    return lambda docs: [std(ctx.model, ctx.corpus, int(d)) for d in docs]


def intratext_coherence(P: np.ndarray, ptr: np.ndarray) -> float:
    """Share of adjacent token pairs (within documents) whose most probable topics agree.

    P : (N, T) token topics, ptr : (D+1,). 1/T for topics drawn at random, 1 for documents
    made of single-topic runs. NaN when there is no pair."""
    if P.shape[0] < 2:
        return float("nan")
    top = np.argmax(P, axis=1)
    same = top[1:] == top[:-1]
    valid = np.ones(len(same), bool)
    inner = np.asarray(ptr[1:-1]) - 1  # pair (b−1, b) crosses into the next document
    inner = inner[(inner >= 0) & (inner < len(valid))]
    valid[inner] = False
    alive = P.sum(axis=1) > 0
    valid &= alive[1:] & alive[:-1]
    return float(same[valid].mean()) if valid.any() else float("nan")


def _register_score(cls, snake: str):
    from engine.em import scores as S

    S.SCORES[cls.kind] = cls
    S.SCORE_NAMES.setdefault(snake, cls.kind)
    return cls


def _scores_base():
    from engine.em.scores import Score

    return Score


@dataclass
class IntratextCoherence(_scores_base()):
    """Intratext coherence: over up to ``max_docs`` documents (evenly spaced), the share of
    adjacent token pairs whose most probable topic p(t|d,w_i) agrees — how contiguous each
    topic's tokens are in running text (:func:`intratext_coherence`). Key
    ``intratext_coherence``; absent without token sequences."""

    kind: ClassVar[str] = "IntratextCoherence"
    every: int = 5
    max_docs: int = 200

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        docs = _sample_docs(ctx.corpus, self.max_docs)
        if len(docs) == 0:
            return {}
        mats = [np.asarray(m).T for m in _doc_topics_fn(ctx)(docs)]
        ptr = np.concatenate([[0], np.cumsum([m.shape[0] for m in mats])])
        v = intratext_coherence(np.concatenate(mats), ptr)
        return {} if math.isnan(v) else {"intratext_coherence": v}


@dataclass
class SegmentsPerDocument(_scores_base()):
    """Mean number of segments per document (:func:`segment` boundaries on the token topics,
    ``threshold``, window 10, neighbours with the same main topic merged) over up to
    ``max_docs`` documents. Key ``segments_per_document``."""

    kind: ClassVar[str] = "SegmentsPerDocument"
    every: int = 5
    max_docs: int = 200
    threshold: float = 0.3
    window: float = 10.0

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        docs = _sample_docs(ctx.corpus, self.max_docs)
        if len(docs) == 0:
            return {}
        gap = max(2, round(self.window))
        counts = []
        for m in _doc_topics_fn(ctx)(docs):
            P = np.asarray(m).T
            cuts = pick_boundaries(boundary_scores(P, self.window), self.threshold, gap)
            counts.append(len(merge_same_topic(P, cuts)) + 1)
        return {"segments_per_document": float(np.mean(counts))}


_register_score(IntratextCoherence, "intratext_coherence")
_register_score(SegmentsPerDocument, "segments_per_document")


def context_scores() -> list:
    """The two sequence scores (add them to a ScoreSet for context runs)."""
    return [IntratextCoherence(), SegmentsPerDocument()]


# --------------------------------------------------------------------------- training loop


def train(corpus, config, options: ContextOptions | dict | None = None, *, workspace=None,
          name: str | None = None, on_report: Callable[[IterationReport], None] | None = None,
          phi0=None, score_set=None, stop=None):
    """Train ``config.iterations`` passes in ``options.mode``; return an ``engine.store.runs.Run``
    (saved, with its options, when ``workspace`` is given). Scores: ``score_set`` or
    ``ScoreSet.from_config(config.scores)`` plus the sequence scores when the corpus has
    sequences. ``stop`` (threading.Event-like) ends the loop early."""
    from engine.store.runs import new_run, save_run
    from engine.em.scores import ScoreSet

    opts = options if isinstance(options, ContextOptions) else ContextOptions.from_dict(options)
    trainer = ContextTrainer(corpus, config, phi0=phi0, options=opts)
    if score_set is None:
        score_set = ScoreSet.from_config(config.scores)
        if corpus.sequences is not None:
            have = {s.kind for s in score_set}
            score_set.scores.extend(s for s in context_scores() if s.kind not in have)
    run = new_run(corpus, config.to_dict(), trainer.model, name=name)
    try:
        for _ in range(config.iterations):
            if stop is not None and stop.is_set():
                break
            rep = trainer.step(config, score_fn=score_set.compute)
            run.record(rep)
            if on_report is not None:
                on_report(rep)
        run.model = trainer.model
        run.status = "finished" if run.iteration >= config.iterations else "stopped"
    finally:
        trainer.close()
    if workspace is not None:
        save_run(workspace, run)
        save_options(workspace, run.run_id, opts)
    return run


def compile_kernels() -> float:
    """Run every context kernel once on tiny arrays (numba compiles or loads its cache)."""
    t0 = time.perf_counter()
    W, T = 4, 2
    phi = np.full((W, T), 0.25, np.float32)
    ptr = np.array([0, 3], np.int64)
    seq = np.array([0, 1, 2], np.int32)
    z = np.zeros(2, np.int64)
    e32 = np.zeros(0, np.int32)
    ef = np.zeros(0, np.float32)
    tw = np.ones(W, np.float32)
    tm = np.zeros(W, np.int32)
    nwt = np.zeros((W, T), np.float32)
    th = np.zeros((1, T), np.float32)
    logs = np.zeros((3, 1))
    P = np.zeros((3, T), np.float32)
    for p in (np.zeros((0, T), np.float32), P):
        for inc in (False, True):
            CK.context_chunk(0, 1, ptr, seq, z, e32, ef, tw, tm, 0, tw * 0.5, np.float32(0.5), 2, inc,
                             CK.stack_phi(phi, phi), nwt, False, th, p, logs[0], logs[1], logs[2])
        CK.one_pass_chunk(0, 1, z, e32, ef, tw, tm, phi, phi, nwt, True, th, ptr, seq, p,
                          logs[0], logs[1], logs[2])
    CK.accumulate_positions(seq, 0, 3, P, tw, nwt)
    CK.reduce_chunks(0, W, nwt[None], phi, False, nwt.copy())
    CK.smooth_sequence(P, ptr, np.float32(0.5), np.float32(0.5))
    CK.boundary_scores(P, np.float32(0.5), np.zeros(3))
    L = np.zeros_like(P)
    CK.ema_two_sided(P, ptr, np.float32(0.5), L, L.copy())
    return time.perf_counter() - t0
