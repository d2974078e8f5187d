"""``ModelConfig``: everything that defines a training run, frozen, validated, JSON only.

Names follow BigARTM where it has one: ``inner_passes`` is ``num_document_passes``,
``reuse_theta`` is ``reuse_theta``, ``modality_weights`` is ``class_ids``. ``random_state`` is
the RNG seed of the initial Φ (the old key ``seed`` is still accepted; "seed" in this project
means seed *words*). ``family`` and ``options`` name the model family and its options
(:mod:`engine.em.family`), so the config alone defines a run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from engine.errors import ConfigError
from engine.em.family import FAMILIES, family_of
from engine.em.regularizers import (
    LDA, Decorrelator, Regularizer, SmoothSparsePhi, SmoothSparseTheta, regularizer_from_dict,
)
from engine.em.schedule import Constant, Linear

#: upper bounds that keep a run on one machine sane
MAX_TOPICS = 5000
MAX_ITERATIONS = 100_000
MAX_INNER = 1000
MAX_THREADS = 256


def _int(value, name, lo, hi):
    # floats are refused, even 2.0 ("threads: 2.0" in a JSON config), and so are 1e400 = inf
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be between {lo} and {hi}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class ModelConfig:
    """One run's settings.

    Attributes
    ----------
    n_topics : int
        Number of subject topics (named ``topic_0 …``).
    n_background : int
        Number of background topics (``background_0 …``), placed after the subject topics.
    iterations : int
        Offline passes over the corpus.
    inner_passes : int
        θ_d updates per document per pass (BigARTM ``num_document_passes``).
    reuse_theta : bool
        Start each pass from the previous pass's Θ (else from 1/T).
    random_state : int
        Seed of the random number generator of the initial Φ (keyword ``seed`` still accepted).
    threads : int
        Worker threads of the E-step (documents split into contiguous chunks by nnz).
    modality_weights : dict modality -> float
        τ_m; modalities not listed get 1.0 (0 drops a modality).
    regularizers : tuple of Regularizer
    regularizers_off_last : int
        All regularizers get τ = 0 in the last k iterations.
    init : str
        ``"random"`` or a path to a Parquet/CSV Φ (columns ``token``, optional ``modality``,
        one column per topic).
    scores : dict score name -> int
        Compute the score every k iterations (and always on the last); empty = the scores
        module's defaults.
    family : str
        The model family (:func:`engine.em.family.family_of`): ``"standard"`` (bag-of-words
        EM), ``"context"`` (one-pass / context-ARTM E-steps), ``"seeds"``...
    options : dict
        The family's options (validated and normalized by the family).
    """

    n_topics: int = 20
    n_background: int = 0
    iterations: int = 20
    inner_passes: int = 1
    reuse_theta: bool = True
    random_state: int = 1
    threads: int = 2
    modality_weights: dict = field(default_factory=dict)
    regularizers: tuple = ()
    regularizers_off_last: int = 0
    init: str = "random"
    scores: dict = field(default_factory=dict)
    family: str = "standard"
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        regs = []
        for i, r in enumerate(self.regularizers or ()):
            if isinstance(r, dict):
                r = regularizer_from_dict(r)
            if not isinstance(r, Regularizer):
                raise ConfigError(f"regularizers[{i}] must be a regularizer, got {r!r}")
            regs.append(r)
        seen: dict[str, int] = {}
        for i, r in enumerate(regs):  # make names unique: Decorrelator, Decorrelator_2, ...
            base = r.name
            if base in seen and base != type(r).__name__:  # a name the user gave twice
                raise ConfigError(f"two regularizers are named {base!r}; give each its own name")
            if base in seen:
                n = seen[base] + 1
                while f"{base}_{n}" in seen:
                    n += 1
                seen[base] = n
                regs[i] = r.with_changes(name=f"{base}_{n}")
                seen[regs[i].name] = 1
            else:
                seen[base] = 1
        object.__setattr__(self, "regularizers", tuple(regs))
        object.__setattr__(self, "modality_weights", dict(self.modality_weights or {}))
        object.__setattr__(self, "scores", dict(self.scores or {}))
        if self.family in FAMILIES:  # normalized options; an unknown family fails in validate()
            object.__setattr__(self, "options", FAMILIES[self.family].check_options(dict(self.options or {})))
        else:
            object.__setattr__(self, "options", dict(self.options or {}))

    @property
    def seed(self) -> int:
        """Old name of :attr:`random_state`."""
        return self.random_state

    @property
    def total_topics(self) -> int:
        return self.n_topics + self.n_background

    @property
    def topic_names(self) -> list[str]:
        return [f"topic_{i}" for i in range(self.n_topics)] + [
            f"background_{i}" for i in range(self.n_background)]

    def validate(self) -> "ModelConfig":
        """Raise :class:`ConfigError` naming the first invalid field; return self."""
        _int(self.n_topics, "n_topics", 0, MAX_TOPICS)
        _int(self.n_background, "n_background", 0, MAX_TOPICS)
        if self.total_topics < 1:
            raise ConfigError("n_topics: need at least one topic (n_topics + n_background ≥ 1)")
        _int(self.iterations, "iterations", 1, MAX_ITERATIONS)
        _int(self.inner_passes, "inner_passes", 1, MAX_INNER)
        if not isinstance(self.reuse_theta, bool):
            raise ConfigError(f"reuse_theta must be true or false, got {self.reuse_theta!r}")
        _int(self.random_state, "random_state", 0, 2**32 - 1)
        _int(self.threads, "threads", 1, MAX_THREADS)
        for m, w in self.modality_weights.items():
            if not isinstance(m, str) or not m:
                raise ConfigError(f"modality_weights: modality names must be strings, got {m!r}")
            if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) \
                    or w < 0 or w > 1e6:
                raise ConfigError(f"modality_weights[{m!r}] must be a number in [0, 1e6], got {w!r}")
        _int(self.regularizers_off_last, "regularizers_off_last", 0, MAX_ITERATIONS)
        if not isinstance(self.init, str) or not self.init:
            raise ConfigError(f"init must be 'random' or a path to a Φ table, got {self.init!r}")
        for s, every in self.scores.items():
            if not isinstance(s, str) or not s:
                raise ConfigError(f"scores: score names must be strings, got {s!r}")
            _int(every, f"scores[{s!r}]", 0, MAX_ITERATIONS)
        fam = family_of(self.family)
        estep = [r.name for r in self.regularizers if r.acts_on_estep]
        if estep and not fam.accepts_estep_terms(self.options):
            raise ConfigError(f"{estep[0]}: E-step regularizers need a sequence E-step "
                              "(family 'context' with mode 'one_pass' or 'context')")
        return self

    def check_corpus(self, corpus) -> "ModelConfig":
        """Fields that depend on the corpus: modality names."""
        for m in self.modality_weights:
            if m not in corpus.modalities:
                raise ConfigError(f"modality_weights: the corpus has no modality {m!r} "
                                  f"(it has {', '.join(corpus.modalities)})")
        return self

    def weight_of(self, modality: str) -> float:
        return float(self.modality_weights.get(modality, 1.0))

    def regularizer(self, name: str) -> Regularizer:
        for r in self.regularizers:
            if r.name == name:
                return r
        raise ConfigError(f"no regularizer named {name!r}")

    def with_changes(self, **changes) -> "ModelConfig":
        """A copy with some fields replaced (unknown names raise ConfigError)."""
        changes = _renamed(changes)
        known = {f.name for f in fields(self)}
        bad = set(changes) - known
        if bad:
            raise ConfigError(f"unknown config field(s): {', '.join(sorted(bad))}")
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            "n_topics": self.n_topics,
            "n_background": self.n_background,
            "iterations": self.iterations,
            "inner_passes": self.inner_passes,
            "reuse_theta": self.reuse_theta,
            "random_state": self.random_state,
            "threads": self.threads,
            "modality_weights": dict(self.modality_weights),
            "regularizers": [r.to_dict() for r in self.regularizers],
            "regularizers_off_last": self.regularizers_off_last,
            "init": self.init,
            "scores": dict(self.scores),
            "family": self.family,
            "options": dict(self.options),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        if not isinstance(data, dict):
            raise ConfigError(f"a model config must be an object, got {type(data).__name__}")
        args = _renamed(dict(data))
        known = {f.name for f in fields(cls)}
        bad = set(args) - known
        if bad:
            raise ConfigError(f"unknown config field(s): {', '.join(sorted(bad))}")
        for key in ("modality_weights", "scores", "options"):  # JSON objects, not lists or numbers
            if key in args and args[key] is not None and not isinstance(args[key], dict):
                raise ConfigError(f"{key} must be an object ({{...}}), got {type(args[key]).__name__}")
        if not isinstance(data.get("regularizers", ()), (list, tuple)):
            raise ConfigError(f"regularizers must be a list, got {type(data['regularizers']).__name__}")
        args["regularizers"] = tuple(regularizer_from_dict(r) for r in data.get("regularizers", ()))
        return cls(**args).validate()


def _renamed(args: dict) -> dict:
    """Old keys accepted for compatibility: ``seed`` → ``random_state``."""
    if "seed" in args:
        if "random_state" in args:
            raise ConfigError("give random_state or its old name seed, not both")
        args["random_state"] = args.pop("seed")
    return args


_dataclass_init = ModelConfig.__init__


def _init(self, *args, **kwargs):
    _dataclass_init(self, *args, **_renamed(kwargs))


_init.__doc__ = _dataclass_init.__doc__
ModelConfig.__init__ = _init  # ModelConfig(seed=...) keeps working


PRESETS = ("plsa", "lda", "interpretable")


def interpretable_regularizers(iterations: int, *, background: bool = True, modalities=None,
                               sparse_phi: float = -0.1, sparse_theta: float = -0.1,
                               smooth_phi: float = 0.1, smooth_theta: float = 0.1,
                               decorrelation: float = 1e4, sparse_start: int | None = None,
                               sparse_full: int | None = None) -> tuple:
    """BigARTM's "interpretable" recipe as regularizers — the one list behind
    :func:`preset` ``"interpretable"`` and the seed-word setup.

    Background topics smoothed from the start (SmoothSparsePhi/Theta τ = ``smooth_*`` > 0; left
    out with ``background=False``); subject topics sparsed (τ = ``sparse_*`` < 0) brought in
    linearly from iteration ``sparse_start`` (default max(1, iterations // 4)) to ``sparse_full``
    (default max(start, iterations // 2)); a Decorrelator (τ = ``decorrelation``) on subject
    topics. Sparsing and decorrelation act on ``modalities`` (None: all).
    """
    s0 = int(sparse_start if sparse_start is not None else max(1, iterations // 4))
    s1 = int(sparse_full if sparse_full is not None else max(s0, iterations // 2))
    regs = []
    if background:
        regs += [SmoothSparsePhi(name="smooth_background_phi", topics="background", tau=Constant(smooth_phi)),
                 SmoothSparseTheta(name="smooth_background_theta", topics="background",
                                   tau=Constant(smooth_theta))]
    regs += [SmoothSparsePhi(name="sparse_subject_phi", topics="subject", modalities=modalities,
                             tau=Linear(0.0, sparse_phi, s0, s1)),
             SmoothSparseTheta(name="sparse_subject_theta", topics="subject",
                               tau=Linear(0.0, sparse_theta, s0, s1)),
             Decorrelator(name="decorrelate_subject", topics="subject", modalities=modalities,
                          tau=Constant(decorrelation))]
    return tuple(regs)


def preset(name: str, n_topics: int = 20, **kwargs: Any) -> ModelConfig:
    """A ready config.

    - ``"plsa"``: no regularizers.
    - ``"lda"``: LDA(alpha, beta) — φ ∝ n_wt + β, θ ∝ n_td + α (kwargs ``alpha=0.1``,
      ``beta=0.01``).
    - ``"interpretable"``: BigARTM's recipe — ``n_background`` (default 1) background topics
      smoothed from the start (SmoothSparsePhi/Theta τ > 0), subject topics sparsed with τ
      brought in linearly from iteration ``sparse_start`` (default iterations // 4) to
      ``sparse_full`` (default iterations // 2), plus a Decorrelator on subject topics.
      kwargs ``sparse_phi=-0.1``, ``sparse_theta=-0.1``, ``smooth_phi=0.1``,
      ``smooth_theta=0.1``, ``decorrelation=1e4``, ``sparse_modalities=["@default_class"]``
      (sparsing and decorrelation act on words only, so small modalities keep their mass).

    Other kwargs go to :class:`ModelConfig`.
    """
    name = (name or "").lower()
    if name == "plsa":
        return ModelConfig(n_topics=n_topics, **kwargs).validate()
    if name == "lda":
        alpha = kwargs.pop("alpha", 0.1)
        beta = kwargs.pop("beta", 0.01)
        regs = (LDA(name="lda", tau=1.0, alpha=alpha, beta=beta),)
        return ModelConfig(n_topics=n_topics, regularizers=regs, **kwargs).validate()
    if name == "interpretable":
        p = {k: kwargs.pop(k) for k in ("sparse_phi", "sparse_theta", "smooth_phi", "smooth_theta",
                                        "decorrelation", "sparse_start", "sparse_full",
                                        "sparse_modalities") if k in kwargs}
        # Sparse and decorrelate the words only: a small modality (parties, labels) of a
        # subject topic would otherwise be sparsed to all zeros.
        words = p.get("sparse_modalities", ["@default_class"])
        kwargs.setdefault("n_background", 1)
        iterations = kwargs.setdefault("iterations", 30)
        regs = interpretable_regularizers(
            iterations, background=True, modalities=words, sparse_start=p.get("sparse_start"),
            sparse_full=p.get("sparse_full"), **{k: p[k] for k in ("sparse_phi", "sparse_theta", "smooth_phi",
                                                                   "smooth_theta", "decorrelation") if k in p})
        return ModelConfig(n_topics=n_topics, regularizers=regs, **kwargs).validate()
    raise ConfigError(f"preset must be one of {', '.join(PRESETS)}, got {name!r}")
