"""What a multilingual model shows: topics' top words per language side by side, how often
they translate each other, and cross-language document retrieval through θ.

Measures (used by the view, the CLI and bench/bench_families_multilingual.py):

- **translation hits** of a topic: the share of its top-n words of one language that have a
  dictionary translation among its top-n words of the other language (averaged over both
  directions and over the subject topics);
- **cross-language retrieval**: θ of each document's part in language a alone and in language
  b alone (inferred with Φ fixed, :func:`engine.em.inference.transform`); for every document
  the rank of its own b-part among all b-parts by the Bhattacharyya similarity Σ_t √(θ_ta θ_tb)
  (rank 1 = its translation is the nearest). Reported as top-1, top-5 and the mean
  reciprocal rank over documents having both parts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.em.inference import transform
from engine.families.multilingual.corpus import part_matrix, vectorize_part
from engine.families.multilingual.dictionary import Dictionary

__all__ = ["side_by_side", "translation_hits", "part_thetas", "retrieval_ranks", "retrieval_summary",
           "nearest_documents"]


def _top_ids(model, modality: str, n: int) -> np.ndarray:
    """(T, n) token ids of each topic's top-n words of ``modality`` (−1 padding)."""
    ids = np.flatnonzero(np.asarray(model.token_modality) == model.modalities.index(modality))
    sub = np.asarray(model.phi)[ids]
    order = np.argsort(-sub, axis=0, kind="stable")[:n].T
    return ids[order]


def side_by_side(model, vocab: pd.DataFrame, languages, n: int = 10, topics=None) -> pd.DataFrame:
    """One row per (topic, rank): for every language its word and p(w|t)."""
    rows = []
    tops = {m: _top_ids(model, m, n) for m in languages}
    phi = np.asarray(model.phi)
    sel = range(len(model.topic_names)) if topics is None else topics
    for t in sel:
        for r in range(n):
            row = {"topic": model.topic_names[t], "rank": r + 1}
            for m in languages:
                if r < tops[m].shape[1]:
                    w = tops[m][t, r]
                    row[m] = vocab["token"].iat[w]
                    row[f"p{m}"] = float(phi[w, t])
            rows.append(row)
    return pd.DataFrame(rows)


def translation_hits(model, dictionary: Dictionary, n: int = 10, topics=None) -> pd.DataFrame:
    """Per topic: hits (source → target), hits (target → source) and their mean (see the module)."""
    src, dst = dictionary.languages
    top_s, top_t = _top_ids(model, src, n), _top_ids(model, dst, n)
    pairs = set(zip(dictionary.source.tolist(), dictionary.target.tolist()))
    sel = [t for t in range(len(model.topic_names)) if not model.background[t]] if topics is None else list(topics)
    rows = []
    for t in sel:
        s_set, t_set = set(top_s[t].tolist()), set(top_t[t].tolist())
        hs = np.mean([any((u, w) in pairs for w in t_set) for u in top_s[t]])
        ht = np.mean([any((u, w) in pairs for u in s_set) for w in top_t[t]])
        rows.append({"topic": model.topic_names[t], f"hits{src}": hs, f"hits{dst}": ht, "hits": (hs + ht) / 2})
    return pd.DataFrame(rows)


def part_thetas(model, corpus, languages, passes: int = 10) -> dict:
    """θ (D, T) of every document's part in each language alone."""
    return {m: transform(model, part_matrix(corpus, m), passes)[0].T for m in languages}


def _similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(np.maximum(a, 0)) @ np.sqrt(np.maximum(b, 0)).T


def retrieval_ranks(theta_a: np.ndarray, theta_b: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """Rank (1 = best) of document d's own b-part among all b-parts for its a-part, for every d
    (rows of both θ are the same documents; ties count against d)."""
    ranks = np.empty(len(theta_a), np.int64)
    for lo in range(0, len(theta_a), chunk):
        s = _similarity(theta_a[lo:lo + chunk], theta_b)
        own = s[np.arange(s.shape[0]), np.arange(lo, lo + s.shape[0])]
        ranks[lo:lo + chunk] = (s >= own[:, None]).sum(axis=1)
    return ranks


def retrieval_summary(model, corpus, languages, passes: int = 10) -> dict:
    """Cross-language retrieval both ways between the first two languages over documents that
    have both parts: top1, top5, mrr per direction, and the number of documents."""
    a, b = languages[:2]
    th = part_thetas(model, corpus, (a, b), passes)
    both = (part_matrix(corpus, a).getnnz(axis=1) > 0) & (part_matrix(corpus, b).getnnz(axis=1) > 0)
    out = {"documents": int(both.sum())}
    for x, y in ((a, b), (b, a)):
        r = retrieval_ranks(th[x][both], th[y][both])
        out[f"{x}->{y}"] = {"top1": float((r == 1).mean()), "top5": float((r <= 5).mean()),
                            "mrr": float((1.0 / r).mean()), "median_rank": float(np.median(r))}
    return out


def nearest_documents(model, corpus, source: str, target: str, *, doc: int | None = None,
                      text: str | None = None, n: int = 10, passes: int = 10) -> pd.DataFrame:
    """Documents whose ``target``-language part is nearest by θ to document ``doc``'s
    ``source`` part (or to a new ``text`` in the source language)."""
    if text is not None:
        q = transform(model, vectorize_part(corpus, [text], source), passes)[0].T
    else:
        q = transform(model, part_matrix(corpus, source)[doc], passes)[0].T
    tb = transform(model, part_matrix(corpus, target), passes)[0].T
    has = part_matrix(corpus, target).getnnz(axis=1) > 0
    s = np.where(has, _similarity(q, tb)[0], -1.0)
    best = np.argsort(-s, kind="stable")[:n]
    col = f"text{target}"
    texts = corpus.documents[col] if col in corpus.documents.columns else corpus.documents["text"]
    return pd.DataFrame({"id": corpus.documents["id"].astype(str).to_numpy()[best], "similarity": s[best],
                         "text": [str(x)[:200] for x in texts.to_numpy()[best]]})
