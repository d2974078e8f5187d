"""Reading a fitted hypergraph model: p(t|d,x) of edges, one topic per sentence.

p(t|d,x) = norm_t(θ_td Π_{v∈x} φ_vt^{m_v}), computed in log space (a sentence's product of
word probabilities underflows float64 otherwise).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InputError

__all__ = ["edge_topics", "position_edges", "sentence_table", "edge_table"]


def edge_topics(phi: np.ndarray, theta_d: np.ndarray, edges, which) -> np.ndarray:
    """(T, n) float32: p(t|d,x) for the edges ``which`` (indices, all of document d) given Φ
    (W, T) and θ_d (T,). Vertices whose Φ row is all zero are left out; an edge no topic can
    produce gets a zero column."""
    which = np.asarray(list(which), np.int64)
    T = phi.shape[1]
    out = np.zeros((T, len(which)), np.float32)
    alive = phi.sum(axis=1) > 0
    with np.errstate(divide="ignore"):
        lth = np.log(np.asarray(theta_d, np.float64))
        for j, x in enumerate(which):
            a, b = int(edges.edge_ptr[x]), int(edges.edge_ptr[x + 1])
            v, m = edges.vertex[a:b], edges.mult[a:b]
            keep = alive[v]
            if not keep.any():
                continue
            s = lth + (m[keep, None] * np.log(phi[v[keep]].astype(np.float64))).sum(axis=0)
            mx = s.max()
            if not np.isfinite(mx):
                continue
            p = np.exp(s - mx)
            out[:, j] = p / p.sum()
    return out


def position_edges(edges, sequences, texts) -> np.ndarray:
    """(N,) int64: for every token position, the sentence edge covering it (−1: its sentence
    was dropped, e.g. shorter than ``min_tokens``)."""
    out = np.full(sequences.n_positions, -1, np.int64)
    for d in range(len(sequences.ptr) - 1):
        xs = np.array([x for x in edges.of(d) if edges.start[x] >= 0], np.int64)
        a, b = int(sequences.ptr[d]), int(sequences.ptr[d + 1])
        if not len(xs) or a == b:
            continue
        starts, ends = edges.start[xs], edges.end[xs]
        s0 = sequences.start[a:b]
        k = np.searchsorted(starts, s0, side="right") - 1
        ok = (k >= 0) & (s0 < ends[np.maximum(k, 0)])
        out[a:b][ok] = xs[k[ok]]
    return out


def _best(P: np.ndarray, model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    best = P.argmax(axis=0) if P.shape[1] else np.zeros(0, np.int64)
    p = P[best, np.arange(P.shape[1])] if P.shape[1] else np.zeros(0)
    names = np.asarray(model.topic_names, dtype=object)
    labels = np.asarray([model.label(t) for t in range(model.n_topics)], dtype=object)
    alive = p > 0
    return np.where(alive, names[best], ""), np.where(alive, labels[best], ""), p.astype(np.float64)


def sentence_table(model, corpus, edges, d: int) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per sentence of document d: ``sentence``, ``start``, ``end``, ``text``,
    ``topic`` (argmax_t p(t|d,s)), ``label``, ``p``; and P (T, n) = p(t|d,s)."""
    if not 0 <= int(d) < corpus.n_docs:
        raise InputError(f"document {d} is out of range (0..{corpus.n_docs - 1})")
    xs = [x for x in edges.of(int(d)) if edges.start[x] >= 0]
    P = edge_topics(model.phi, model.theta[:, int(d)], edges, xs)
    text = str(corpus.documents["text"].iloc[int(d)])
    topic, label, p = _best(P, model)
    return pd.DataFrame({"sentence": np.arange(len(xs)), "start": edges.start[xs].astype(np.int64),
                         "end": edges.end[xs].astype(np.int64),
                         "text": [text[edges.start[x]:edges.end[x]] for x in xs],
                         "topic": topic, "label": label, "p": p}), P


def edge_table(model, corpus, edges, d: int) -> pd.DataFrame:
    """One row per edge of document d: ``type``, ``count``, ``vertices`` ("modality:token …"),
    ``topic``, ``label``, ``p``."""
    if not 0 <= int(d) < corpus.n_docs:
        raise InputError(f"document {d} is out of range (0..{corpus.n_docs - 1})")
    xs = list(edges.of(int(d)))
    P = edge_topics(model.phi, model.theta[:, int(d)], edges, xs)
    tok = corpus.vocab["token"].astype(str).to_numpy()
    mod = corpus.vocab["modality"].astype(str).to_numpy()
    verts = [" ".join(f"{mod[v].lstrip('@')}:{tok[v]}" for v in edges.vertex[edges.edge_ptr[x]:edges.edge_ptr[x + 1]])
             for x in xs]
    topic, label, p = _best(P, model)
    return pd.DataFrame({"type": [edges.types[edges.etype[x]] for x in xs], "count": edges.count[xs],
                         "vertices": verts, "topic": topic, "label": label, "p": p})
