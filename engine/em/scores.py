"""Scores: one small class per quality measure, computed after an EM pass from a
:class:`~engine.em.model.ScoreContext` (no score re-runs the E-step).

Names and definitions follow BigARTM (``python/artm/scores.py``, ``docs/tutorials/scores_descr.txt``).
Every score has an ``every`` setting: it is computed when ``iteration % every == 0`` and always on
the last iteration. ``compute(ctx)`` returns a flat ``dict[str, float]``; per-modality values
are keyed ``name`` for the first (default) modality and ``name@modality`` for the others
(``sparsity_phi``, ``sparsity_phi@labels`` for the modality ``@labels``). Perplexity follows the
trainer's keys instead: ``perplexity`` over all modalities plus ``perplexity@<modality>`` for each.

Conventions (shapes as in the ARTM papers): Φ is (W, T), Θ is (T, D), n_wt is (W, T).
Aggregates over topics use *subject* topics only unless a class says otherwise, and skip dead
topics (all-zero Φ column) where a value would be undefined.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.em.cooccurrence import (
    Cooccurrence, coherence_per_topic, cooccurrence, npmi_coherence,
)
from engine.em.family import FAMILIES
from engine.em.inference import transform
from engine.em.model import ScoreContext, TopicModel
from engine.em.perplexity import loglik_of, perplexity_of
from engine.em.topics import kernel_stats
from engine.errors import ConfigError

__all__ = [
    "Score", "Perplexity", "HeldOutPerplexity", "SparsityPhi", "SparsityTheta", "TopicKernel",
    "BackgroundTokensRatio", "TopicMass", "Coherence", "TopicDistance", "ClassPrecision",
    "SCORES", "SCORE_NAMES", "ScoreSet", "default_scores", "score_from_dict", "perplexity_of",
    "cooccurrence", "Cooccurrence", "npmi_coherence", "coherence_per_topic", "top_token_ids",
    "align_counts",
]

EPS = 1e-37  # BigARTM's eps for "zero" in sparsity scores


def modality_key(name: str, modality: str, modalities: list[str]) -> str:
    """``name`` for the first (default) modality, ``name@modality`` for the others (the
    modality's own leading ``@`` dropped: ``perplexity@labels`` for ``@labels``)."""
    if modalities and modality == modalities[0]:
        return name
    return f"{name}@{modality.lstrip('@')}"


def _pick_modality(model: TopicModel, modality: str | None) -> tuple[str, np.ndarray] | None:
    """(name, token mask) of ``modality`` (default: the first one); None if the model lacks it."""
    if not model.modalities:
        return None
    m = modality or model.modalities[0]
    if m not in model.modalities:
        return None
    code = model.modalities.index(m)
    return m, np.asarray(model.token_modality) == code


def _rows(a: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``a[mask]`` without a copy when the mask selects every row."""
    return a if mask.all() else a[mask]


def _live_subject(model: TopicModel, topics: Any = "subject") -> np.ndarray:
    """Indices of the selected topics whose Φ column is not all zero."""
    idx = model.topic_indices(topics)
    alive = model.phi[:, idx].sum(axis=0) > 0
    return idx[alive]


# --------------------------------------------------------------------------- base + registry

SCORES: dict[str, type["Score"]] = {}


def _register(cls):
    SCORES[cls.kind] = cls
    return cls


@dataclass
class Score:
    """Base class: ``every`` schedule, JSON round trip. Subclasses set ``kind`` and ``compute``."""

    kind: ClassVar[str] = "Score"
    RENAMED: ClassVar[dict] = {}  # old field name -> new (accepted by score_from_dict)
    every: int = 1

    def __post_init__(self):
        if not isinstance(self.every, (int, np.integer)) or isinstance(self.every, bool) or self.every < 1:
            raise ConfigError(f"{self.kind}.every must be an integer >= 1, got {self.every!r}")

    def due(self, iteration: int, last: bool = False) -> bool:
        """True when the score should be computed at ``iteration`` (1-based)."""
        return bool(last) or iteration % self.every == 0

    def compute(self, ctx: ScoreContext) -> dict[str, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            if f.metadata.get("transient"):
                continue
            v = getattr(self, f.name)
            d[f.name] = list(v) if isinstance(v, tuple) else v
        return d


def score_from_dict(d: dict) -> Score:
    """Build a score from ``{"kind": ..., "every": ..., params...}``; ConfigError names bad fields."""
    if not isinstance(d, dict) or "kind" not in d:
        raise ConfigError(f"a score setting needs a 'kind' (one of {', '.join(SCORES)}), got {d!r}")
    kind = d["kind"]
    if kind not in SCORES:
        raise ConfigError(f"unknown score kind {kind!r}; known: {', '.join(SCORES)}")
    cls = SCORES[kind]
    allowed = {f.name for f in fields(cls) if not f.metadata.get("transient")}
    params = {cls.RENAMED.get(k, k): v for k, v in d.items() if k != "kind"}
    bad = set(params) - allowed
    if bad:
        raise ConfigError(f"{kind}: unknown field(s) {', '.join(sorted(bad))}; allowed: {', '.join(sorted(allowed))}")
    for k, v in params.items():
        if isinstance(v, list):
            params[k] = tuple(v)
    return cls(**params)


# --------------------------------------------------------------------------- perplexity

@_register
@dataclass
class Perplexity(Score):
    """Train perplexity (BigARTM ``PerplexityScore``), overall and per modality.

    .. math:: \\mathcal{P}_m = \\exp\\Big(-\\frac{1}{n_m} \\sum_d \\sum_{w \\in W_m} n_{dw}
              \\ln \\sum_t \\phi_{wt}\\theta_{td}\\Big),\\quad n_m = \\sum_d\\sum_{w\\in W_m} n_{dw}

    and ``perplexity`` = exp(−Σ_m L_m / Σ_m n_m). Read from ``ctx.loglik`` / ``ctx.n_tokens``,
    which the E-step accumulates (no second pass). :class:`engine.em.trainer.Trainer` already puts
    these keys (with modality weights) into every report, so this class is not in
    :func:`default_scores`; it exists for contexts built elsewhere. Keys ``perplexity``,
    ``perplexity@<modality>``.
    """

    kind: ClassVar[str] = "Perplexity"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        return perplexity_of(ctx.loglik, ctx.n_tokens, ctx.model.modalities)


@_register
@dataclass
class HeldOutPerplexity(Score):
    """Held-out perplexity per modality: Θ of the held-out documents is inferred with Φ fixed
    (BigARTM: ``transform`` with a ``PerplexityScore`` attached), then

    .. math:: \\mathcal{P}^{hold}_m = \\exp\\big(-\\tfrac{1}{n'_m}\\sum_{d\\in D'}\\sum_{w\\in W_m}
              n'_{dw}\\ln\\sum_t\\phi_{wt}\\theta'_{td}\\big)

    ``n_dw`` is the held-out count matrix (D', W) over the training vocabulary (transient, not
    serialized). By default :func:`engine.em.inference.transform` infers Θ with ``inner_passes`` inner
    iterations and returns the log-likelihood from the same kernel (BigARTM's zero-p(w|d)
    fallback included); a custom ``infer(model, n_dw) -> theta (T, D')`` uses :func:`loglik_of`.
    Keys ``holdout_perplexity`` (all modalities) and ``holdout_perplexity@<modality>``.
    Default ``every=5``.
    """

    kind: ClassVar[str] = "HeldOutPerplexity"
    RENAMED: ClassVar[dict] = {"passes": "inner_passes"}
    every: int = 5
    inner_passes: int = 10
    n_dw: Any = field(default=None, repr=False, metadata={"transient": True})
    infer: Any = field(default=None, repr=False, metadata={"transient": True})

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        if self.n_dw is None or self.n_dw.shape[0] == 0:
            return {}
        model = ctx.model
        mods = model.modalities
        if self.infer is None:
            _theta, ll, nt = transform(model, self.n_dw, inner_passes=self.inner_passes)
            per = perplexity_of(ll, nt, mods)
        else:
            theta = self.infer(model, self.n_dw)
            ll, nt = loglik_of(model.phi, theta, self.n_dw, np.asarray(model.token_modality), len(mods))
            per = perplexity_of(dict(zip(mods, ll)), dict(zip(mods, nt)), mods)
        return {"holdout_" + k: v for k, v in per.items()}


def align_counts(other, corpus) -> sp.csr_matrix:
    """n_dw of corpus ``other`` re-indexed onto ``corpus``'s vocabulary, shape (D', W): tokens
    are matched by (modality, token) string; tokens ``corpus`` lacks are dropped. Used to score a
    held-out corpus imported separately (same preprocessing) against a model of ``corpus``."""
    key = lambda v: pd.MultiIndex.from_arrays([v["modality"].astype(str), v["token"].astype(str)])  # noqa: E731
    target = key(corpus.vocab)
    if target.has_duplicates:
        target = target.drop_duplicates()
    pos = target.get_indexer(key(other.vocab))  # other's token id -> corpus token id or -1
    m = sp.csr_matrix(other.n_dw).tocoo()
    keep = pos[m.col] >= 0
    out = sp.csr_matrix((m.data[keep].astype(np.float32), (m.row[keep], pos[m.col[keep]])),
                        shape=(m.shape[0], corpus.n_tokens))
    out.sum_duplicates()
    out.sort_indices()
    out.indices = out.indices.astype(np.int32)
    return out


# --------------------------------------------------------------------------- sparsity

@_register
@dataclass
class SparsityPhi(Score):
    """Sparsity of Φ (BigARTM ``SparsityPhiScore``): the share of zero entries
    :math:`|\\{(w,t): \\phi_{wt} < \\varepsilon\\}| / (|W_m|\\,|T|)` per modality over the chosen
    topics (default: subject topics). Keys ``sparsity_phi``, ``sparsity_phi@<modality>``.
    """

    kind: ClassVar[str] = "SparsityPhi"
    topics: Any = "subject"
    eps: float = EPS

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        idx = model.topic_indices(self.topics)
        if len(idx) == 0:
            return {}
        zero = model.phi[:, idx] < self.eps
        codes = np.asarray(model.token_modality)
        out = {}
        for c, m in enumerate(model.modalities):
            mask = codes == c
            if mask.any():
                out[modality_key("sparsity_phi", m, model.modalities)] = float(zero[mask].mean())
        return out


@_register
@dataclass
class SparsityTheta(Score):
    """Sparsity of Θ (BigARTM ``SparsityThetaScore``): the share of zero entries
    :math:`|\\{(t,d): \\theta_{td} < \\varepsilon\\}| / (|T|\\,|D|)` over the chosen topics
    (default: subject topics). Key ``sparsity_theta``.
    """

    kind: ClassVar[str] = "SparsityTheta"
    topics: Any = "subject"
    eps: float = EPS

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        idx = ctx.model.topic_indices(self.topics)
        th = ctx.model.theta
        if len(idx) == 0 or th.shape[1] == 0:
            return {}
        return {"sparsity_theta": float((th[idx] < self.eps).mean())}


# --------------------------------------------------------------------------- kernels

@_register
@dataclass
class TopicKernel(Score):
    """Topic kernels (BigARTM ``TopicKernelScore``) of one modality.

    The kernel of topic t is :math:`W_t = \\{w : p(t|w) > \\delta\\}` with
    :math:`p(t|w) = \\phi_{wt} n_t / \\sum_s \\phi_{ws} n_s` (n_t from ``ctx.n_wt`` within the
    modality, all topics in the denominator) and δ = ``threshold`` (0.25). Then

    * size :math:`|W_t|`,
    * purity :math:`\\sum_{w\\in W_t} \\phi_{wt}` (the probability mass of the kernel),
    * contrast :math:`\\frac{1}{|W_t|}\\sum_{w\\in W_t} p(t|w)`.

    Reported as averages over the live subject topics: ``kernel_size``, ``kernel_purity``
    (an empty kernel counts 0) and ``kernel_contrast`` (averaged over non-empty kernels).
    Non-default modalities get ``@<modality>`` suffixes.
    """

    kind: ClassVar[str] = "TopicKernel"
    threshold: float = 0.25
    modality: str | None = None
    topics: Any = "subject"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        pm = _pick_modality(model, self.modality)
        if pm is None:
            return {}
        m, mask = pm
        idx = _live_subject(model, self.topics)
        if len(idx) == 0 or not mask.any():
            return {}
        phi = _rows(np.asarray(model.phi), mask)
        n_t = _rows(np.asarray(ctx.n_wt), mask).sum(axis=0, dtype=np.float64)
        size, purity, contrast, _ = kernel_stats(phi, n_t, self.threshold, no_mass="zero")
        size, purity, contrast = size[idx], purity[idx], contrast[idx]
        nonempty = size > 0
        contrast = contrast[nonempty]
        key = lambda n: modality_key(n, m, model.modalities)  # noqa: E731
        return {key("kernel_size"): float(size.mean()),
                key("kernel_purity"): float(purity.mean()),
                key("kernel_contrast"): float(contrast.mean()) if nonempty.any() else 0.0}


# --------------------------------------------------------------------------- mass

@_register
@dataclass
class BackgroundTokensRatio(Score):
    """Share of the token mass the E-step gives background topics:
    :math:`\\sum_{w\\in W_m}\\sum_{t\\in B} n_{wt} / \\sum_{w\\in W_m}\\sum_t n_{wt}` for the default
    modality (BigARTM's ``BackgroundTokensRatioScore`` counts tokens whose KL(p(t)‖p(t|w)) exceeds
    δ; the mass share is the direct reading of "how much text background topics absorb").
    Key ``background_ratio`` (0 when the model has no background topics).
    """

    kind: ClassVar[str] = "BackgroundTokensRatio"
    modality: str | None = None

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        pm = _pick_modality(model, self.modality)
        if pm is None:
            return {}
        m, mask = pm
        n_t = _rows(np.asarray(ctx.n_wt), mask).sum(axis=0, dtype=np.float64)
        total = n_t.sum()
        if total <= 0:
            return {}
        bg = n_t[np.asarray(model.background, dtype=bool)].sum()
        return {modality_key("background_ratio", m, model.modalities): float(bg / total)}


@_register
@dataclass
class TopicMass(Score):
    """Topic mass (BigARTM ``TopicMassPhiScore``): :math:`n_t / \\sum_s n_s` with
    :math:`n_t = \\sum_w n_{wt}` from ``ctx.n_wt`` (all modalities, weights applied).

    Keys ``topic_mass:<topic name>`` for every topic, and ``dead_topics`` (number of topics with
    an all-zero Φ column).
    """

    kind: ClassVar[str] = "TopicMass"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        n_t = np.asarray(ctx.n_wt).sum(axis=0, dtype=np.float64)
        total = n_t.sum()
        share = n_t / total if total > 0 else np.zeros_like(n_t)
        out = {f"topic_mass:{name}": float(s) for name, s in zip(model.topic_names, share)}
        out["dead_topics"] = float(len(model.dead_topics()))
        return out


# --------------------------------------------------------------------------- coherence

def top_token_ids(phi: np.ndarray, mask: np.ndarray, topics: np.ndarray, k: int) -> list[np.ndarray]:
    """For each topic in ``topics`` the ids (global rows of Φ) of its k largest φ_wt within
    ``mask``, by decreasing φ (ties by token id); zero-probability tokens are left out."""
    rows = np.flatnonzero(mask)
    topics = np.asarray(topics, dtype=np.int64)
    kk = min(k, len(rows))
    if kk == 0 or len(topics) == 0:
        return [np.zeros(0, dtype=np.int64) for _ in topics]
    sub = np.ascontiguousarray(np.asarray(phi)[rows][:, topics].T)  # (T', W_m), rows contiguous
    cand = np.argpartition(-sub, kk - 1, axis=1)[:, :kk] if kk < len(rows) else \
        np.tile(np.arange(len(rows)), (len(topics), 1))
    val = np.take_along_axis(sub, cand, axis=1)
    order = np.lexsort((cand, -val), axis=-1)
    cand = np.take_along_axis(cand, order, axis=1)
    val = np.take_along_axis(val, order, axis=1)
    return [rows[c[v > 0]] for c, v in zip(cand, val)]


@_register
@dataclass
class Coherence(Score):
    """Topic coherence: mean NPMI of the top-k tokens of each live subject topic over document
    co-occurrence in the training corpus (BigARTM ``TopTokensScore`` with a co-occurrence
    dictionary; here NPMI is computed from n_dw, no external tool), averaged over topics:

    .. math:: C = \\frac{1}{|T|}\\sum_t \\frac{2}{k(k-1)}\\sum_{i<j}
              \\mathrm{NPMI}(w^t_i, w^t_j)

    Co-occurrence is built once per corpus (:func:`cooccurrence`). Key ``coherence``
    (``coherence@<modality>`` for a non-default modality). Default ``every=5``.
    """

    kind: ClassVar[str] = "Coherence"
    every: int = 5
    top_k: int = 10
    modality: str | None = None
    topics: Any = "subject"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        pm = _pick_modality(model, self.modality)
        if pm is None:
            return {}
        m, mask = pm
        idx = _live_subject(model, self.topics)
        if len(idx) == 0:
            return {}
        co = cooccurrence(ctx.corpus)
        vals = coherence_per_topic(co, top_token_ids(model.phi, mask, idx, self.top_k))
        vals = [v for v in vals if np.isfinite(v)]
        if not vals:
            return {}
        return {modality_key("coherence", m, model.modalities): float(np.mean(vals))}


# --------------------------------------------------------------------------- distinctness

def pairwise_topic_distance(phi: np.ndarray, metric: str = "hellinger") -> np.ndarray:
    """(T, T) distances between the columns of ``phi`` (each a distribution over tokens).

    * ``hellinger``: :math:`H(p,q) = \\sqrt{1 - \\sum_w \\sqrt{p_w q_w}}` (in [0, 1]);
    * ``jensen_shannon``: :math:`JS(p,q) = \\tfrac12 KL(p\\|m) + \\tfrac12 KL(q\\|m)`,
      m = (p+q)/2, in bits (in [0, 1]).
    """
    p = np.asarray(phi, dtype=np.float64)
    s = p.sum(axis=0, keepdims=True)
    p = np.divide(p, s, out=np.zeros_like(p), where=s > 0)
    T = p.shape[1]
    if metric == "hellinger":
        r = np.sqrt(p)
        # einsum's own loop, not BLAS: OpenBLAS threads spin badly when the E-step threads or
        # other processes hold the cores (measured 1–3 s vs 0.2 s for W = 28,865, T = 100)
        bc = np.clip(np.einsum("wt,ws->ts", r, r, optimize=False), 0.0, 1.0)
        return np.sqrt(np.clip(1.0 - bc, 0.0, 1.0))
    if metric == "jensen_shannon":
        out = np.zeros((T, T))
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(p > 0, np.log2(p), 0.0)
            for i in range(T):
                for j in range(i + 1, T):
                    a, b = p[:, i], p[:, j]
                    mm = 0.5 * (a + b)
                    nz = mm > 0
                    logm = np.log2(mm[nz])
                    kl_a = np.sum(a[nz] * (logp[nz, i] - logm))
                    kl_b = np.sum(b[nz] * (logp[nz, j] - logm))
                    out[i, j] = out[j, i] = 0.5 * (kl_a + kl_b)
        return np.clip(out, 0.0, 1.0)
    raise ConfigError(f"TopicDistance.metric must be 'hellinger' or 'jensen_shannon', got {metric!r}")


@_register
@dataclass
class TopicDistance(Score):
    """Topic distinctness: mean pairwise distance between the Φ columns (within one modality) of
    the live subject topics, :math:`\\frac{2}{|T|(|T|-1)}\\sum_{s<t} d(\\phi_s, \\phi_t)` with d the
    Hellinger distance (default) or the Jensen–Shannon divergence in bits. Both lie in [0, 1];
    larger is more distinct. Key ``topic_distance``.
    """

    kind: ClassVar[str] = "TopicDistance"
    metric: str = "hellinger"
    modality: str | None = None
    topics: Any = "subject"

    def __post_init__(self):
        super().__post_init__()
        if self.metric not in ("hellinger", "jensen_shannon"):
            raise ConfigError(f"TopicDistance.metric must be 'hellinger' or 'jensen_shannon', got {self.metric!r}")

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        pm = _pick_modality(model, self.modality)
        if pm is None:
            return {}
        m, mask = pm
        idx = _live_subject(model, self.topics)
        if len(idx) < 2:
            return {}
        d = pairwise_topic_distance(_rows(np.asarray(model.phi), mask)[:, idx], self.metric)
        iu = np.triu_indices(len(idx), 1)
        return {modality_key("topic_distance", m, model.modalities): float(d[iu].mean())}


# --------------------------------------------------------------------------- supervision

@_register
@dataclass
class ClassPrecision(Score):
    """Class precision for a label modality (BigARTM ``ClassPrecisionScore``): the share of
    labelled documents whose predicted class :math:`\\arg\\max_c p(c|d)`,
    :math:`p(c|d) = \\sum_t \\phi_{ct}\\theta_{td}` over the tokens c of the label modality, is one
    of the document's own label tokens (n_dc > 0). Documents without a label token are not
    counted. Key ``class_precision@<modality>``; absent when the corpus has no such modality.
    """

    kind: ClassVar[str] = "ClassPrecision"
    modality: str = "@labels"

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        model = ctx.model
        if self.modality not in model.modalities:
            return {}
        _, mask = _pick_modality(model, self.modality)
        cols = np.flatnonzero(mask)
        if len(cols) == 0:
            return {}
        labels = sp.csr_matrix(ctx.corpus.n_dw)[:, cols]
        has = np.diff(labels.indptr) > 0
        if not has.any():
            return {}
        docs = np.flatnonzero(has)
        p_cd = np.einsum("ct,td->cd", np.asarray(model.phi[cols], dtype=np.float64),
                         np.asarray(model.theta[:, docs], dtype=np.float64), optimize=False)
        pred = np.argmax(p_cd, axis=0)
        own = labels[docs]
        hit = np.asarray(own[np.arange(len(docs)), pred]).ravel() > 0
        hit &= p_cd.max(axis=0) > 0
        return {modality_key("class_precision", self.modality, model.modalities): float(hit.mean())}


# --------------------------------------------------------------------------- score set

#: snake-case score names (as in ``ModelConfig.scores``) -> class kind
SCORE_NAMES = {
    "perplexity": "Perplexity", "holdout_perplexity": "HeldOutPerplexity",
    "sparsity_phi": "SparsityPhi", "sparsity_theta": "SparsityTheta", "topic_kernel": "TopicKernel",
    "background_ratio": "BackgroundTokensRatio", "topic_mass": "TopicMass", "coherence": "Coherence",
    "topic_distance": "TopicDistance", "class_precision": "ClassPrecision",
}


def register_score(cls: type[Score], snake: str | None = None) -> type[Score]:
    """Add a family's score class (by ``kind``; ``snake`` is its name in ``ModelConfig.scores``)."""
    SCORES[cls.kind] = cls
    if snake:
        SCORE_NAMES.setdefault(snake, cls.kind)
    return cls


def score_set_for(config, corpus=None, held_out=None) -> "ScoreSet":
    """The ScoreSet of a run: ``config.scores`` (:meth:`ScoreSet.from_config`, + held-out
    perplexity when ``held_out`` is given) plus the scores the config's family adds
    (:mod:`engine.em.family`). The jobs, the CLI and the tests all build scores here."""
    score_set = ScoreSet.from_config(getattr(config, "scores", {}), held_out=held_out)
    family = FAMILIES.get(getattr(config, "family", "standard"))
    if family is not None:
        have = {s.kind for s in score_set}
        score_set.scores.extend(s for s in family.extra_scores(corpus, config) if s.kind not in have)
    return score_set


def default_scores() -> list[Score]:
    """The scores a run computes unless its config says otherwise."""
    return [SparsityPhi(), SparsityTheta(), TopicKernel(), BackgroundTokensRatio(),
            TopicMass(), Coherence(every=5), TopicDistance(every=5), ClassPrecision()]


class ScoreSet:
    """An ordered collection of scores computed together after each pass.

    ``compute(ctx)`` runs every score that is due (``ctx.iteration % every == 0`` or
    ``ctx.last``) and merges their flat dicts. Errors propagate: a broken score is a bug to
    see, not to hide.
    """

    def __init__(self, scores: list[Score] | None = None):
        self.scores = list(default_scores() if scores is None else scores)

    def __iter__(self):
        return iter(self.scores)

    def __len__(self):
        return len(self.scores)

    def compute(self, ctx: ScoreContext) -> dict[str, float]:
        out: dict[str, float] = {}
        for s in self.scores:
            if s.due(ctx.iteration, ctx.last):
                out.update(s.compute(ctx))
        return out

    def to_list(self) -> list[dict]:
        return [s.to_dict() for s in self.scores]

    @classmethod
    def from_config(cls, every: dict | None, held_out=None) -> "ScoreSet":
        """From ``ModelConfig.scores`` (score name -> every; 0 switches a score off).

        Names are the snake-case names of :data:`SCORE_NAMES` (``perplexity``, ``coherence``,
        ...) or the class kinds (``Perplexity``). Scores not named keep their default ``every``;
        an empty mapping gives :func:`default_scores`. ``held_out`` (a held-out n_dw) adds
        :class:`HeldOutPerplexity` unless switched off.
        """
        every = dict(every or {})
        wanted: dict[str, int] = {}
        for name, k in every.items():
            kind = SCORE_NAMES.get(name, name if name in SCORES else None)
            if kind is None:
                raise ConfigError(f"scores: unknown score {name!r}; known: {', '.join(SCORE_NAMES)}")
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
                raise ConfigError(f"scores[{name!r}] must be an integer >= 0 (0 = off), got {k!r}")
            wanted[kind] = int(k)
        out = []
        defaults = default_scores()
        if held_out is not None:
            defaults.append(HeldOutPerplexity(n_dw=held_out))
        have = {s.kind for s in defaults}
        for kind in wanted:
            if kind not in have and wanted[kind] > 0:
                defaults.append(SCORES[kind]())
        for s in defaults:
            k = wanted.get(s.kind, s.every)
            if k == 0:
                continue
            s.every = k
            out.append(s)
        return cls(out)

    @classmethod
    def from_list(cls, items: list[dict] | None) -> "ScoreSet":
        """From ``[{"kind": ..., ...}, ...]``; ``None`` gives the default set."""
        if items is None:
            return cls()
        return cls([score_from_dict(d) for d in items])
