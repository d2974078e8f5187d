"""Seeded training: per-iteration seed ranks, a seeded start for Φ, and the foreground run.

- :func:`seed_ranks` / :class:`SeedRanks` — the rank of each seed in its topic after every
  pass (``seed_rank:<topic>:<term>`` scores; the family's score, see ``family.py``);
- :func:`seed_phi0` — seeded topics start from the word counts of the documents that mention
  their group;
- :func:`train_seeded` — a job of family "seeds", the setup and labels stored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.config import ModelConfig
from engine.em.scores import Score
from engine.em.arrays import normalize_phi, random_phi
from engine.jobs import TrainingJob, run_job_blocking
from engine.families.seeds.setup import RANK_PREFIX, SeedSetup, _ids

__all__ = ["seed_ranks", "SeedRanks", "seed_phi0", "train_seeded", "docs_mentioning"]


def docs_mentioning(n_dw, ids: np.ndarray) -> np.ndarray:
    """Boolean (D,): documents containing at least one of the token ``ids``."""
    D = n_dw.shape[0]
    if not len(ids):
        return np.zeros(D, bool)
    return np.asarray((n_dw[:, np.asarray(ids)] > 0).sum(axis=1)).ravel() > 0


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


def seed_phi0(corpus, config: ModelConfig, setup: SeedSetup, mix: float = 0.5) -> np.ndarray:
    """Initial Φ (W, T): random (from ``config.seed``) for ordinary and background topics; a
    seeded topic starts from the word counts of the documents that mention its group's seeds,
    φ_wt ∝ mix · Σ_{d ∋ seed} n_dw / N_t + (1 − mix) · random_wt.

    With the ``"shared"`` preset each seed-mentioning document is given to one of the shared
    topics at random, so they start different. Starting seeded topics from their documents
    keeps a rare group (a few hundred mentions in a corpus of a million tokens) from being
    taken over by whatever large theme the random start favoured.
    """
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
