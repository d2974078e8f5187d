"""Honest seed-word diagnostics: can a group carry a topic, and is a seeded topic any good?

:func:`group_support` — per group, the documents that mention it (|M_g|) and its seed
occurrences; a verdict from the benchmark (bench/README.md, "Seed words measured by their
documents"): groups mentioned in fewer than ``MIN_DOCS_THIN`` documents reached precision@k ≥ 0.5
in none of the runs, so they cannot carry a topic of their own:

- ``"too rare"`` — |M_g| < ``MIN_DOCS_RARE`` (or fewer than ``MIN_DOCS_RARE`` occurrences):
  merge the group with a related one, or use k shared topics for such groups;
- ``"thin"`` — |M_g| < ``MIN_DOCS_THIN``: its topic will mostly hold other documents;
- ``"enough"`` otherwise.

:func:`topic_quality` — per seeded topic:

- seed mass share s_t = Σ_{w∈seeds(t)} φ_wt (≥ 0.5: the topic is little more than its seeds);
- coherence: mean NPMI of its top-10 words over document co-occurrence;
- generic overlap: share of its top-20 words that are *generic* — among the top-50 words of the
  background topics (or, without background topics, the 50 most frequent words);
- precision@k of its documents (from :func:`engine.families.seeds.precision.precision_table`);

and a flag: ``"ok"``, or the first problem found ("too rare" when every group seeding the topic
is too rare to carry a topic of its own — whatever the other numbers say, such a topic is never
"ok"; "documents off-topic" when P@k < 0.5, "generic words", "seeds only", "incoherent" when
NPMI < 0).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.em.scores import coherence_per_topic, cooccurrence, top_token_ids

__all__ = ["MIN_DOCS_RARE", "MIN_DOCS_THIN", "group_support", "rare_topics", "topic_quality", "specificity"]

MIN_DOCS_RARE = 10
MIN_DOCS_THIN = 50


def group_support(check, mentions: pd.DataFrame) -> pd.DataFrame:
    """Whether each group has enough occurrences to carry its own topic.

    Parameters
    ----------
    check : LexiconCheck
        Gives the seed occurrences (tf) per group.
    mentions : DataFrame (D, groups), bool
        :func:`engine.families.seeds.precision.group_mentions`.

    Returns
    -------
    DataFrame[group, documents, occurrences, verdict, advice] in the lexicon's group order.
    """
    tab = check.table
    rows = []
    for g in check.lexicon.names:
        found = tab[(tab["group"] == g) & tab["found"]].drop_duplicates("term")
        occ = int(found["tf"].sum()) if len(found) else 0
        docs = int(mentions[g].sum()) if g in mentions.columns else 0
        if docs < MIN_DOCS_RARE or occ < MIN_DOCS_RARE:
            verdict = "too rare"
            advice = (f"only {occ} occurrence{'s' if occ != 1 else ''} in {docs} document{'s' if docs != 1 else ''}: "
                      "too few to carry a topic of its own — merge it with a related group, "
                      "or use k shared topics for the rare groups")
        elif docs < MIN_DOCS_THIN:
            verdict = "thin"
            advice = (f"{docs} documents: its topic will mostly gather other documents — consider "
                      "merging it with a related group")
        else:
            verdict, advice = "enough", ""
        rows.append({"group": g, "documents": docs, "occurrences": occ, "verdict": verdict, "advice": advice})
    return pd.DataFrame(rows, columns=["group", "documents", "occurrences", "verdict", "advice"])


def specificity(model, ids: np.ndarray, t: int) -> np.ndarray:
    """Specificity of the tokens ``ids`` for topic t: φ_wt · ln(p(t|w) / p(t)) (lift-weighted
    probability; ≤ 0 for words no more frequent in t than overall), p(t|w) = φ_wt n_t / Σ_s φ_ws n_s,
    p(t) = n_t / Σ n_s."""
    n_t = np.asarray(model.n_t, np.float64)
    if not np.any(n_t > 0):
        n_t = np.ones(model.n_topics)
    phi = np.asarray(model.phi[np.asarray(ids, np.int64)], np.float64)
    num = phi[:, t] * n_t[t]
    den = phi @ n_t
    ptw = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    pt = n_t[t] / n_t.sum()
    with np.errstate(divide="ignore"):
        lift = np.log(np.where(ptw > 0, ptw / pt, 1.0))
    return phi[:, t] * lift


def _generic_ids(model, corpus, mask: np.ndarray, n: int = 50) -> set:
    bg = np.flatnonzero(np.asarray(model.background, bool))
    if len(bg):
        return {int(i) for ids in top_token_ids(model.phi, mask, bg, n) for i in ids}
    tf = corpus.vocab["tf"].to_numpy(np.float64) * mask
    return {int(i) for i in np.argsort(-tf, kind="stable")[:n] if tf[i] > 0}


def rare_topics(setup, support: pd.DataFrame | None) -> set[str]:
    """Seeded topics all of whose seeding groups are "too rare" (:func:`group_support`): in the
    per-group preset, the topic of every too-rare group; a topic shared with a group that has
    enough support is not in it."""
    if support is None or support.empty:
        return set()
    verdict = support.set_index("group")["verdict"].to_dict()
    groups_of: dict[str, list[str]] = {}
    for g, topics in setup.group_topics.items():
        for t in topics:
            groups_of.setdefault(t, []).append(g)
    return {t for t, gs in groups_of.items() if gs and all(verdict.get(g) == "too rare" for g in gs)}


def topic_quality(model, corpus, setup, precision: pd.DataFrame | None = None,
                  support: pd.DataFrame | None = None) -> pd.DataFrame:
    """Quality of every seeded topic (see the module docstring); ``support`` is
    :func:`group_support`'s table (without it no topic can be flagged "too rare").

    Returns
    -------
    DataFrame[topic, label, seed_mass, coherence, generic_overlap, precision, flag].
    """
    mask = corpus.modality_mask(setup.modality)
    names = [t for t in setup.seeded_topics if t in model.topic_names]
    idx = np.asarray([model.topic_names.index(t) for t in names], np.int64)
    if not len(idx):
        return pd.DataFrame(columns=["topic", "label", "seed_mass", "coherence", "generic_overlap",
                                     "precision", "flag"])
    coh = coherence_per_topic(cooccurrence(corpus), top_token_ids(model.phi, mask, idx, 10))
    top20 = top_token_ids(model.phi, mask, idx, 20)
    generic = _generic_ids(model, corpus, mask)
    lex = setup.topic_lexicon()
    best = {}
    if precision is not None and not precision.empty:
        best = precision[precision["topic"] != ""].groupby("topic")["precision"].max().to_dict()
    rare = rare_topics(setup, support)
    rows = []
    for j, (name, t) in enumerate(zip(names, idx)):
        terms = list(lex.get(name, []))
        sid = corpus.token_ids(terms, setup.modality) if terms else np.zeros(0, np.int64)
        sid = sid[sid >= 0]
        mass = float(np.asarray(model.phi[sid, t], np.float64).sum()) if len(sid) else 0.0
        overlap = float(np.mean([int(i) in generic for i in top20[j]])) if len(top20[j]) else 0.0
        prec = best.get(name)
        c = float(coh[j]) if np.isfinite(coh[j]) else float("nan")
        if name in rare:
            flag = "too rare"
        elif prec is not None and prec < 0.5:
            flag = "documents off-topic"
        elif overlap >= 0.3:
            flag = "generic words"
        elif mass >= 0.5:
            flag = "seeds only"
        elif np.isfinite(c) and c < 0:
            flag = "incoherent"
        else:
            flag = "ok"
        rows.append({"topic": name, "label": model.label(int(t)), "seed_mass": mass, "coherence": c,
                     "generic_overlap": overlap, "precision": prec, "flag": flag})
    return pd.DataFrame(rows, columns=["topic", "label", "seed_mass", "coherence", "generic_overlap",
                                       "precision", "flag"])
