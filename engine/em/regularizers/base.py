"""The regularizer base: declared parameters, what a term may read (RegContext), the Θ term
type, topic/token masks, the registry (``REGULARIZERS``) and the JSON round trip."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, Mapping

import numpy as np

from engine.em.schedule import as_trajectory
from engine.em.topics import TOPIC_GROUPS, topic_indices
from engine.errors import ConfigError
from engine.interop.names import canonical_args, canonical_kind
from engine.options import build, split_kind

#: kind -> class, filled by :func:`register_regularizer` (the engine's classes, then families')
REGULARIZERS: dict[str, type] = {}


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
    run_data : Mapping (read-only)
        Data the run supplies to its regularizers that is neither configuration nor derived
        from the corpus (e.g. the parent level's counts for HierarchyLink), keyed by a name
        the regularizer declares; given with ``Trainer(..., run_data=...)`` or
        :meth:`engine.em.trainer.Trainer.provide`.
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
    run_data: Mapping = field(default_factory=dict)

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
        try:
            tau = as_trajectory(self.DEFAULT_TAU if self.tau is None else self.tau)
        except ConfigError as e:  # name the regularizer and the field in the one-line message
            raise ConfigError(f"{self.name}.tau: {e}") from None
        object.__setattr__(self, "tau", tau)
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
    if isinstance(data, dict) and isinstance(data.get("kind"), str):  # BigARTM's class and keyword names too
        kind = canonical_kind(data["kind"])
        data = {"kind": kind, **canonical_args(kind, {k: v for k, v in data.items() if k != "kind"})}
    cls, args = split_kind(data, REGULARIZERS, "a regularizer", "regularizer kind")
    args.setdefault("tau", cls.DEFAULT_TAU)
    return build(cls, args, cls.kind, word="parameter")


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
