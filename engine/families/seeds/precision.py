"""Does a seeded topic gather the group's documents? Document precision and recall per group.

A topic that merely *contains* its seed words proves nothing (SeedWords puts them there by
construction). What an analyst needs is that the topic's documents are the documents about the
group. Without labels the best available ground truth is the set of documents that **mention**
the group: M_g = {d : n_dw > 0 for some seed term w of g} — matched on the corpus's own token
ids, i.e. after its lemmatization/stemming («японцев» counts for ``японец``).

For a topic t the documents are ranked by θ_td (ties: lower document index first) and

.. math::

    \\mathrm{P@k} = \\frac{|\\mathrm{top}_k(t) \\cap M_g|}{k}, \\qquad
    \\mathrm{R@k} = \\frac{|\\mathrm{top}_k(t) \\cap M_g|}{|M_g|}, \\qquad
    \\mathrm{R\\text{-}prec} = \\mathrm{P@}|M_g|,

with k = min(50, |M_g|) (``k_auto``) and a user-chosen k. ``beyond`` = k − hits: top documents
that do **not** mention a seed — candidates the model found beyond the keywords (for the analyst
to read; on real text some are about the group, some are not). Mention-precision is a lower
bound on true precision when documents about the group avoid its names.

The kernel :func:`ranking_metrics` works with any relevance vector, so the benchmark uses it
with newsgroup labels as well.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.corpus.corpus import DEFAULT_MODALITY

__all__ = ["AUTO_K", "ranking_metrics", "top_documents_by", "mention_matrix", "group_mentions",
           "precision_table", "best_per_group", "precision_summary"]

AUTO_K = 50


def top_documents_by(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``scores`` (D,), by decreasing score, ties by index."""
    scores = np.asarray(scores, np.float64)
    k = int(max(0, min(k, len(scores))))
    if k == 0:
        return np.zeros(0, np.int64)
    cand = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    # the k-th value may be tied with documents outside cand: take all ties, then cut
    kth = scores[cand].min()
    cand = np.union1d(cand, np.flatnonzero(scores == kth))
    order = np.lexsort((cand, -scores[cand]))
    return cand[order][:k].astype(np.int64)


def ranking_metrics(scores: np.ndarray, relevant: np.ndarray, k: int) -> dict:
    """Precision and recall of the top ``k`` documents by ``scores`` against ``relevant``.

    Parameters
    ----------
    scores : ndarray (D,)
        A topic's θ_td (or any document score).
    relevant : ndarray (D,), bool
        The documents that should come first.
    k : int

    Returns
    -------
    dict: k, hits (relevant among the top k), precision (hits / k), recall (hits / |relevant|),
    beyond (k − hits); precision and recall are 0 when k or |relevant| is 0.
    """
    relevant = np.asarray(relevant, bool)
    k = int(max(0, min(k, len(relevant))))
    top = top_documents_by(scores, k)
    hits = int(relevant[top].sum())
    n_rel = int(relevant.sum())
    return {"k": k, "hits": hits, "precision": hits / k if k else 0.0,
            "recall": hits / n_rel if n_rel else 0.0, "beyond": k - hits}


def mention_matrix(n_dw, id_lists: list[np.ndarray]) -> np.ndarray:
    """Boolean (D, G): document d mentions one of the token ids of list g."""
    D = n_dw.shape[0]
    out = np.zeros((D, len(id_lists)), bool)
    for g, ids in enumerate(id_lists):
        ids = np.asarray(ids, np.int64)
        if len(ids):
            out[:, g] = np.asarray((n_dw[:, ids] > 0).sum(axis=1)).ravel() > 0
    return out


def _group_ids(corpus, setup) -> dict[str, np.ndarray]:
    out = {}
    modality = getattr(setup, "modality", DEFAULT_MODALITY)
    for g in setup.lexicon.names:
        terms = list(setup.terms.get(g, []))
        ids = corpus.token_ids(terms, modality) if terms else np.zeros(0, np.int64)
        out[g] = np.asarray(ids[ids >= 0], np.int64) if len(ids) else np.zeros(0, np.int64)
    return out


def group_mentions(corpus, setup) -> pd.DataFrame:
    """Boolean DataFrame (D, groups): which documents mention each group of ``setup``."""
    ids = _group_ids(corpus, setup)
    return pd.DataFrame(mention_matrix(corpus.n_dw, list(ids.values())), columns=list(ids))


def precision_table(model, corpus, setup, k: int = 100, mentions: pd.DataFrame | None = None) -> pd.DataFrame:
    """The measure for every (group, seeded topic of the group).

    Parameters
    ----------
    model : TopicModel
    corpus : Corpus
    setup : SeedSetup
    k : int
        The user's k (besides ``k_auto`` = min(50, mentions)).
    mentions : DataFrame, optional
        :func:`group_mentions` if already computed.

    Returns
    -------
    DataFrame[group, topic, label, mentions, k_auto, hits, precision, recall, beyond, k,
    precision_k, recall_k, r_precision, best] — one row per (group, topic); a group without a
    seeded topic or without mentions has one row with topic "" and zeros. ``best`` marks the
    group's topic with the highest precision@k_auto (then R-precision).
    """
    men = mentions if mentions is not None else group_mentions(corpus, setup)
    theta = np.asarray(model.theta)
    pos = {n: i for i, n in enumerate(model.topic_names)}
    rows = []
    for g in setup.lexicon.names:
        rel = men[g].to_numpy(bool) if g in men.columns else np.zeros(theta.shape[1], bool)
        m = int(rel.sum())
        topics = [t for t in setup.group_topics.get(g, []) if t in pos]
        if not topics:
            rows.append({"group": g, "topic": "", "label": "", "mentions": m, "k_auto": min(AUTO_K, m),
                         "hits": 0, "precision": 0.0, "recall": 0.0, "beyond": 0, "k": int(k),
                         "precision_k": 0.0, "recall_k": 0.0, "r_precision": 0.0})
            continue
        for name in topics:
            t = pos[name]
            a = ranking_metrics(theta[t], rel, min(AUTO_K, m))
            u = ranking_metrics(theta[t], rel, k)
            r = ranking_metrics(theta[t], rel, m)
            rows.append({"group": g, "topic": name, "label": model.label(t), "mentions": m,
                         "k_auto": a["k"], "hits": a["hits"], "precision": a["precision"],
                         "recall": a["recall"], "beyond": a["beyond"], "k": u["k"],
                         "precision_k": u["precision"], "recall_k": u["recall"],
                         "r_precision": r["precision"]})
    cols = ["group", "topic", "label", "mentions", "k_auto", "hits", "precision", "recall", "beyond",
            "k", "precision_k", "recall_k", "r_precision"]
    df = pd.DataFrame(rows, columns=cols)
    df["best"] = False
    if not df.empty:
        order = df.sort_values(["precision", "r_precision"], ascending=False, kind="stable")
        df.loc[order.drop_duplicates("group").index, "best"] = True
        df.loc[df["topic"] == "", "best"] = True
    return df


def best_per_group(table: pd.DataFrame) -> pd.DataFrame:
    """One row per group: its best seeded topic (``table`` from :func:`precision_table`), in
    the table's group order."""
    return table[table["best"]].reset_index(drop=True)


def precision_summary(table: pd.DataFrame, min_mentions: int = 25, threshold: float = 0.5) -> dict:
    """Headline numbers of a :func:`precision_table` (computed from that same table).

    Returns
    -------
    dict: groups (all), measurable (groups with ≥ ``min_mentions`` mentioning documents),
    passing (of those, best topic's precision@k_auto ≥ ``threshold``), share (passing /
    measurable), mean_precision (over measurable groups), min_mentions, threshold.
    """
    best = best_per_group(table)
    meas = best[best["mentions"] >= min_mentions]
    passing = int((meas["precision"] >= threshold).sum())
    return {"groups": int(len(best)), "measurable": int(len(meas)), "passing": passing,
            "share": passing / len(meas) if len(meas) else 0.0,
            "mean_precision": float(meas["precision"].mean()) if len(meas) else 0.0,
            "min_mentions": int(min_mentions), "threshold": float(threshold)}
