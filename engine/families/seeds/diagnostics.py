"""Seed-word diagnostics on a trained model and its corpus.

- :func:`seed_capture` — for each group and seed word, the topics that captured it (p(t|w),
  p(w|t), rank);
- :func:`seed_drift` — the rank of each seed over iterations (from ``seed_rank:`` scores);
- :func:`coverage` / :func:`group_coverage` — share of the documents mentioning a seed whose
  dominant subject topic is a seeded (or relevant) topic;
- :func:`discovery` — the non-seed words of each seeded topic, ranked by specificity;
- :func:`relevant_topics`, :func:`seed_documents`, :func:`document_marks`,
  :func:`relevant_trends`, :func:`relevant_documents` — the results pages.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analysis.tables import top_documents
from engine.analysis.views import topic_trends
from engine.corpus.corpus import DEFAULT_MODALITY
from engine.em.topics import p_t_given_w
from engine.families.seeds.quality import specificity
from engine.families.seeds.setup import RANK_PREFIX, SeedSetup, _ids, _modality_rows
from engine.families.seeds.trainer import docs_mentioning, seed_ranks

__all__ = ["seed_capture", "seed_drift", "dominant_subject_topic", "coverage", "group_coverage",
           "topic_top_tokens", "discovery", "relevant_topics", "count_relevant", "seed_documents",
           "document_marks", "relevant_trends", "relevant_documents", "p_t_w"]


def p_t_w(model, ids: np.ndarray) -> np.ndarray:
    """p(t|w) for the rows ``ids``: (len(ids), T) (:func:`engine.em.topics.p_t_given_w`; a model
    without topic mass counts every topic as 1)."""
    return np.asarray(p_t_given_w(np.asarray(model.phi)[np.asarray(ids, np.int64)], model.n_t), np.float64)


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
        ptw = p_t_w(model, ids)
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
    """The non-seed words each seeded topic attracted, ranked by **specificity**
    φ_wt · ln(p(t|w) / p(t)) (:func:`engine.families.seeds.quality.specificity`), not by
    frequency: a common word that every topic has (p(t|w) ≈ p(t)) scores ≈ 0 and is left out.
    All lexicon terms are excluded; only words with positive specificity are listed.

    DataFrame[topic, label, rank, token, p_w_t, p_t_w, specificity].
    """
    cols = ["topic", "label", "rank", "token", "p_w_t", "p_t_w", "specificity"]
    excl = _ids(corpus, setup.all_terms, setup.modality)
    rows = _modality_rows(corpus, setup.modality)
    rows = rows[~np.isin(rows, excl)]
    tokens = corpus.vocab["token"].to_numpy()
    out = []
    for name in setup.seeded_topics:
        if name not in model.topic_names or not len(rows):
            continue
        t = model.topic_names.index(name)
        spec = specificity(model, rows, t)
        k = min(n, len(rows))
        top = np.argpartition(-spec, k - 1)[:k]
        top = top[np.lexsort((rows[top], -spec[top]))]
        ptw = p_t_w(model, rows[top])[:, t]
        r = 0
        for i, pt in zip(top, ptw):
            if spec[i] <= 0:
                continue
            r += 1
            out.append({"topic": name, "label": model.label(t), "rank": r, "token": str(tokens[rows[i]]),
                        "p_w_t": float(model.phi[rows[i], t]), "p_t_w": float(pt), "specificity": float(spec[i])})
    return pd.DataFrame(out, columns=cols)


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

