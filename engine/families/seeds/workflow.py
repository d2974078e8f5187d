"""Seed-word topic search: from a lexicon of word groups to a model configuration, and from a
trained model to the diagnostics and results a sociologist asks for.

Setup (:func:`seed_config`)
    Two presets place the lexicon on topics:

    - ``"per_group"`` — one seeded topic per group (``topic_i`` gets group *i*'s words);
    - ``"shared"`` — ``k`` seeded topics share the whole lexicon (decorrelation splits them).

    Plus ``extra_topics`` ordinary subject topics and ``background`` background topics. The
    config carries a :class:`~engine.em.regularizers.SeedWords` regularizer (r_wt = τ on seed
    pairs, −τ for seed words in the other subject topics) whose τ stays at ``seed_tau`` for the
    first half of the run and fades linearly to ``seed_tau · seed_keep`` by 80 % of it (the
    final topics are then shaped by the data, not by the seeds alone), background smoothing,
    subject sparsing brought in gradually, and decorrelation — BigARTM's recipe.

Diagnostics (on a :class:`~engine.em.model.TopicModel` and its corpus)
    - :func:`seed_capture` — for each group and seed word, the topics that captured it, with
      p(w|t), p(t|w) and the word's rank in the topic;
    - :func:`seed_drift` — the rank of each seed in its topic over iterations, read from the
      ``seed_rank:<topic>:<term>`` scores :class:`SeedRanks` adds to the history (use
      :class:`SeedTrainer` as the job's trainer class);
    - :func:`coverage` — share of the documents mentioning a seed whose dominant subject topic
      is a seeded (or relevant) topic;
    - :func:`discovery` — the top non-seed words of each seeded topic;
    - :func:`relevant_topics`, :func:`seed_documents`, :func:`document_marks`,
      :func:`relevant_trends`, :func:`relevant_documents` — the results pages;
    - :func:`seeds_report` — all of it per group as a JSON-able dict (the ``seeds-report`` CLI).

The setup of a run is kept in its manifest (``config.options["setup"]`` of family ``"seeds"``,
:func:`load_setup`); a run trained elsewhere with a SeedWords regularizer is understood from
its config and topic labels (:func:`setup_from_run`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.em.config import ModelConfig
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import ConfigError, InputError
from engine.families.seeds.lexicon import Lexicon, LexiconCheck, check_lexicon
from engine.em.trainer import Trainer
from engine.em.regularizers import Decorrelator, SeedWords, SmoothSparsePhi, SmoothSparseTheta
from engine.em.schedule import Constant, Linear
from engine.em.scores import Score
from engine.jobs import TrainingJob, run_job_blocking
from engine.store.runs import read_run_manifest, set_family_options

__all__ = [
    "SEED_PRESETS", "SeedSetup", "seed_config", "SeedRanks", "SeedTrainer", "seed_ranks",
    "save_setup", "load_setup", "setup_from_run", "run_setup", "seed_capture", "seed_drift",
    "coverage", "group_coverage", "discovery", "relevant_topics", "topic_top_tokens",
    "seed_documents", "document_marks", "relevant_trends", "relevant_documents", "seeds_report",
    "train_seeded", "seed_phi0", "count_relevant", "dominant_subject_topic", "docs_mentioning",
    "setup_from_config", "token_ids_of",
]

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
                smooth_theta: float = 0.1, decorrelation: float = 1e4, **config_kwargs: Any,
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
        seed_tau = max(1.0, seed_strength * n_tokens / T)
    it = int(iterations)
    fade0, fade1 = max(1, it // 2), max(1, it // 2, int(round(it * 0.8)))
    s0, s1 = max(1, it // 4), max(1, it // 4, it // 2)
    regs = [SeedWords(name="seed_words", lexicon=setup.topic_lexicon(), sparse_others=sparse_others,
                      others="subject", tau=Linear(seed_tau, seed_tau * seed_keep, fade0, fade1))]
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
    seeds = [r for r in regs if isinstance(r, SeedWords)]
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


# --------------------------------------------------------------------------- seed ranks per iteration

def seed_ranks(phi: np.ndarray, rows: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Rank of each seed word in its topic: 1 + #{v in ``rows``: φ_vt > φ_wt}.

    Parameters
    ----------
    phi : ndarray (W, T)
    rows : ndarray of int
        Token ids of the modality the ranks are counted in.
    pairs : list of (w, t)

    Returns
    -------
    ndarray (len(pairs),), int64
    """
    out = np.zeros(len(pairs), np.int64)
    if not pairs:
        return out
    arr = np.asarray(pairs, np.int64)
    for t in np.unique(arr[:, 1]):
        col = np.sort(np.asarray(phi[rows, t], np.float64))
        sel = np.flatnonzero(arr[:, 1] == t)
        vals = np.asarray(phi[arr[sel, 0], t], np.float64)
        out[sel] = 1 + len(col) - np.searchsorted(col, vals, side="right")
    return out


def _pairs_of(corpus, topic_names: list[str], lexicon: dict, modality: str) -> list[tuple[str, str, int, int]]:
    pos = {n: i for i, n in enumerate(topic_names)}
    out = []
    for topic, words in lexicon.items():
        t = pos.get(topic)
        if t is None:
            continue
        ids = corpus.token_ids(list(words), modality) if len(words) else []
        out += [(topic, w, int(i), t) for w, i in zip(words, ids) if i >= 0]
    return out


@dataclass
class SeedRanks(Score):
    """Rank of every seed word in its seeded topic after each pass.

    Keys ``seed_rank:<topic>:<term>`` (rank 1 = the topic's most probable token of the
    modality). ``lexicon`` is topic -> terms, as in SeedWords.
    """

    kind = "SeedRanks"
    lexicon: dict = field(default_factory=dict)
    modality: str = DEFAULT_MODALITY

    def compute(self, ctx) -> dict[str, float]:
        model = ctx.model
        key = (id(ctx.corpus), tuple(model.topic_names))
        if getattr(self, "_key", None) != key:
            self._pairs = _pairs_of(ctx.corpus, model.topic_names, self.lexicon, self.modality)
            self._rows = np.flatnonzero(ctx.corpus.modality_mask(self.modality))
            self._key = key
        if not self._pairs:
            return {}
        r = seed_ranks(model.phi, self._rows, [(w, t) for _, _, w, t in self._pairs])
        return {f"{RANK_PREFIX}{topic}:{term}": float(v) for (topic, term, _, _), v in zip(self._pairs, r)}


class SeedTrainer(Trainer):
    """A :class:`~engine.em.trainer.Trainer` that also records :class:`SeedRanks` for the seeds of
    its config's SeedWords regularizers after every pass (pass it as ``trainer_cls`` to
    ``JobRegistry.start`` / ``TrainingJob``)."""

    def step(self, config=None, score_fn=None):
        cfg = config if config is not None else self.config
        lex: dict[str, list] = {}
        modality = DEFAULT_MODALITY
        for r in cfg.regularizers:
            if isinstance(r, SeedWords):
                modality = r.modality
                for t, ws in r.lexicon.items():
                    lst = lex.setdefault(t, [])
                    lst += [w for w in ws if w not in lst]
        key = repr(sorted((t, tuple(v)) for t, v in lex.items())) + modality
        if getattr(self, "_rank_key", None) != key:
            self._rank_score = SeedRanks(lexicon=lex, modality=modality)
            self._rank_key = key
        ranks = self._rank_score

        def scores(ctx):
            out = dict(score_fn(ctx)) if score_fn is not None else {}
            if lex:
                out.update(ranks.compute(ctx))
            return out

        return super().step(config, score_fn=scores)


def seed_phi0(corpus, config: ModelConfig, setup: SeedSetup, mix: float = 0.5) -> np.ndarray:
    """Initial Φ (W, T): random (from ``config.seed``) for ordinary and background topics; a
    seeded topic starts from the word counts of the documents that mention its group's seeds,
    φ_wt ∝ mix · Σ_{d ∋ seed} n_dw / N_t + (1 − mix) · random_wt.

    With the ``"shared"`` preset each seed-mentioning document is given to one of the shared
    topics at random, so they start different. Starting seeded topics from their documents
    keeps a rare group (a few hundred mentions in a corpus of a million tokens) from being
    taken over by whatever large theme the random start favoured.
    """
    from engine.em.trainer import normalize_phi, random_phi

    mods = corpus.modalities
    tm = corpus.token_modality
    phi = random_phi(corpus.n_tokens, config.total_topics, tm, len(mods), config.seed).astype(np.float64)
    names = config.topic_names
    pos = {n: i for i, n in enumerate(names)}
    n_dw = corpus.n_dw
    rng = np.random.default_rng(config.seed + 1)
    mask = corpus.modality_mask(setup.modality)
    for g, topics in setup.group_topics.items():
        ts = [pos[t] for t in topics if t in pos]
        if not ts:
            continue
        docs = np.flatnonzero(docs_mentioning(n_dw, _ids(corpus, setup.terms.get(g, []), setup.modality)))
        if not len(docs):
            continue
        owner = rng.integers(0, len(ts), len(docs)) if len(ts) > 1 else np.zeros(len(docs), np.int64)
        for j, t in enumerate(ts):
            mine = docs[owner == j]
            if not len(mine):
                continue
            counts = np.asarray(n_dw[mine].sum(axis=0), np.float64).ravel() * mask
            if counts.sum() <= 0:
                continue
            r = phi[:, t] * mask
            phi[:, t] = np.where(mask, mix * counts / counts.sum() + (1 - mix) * r / max(r.sum(), 1e-30), phi[:, t])
    return normalize_phi(phi.astype(np.float32), tm, len(mods))


def train_seeded(workspace, corpus, config: ModelConfig, setup: SeedSetup, name: str | None = None,
                 on_report=None, init_from_documents: bool = True):
    """Train in the foreground through a :class:`~engine.jobs.TrainingJob` (family "seeds":
    seed ranks every pass, seeded topics started by :func:`seed_phi0` unless
    ``init_from_documents`` is False; the setup and the topic labels saved with the run);
    returns the final snapshot."""
    options = {"setup": setup.to_dict(), "init_from_documents": bool(init_from_documents)}
    config = config.with_changes(family="seeds", options=options)
    job = TrainingJob(workspace, corpus, config, name=name, labels=setup.labels)
    return run_job_blocking(job, on_report=on_report)


# --------------------------------------------------------------------------- diagnostics

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


def _p_t_w(model, ids: np.ndarray) -> np.ndarray:
    """p(t|w) ∝ φ_wt n_t for the rows ``ids``: (len(ids), T)."""
    n_t = np.asarray(model.n_t, np.float64)
    if not np.any(n_t > 0):
        n_t = np.ones(model.n_topics)
    x = np.asarray(model.phi[ids], np.float64) * n_t[None, :]
    s = x.sum(axis=1, keepdims=True)
    return np.divide(x, s, out=np.zeros_like(x), where=s > 0)


def seed_capture(model, corpus, setup: SeedSetup, min_share: float = 0.1) -> pd.DataFrame:
    """Which topics captured each group's seed words.

    For every found seed term w of every group: the topics t with p(t|w) ≥ ``min_share``
    (always at least the most probable one), p(t|w) = φ_wt n_t / Σ_s φ_ws n_s.

    Returns
    -------
    DataFrame[group, term, topic, label, seeded, own (t is one of the group's topics),
    p_w_t (φ_wt), p_t_w, rank (of w in t)], sorted by group, term, p_t_w descending.
    """
    rows = _modality_rows(corpus, setup.modality)
    seeded = set(setup.seeded_topics)
    out = []
    for g, terms in setup.terms.items():
        ids = corpus.token_ids(list(terms), setup.modality)
        ok = ids >= 0
        terms_ok = [w for w, k in zip(terms, ok) if k]
        ids = np.asarray(ids[ok], np.int64)
        if not len(ids):
            continue
        ptw = _p_t_w(model, ids)
        own = set(setup.group_topics.get(g, []))
        for j, (w, wid) in enumerate(zip(terms_ok, ids)):
            ts = np.flatnonzero(ptw[j] >= min_share)
            best = int(np.argmax(ptw[j]))
            if best not in ts:
                ts = np.append(ts, best)
            ranks = seed_ranks(model.phi, rows, [(int(wid), int(t)) for t in ts])
            for t, r in zip(ts, ranks):
                name = model.topic_names[t]
                out.append({"group": g, "term": w, "topic": name, "label": model.label(int(t)),
                            "seeded": name in seeded, "own": name in own,
                            "p_w_t": float(model.phi[wid, t]), "p_t_w": float(ptw[j, t]), "rank": int(r)})
    cols = ["group", "term", "topic", "label", "seeded", "own", "p_w_t", "p_t_w", "rank"]
    df = pd.DataFrame(out, columns=cols)
    if df.empty:
        return df
    order = {g: i for i, g in enumerate(setup.terms)}
    df["_g"] = df["group"].map(order)
    return df.sort_values(["_g", "term", "p_t_w"], ascending=[True, True, False], kind="stable") \
             .drop(columns="_g").reset_index(drop=True)


def seed_drift(scores: pd.DataFrame, setup: SeedSetup | None = None) -> pd.DataFrame:
    """Rank of each seed in its topic over iterations, from a run's score history.

    Parameters
    ----------
    scores : DataFrame[iteration, score, value, ...]
        ``Run.active_scores()`` (or ``Run.scores``) with ``seed_rank:<topic>:<term>`` rows.
    setup : SeedSetup, optional
        Adds the ``group`` column (a term in several groups gives several rows).

    Returns
    -------
    DataFrame[iteration, topic, term, rank, group] sorted by topic, term, iteration; empty when
    the run recorded no seed ranks.
    """
    cols = ["iteration", "topic", "term", "rank", "group"]
    if scores is None or scores.empty:
        return pd.DataFrame(columns=cols)
    s = scores[scores["score"].astype(str).str.startswith(RANK_PREFIX)]
    if s.empty:
        return pd.DataFrame(columns=cols)
    parts = s["score"].str.slice(len(RANK_PREFIX)).str.split(":", n=1, expand=True)
    df = pd.DataFrame({"iteration": s["iteration"].to_numpy(np.int64), "topic": parts[0].to_numpy(),
                       "term": parts[1].to_numpy(), "rank": s["value"].to_numpy(np.float64)})
    df = df.drop_duplicates(["iteration", "topic", "term"], keep="last")
    if setup is not None:
        rows = [(t, w, g) for g, ts in setup.group_topics.items() for t in ts for w in setup.terms.get(g, [])]
        m = pd.DataFrame(rows, columns=["topic", "term", "group"]).drop_duplicates()
        df = df.merge(m, on=["topic", "term"], how="left")
        df["group"] = df["group"].fillna("")
    else:
        df["group"] = df["topic"]
    return df.sort_values(["topic", "term", "iteration"], kind="stable").reset_index(drop=True)[cols]


def dominant_subject_topic(model) -> np.ndarray:
    """For every document the index of its largest θ_td among subject topics (-1 if all zero)."""
    theta = np.asarray(model.theta)
    subj = np.flatnonzero(~np.asarray(model.background, bool))
    if not len(subj):
        subj = np.arange(model.n_topics)
    sub = theta[subj]
    best = subj[np.argmax(sub, axis=0)]
    return np.where(sub.max(axis=0) > 0, best, -1)


def docs_mentioning(n_dw, ids: np.ndarray) -> np.ndarray:
    """Boolean (D,): documents containing at least one of the token ``ids``."""
    D = n_dw.shape[0]
    if not len(ids):
        return np.zeros(D, bool)
    return np.asarray((n_dw[:, np.asarray(ids)] > 0).sum(axis=1)).ravel() > 0


def coverage(model, corpus, ids: np.ndarray, topics) -> dict:
    """Coverage of a set of seed tokens by a set of topics.

    Among the documents mentioning at least one of the tokens ``ids``, the share whose dominant
    subject topic (argmax_t θ_td over subject topics) is one of ``topics`` (names or indices).

    Returns
    -------
    dict: documents (mentioning a seed), covered (of them, dominated by ``topics``), share
    (covered / documents; 0 when no document mentions a seed).
    """
    ids = np.asarray(ids, np.int64)
    mention = docs_mentioning(corpus.n_dw, ids)
    idx = set(int(i) for i in model.topic_indices(list(topics))) if len(list(topics)) else set()
    dom = dominant_subject_topic(model)
    hit = mention & np.isin(dom, list(idx) or [-2])
    n = int(mention.sum())
    return {"documents": n, "covered": int(hit.sum()), "share": float(hit.sum() / n) if n else 0.0}


def group_coverage(model, corpus, setup: SeedSetup) -> pd.DataFrame:
    """:func:`coverage` of every group by its own topics, plus an ``(all)`` row (all seeds by
    all seeded topics). DataFrame[group, documents, covered, share]."""
    rows = []
    for g, terms in setup.terms.items():
        c = coverage(model, corpus, _ids(corpus, terms, setup.modality), setup.group_topics.get(g, []))
        rows.append({"group": g, **c})
    c = coverage(model, corpus, _ids(corpus, setup.all_terms, setup.modality), setup.seeded_topics)
    rows.append({"group": "(all)", **c})
    return pd.DataFrame(rows, columns=["group", "documents", "covered", "share"])


def topic_top_tokens(model, corpus, t: int, n: int = 20, modality: str = DEFAULT_MODALITY,
                     exclude: np.ndarray | None = None) -> list[tuple[str, float]]:
    """Top ``n`` (token, φ_wt) of topic ``t`` within ``modality``, skipping ``exclude`` ids."""
    rows = _modality_rows(corpus, modality)
    col = np.asarray(model.phi[rows, t], np.float64)
    if exclude is not None and len(exclude):
        col = col.copy()
        col[np.isin(rows, exclude)] = -1.0
    k = min(n, len(col))
    if k == 0:
        return []
    top = np.argpartition(-col, k - 1)[:k]
    top = top[np.lexsort((top, -col[top]))]
    tokens = corpus.vocab["token"].to_numpy()
    return [(str(tokens[rows[i]]), float(col[i])) for i in top if col[i] > 0]


def discovery(model, corpus, setup: SeedSetup, n: int = 15) -> pd.DataFrame:
    """Top non-seed words each seeded topic attracted (all lexicon terms excluded).

    DataFrame[topic, label, rank, token, p_w_t].
    """
    excl = _ids(corpus, setup.all_terms, setup.modality)
    out = []
    for name in setup.seeded_topics:
        if name not in model.topic_names:
            continue
        t = model.topic_names.index(name)
        for r, (tok, p) in enumerate(topic_top_tokens(model, corpus, t, n, setup.modality, excl), 1):
            out.append({"topic": name, "label": model.label(t), "rank": r, "token": tok, "p_w_t": p})
    return pd.DataFrame(out, columns=["topic", "label", "rank", "token", "p_w_t"])


def relevant_topics(model, corpus, setup: SeedSetup, top: int = 20, include_seeded: bool = True) -> pd.DataFrame:
    """Topics about the lexicon, most relevant first.

    A topic is relevant when one of the lexicon's seed terms is among its ``top`` tokens (or,
    with ``include_seeded``, when it is a seeded topic). Relevance = Σ_{w∈seeds} φ_wt, the
    probability mass the topic gives to seed words.

    Returns
    -------
    DataFrame[topic, label, seeded, relevance, seeds_in_top (list of terms), groups (list),
    share (n_t / Σ n_t), documents (dominant subject topic of how many documents),
    top_words (str)].
    """
    term_ids = {}
    for g, terms in setup.terms.items():
        for w, i in zip(terms, corpus.token_ids(list(terms), setup.modality)):
            if i >= 0:
                term_ids.setdefault(int(i), (w, []))[1].append(g)
    ids = np.asarray(sorted(term_ids), np.int64)
    seeded = set(setup.seeded_topics)
    n_t = np.asarray(model.n_t, np.float64)
    share = n_t / n_t.sum() if n_t.sum() > 0 else np.zeros_like(n_t)
    dom = dominant_subject_topic(model)
    counts = np.bincount(dom[dom >= 0], minlength=model.n_topics)
    tokens = corpus.vocab["token"].to_numpy()
    rows = _modality_rows(corpus, setup.modality)
    out = []
    for t, name in enumerate(model.topic_names):
        if model.background[t]:
            continue
        col = np.asarray(model.phi[rows, t], np.float64)
        k = min(top, len(col))
        tt = rows[np.argpartition(-col, k - 1)[:k]] if k else rows[:0]
        tt = tt[np.lexsort((tt, -np.asarray(model.phi[tt, t], np.float64)))]
        tt = tt[np.asarray(model.phi[tt, t]) > 0]
        in_top = [int(i) for i in tt if int(i) in term_ids]
        if not in_top and not (include_seeded and name in seeded):
            continue
        groups = list(dict.fromkeys(g for i in in_top for g in term_ids[i][1]))
        out.append({"topic": name, "label": model.label(t), "seeded": name in seeded,
                    "relevance": float(np.asarray(model.phi[ids, t], np.float64).sum()) if len(ids) else 0.0,
                    "seeds_in_top": [term_ids[i][0] for i in in_top], "groups": groups,
                    "share": float(share[t]), "documents": int(counts[t]),
                    "top_words": ", ".join(str(tokens[i]) for i in tt[:10])})
    cols = ["topic", "label", "seeded", "relevance", "seeds_in_top", "groups", "share", "documents", "top_words"]
    df = pd.DataFrame(out, columns=cols)
    return df.sort_values("relevance", ascending=False, kind="stable").reset_index(drop=True)


def count_relevant(model, corpus, ids: np.ndarray, top: int = 20, modality: str = DEFAULT_MODALITY) -> list[int]:
    """Subject topics whose ``top`` tokens contain one of the token ``ids`` (the benchmark's
    "relevant topics")."""
    rows = _modality_rows(corpus, modality)
    idset = set(int(i) for i in ids)
    out = []
    for t in np.flatnonzero(~np.asarray(model.background, bool)):
        col = np.asarray(model.phi[rows, t], np.float64)
        k = min(top, len(col))
        tt = rows[np.argpartition(-col, k - 1)[:k]]
        tt = tt[np.asarray(model.phi[tt, t]) > 0]
        if any(int(i) in idset for i in tt):
            out.append(int(t))
    return out


def seed_documents(model, corpus, topic, setup: SeedSetup, n: int = 10) -> pd.DataFrame:
    """Top documents of ``topic`` (by θ_td) with their seed mentions.

    DataFrame[rank, doc, id, theta, seed_hits, seeds, snippet (+date/title)].
    """
    from engine.analysis.tables import top_documents

    df = top_documents(model, corpus, topic, n)
    ids = _ids(corpus, setup.all_terms, setup.modality)
    tokens = corpus.vocab["token"].to_numpy()
    hits, seeds = [], []
    for d in df["doc"].to_numpy(np.int64):
        row = corpus.n_dw[int(d)]
        m = np.isin(row.indices, ids)
        hits.append(int(row.data[m].sum()))
        seeds.append(", ".join(str(tokens[i]) for i in row.indices[m]))
    df.insert(4, "seed_hits", hits)
    df.insert(5, "seeds", seeds)
    return df


def document_marks(corpus, d: int, seed_ids, topic_ids=()) -> list[tuple[str, str | None]]:
    """Document ``d``'s text cut into ``(piece, kind)`` segments for highlighting: kind is
    ``"seed"`` for a seed word, ``"topic"`` for a top word of the topic, None otherwise.
    Needs token sequences (text corpora); without them the whole text is one plain piece."""
    text = str(corpus.documents["text"].iloc[int(d)]) if "text" in corpus.documents.columns else ""
    if corpus.sequences is None:
        return [(text, None)] if text else []
    tok, start, end = corpus.sequences.of(int(d))
    seed = np.isin(tok, np.asarray(list(seed_ids), np.int64))
    top = np.isin(tok, np.asarray(list(topic_ids), np.int64)) & ~seed
    out, pos = [], 0
    for s, e, a, b in zip(start, end, seed, top):
        if not (a or b):
            continue
        if s > pos:
            out.append((text[pos:s], None))
        out.append((text[s:e], "seed" if a else "topic"))
        pos = int(e)
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def relevant_trends(model, corpus, topics, freq: str | None = None) -> pd.DataFrame | None:
    """Prevalence of ``topics`` over time (:func:`engine.analysis.topic_trends`, n_d-weighted),
    topics named by their labels; None when the corpus has no dates."""
    from engine.analysis.views import topic_trends

    if not corpus.has_dates or not len(list(topics)):
        return None
    idx = model.topic_indices(list(topics))
    n_d = np.asarray(corpus.n_dw.sum(axis=1)).ravel()
    names = [model.label(int(t)) for t in idx]
    return topic_trends(np.asarray(model.theta)[idx], n_d, corpus.documents["date"], freq=freq,
                        topic_names=names)


def relevant_documents(model, corpus, topics, setup: SeedSetup | None = None, min_share: float = 0.2) -> pd.DataFrame:
    """Documents about the relevant ``topics`` with their topic shares, for CSV export.

    A document is kept when its dominant subject topic is one of ``topics`` or their θ sum is
    at least ``min_share``.

    Returns
    -------
    DataFrame[id, (date), dominant, relevant_share, seed_hits, seeds, <one column per topic
    label: θ_td>, text], sorted by relevant_share descending.
    """
    idx = model.topic_indices(list(topics))
    theta = np.asarray(model.theta, np.float64)
    sub = theta[idx]
    total = sub.sum(axis=0)
    dom = dominant_subject_topic(model)
    keep = np.flatnonzero(np.isin(dom, idx) | (total >= min_share))
    keep = keep[np.argsort(-total[keep], kind="stable")]
    docs = corpus.documents
    out = pd.DataFrame({"id": docs["id"].to_numpy()[keep].astype(str)})
    if "date" in docs.columns:
        out["date"] = docs["date"].to_numpy()[keep]
    out["dominant"] = [model.label(int(t)) if t >= 0 else "" for t in dom[keep]]
    out["relevant_share"] = total[keep]
    if setup is not None:
        ids = _ids(corpus, setup.all_terms, setup.modality)
        tokens = corpus.vocab["token"].to_numpy()
        hits, seeds = [], []
        for d in keep:
            row = corpus.n_dw[int(d)]
            m = np.isin(row.indices, ids)
            hits.append(int(row.data[m].sum()))
            seeds.append(" ".join(str(tokens[i]) for i in row.indices[m]))
        out["seed_hits"] = hits
        out["seeds"] = seeds
    used = set(out.columns)
    for j, t in enumerate(idx):
        col = model.label(int(t))
        if col in used:
            col = f"{col} ({model.topic_names[int(t)]})"
        used.add(col)
        out[col] = sub[j, keep]
    if "text" in docs.columns:
        out["text"] = docs["text"].to_numpy()[keep]
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- the report

def seeds_report(model, corpus, setup: SeedSetup, check: LexiconCheck | None = None, top: int = 20,
                 discovered: int = 10, scores: pd.DataFrame | None = None) -> dict:
    """All diagnostics per group, JSON-able.

    Returns
    -------
    dict with ``summary`` (groups, seeds found/missing, relevant topics, coverage of all seeds
    by the seeded topics and by the relevant topics) and ``groups``: one entry per group with
    ``topics`` (its seeded topics, each with label, its seeds' p(w|t) and ranks, discovered
    words), ``captured_by`` (topics that captured its words), ``seeds_found``,
    ``seeds_missing`` (with near matches), ``coverage``.
    """
    check = check if check is not None else check_lexicon(setup.lexicon, corpus, setup.modality)
    cap = seed_capture(model, corpus, setup)
    disc = discovery(model, corpus, setup, discovered)
    rel = relevant_topics(model, corpus, setup, top=top)
    drift = seed_drift(scores, setup) if scores is not None else pd.DataFrame()
    tab = check.table
    groups = []
    pos = {n: i for i, n in enumerate(model.topic_names)}
    for g in setup.lexicon.names:
        gt = tab[tab["group"] == g]
        terms = setup.terms.get(g, [])
        topics = []
        for name in setup.group_topics.get(g, []):
            if name not in pos:
                continue
            t = pos[name]
            ids = corpus.token_ids(list(terms), setup.modality) if terms else np.zeros(0, np.int64)
            pairs = [(int(i), t) for i in ids if i >= 0]
            ranks = seed_ranks(model.phi, _modality_rows(corpus, setup.modality), pairs)
            seeds = [{"term": w, "p_w_t": float(model.phi[int(i), t]), "rank": int(r)}
                     for w, (i, _), r in zip([w for w, i in zip(terms, ids) if i >= 0], pairs, ranks)]
            entry = {"topic": name, "label": model.label(t), "seeds": seeds,
                     "discovered": disc.loc[disc["topic"] == name, "token"].tolist()}
            if not drift.empty:
                dd = drift[(drift["topic"] == name)]
                if not dd.empty:
                    first = dd.sort_values("iteration").groupby("term")["rank"].first()
                    last = dd.sort_values("iteration").groupby("term")["rank"].last()
                    entry["drift"] = {w: {"first": float(first[w]), "last": float(last[w])} for w in last.index}
            topics.append(entry)
        gc = cap[cap["group"] == g]
        captured = (gc.groupby(["topic", "label"], sort=False)
                      .agg(p_t_w=("p_t_w", "sum"), words=("term", lambda s: sorted(set(s))))
                      .reset_index().sort_values("p_t_w", ascending=False))
        cov = coverage(model, corpus, _ids(corpus, terms, setup.modality), setup.group_topics.get(g, []))
        groups.append({
            "group": g,
            "topics": topics,
            "captured_by": [{"topic": r.topic, "label": r.label, "weight": round(float(r.p_t_w), 4),
                             "words": list(r.words)} for r in captured.itertuples()],
            "seeds_found": [{"seed": r.seed, "term": r.term, "tf": float(r.tf), "df": int(r.df)}
                            for r in gt[gt["found"]].itertuples()],
            "seeds_missing": [{"seed": r.seed, "term": r.term, "note": r.note, "near": list(r.suggestions)}
                              for r in gt[~gt["found"]].itertuples()],
            "coverage": cov,
        })
    all_ids = _ids(corpus, setup.all_terms, setup.modality)
    rel_names = rel["topic"].tolist()
    summary = {
        "groups": len(setup.lexicon), "groups_found": len(setup.terms),
        "seeds": int(len(tab)), "seeds_found": int(tab["found"].sum()),
        "seeded_topics": len(setup.seeded_topics),
        "relevant_topics": int(len(count_relevant(model, corpus, all_ids, top, setup.modality))),
        "coverage_seeded": coverage(model, corpus, all_ids, setup.seeded_topics),
        "coverage_relevant": coverage(model, corpus, all_ids, rel_names),
        "top": top,
    }
    return {"preset": setup.preset, "summary": summary, "groups": groups,
            "relevant_topics": [{"topic": r.topic, "label": r.label, "seeded": bool(r.seeded),
                                 "relevance": round(float(r.relevance), 6), "seeds_in_top": list(r.seeds_in_top),
                                 "top_words": r.top_words} for r in rel.itertuples()]}
