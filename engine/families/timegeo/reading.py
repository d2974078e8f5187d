"""Reading a fitted model over a time or place modality (the app's "Time and place" view).

With φ_wt = p(w|t) within the modality and n_t the topic's mass:

    p(bin|t) = φ_bt (each topic's profile over time, Σ_bin = 1),
    p(t|bin) = n_t φ_bt / Σ_s n_s φ_bs (the topics' shares at a time point, Σ_t = 1),

and the same p(t|g) for places g. The effect of GeoSmoothing is read from how close the
topic mixtures of similar places are: the S-weighted mean L1 distance Σ_t |p(t|g) − p(t|g')|
over the similarity pairs, against the mean over all other pairs of places (a fixed sample of
:data:`MAX_PAIRS` pairs when there are more).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.em.regularizers.time_smoothing import time_order
from engine.errors import InputError

__all__ = ["modality_ids", "time_profiles", "place_topics", "smoothing_effect"]

#: pairs of places compared at most (all pairs below this, else a fixed random sample)
MAX_PAIRS = 200_000


def modality_ids(corpus, modality: str) -> np.ndarray:
    """Token ids of ``modality`` (InputError naming the corpus and its modalities when absent)."""
    if modality not in corpus.modalities:
        raise InputError(f"corpus {corpus.name!r} has no modality {modality!r}; its modalities are "
                         f"{', '.join(corpus.modalities)}")
    return np.flatnonzero(corpus.token_modality == corpus.modalities.index(modality))


def _shares(model, ids: np.ndarray) -> np.ndarray:
    """(len(ids), T) p(t|token) = n_t φ_wt / Σ_s n_s φ_ws (rows of unused tokens are 0)."""
    w = np.asarray(model.phi[ids], np.float64) * np.asarray(model.n_t, np.float64)[None, :]
    s = w.sum(axis=1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


def time_profiles(model, corpus, modality: str = "@time") -> pd.DataFrame:
    """One row per (time token, topic) in time order: ``time``, ``topic``, ``label``,
    ``p_time_given_topic`` = φ_bt and ``p_topic_given_time`` = p(t|bin)."""
    ids = modality_ids(corpus, modality)
    ids = ids[time_order(corpus.vocab["token"].to_numpy()[ids])]
    T = model.phi.shape[1]
    share = _shares(model, ids)
    return pd.DataFrame({
        "time": np.repeat(corpus.vocab["token"].astype(str).to_numpy()[ids], T),
        "topic": np.tile(np.asarray(model.topic_names, dtype=object), len(ids)),
        "label": np.tile(np.asarray([model.label(t) for t in range(T)], dtype=object), len(ids)),
        "p_time_given_topic": np.asarray(model.phi[ids], np.float64).ravel(),
        "p_topic_given_time": share.ravel()})


def place_topics(model, corpus, modality: str) -> tuple[pd.Series, np.ndarray]:
    """(place names (G,), P (G, T) = p(t|g)) over the tokens of ``modality``."""
    ids = modality_ids(corpus, modality)
    return corpus.vocab["token"].astype(str).iloc[ids].reset_index(drop=True), _shares(model, ids)


def smoothing_effect(P: np.ndarray, S: sp.spmatrix) -> dict:
    """How alike similar places' topic mixtures are: ``similar`` = Σ S_gg' L1(P_g, P_g') / Σ S
    over the pairs of S (each once), ``other`` = mean L1 over the other pairs of places with a
    topic mixture (all, or a fixed sample of MAX_PAIRS), ``ratio`` = similar / other (below 1: similar places share topics more),
    and the numbers of pairs. ``P`` (G, T), ``S`` (G, G) symmetric."""
    S = sp.triu(sp.csr_matrix(S), k=1).tocoo()
    used = P.sum(axis=1) > 0
    keep = used[S.row] & used[S.col] & (S.data > 0)
    a, b, w = S.row[keep], S.col[keep], S.data[keep]
    if not len(a):
        raise InputError("no pair of similar places both have a topic mixture in this model")
    sim = float((w * np.abs(P[a] - P[b]).sum(axis=1)).sum() / w.sum())
    idx = np.flatnonzero(used)
    n = len(idx)
    if n * (n - 1) // 2 <= MAX_PAIRS:                 # every pair i < j
        i, j = np.triu_indices(n, k=1)
    else:                                            # a fixed random sample of pairs
        rng = np.random.default_rng(0)
        i, j = rng.integers(n, size=MAX_PAIRS), rng.integers(n, size=MAX_PAIRS)
        i, j = np.minimum(i, j)[i != j], np.maximum(i, j)[i != j]
    gi, gj = idx[i], idx[j]
    in_s = set(zip(a.tolist(), b.tolist()))
    other = np.fromiter(((x, y) not in in_s for x, y in zip(gi.tolist(), gj.tolist())), bool, len(gi))
    gi, gj = gi[other], gj[other]
    dist = np.concatenate([np.abs(P[gi[k:k + 8192]] - P[gj[k:k + 8192]]).sum(axis=1) for k in range(0, len(gi), 8192)]) \
        if len(gi) else np.zeros(0)
    mean_other = float(dist.mean()) if len(dist) else float("nan")
    return {"similar": sim, "other": mean_other, "ratio": sim / mean_other if len(dist) and mean_other > 0 else float("nan"),
            "similar_pairs": int(len(a)), "other_pairs": int(len(dist))}
