"""The regularizer library: one small class per regularizer, plain data, JSON round trip.

A regularizer R with coefficient τ contributes only its **additive term** to the M-step
(DESIGN §3): Φ regularizers give ``r_wt = τ φ_wt ∂R/∂φ_wt`` through
:meth:`Regularizer.phi_term`, Θ regularizers give per-topic arrays through
:meth:`Regularizer.theta_terms` (``r_td = add_t + mult_t n_td [+ add_doc_dt]``), which the E-step
kernel applies per document inside its inner loop. τ is a trajectory (``engine.schedule``);
the trainer evaluates it and passes the value in the context, so every term comes out with τ
already applied. Names and parameter meanings follow BigARTM.

``REGULARIZERS`` maps a kind to its class; each class declares ``PARAMS`` (name, type, default,
help) for UI forms. :func:`parse_regularizer` reads the CLI mini-syntax
``SmoothSparsePhi(tau=-0.5, topics=subject, start=10)`` by hand — nothing is evaluated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from engine.em import _kernels as K
from engine.errors import ConfigError
from engine.em.schedule import Constant, Linear, Piecewise, Step, Trajectory, as_trajectory
from engine.em.cooccurrence import cooccurrence, npmi_matrix
from engine.em.topics import TOPIC_GROUPS, topic_indices



@dataclass(frozen=True)
class Param:
    """One declared parameter: ``type`` is float, int, bool, str, topics, modalities, modality,
    weights (dict name → float) or lexicon (dict topic → list of words)."""

    name: str
    type: str
    default: Any
    help: str
    choices: tuple | None = None


@dataclass(frozen=True, eq=False)
class RegContext:
    """What a regularizer may read when computing its term.

    Attributes
    ----------
    corpus : engine.Corpus
    topic_names : list of T str
    background : ndarray (T,), bool
    modalities : list of str (index = modality code)
    token_modality : ndarray (W,), int32
    iteration : int
        1-based pass being computed.
    tau : float
        τ of this regularizer at this pass.
    n_t : ndarray (T,), float64 or None
        Topic mass of the previous pass (None before the first pass).
    cache : dict
        Per-trainer cache for corpus-derived data (co-occurrences, resolved seed ids).
    """

    corpus: Any
    topic_names: list
    background: np.ndarray
    modalities: list
    token_modality: np.ndarray
    iteration: int = 1
    tau: float = 0.0
    n_t: np.ndarray | None = None
    cache: dict = field(default_factory=dict)

    @property
    def n_topics(self) -> int:
        return len(self.topic_names)


@dataclass(frozen=True)
class ThetaTerms:
    """Θ additive term r_td = add[t] + mult[t]·n_td (+ add_doc[d, t]); τ applied."""

    add: np.ndarray
    mult: np.ndarray
    add_doc: np.ndarray | None = None


def topic_mask(ctx: RegContext, selector) -> np.ndarray:
    """Boolean (T,) mask of ``"all"``/``"subject"``/``"background"`` or a list of names/ints
    (:func:`engine.em.topics.topic_indices`)."""
    mask = np.zeros(ctx.n_topics, bool)
    mask[topic_indices(selector, list(ctx.topic_names), ctx.background)] = True
    return mask


def token_mask(ctx: RegContext, modalities) -> np.ndarray:
    """Boolean (W,) mask of tokens in ``modalities`` (None = all)."""
    if not modalities:
        return np.ones(len(ctx.token_modality), bool)
    codes = []
    for m in modalities:
        if m not in ctx.modalities:
            raise ConfigError(f"modalities: unknown modality {m!r}; the corpus has {', '.join(ctx.modalities)}")
        codes.append(ctx.modalities.index(m))
    return np.isin(ctx.token_modality, codes)


def _token_ids(ctx: RegContext, words, modality: str) -> np.ndarray:
    ids = ctx.corpus.token_ids(list(words), modality) if len(words) else np.zeros(0, np.int64)
    return np.asarray(ids, np.int64)


# --------------------------------------------------------------------------- validation


def _check_param(p: Param, value, owner: str):
    where = f"{owner}.{p.name}"
    t = p.type
    if t == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ConfigError(f"{where} must be a finite number, got {value!r}")
        return float(value)
    if t == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
            raise ConfigError(f"{where} must be a positive integer, got {value!r}")
        return int(value)
    if t == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if t in ("str", "modality"):
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} must be a non-empty string, got {value!r}")
        if p.choices and value not in p.choices:
            raise ConfigError(f"{where} must be one of {', '.join(p.choices)}, got {value!r}")
        return value
    if t == "topics":
        if isinstance(value, str):
            return value if value in TOPIC_GROUPS else (value,)
        if isinstance(value, (list, tuple)) and value and all(
                isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            return tuple(value)
        raise ConfigError(f"{where} must be all, subject, background or a list of topic names, got {value!r}")
    if t == "modalities":
        if value is None or value == "all":
            return None
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value):
            return tuple(value)
        raise ConfigError(f"{where} must be a list of modality names, got {value!r}")
    if t == "weights":
        if value is None:
            return None
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            out = {}
            for k, v in value.items():
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v):
                    raise ConfigError(f"{where}[{k!r}] must be a finite number, got {v!r}")
                out[k] = float(v)
            return out
        raise ConfigError(f"{where} must be a mapping name -> number, got {value!r}")
    if t == "lexicon":
        if isinstance(value, dict) and value:
            out = {}
            for k, v in value.items():
                if isinstance(v, str):
                    v = [v]
                if not isinstance(v, (list, tuple)) or not all(isinstance(x, str) for x in v):
                    raise ConfigError(f"{where}[{k!r}] must be a list of words, got {v!r}")
                out[str(k)] = tuple(v)
            return out
        raise ConfigError(f"{where} must be a non-empty mapping topic -> list of words, got {value!r}")
    raise ConfigError(f"{where}: unknown parameter type {t!r}")  # pragma: no cover


def _jsonable(value):
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- base class


@dataclass(frozen=True)
class Regularizer:
    """Base: ``name``, ``tau`` (a trajectory; a number means constant), ``enabled``."""

    name: str = ""
    tau: Any = None
    enabled: bool = True

    kind: ClassVar[str] = ""
    target: ClassVar[str] = "phi"  # "phi", "theta", "both" or "estep"
    DEFAULT_TAU: ClassVar[float] = 0.0
    PARAMS: ClassVar[tuple] = ()

    def __post_init__(self):
        object.__setattr__(self, "name", str(self.name or self.kind))
        object.__setattr__(self, "tau", as_trajectory(self.DEFAULT_TAU if self.tau is None else self.tau))
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"{self.name}.enabled must be true or false, got {self.enabled!r}")
        for p in self.PARAMS:
            object.__setattr__(self, p.name, _check_param(p, getattr(self, p.name), self.name))

    @property
    def acts_on_phi(self) -> bool:
        return self.target in ("phi", "both")

    @property
    def acts_on_theta(self) -> bool:
        return self.target in ("theta", "both")

    @property
    def acts_on_estep(self) -> bool:
        """An E-step term: post-processes p(t|d,w_i) inside a sequence E-step
        (:meth:`apply_estep`); by the seed's theorem that is the regularizer
        R(Π) = Σ n_dw Σ_t (p̃ − p) ln p."""
        return self.target == "estep"

    def apply_estep(self, P: np.ndarray, ptr: np.ndarray, tau: float) -> None:
        """E-step terms only: change P (N, T) float32 (token topics of consecutive documents,
        ``ptr`` (D'+1,) int64 delimits them) in place, rows staying on the simplex."""
        raise NotImplementedError(f"{self.kind} is not an E-step regularizer")

    def params(self) -> dict:
        return {p.name: getattr(self, p.name) for p in self.PARAMS}

    def check(self, ctx: RegContext) -> None:
        """Raise ConfigError if a topic or modality parameter names something ``ctx`` lacks."""
        for p in self.PARAMS:
            value = getattr(self, p.name)
            try:
                if p.type == "topics":
                    topic_mask(ctx, value)
                elif p.type == "modalities":
                    token_mask(ctx, value)
                elif p.type == "modality":
                    token_mask(ctx, (value,))
            except ConfigError as exc:
                raise ConfigError(f"{self.name}.{exc}") from None

    def phi_term(self, phi: np.ndarray, n_wt: np.ndarray, ctx: RegContext) -> np.ndarray:
        """r_wt (W, T), τ = ``ctx.tau`` applied. Θ-only regularizers return zeros."""
        return np.zeros(phi.shape, np.float64)

    def add_phi_term(self, phi: np.ndarray, n_wt: np.ndarray, ctx: RegContext,
                     out: np.ndarray) -> None:
        """out += r_wt (``out`` (W, T) float64, the trainer's reusable buffer); τ = ``ctx.tau``.

        The default adds :meth:`phi_term`; regularizers with a cheap closed form override it
        to add in place without W × T temporaries.
        """
        out += self.phi_term(phi, n_wt, ctx)

    def theta_terms(self, ctx: RegContext) -> ThetaTerms:
        """Θ terms (τ applied). Φ-only regularizers return zeros."""
        T = ctx.n_topics
        return ThetaTerms(np.zeros(T), np.zeros(T))

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "name": self.name, "tau": self.tau.to_dict(), "enabled": self.enabled}
        d.update({k: _jsonable(v) for k, v in self.params().items()})
        return d

    def with_changes(self, **changes) -> "Regularizer":
        return replace(self, **changes)


def regularizer_from_dict(data: dict) -> Regularizer:
    """Inverse of :meth:`Regularizer.to_dict`; unknown kinds or fields raise ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(f"a regularizer must be an object, got {data!r}")
    kind = data.get("kind")
    cls = REGULARIZERS.get(kind)
    if cls is None:
        raise ConfigError(f"regularizer kind must be one of {', '.join(REGULARIZERS)}, got {kind!r}")
    args = {k: v for k, v in data.items() if k != "kind"}
    allowed = {f.name for f in fields(cls)}
    unknown = set(args) - allowed
    if unknown:
        raise ConfigError(f"{kind}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                          f"known: {', '.join(sorted(allowed))}")
    if "tau" not in args:
        args["tau"] = cls.DEFAULT_TAU
    return cls(**args)


# --------------------------------------------------------------------------- the regularizers


@dataclass(frozen=True)
class SmoothSparsePhi(Regularizer):
    """r_wt = τ β_w γ_t on the chosen topics and modalities (τ > 0 smooths, τ < 0 sparses).

    β_w = ``token_weights[token]`` (default ``default_token_weight``), γ_t =
    ``topic_weights[topic]`` (default 1). LDA's Dirichlet β is the τ > 0 case.
    """

    topics: Any = "all"
    modalities: Any = None
    token_weights: Any = None
    topic_weights: Any = None
    default_token_weight: float = 1.0

    kind: ClassVar[str] = "SmoothSparsePhi"
    DEFAULT_TAU: ClassVar[float] = -0.1
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "all", "Topics to regularize: all, subject, background or a list"),
        Param("modalities", "modalities", None, "Modalities to regularize (empty = all)"),
        Param("token_weights", "weights", None, "β_w per token (token -> weight); others get the default"),
        Param("topic_weights", "weights", None, "Per-topic multiplier (topic name -> weight)"),
        Param("default_token_weight", "float", 1.0, "β_w of tokens not listed in token_weights"),
    )

    def _weights(self, ctx) -> tuple[np.ndarray, np.ndarray]:
        """(β_w (W,), γ_t (T,)) as float64, zero outside the chosen modalities and topics."""
        cols = topic_mask(ctx, self.topics).astype(np.float64)
        for name, g in (self.topic_weights or {}).items():
            cols[topic_mask(ctx, (name,))] *= g
        rows = token_mask(ctx, self.modalities) * self.default_token_weight
        if self.token_weights:
            for m in (self.modalities or ctx.modalities):
                ids = _token_ids(ctx, list(self.token_weights), m)
                vals = np.array(list(self.token_weights.values()))
                ok = ids >= 0
                rows[ids[ok]] = vals[ok]
        return np.ascontiguousarray(rows, np.float64), cols

    def phi_term(self, phi, n_wt, ctx):
        rows, cols = self._weights(ctx)
        return ctx.tau * np.outer(rows, cols)

    def add_phi_term(self, phi, n_wt, ctx, out):
        rows, cols = self._weights(ctx)
        K.add_outer(out, rows, cols, float(ctx.tau))


@dataclass(frozen=True)
class SmoothSparseTheta(Regularizer):
    """r_td = τ α_t on the chosen topics (τ > 0 smooths, τ < 0 sparses); LDA's α."""

    topics: Any = "all"
    topic_weights: Any = None

    kind: ClassVar[str] = "SmoothSparseTheta"
    target: ClassVar[str] = "theta"
    DEFAULT_TAU: ClassVar[float] = -0.1
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "all", "Topics to regularize: all, subject, background or a list"),
        Param("topic_weights", "weights", None, "α_t per topic (topic name -> weight; default 1)"),
    )

    def theta_terms(self, ctx):
        alpha = topic_mask(ctx, self.topics).astype(np.float64)
        for name, a in (self.topic_weights or {}).items():
            alpha[topic_mask(ctx, (name,))] *= a
        return ThetaTerms(ctx.tau * alpha, np.zeros(ctx.n_topics))


@dataclass(frozen=True)
class Decorrelator(Regularizer):
    """r_wt = −τ φ_wt Σ_{s∈S, s≠t} φ_ws for t in the topic subset S (distinct topics)."""

    topics: Any = "subject"
    modalities: Any = None

    kind: ClassVar[str] = "Decorrelator"
    DEFAULT_TAU: ClassVar[float] = 1e4
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "subject", "Topics to decorrelate (among themselves)"),
        Param("modalities", "modalities", None, "Modalities to regularize (empty = all)"),
    )

    def phi_term(self, phi, n_wt, ctx):
        cols = topic_mask(ctx, self.topics)
        rows = token_mask(ctx, self.modalities)
        p = phi.astype(np.float64) * cols[None, :]
        others = p.sum(axis=1, keepdims=True) - p
        return (-ctx.tau) * p * others * rows[:, None]

    def add_phi_term(self, phi, n_wt, ctx, out):
        K.add_decorrelation(out, np.ascontiguousarray(phi, np.float32),
                            topic_mask(ctx, self.topics), token_mask(ctx, self.modalities),
                            float(ctx.tau))


@dataclass(frozen=True)
class SeedWords(Regularizer):
    """r_wt = τ for every seed pair (w, t) of the lexicon {topic: [words]}; with
    ``sparse_others`` also r_ws = −τ for a seed word w in the other ``others`` topics s.

    Words are strings of ``modality`` resolved against the corpus vocabulary (unknown words are
    skipped; :meth:`resolve` lists them). τ is in counts (compare with n_wt), e.g. 10–1000.
    """

    lexicon: Any = None
    modality: str = "@default_class"
    sparse_others: bool = False
    others: Any = "subject"

    kind: ClassVar[str] = "SeedWords"
    DEFAULT_TAU: ClassVar[float] = 100.0
    PARAMS: ClassVar[tuple] = (
        Param("lexicon", "lexicon", None, "Seed lexicon: topic name -> list of words"),
        Param("modality", "modality", "@default_class", "Modality of the seed words"),
        Param("sparse_others", "bool", False, "Also push the seed words out of the other topics"),
        Param("others", "topics", "subject", "Topics sparsed by sparse_others"),
    )

    def check(self, ctx):
        super().check(ctx)
        for topic in self.lexicon:
            try:
                topic_mask(ctx, (int(topic) if topic.isdigit() else topic,))
            except ConfigError as exc:
                raise ConfigError(f"{self.name}.lexicon: {exc}") from None

    def resolve(self, ctx) -> tuple[list[tuple[int, int]], list[str]]:
        """(seed pairs (w, t), words not in the vocabulary)."""
        pairs, missing = [], []
        for topic, words in self.lexicon.items():
            t = int(np.flatnonzero(topic_mask(ctx, (int(topic) if topic.isdigit() else topic,)))[0])
            ids = _token_ids(ctx, words, self.modality)
            missing += [wd for wd, i in zip(words, ids) if i < 0]
            pairs += [(int(i), t) for i in ids if i >= 0]
        return pairs, missing

    def phi_term(self, phi, n_wt, ctx):
        key = ("SeedWords", self.modality, tuple((k, v) for k, v in self.lexicon.items()))
        if key not in ctx.cache:
            ctx.cache[key] = self.resolve(ctx)[0]
        pairs = np.array(ctx.cache[key], np.int64).reshape(-1, 2)
        seed = np.zeros(phi.shape, np.float64)
        seed[pairs[:, 0], pairs[:, 1]] = 1.0
        r = seed
        if self.sparse_others and len(pairs):
            rows = np.unique(pairs[:, 0])
            other = np.zeros(phi.shape, bool)
            other[np.ix_(rows, np.flatnonzero(topic_mask(ctx, self.others)))] = True
            r = seed - (other & (seed == 0))
        return ctx.tau * r


@dataclass(frozen=True)
class TopicSelection(Regularizer):
    """BigARTM's TopicSelectionTheta: r_td = −τ n_td v_t with v_t = n / (n_t |T|) from the
    previous pass (n = Σ_t n_t); small topics are driven to zero. v = 1 before the first pass."""

    topics: Any = "subject"

    kind: ClassVar[str] = "TopicSelection"
    target: ClassVar[str] = "theta"
    DEFAULT_TAU: ClassVar[float] = 0.5
    PARAMS: ClassVar[tuple] = (
        Param("topics", "topics", "subject", "Topics that may be removed"),
    )

    def theta_terms(self, ctx):
        T = ctx.n_topics
        v = np.ones(T)
        if ctx.n_t is not None and np.sum(ctx.n_t) > 0:
            n_t = np.asarray(ctx.n_t, np.float64)
            v = np.divide(n_t.sum(), n_t * T, out=np.zeros(T), where=n_t > 0)
            v = np.minimum(v, 1e6)
        mult = -ctx.tau * v * topic_mask(ctx, self.topics)
        return ThetaTerms(np.zeros(T), mult)


@dataclass(frozen=True)
class TimeSmoothing(Regularizer):
    """R = −τ Σ_t Σ_i |φ_it − φ_{i−1,t}| over the time tokens i of ``modality`` ordered by value
    (numbers, else dates, else strings; :func:`time_order`).

    ``rule="bigartm"`` (default) is BigARTM's SmoothTimeInTopicsPhi exactly: only interior time
    points are regularized (the first and last are left alone) and sign(0) = −1, i.e.
    r_it = τ φ_it (s(φ_{i−1,t} − φ_it) + s(φ_{i+1,t} − φ_it)) with s(x) = 1 if x > 0 else −1.
    ``rule="symmetric"`` is the engine's earlier reading: the true subgradient with sign(0) = 0
    and a one-sided term at both ends."""

    modality: str = "@time"
    topics: Any = "all"
    rule: str = "bigartm"

    kind: ClassVar[str] = "TimeSmoothing"
    DEFAULT_TAU: ClassVar[float] = 1.0
    PARAMS: ClassVar[tuple] = (
        Param("modality", "modality", "@time", "Modality whose tokens are time stamps (ordered by value)"),
        Param("topics", "topics", "all", "Topics to smooth"),
        Param("rule", "str", "bigartm", "bigartm: interior points, sign(0) = −1 (BigARTM); "
              "symmetric: subgradient with sign(0) = 0 and one-sided ends", ("bigartm", "symmetric")),
    )

    def phi_term(self, phi, n_wt, ctx):
        r = np.zeros(phi.shape, np.float64)
        if self.modality not in ctx.modalities:
            raise ConfigError(f"{self.name}.modality: the corpus has no modality {self.modality!r}")
        ids = np.flatnonzero(token_mask(ctx, (self.modality,)))
        if len(ids) < 2:
            return r
        order = ids[time_order(ctx.corpus.vocab["token"].to_numpy()[ids])]
        p = phi[order].astype(np.float64)
        g = np.zeros_like(p)
        if self.rule == "bigartm":
            s = lambda x: np.where(x > 0, 1.0, -1.0)  # noqa: E731 - BigARTM: sign(0) = −1
            g[1:-1] = s(p[:-2] - p[1:-1]) + s(p[2:] - p[1:-1])
        else:
            g[1:] += np.sign(p[:-1] - p[1:])
            g[:-1] += np.sign(p[1:] - p[:-1])
        r[order] = ctx.tau * p * g * topic_mask(ctx, self.topics)[None, :]
        return r


def time_order(tokens) -> np.ndarray:
    """Stable order of time tokens by value: as numbers when all parse as numbers, else as
    dates when all parse as dates, else as strings ("2019-10" after "2019-9" by value)."""
    t = pd.Series(np.asarray(tokens).astype(str))
    num = pd.to_numeric(t, errors="coerce")
    if num.notna().all():
        return np.argsort(num.to_numpy(), kind="stable")
    dates = pd.to_datetime(t, errors="coerce", format="mixed")
    if dates.notna().all():
        return np.argsort(dates.to_numpy(), kind="stable")
    return np.argsort(t.to_numpy(), kind="stable")


@dataclass(frozen=True)
class ImproveCoherence(Regularizer):
    """r_wt = τ Σ_v c_wv n_vt with c_wv the positive NPMI of document co-occurrence among the
    ``max_tokens`` most frequent tokens of ``modality`` (BigARTM's ImproveCoherencePhi with an
    NPMI dictionary computed from the corpus)."""

    modality: str = "@default_class"
    max_tokens: int = 2000
    topics: Any = "subject"

    kind: ClassVar[str] = "ImproveCoherence"
    DEFAULT_TAU: ClassVar[float] = 0.1
    PARAMS: ClassVar[tuple] = (
        Param("modality", "modality", "@default_class", "Modality to use"),
        Param("max_tokens", "int", 2000, "Co-occurrences are counted among this many most frequent tokens"),
        Param("topics", "topics", "subject", "Topics to regularize"),
    )

    def phi_term(self, phi, n_wt, ctx):
        key = ("ImproveCoherence", self.modality, self.max_tokens)
        if key not in ctx.cache:
            ctx.cache[key] = coherence_weights(ctx.corpus, self.modality, self.max_tokens)
        ids, c = ctx.cache[key]
        r = np.zeros(phi.shape, np.float64)
        r[ids] = c @ n_wt[ids].astype(np.float64)
        return ctx.tau * r * topic_mask(ctx, self.topics)[None, :]


@dataclass(frozen=True)
class LDA(Regularizer):
    """LDA as ARTM: r_wt = τ β (every topic, every token), r_td = τ α — φ ∝ n_wt + β,
    θ ∝ n_td + α (the maximum a posteriori point estimate of the Dirichlet priors, minus 1)."""

    alpha: float = 0.1
    beta: float = 0.01

    kind: ClassVar[str] = "LDA"
    target: ClassVar[str] = "both"
    DEFAULT_TAU: ClassVar[float] = 1.0
    PARAMS: ClassVar[tuple] = (
        Param("alpha", "float", 0.1, "Dirichlet prior of Θ added to n_td"),
        Param("beta", "float", 0.01, "Dirichlet prior of Φ added to n_wt"),
    )

    def phi_term(self, phi, n_wt, ctx):
        return np.full(phi.shape, ctx.tau * self.beta)

    def theta_terms(self, ctx):
        T = ctx.n_topics
        return ThetaTerms(np.full(T, ctx.tau * self.alpha), np.zeros(T))


REGULARIZERS: dict[str, type[Regularizer]] = {
    c.kind: c for c in (SmoothSparsePhi, SmoothSparseTheta, Decorrelator, SeedWords, TopicSelection,
                        TimeSmoothing, ImproveCoherence, LDA)
}


def register_regularizer(cls: type[Regularizer]) -> type[Regularizer]:
    """Add a family's regularizer class (by its ``kind``) so configs can name it."""
    REGULARIZERS[cls.kind] = cls
    return cls


def regularizer_schema() -> dict:
    """{kind: {"target", "doc", "default_tau", "params": [{name, type, default, help, choices}]}}."""
    out = {}
    for kind, cls in REGULARIZERS.items():
        out[kind] = {
            "target": cls.target,
            "doc": (cls.__doc__ or "").strip(),
            "default_tau": cls.DEFAULT_TAU,
            "params": [
                {"name": p.name, "type": p.type, "default": _jsonable(p.default), "help": p.help,
                 "choices": list(p.choices) if p.choices else None}
                for p in cls.PARAMS
            ],
        }
    return out


# --------------------------------------------------------------------------- co-occurrence


def coherence_weights(corpus, modality: str, max_tokens: int) -> tuple[np.ndarray, np.ndarray]:
    """(token ids (K,), positive NPMI matrix (K, K) with zero diagonal) of the ``max_tokens``
    tokens of ``modality`` with the highest document frequency."""
    cand = np.flatnonzero((corpus.vocab["modality"] == modality).to_numpy())
    if len(cand) == 0:
        raise ConfigError(f"modality: the corpus has no modality {modality!r}")
    df = corpus.vocab["df"].to_numpy()[cand]
    ids = np.sort(cand[np.argsort(-df, kind="stable")[:max_tokens]])
    co = cooccurrence(corpus)
    npmi = npmi_matrix(co.df[ids], co.pair_counts(ids), co.n_docs)
    np.fill_diagonal(npmi, 0.0)
    return ids, np.maximum(npmi, 0.0)


# --------------------------------------------------------------------------- mini-syntax

_CALL = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\((.*)\)\s*$", re.S)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BARE = re.compile(r"[^\s,\[\]{}():=\"']+")


class _Reader:
    """A tiny recursive-descent reader of values: numbers, words, 'strings', [lists], {maps}."""

    def __init__(self, text: str):
        self.s, self.i = text, 0

    def _ws(self):
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1

    def _peek(self):
        self._ws()
        return self.s[self.i] if self.i < len(self.s) else ""

    def _expect(self, ch):
        if self._peek() != ch:
            raise ConfigError(f"regularizer syntax: expected {ch!r} at position {self.i} in {self.s!r}")
        self.i += 1

    def value(self):
        ch = self._peek()
        if not ch:
            raise ConfigError(f"regularizer syntax: unexpected end of {self.s!r} (a value is missing)")
        if ch == "[":
            self.i += 1
            out = []
            while self._peek() != "]":
                out.append(self.value())
                if self._peek() == ",":
                    self.i += 1
                elif self._peek() != "]":
                    self._expect("]")
            self.i += 1
            return out
        if ch == "{":
            self.i += 1
            out = {}
            while self._peek() != "}":
                key = self.value()
                self._expect(":")
                out[str(key)] = self.value()
                if self._peek() == ",":
                    self.i += 1
                elif self._peek() != "}":
                    self._expect("}")
            self.i += 1
            return out
        if ch in "\"'":
            end = self.s.find(ch, self.i + 1)
            if end < 0:
                raise ConfigError(f"regularizer syntax: unterminated string in {self.s!r}")
            out, self.i = self.s[self.i + 1:end], end + 1
            return out
        m = _BARE.match(self.s, self.i)
        if not m:
            raise ConfigError(f"regularizer syntax: unexpected {ch!r} at position {self.i} in {self.s!r}")
        self.i = m.end()
        word = m.group(0)
        if _NUMBER.match(word):
            return float(word) if any(c in word for c in ".eE") else int(word)
        return {"true": True, "false": False, "none": None, "null": None}.get(word.lower(), word)

    def arguments(self) -> dict:
        out = {}
        while self._peek():
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.s, self.i)
            if not m:
                raise ConfigError(f"regularizer syntax: expected name=value at position {self.i} in {self.s!r}")
            self.i = m.end()
            self._expect("=")
            out[m.group(0)] = self.value()
            if self._peek() == ",":
                self.i += 1
            elif self._peek():
                self._expect(",")
        return out


def parse_regularizer(text: str) -> Regularizer:
    """Parse ``Kind(tau=-0.5, topics=subject, start=10, end=30, ramp=5, name=sparse)``.

    ``tau`` is a number (constant); ``start``/``end`` switch it on at iteration ``start`` and off
    at ``end``; ``ramp=k`` grows it linearly from 0 over k iterations after ``start``. Other
    keys are the class parameters (see ``REGULARIZERS[kind].PARAMS``); values are numbers,
    words, quoted strings, ``[lists]`` and ``{topic: [words]}`` maps. Nothing is evaluated.
    """
    m = _CALL.match(text or "")
    if not m:
        raise ConfigError(f"regularizer syntax: expected Kind(name=value, ...), got {text!r}")
    kind, body = m.group(1), m.group(2)
    lookup = {k.lower(): k for k in REGULARIZERS}
    lookup.update({k.lower() + "regularizer": k for k in REGULARIZERS})
    if kind.lower() not in lookup:
        raise ConfigError(f"unknown regularizer {kind!r}; known: {', '.join(REGULARIZERS)}")
    kind = lookup[kind.lower()]
    args = _Reader(body).arguments()
    tau = args.pop("tau", REGULARIZERS[kind].DEFAULT_TAU)
    start, end, ramp = args.pop("start", None), args.pop("end", None), args.pop("ramp", None)
    args["tau"] = _window(tau, start, end, ramp)
    return regularizer_from_dict({"kind": kind, **args})


def _window(tau, start, end, ramp) -> Trajectory:
    if isinstance(tau, (dict, Trajectory)):
        return as_trajectory(tau)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)):
        raise ConfigError(f"tau must be a number, got {tau!r}")
    tau = float(tau)
    if start is None and end is None and ramp is None:
        return Constant(tau)
    s = 1 if start is None else start
    if ramp is None or ramp == 0:
        return Step(tau, on=s, off=end)
    if isinstance(ramp, bool) or not isinstance(ramp, (int, float)) or ramp < 0:
        raise ConfigError(f"ramp must be a non-negative number of iterations, got {ramp!r}")
    if end is None:
        return Linear(0.0, tau, start=s, end=s + int(ramp))
    if end <= s + ramp:
        raise ConfigError(f"end ({end}) must be after start + ramp ({s + ramp})")
    return Piecewise(((s, 0.0), (s + ramp, tau), (end - 1, tau), (end, 0.0)))
