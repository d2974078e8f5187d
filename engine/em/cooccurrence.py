"""Document co-occurrence of tokens and NPMI — the one implementation behind the Coherence
score, ``analysis.topic_summary`` and the ImproveCoherence regularizer."""
from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import scipy.sparse as sp

from engine.errors import ConfigError

__all__ = ["Cooccurrence", "cooccurrence", "frequent_tokens", "npmi_matrix", "npmi_coherence",
           "coherence_per_topic"]


class Cooccurrence:
    """Document co-occurrence of tokens, from the binary pattern of n_dw (sparse, CSC).

    ``df[w]`` = number of documents containing w; ``pair_counts(ids)`` = (k, k) matrix of the
    number of documents containing both ids[i] and ids[j] (computed on demand from the columns,
    so memory stays O(nnz) whatever W is).
    """

    def __init__(self, n_dw: sp.spmatrix):
        b = sp.csc_matrix(n_dw, dtype=np.float32, copy=True)
        b.data[:] = 1.0
        b.eliminate_zeros()
        self.binary = b
        self.n_docs = b.shape[0]
        self.df = np.asarray(b.sum(axis=0)).ravel().astype(np.float64)

    def pair_counts(self, ids: np.ndarray) -> np.ndarray:
        sub = self.binary[:, np.asarray(ids, dtype=np.int64)]
        return np.asarray((sub.T @ sub).todense(), dtype=np.float64)


_COOC_BY_CORPUS: "weakref.WeakKeyDictionary[Any, Cooccurrence]" = weakref.WeakKeyDictionary()
_COOC_BY_FP: dict[str, Cooccurrence] = {}
_COOC_LOCK = threading.Lock()
_COOC_MAX = 4


def cooccurrence(corpus) -> Cooccurrence:
    """The :class:`Cooccurrence` of ``corpus``, computed once and cached per corpus fingerprint
    (and per corpus object, so the fingerprint hash itself is computed once)."""
    with _COOC_LOCK:
        try:
            hit = _COOC_BY_CORPUS.get(corpus)
        except TypeError:
            hit = None
        if hit is not None:
            return hit
        fp = corpus.fingerprint()
        co = _COOC_BY_FP.get(fp)
        if co is None:
            co = Cooccurrence(corpus.n_dw)
            if len(_COOC_BY_FP) >= _COOC_MAX:
                _COOC_BY_FP.pop(next(iter(_COOC_BY_FP)))
            _COOC_BY_FP[fp] = co
        try:
            _COOC_BY_CORPUS[corpus] = co
        except TypeError:
            pass
        return co


def frequent_tokens(corpus, modality: str, max_tokens: int) -> np.ndarray:
    """Sorted ids of the ``max_tokens`` tokens of ``modality`` with the largest document
    frequency df_w (ties: the lower id); ConfigError when the corpus has no such modality."""
    if modality not in corpus.modalities:
        raise ConfigError(f"modality: the corpus has no modality {modality!r}")
    cand = np.flatnonzero(np.asarray(corpus.token_modality) == corpus.modalities.index(modality))
    df = cooccurrence(corpus).df[cand]
    return np.sort(cand[np.argsort(-df, kind="stable")[:max_tokens]])


def npmi_matrix(df: np.ndarray, co: np.ndarray, n_docs: int) -> np.ndarray:
    """NPMI(u, v) = ln(p_uv / (p_u p_v)) / (−ln p_uv) with p_u = D_u / D, p_uv = D_uv / D from
    document counts (``df`` (K,), ``co`` (K, K)); −1 where p_uv = 0 (never together), 1 where
    p_uv = 1 (together in every document)."""
    D = max(int(n_docs), 1)
    p = df / D
    puv = co / D
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(puv) - np.log(p)[:, None] - np.log(p)[None, :]
        out = pmi / (-np.log(puv))
    out[puv <= 0] = -1.0
    out[puv >= 1] = 1.0
    return np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=-1.0)




def npmi_coherence(co: Cooccurrence, ids: np.ndarray, joint_counts: np.ndarray | None = None) -> float:
    """Mean NPMI over the pairs of ``ids``:

    .. math:: \\mathrm{NPMI}(u,v) = \\frac{\\ln\\frac{p(u,v)}{p(u)p(v)}}{-\\ln p(u,v)},\\quad
              p(u)=\\frac{D_u}{D},\\; p(u,v)=\\frac{D_{uv}}{D}

    with document frequencies D_u and joint frequencies D_uv. A pair that never co-occurs scores
    −1; a pair present in every document (p(u,v)=1) scores 1. NaN for fewer than two ids.
    """
    ids = np.asarray(ids, dtype=np.int64)
    k = len(ids)
    if k < 2 or co.n_docs == 0:
        return float("nan")
    joint = co.pair_counts(ids) if joint_counts is None else joint_counts
    return float(npmi_matrix(co.df[ids], joint, co.n_docs)[np.triu_indices(k, 1)].mean())


def coherence_per_topic(co: Cooccurrence, tops: list[np.ndarray]) -> list[float]:
    """:func:`npmi_coherence` of every id list in ``tops``, from one co-occurrence product over
    the union of the ids (instead of one per topic)."""
    if not tops:
        return []
    union = np.unique(np.concatenate(tops)).astype(np.int64)
    counts = co.pair_counts(union) if len(union) else np.zeros((0, 0))
    loc_of = np.searchsorted(union, np.concatenate(tops)) if len(union) else np.zeros(0, np.int64)
    out, a = [], 0
    for ids in tops:
        loc = loc_of[a:a + len(ids)]
        a += len(ids)
        out.append(npmi_coherence(co, ids, counts[np.ix_(loc, loc)]))
    return out
