"""Document co-occurrence of tokens and NPMI — the one implementation behind the Coherence
score, ``analysis.topic_summary`` and the ImproveCoherence regularizer."""
from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
import scipy.sparse as sp

from engine.em._kernels import scores as KS
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
        self._lists: dict[bytes, np.ndarray] = {}  # id list -> its pair counts (memo, bounded)
        self._lists_lock = threading.Lock()

    def pair_counts(self, ids: np.ndarray) -> np.ndarray:
        sub = self.binary[:, np.asarray(ids, dtype=np.int64)]
        return np.asarray((sub.T @ sub).todense(), dtype=np.float64)

    def list_pair_counts(self, lists: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`pair_counts` of each id list (each ≤ 64 ids), by one compiled pass over the
        lists' columns (:func:`engine.em._kernels.scores.pair_counts_marked`). Lists seen before
        are answered from a memo (top-token lists change little from one pass to the next)."""
        keys = [np.asarray(ids, np.int64).tobytes() for ids in lists]
        with self._lists_lock:
            out = [self._lists.get(k) for k in keys]
        todo = [j for j, c in enumerate(out) if c is None]
        if todo:
            k = max(len(lists[j]) for j in todo)
            tops = np.zeros((len(todo), k), np.int64)
            lens = np.zeros(len(todo), np.int64)
            for r, j in enumerate(todo):
                tops[r, :len(lists[j])] = lists[j]
                lens[r] = len(lists[j])
            counts = np.zeros((len(todo), k, k))
            mark = np.zeros(self.n_docs, np.uint64)
            KS.pair_counts_marked(self.binary.indptr, self.binary.indices, tops, lens, mark, counts)
            with self._lists_lock:
                if len(self._lists) + len(todo) > _LISTS_MAX:
                    self._lists.clear()
                for r, j in enumerate(todo):
                    n = int(lens[r])
                    out[j] = counts[r, :n, :n].copy()
                    self._lists[keys[j]] = out[j]
        return out


_COOC_BY_CORPUS: "weakref.WeakKeyDictionary[Any, Cooccurrence]" = weakref.WeakKeyDictionary()
_COOC_BY_FP: dict[str, Cooccurrence] = {}
_COOC_LOCK = threading.Lock()
_COOC_MAX = 4
_LISTS_MAX = 8192  # memoized id lists per Cooccurrence (≤ 8192 · 64² · 8 B; in practice k = 10: 6.5 MB)


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
    document counts (``df`` (..., K), ``co`` (..., K, K): one matrix or a stack); −1 where p_uv = 0 (never together), 1 where
    p_uv = 1 (together in every document)."""
    D = max(int(n_docs), 1)
    p = df / D
    puv = co / D
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(puv) - np.log(p)[..., :, None] - np.log(p)[..., None, :]
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
    if max(len(ids) for ids in tops) <= 64:  # the usual top-k lists: one compiled pass, memoized
        return _npmi_means(co, tops, co.list_pair_counts(tops))
    union = np.unique(np.concatenate(tops)).astype(np.int64)
    counts = co.pair_counts(union) if len(union) else np.zeros((0, 0))
    loc_of = np.searchsorted(union, np.concatenate(tops)) if len(union) else np.zeros(0, np.int64)
    out, a = [], 0
    for ids in tops:
        loc = loc_of[a:a + len(ids)]
        a += len(ids)
        out.append(npmi_coherence(co, ids, counts[np.ix_(loc, loc)]))
    return out


def _npmi_means(co: Cooccurrence, tops: list[np.ndarray], counts: list[np.ndarray]) -> list[float]:
    """:func:`npmi_coherence` of each list from its pair counts, lists of one length at a time
    (one stacked :func:`npmi_matrix` instead of one call per topic; the same values)."""
    out = [float("nan")] * len(tops)
    if co.n_docs == 0:
        return out
    by_len: dict[int, list[int]] = {}
    for j, ids in enumerate(tops):
        if len(ids) >= 2:
            by_len.setdefault(len(ids), []).append(j)
    for k, js in by_len.items():
        df = co.df[np.stack([np.asarray(tops[j], np.int64) for j in js])]
        vals = npmi_matrix(df, np.stack([counts[j] for j in js]), co.n_docs)
        iu = np.triu_indices(k, 1)
        means = np.ascontiguousarray(vals[:, iu[0], iu[1]]).mean(axis=1)
        for j, m in zip(js, means):
            out[j] = float(m)
    return out
