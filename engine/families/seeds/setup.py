"""Seed-word setup: how a lexicon is placed on a model's topics, and the config that trains it.

Two presets (:func:`seed_config`): ``"per_group"`` — one seeded topic per group (``topic_i``
gets group *i*'s words); ``"shared"`` — ``k`` seeded topics share the whole lexicon
(decorrelation splits them). Plus ``extra_topics`` ordinary subject topics and ``background``
background topics. The config carries a :class:`~engine.em.regularizers.SeedWords` regularizer
(r_wt = τ on seed pairs, −τ for seed words in the other subject topics) and, with ``doc_tau``,
:class:`~engine.families.seeds.regularizer.SeedDocuments` (documents that mention a group pulled
towards its topic), both with τ constant for the first half of the run and fading by 80 % of it;
background smoothing, subject sparsing brought in gradually, and decorrelation.

The setup of a run is kept in its manifest (``config.options["setup"]`` of family ``"seeds"``,
:func:`load_setup`); a run trained elsewhere with a SeedWords regularizer is understood from
its config and topic labels (:func:`setup_from_run`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.config import ModelConfig
from engine.em.regularizers import Decorrelator, SeedWords, SmoothSparsePhi, SmoothSparseTheta
from engine.em.schedule import Constant, Linear
from engine.errors import ConfigError, InputError
from engine.families.seeds.lexicon import Lexicon, LexiconCheck, check_lexicon
from engine.families.seeds.regularizer import SeedDocuments
from engine.store.runs import read_run_manifest, set_family_options

__all__ = ["SEED_PRESETS", "RANK_PREFIX", "SeedSetup", "seed_config", "setup_from_config", "save_setup",
           "load_setup", "setup_from_run", "run_setup", "token_ids_of"]

SEED_PRESETS = {"per_group": "one topic per group", "shared": "k topics for the whole lexicon"}
RANK_PREFIX = "seed_rank:"


# --------------------------------------------------------------------------- setup

@dataclass(frozen=True)
class SeedSetup:
    """How a lexicon was placed on a model's topics.

    Attributes
    ----------
    preset : str
        ``"per_group"`` or ``"shared"`` (``"config"`` when read back from a run's config).
    lexicon : Lexicon
        The lexicon as typed.
    terms : dict group -> list of str
        Vocabulary terms of each group's found seeds (groups without any are absent).
    group_topics : dict group -> list of str
        Seeded topics of each group.
    labels : dict topic -> str
        Labels of the seeded topics.
    modality : str
    """

    preset: str
    lexicon: Lexicon
    terms: dict
    group_topics: dict
    labels: dict = field(default_factory=dict)
    modality: str = DEFAULT_MODALITY

    @property
    def seeded_topics(self) -> list[str]:
        return list(dict.fromkeys(t for ts in self.group_topics.values() for t in ts))

    @property
    def all_terms(self) -> list[str]:
        return list(dict.fromkeys(t for ts in self.terms.values() for t in ts))

    def topic_lexicon(self) -> dict[str, list[str]]:
        """Topic -> seed terms (what the SeedWords regularizer gets)."""
        out: dict[str, list[str]] = {}
        for g, topics in self.group_topics.items():
            for t in topics:
                lst = out.setdefault(t, [])
                lst += [w for w in self.terms.get(g, []) if w not in lst]
        return {t: v for t, v in out.items() if v}

    def to_dict(self) -> dict:
        return {"preset": self.preset, "lexicon": self.lexicon.to_dict(),
                "terms": {g: list(v) for g, v in self.terms.items()},
                "group_topics": {g: list(v) for g, v in self.group_topics.items()},
                "labels": dict(self.labels), "modality": self.modality}

    @classmethod
    def from_dict(cls, d: dict) -> "SeedSetup":
        try:
            return cls(preset=str(d["preset"]), lexicon=Lexicon.from_dict(d["lexicon"]),
                       terms={str(g): [str(w) for w in v] for g, v in d["terms"].items()},
                       group_topics={str(g): [str(t) for t in v] for g, v in d["group_topics"].items()},
                       labels={str(k): str(v) for k, v in (d.get("labels") or {}).items()},
                       modality=str(d.get("modality", DEFAULT_MODALITY)))
        except (KeyError, AttributeError, TypeError) as e:
            raise InputError(f"not a seed setup: {e}") from None


def seed_config(check: LexiconCheck, preset: str = "per_group", *, seeded_topics: int | None = None,
                extra_topics: int = 10, background: int = 1, iterations: int = 30,
                seed_tau: float | None = None, seed_strength: float = 0.05, seed_keep: float = 0.2, sparse_others: bool = True,
                sparse_phi: float = -0.05, sparse_theta: float = -0.05, smooth_phi: float = 0.1,
                smooth_theta: float = 0.1, decorrelation: float = 1e4, doc_tau: float = 0.0,
                doc_keep: float = 0.0, **config_kwargs: Any,
                ) -> tuple[ModelConfig, SeedSetup]:
    """A ready :class:`ModelConfig` for seed-word search and the :class:`SeedSetup` it implies.

    Parameters
    ----------
    check : LexiconCheck
        The lexicon checked against the corpus (:func:`engine.families.seeds.lexicon.check_lexicon`); only
        found seeds are used.
    preset : {"per_group", "shared"}
    seeded_topics : int, optional
        ``"shared"`` only: number of topics sharing the lexicon (default: the number of groups,
        at most 20).
    extra_topics : int
        Ordinary subject topics (not seeded), so the rest of the corpus has somewhere to go.
    background : int
        Background topics (smoothed; they take the common words).
    iterations : int
    seed_tau : float, optional
        τ of SeedWords in counts (pseudo-occurrences of every seed in its topic per pass).
        Default: ``seed_strength`` × N / T, N the corpus's tokens of the seed modality and T
        the number of topics — i.e. every seed gets ``seed_strength`` of an average topic's
        mass, whatever the corpus size.
    seed_strength : float
    seed_keep : float
        Fraction of ``seed_tau`` left at the end: τ is constant for the first half of the run,
        then falls linearly to ``seed_tau * seed_keep`` at 80 % of it.
    sparse_others : bool
        SeedWords also pushes seed words out of the other subject topics.
    sparse_phi, sparse_theta, smooth_phi, smooth_theta, decorrelation : float
        As in :func:`engine.em.config.preset` ``"interpretable"``; sparsing ramps up linearly
        from 1/4 to 1/2 of the run.

    doc_tau : float
        τ of :class:`~engine.families.seeds.regularizer.SeedDocuments` (documents mentioning a
        group's seeds pulled towards its topic; 0 = off), same trajectory shape as SeedWords:
        constant for the first half, fading to ``doc_tau · doc_keep`` by 80 % of the run.

    Other keyword arguments go to :class:`ModelConfig` (``seed``, ``threads``, ``inner_passes``...).
    """
    terms = check.terms()
    if not terms:
        raise InputError("none of the seed words is in the corpus vocabulary; nothing to seed")
    groups = list(terms)
    if preset == "per_group":
        k = len(groups)
        group_topics = {g: [f"topic_{i}"] for i, g in enumerate(groups)}
        labels = {f"topic_{i}": g for i, g in enumerate(groups)}
    elif preset == "shared":
        k = int(seeded_topics or min(len(groups), 20))
        if k < 1:
            raise ConfigError("seeded_topics must be at least 1")
        names = [f"topic_{i}" for i in range(k)]
        group_topics = {g: list(names) for g in groups}
        labels = {n: f"seeds {i + 1}" for i, n in enumerate(names)}
    else:
        raise ConfigError(f"preset must be one of {', '.join(SEED_PRESETS)}, got {preset!r}")
    if extra_topics < 0 or background < 0:
        raise ConfigError("extra_topics and background must be ≥ 0")
    setup = SeedSetup(preset=preset, lexicon=check.lexicon, terms=terms, group_topics=group_topics,
                      labels=labels)
    T = k + int(extra_topics) + int(background)
    if seed_tau is None:
        n_tokens = float(check.corpus_tokens) if check.corpus_tokens else 1000.0
        seed_tau = max(1.0, seed_strength * n_tokens / T) if seed_strength > 0 else 0.0
    it = int(iterations)
    fade0, fade1 = max(1, it // 2), max(1, it // 2, int(round(it * 0.8)))
    s0, s1 = max(1, it // 4), max(1, it // 4, it // 2)
    regs = [SeedWords(name="seed_words", lexicon=setup.topic_lexicon(), sparse_others=sparse_others,
                      others="subject", tau=Linear(seed_tau, seed_tau * seed_keep, fade0, fade1))] \
        if seed_tau > 0 else []
    if not regs and not doc_tau:
        raise ConfigError("both seedings are off (SeedWords τ = 0 and doc_tau = 0): set at least one")
    if doc_tau:
        regs.append(SeedDocuments(name="seed_documents_theta", lexicon=setup.topic_lexicon(),
                                  tau=Linear(doc_tau, doc_tau * doc_keep, fade0, fade1)))
    if background:
        regs += [SmoothSparsePhi(name="smooth_background_phi", topics="background", tau=Constant(smooth_phi)),
                 SmoothSparseTheta(name="smooth_background_theta", topics="background",
                                   tau=Constant(smooth_theta))]
    regs += [SmoothSparsePhi(name="sparse_subject_phi", topics="subject", tau=Linear(0.0, sparse_phi, s0, s1)),
             SmoothSparseTheta(name="sparse_subject_theta", topics="subject",
                               tau=Linear(0.0, sparse_theta, s0, s1)),
             Decorrelator(name="decorrelate_subject", topics="subject", tau=Constant(decorrelation))]
    config = ModelConfig(n_topics=k + int(extra_topics), n_background=int(background), iterations=it,
                         regularizers=tuple(regs), family="seeds", options={"setup": setup.to_dict()},
                         **config_kwargs).validate()
    return config, setup


def setup_from_config(config, labels: dict | None = None, lexicon: Lexicon | None = None) -> SeedSetup | None:
    """Understand a run trained elsewhere: its SeedWords regularizers give topic -> terms; a
    topic's group is its label (else its name). None when the config has no SeedWords."""
    regs = config.regularizers if isinstance(config, ModelConfig) else ModelConfig.from_dict(config).regularizers
    seeds = [r for r in regs if isinstance(r, (SeedWords, SeedDocuments))]
    if not seeds:
        return None
    labels = dict(labels or {})
    terms: dict[str, list] = {}
    group_topics: dict[str, list] = {}
    for r in seeds:
        for topic, words in r.lexicon.items():
            g = labels.get(topic) or topic
            lst = terms.setdefault(g, [])
            lst += [w for w in words if w not in lst]
            if topic not in group_topics.setdefault(g, []):
                group_topics[g].append(topic)
    lex = lexicon or Lexicon({g: v for g, v in terms.items()})
    return SeedSetup(preset="config", lexicon=lex, terms=terms, group_topics=group_topics,
                     labels={t: labels[t] for ts in group_topics.values() for t in ts if t in labels},
                     modality=seeds[0].modality)


def save_setup(workspace, run_id: str, setup: SeedSetup) -> None:
    """Store ``setup`` in the manifest of run ``run_id`` (its config's seeds options)."""
    set_family_options(workspace, run_id, "seeds", {"setup": setup.to_dict()})


def load_setup(workspace, run_id: str) -> SeedSetup | None:
    """The seed setup kept in a run's manifest (family "seeds"), or None."""
    cfg = read_run_manifest(workspace, run_id).get("config") or {}
    setup = (cfg.get("options") or {}).get("setup") if cfg.get("family") == "seeds" else None
    return SeedSetup.from_dict(setup) if setup else None


def setup_from_run(run, corpus=None, lexicon: Lexicon | None = None) -> SeedSetup | None:
    """The setup of a saved run from its config (see :func:`setup_from_config`); with
    ``lexicon`` and ``corpus`` the lexicon is re-checked and mapped onto the seeded topics
    (groups matched by label; unmatched groups go to no topic)."""
    base = setup_from_config(run.config, run.model.labels)
    if lexicon is None or corpus is None:
        return base
    terms = check_lexicon(lexicon, corpus).terms()
    gt = {}
    for g in lexicon.names:
        if base is not None and g in base.group_topics:
            gt[g] = list(base.group_topics[g])
        elif base is not None and base.preset == "config":
            # topics whose seed terms overlap the group's terms
            gt[g] = [t for t, ws in base.topic_lexicon().items() if set(ws) & set(terms.get(g, []))]
        else:
            gt[g] = []
    return SeedSetup(preset=base.preset if base else "none", lexicon=lexicon, terms=terms,
                     group_topics=gt, labels=base.labels if base else {})


def run_setup(workspace, run, corpus=None, lexicon: Lexicon | None = None) -> SeedSetup | None:
    """The stored setup of ``run``, or one read from its config; ``lexicon`` overrides the
    stored lexicon (re-checked against ``corpus``)."""
    if lexicon is not None:
        stored = load_setup(workspace, run.run_id)
        if stored is not None and corpus is not None:
            terms = check_lexicon(lexicon, corpus).terms()
            gt = {g: stored.group_topics.get(g, stored.seeded_topics if stored.preset == "shared" else [])
                  for g in lexicon.names}
            return SeedSetup(preset=stored.preset, lexicon=lexicon, terms=terms, group_topics=gt,
                             labels=stored.labels, modality=stored.modality)
        return setup_from_run(run, corpus, lexicon)
    return load_setup(workspace, run.run_id) or setup_from_run(run)



def _modality_rows(corpus, modality: str) -> np.ndarray:
    return np.flatnonzero(corpus.modality_mask(modality))


def _ids(corpus, terms, modality=DEFAULT_MODALITY) -> np.ndarray:
    terms = list(terms)
    if not terms:
        return np.zeros(0, np.int64)
    ids = corpus.token_ids(terms, modality)
    return np.asarray(ids[ids >= 0], np.int64)


def token_ids_of(corpus, terms, modality: str = DEFAULT_MODALITY) -> np.ndarray:
    """Token ids of the ``terms`` found in the vocabulary of ``modality`` (unknown ones dropped)."""
    return _ids(corpus, terms, modality)

