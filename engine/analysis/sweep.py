""""How many topics?": train one configuration at several T and random starts, score each run,
measure stability across starts, and find where the curves bend.

Every (T, start) run is an ordinary offline fit of ``base.with_changes(n_topics=T,
seed=base.seed + start)`` on the training part of the corpus (every k-th document held out,
k = round(1 / holdout)). Final scores: ``perplexity`` (train), ``holdout_perplexity``,
``coherence`` (NPMI of top-10 tokens), ``sparsity_phi``, ``sparsity_theta`` and
``topic_distance`` (mean pairwise Hellinger distance = distinctness); per T the starts are
matched for :func:`engine.analysis.stability.stability_score`. :func:`run_sweep` trains in memory
(``workers`` threads side by side, nogil kernels, one E-step thread each; nothing saved, nothing
resumable): the library's quick path and the tests' reference. The CLI and the app train every
run as a job with checkpoints (:mod:`engine.families.starts.sweep`), with the same results.

The ARTM answer (:func:`topic_selection_curve`): start with many topics and let TopicSelection
switch off the redundant ones; the surviving count per iteration is where it settles.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from engine.analysis.stability import THRESHOLD, knee, stability_score, topic_stability
from engine.corpus.corpus import Corpus
from engine.em.config import MAX_TOPICS, ModelConfig
from engine.em.regularizers import TopicSelection
from engine.em.scores import (
    Coherence, HoldoutPerplexity, ScoreSet, SparsityPhi, SparsityTheta, TopicDistance,
)
from engine.em.trainer import Trainer
from engine.errors import ConfigError

METRICS = ("perplexity", "holdout_perplexity", "coherence", "sparsity_phi", "sparsity_theta",
           "topic_distance", "stability")
_LAST_ONLY = 10 ** 9  # "every" that makes a score run on the last iteration only


def split_corpus(corpus: Corpus, holdout: float) -> tuple[Corpus, object]:
    """(training corpus, held-out n_dw): every k-th document (k = round(1/holdout)) is held out."""
    if holdout <= 0:
        return corpus, None
    k = max(2, int(round(1.0 / holdout)))
    d = np.arange(corpus.n_docs)
    test = d % k == k - 1
    train = Corpus(name=corpus.name, documents=corpus.documents.iloc[~test].reset_index(drop=True),
                   vocab=corpus.vocab, n_dw=corpus.n_dw[~test], manifest=corpus.manifest)
    return train, corpus.n_dw[test]


def check_sweep(topics, starts, holdout) -> list[int]:
    """The topic counts, sorted and unique, after checking every input (ConfigError naming the
    problem otherwise)."""
    if isinstance(topics, (str, bytes)) or not hasattr(topics, "__iter__"):
        raise ConfigError(f"sweep: topic counts must be a list of integers such as [10, 20, 40, 80], got {topics!r}")
    topics = list(topics)
    if not topics:
        raise ConfigError("sweep: give at least one topic count (e.g. --topics 10,20,40,80)")
    for t in topics:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 1 <= t <= MAX_TOPICS:
            raise ConfigError(f"sweep: topic counts must be integers in 1..{MAX_TOPICS}, got {t!r}")
    if isinstance(starts, bool) or not isinstance(starts, (int, np.integer)) or not 1 <= starts <= 50:
        raise ConfigError(f"sweep: starts must be an integer in 1..50, got {starts!r}")
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 <= holdout <= 0.5:
        raise ConfigError(f"sweep: holdout must be a fraction in [0, 0.5], got {holdout!r}")
    return sorted({int(t) for t in topics})



@dataclass(eq=False)
class SweepResult:
    """``runs``: one row per (topics, start) with the final scores and seconds; ``phis``: (T,
    start) → Φ; ``summary``: one row per T (means over starts, stability); ``bends``: metric →
    T where its curve bends (or None)."""

    runs: pd.DataFrame
    phis: dict = field(default_factory=dict)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    bends: dict = field(default_factory=dict)
    seconds: float = 0.0

    def topic_stability(self, topics: int, start: int = 0, threshold: float = THRESHOLD) -> pd.DataFrame:
        """Per-topic stability of one run against the other starts at the same T."""
        starts = sorted(s for (t, s) in self.phis if t == topics)
        phis = [self.phis[(topics, s)] for s in starts]
        return topic_stability(phis, reference=starts.index(start), threshold=threshold)


def _one(train: Corpus, heldout, cfg: ModelConfig, should_stop) -> tuple[dict, np.ndarray]:
    scores = ScoreSet([HoldoutPerplexity(every=_LAST_ONLY, n_dw=heldout)] if heldout is not None else [])
    scores.scores += [Coherence(every=_LAST_ONLY), SparsityPhi(every=_LAST_ONLY),
                      SparsityTheta(every=_LAST_ONLY), TopicDistance(every=_LAST_ONLY)]
    tr = Trainer(train, cfg)
    t0 = time.perf_counter()
    try:
        rep = None
        for _ in range(cfg.iterations):
            if should_stop is not None and should_stop():
                raise ConfigError("sweep stopped")
            rep = tr.step(score_fn=scores.compute)
        return {"seconds": time.perf_counter() - t0, **rep.scores}, tr.model.phi
    finally:
        tr.close()


def summarize(runs: pd.DataFrame, phis: dict, threshold: float = THRESHOLD) -> tuple[pd.DataFrame, dict]:
    """Per-T means (and standard deviations, ``<metric>_std``) plus stability; bends per metric."""
    cols = [c for c in METRICS if c in runs.columns and c != "stability"]
    g = runs.groupby("topics")
    summary = g[cols].mean()
    for c in cols:
        summary[f"{c}_std"] = g[c].std(ddof=0)
    summary["starts"] = g.size()
    stab = {}
    for t in summary.index:
        ps = [phis[k] for k in sorted(phis) if k[0] == t]
        stab[t] = stability_score(ps, threshold) if len(ps) >= 2 else {}
    for key in ("stability", "matched_distance", "stable_topics"):
        summary[key] = [stab[t].get(key, np.nan) for t in summary.index]
    summary = summary.reset_index()
    bends = {c: knee(summary["topics"], summary[c]) for c in list(cols) + ["stability"]}
    return summary, bends


def run_sweep(corpus: Corpus, topics: list[int], starts: int = 3, base: ModelConfig | None = None,
              holdout: float = 0.1, workers: int = 2, threshold: float = THRESHOLD,
              callback: Callable[[dict], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> SweepResult:
    """Train every (T, start) and return a :class:`SweepResult`; ``callback(row)`` per finished
    run (row = topics, start, seed, seconds, scores)."""
    topics = check_sweep(topics, starts, holdout)
    base = (base or ModelConfig()).validate()
    base.check_corpus(corpus)
    workers = max(1, int(workers))
    train, heldout = split_corpus(corpus, holdout)
    jobs = [(t, s, base.with_changes(n_topics=t, seed=base.seed + s,
                                     threads=1 if workers > 1 else base.threads).validate())
            for t in topics for s in range(starts)]
    t0 = time.perf_counter()
    rows, phis = [], {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="artm-sweep") as pool:
        futs = {pool.submit(_one, train, heldout, cfg, should_stop): (t, s, cfg) for t, s, cfg in jobs}
        for f in as_completed(futs):
            t, s, cfg = futs[f]
            scores, phi = f.result()
            row = {"topics": t, "start": s, "seed": cfg.seed, **scores}
            rows.append(row)
            phis[(t, s)] = phi
            if callback is not None:
                callback(row)
    runs = pd.DataFrame(rows).sort_values(["topics", "start"]).reset_index(drop=True)
    summary, bends = summarize(runs, phis, threshold)
    return SweepResult(runs=runs, phis=phis, summary=summary, bends=bends,
                       seconds=time.perf_counter() - t0)


def topic_selection_curve(corpus: Corpus, n_topics: int, tau: float = 0.5,
                          base: ModelConfig | None = None, iterations: int | None = None,
                          callback: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Train ``n_topics`` topics with TopicSelection(τ) on all subject topics; DataFrame
    [iteration, surviving, perplexity]: topics with a non-zero Φ column after each pass."""
    base = (base or ModelConfig()).with_changes(n_topics=int(n_topics))
    if iterations is not None:
        base = base.with_changes(iterations=int(iterations))
    cfg = base.with_changes(regularizers=tuple(base.regularizers) + (
        TopicSelection(name="topic_selection", tau=float(tau)),)).validate()
    tr = Trainer(corpus, cfg)
    rows = []
    try:
        for _ in range(cfg.iterations):
            rep = tr.step()
            alive = cfg.total_topics - int(rep.scores.get("dead_topics", 0))
            rows.append({"iteration": rep.iteration, "surviving": alive,
                         "perplexity": rep.scores.get("perplexity", np.nan)})
            if callback is not None:
                callback(rep.iteration, alive)
    finally:
        tr.close()
    return pd.DataFrame(rows)
