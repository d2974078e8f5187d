"""The seed-word report: every diagnostic per group as one JSON-able dict (``seeds-report``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.families.seeds.diagnostics import coverage, discovery, relevant_topics, seed_capture, seed_drift
from engine.families.seeds.precision import group_mentions, precision_summary, precision_table
from engine.families.seeds.quality import MIN_DOCS_RARE, MIN_DOCS_THIN, group_support, topic_quality
from engine.families.seeds.lexicon import LexiconCheck, check_lexicon
from engine.families.seeds.setup import SeedSetup, _ids, _modality_rows
from engine.families.seeds.trainer import seed_ranks

__all__ = ["seeds_report", "seed_tables", "headline"]


def _records(df: pd.DataFrame) -> list[dict]:
    """JSON-able rows (NaN -> None, numpy scalars -> Python)."""
    out = []
    for r in df.to_dict(orient="records"):
        out.append({k: (None if isinstance(v, float) and not np.isfinite(v) else
                        v.item() if isinstance(v, np.generic) else v) for k, v in r.items()})
    return out


def seed_tables(model, corpus, setup: SeedSetup, check: LexiconCheck | None = None, top: int = 20,
                k: int = 100) -> dict:
    """The tables the Seed words page shows (and the report summarizes): ``precision``
    (:func:`~engine.families.seeds.precision.precision_table`), ``support``
    (:func:`~engine.families.seeds.quality.group_support`), ``quality``
    (:func:`~engine.families.seeds.quality.topic_quality`), ``relevant``
    (:func:`~engine.families.seeds.diagnostics.relevant_topics`), plus ``check``."""
    check = check if check is not None else check_lexicon(setup.lexicon, corpus, setup.modality)
    men = group_mentions(corpus, setup)
    prec = precision_table(model, corpus, setup, k=k, mentions=men)
    support = group_support(check, men)
    return {"check": check, "precision": prec, "support": support,
            "quality": topic_quality(model, corpus, setup, prec, support),
            "relevant": relevant_topics(model, corpus, setup, top=top)}


def headline(tables: dict, min_mentions: int = 25) -> dict:
    """The headline numbers, computed from ``tables`` (:func:`seed_tables`) only, so they agree
    with the tabs: groups whose best seeded topic's top-k documents are ≥ 50 % about the group
    (among groups with ≥ ``min_mentions`` mentioning documents), groups too rare for a topic,
    seeded topics flagged "ok", and the number of relevant topics as listed."""
    summ = precision_summary(tables["precision"], min_mentions=min_mentions)
    sup, q = tables["support"], tables["quality"]
    return {"precision": summ,
            "groups_too_rare": int((sup["verdict"] == "too rare").sum()),
            "rare_below": MIN_DOCS_RARE, "thin_below": MIN_DOCS_THIN,  # the verdicts' thresholds (documents)
            "groups_thin": int((sup["verdict"] == "thin").sum()),
            "topics_ok": int((q["flag"] == "ok").sum()), "topics_checked": int(len(q)),
            "relevant_topics": int(len(tables["relevant"]))}


def seeds_report(model, corpus, setup: SeedSetup, check: LexiconCheck | None = None, top: int = 20,
                 discovered: int = 10, scores: pd.DataFrame | None = None, k: int = 100,
                 tables: dict | None = None) -> dict:
    """All diagnostics per group, JSON-able.

    Returns
    -------
    dict with ``summary`` (groups, seeds found/missing, :func:`headline` numbers, coverage of
    all seeds by the seeded topics and by the relevant topics), ``groups``: one entry per group
    with ``topics`` (its seeded topics, each with label, its seeds' p(w|t) and ranks, discovered
    words, quality), ``precision`` (per topic: mentions, precision/recall at k_auto and at k,
    R-precision, beyond), ``support`` (enough occurrences for a topic?), ``captured_by``,
    ``seeds_found``, ``seeds_missing`` (with near matches), ``coverage``; and the
    ``relevant_topics`` list the summary counts.
    """
    tables = tables if tables is not None else seed_tables(model, corpus, setup, check, top, k)
    check = tables["check"]
    cap = seed_capture(model, corpus, setup)
    disc = discovery(model, corpus, setup, discovered)
    rel = tables["relevant"]
    prec, sup = tables["precision"], tables["support"].set_index("group")
    qual = tables["quality"].set_index("topic")
    drift = seed_drift(scores, setup) if scores is not None else pd.DataFrame()
    tab = check.table
    groups = []
    pos = {n: i for i, n in enumerate(model.topic_names)}
    for g in setup.lexicon.names:
        gt = tab[tab["group"] == g]
        terms = setup.terms.get(g, [])
        topics = []
        for name in setup.group_topics.get(g, []):
            if name not in pos:
                continue
            t = pos[name]
            ids = corpus.token_ids(list(terms), setup.modality) if terms else np.zeros(0, np.int64)
            pairs = [(int(i), t) for i in ids if i >= 0]
            ranks = seed_ranks(model.phi, _modality_rows(corpus, setup.modality), pairs)
            seeds = [{"term": w, "p_w_t": float(model.phi[int(i), t]), "rank": int(r)}
                     for w, (i, _), r in zip([w for w, i in zip(terms, ids) if i >= 0], pairs, ranks)]
            entry = {"topic": name, "label": model.label(t), "seeds": seeds,
                     "discovered": disc.loc[disc["topic"] == name, "token"].tolist()}
            if name in qual.index:
                entry["quality"] = _records(qual.loc[[name]].reset_index())[0]
            if not drift.empty:
                dd = drift[(drift["topic"] == name)]
                if not dd.empty:
                    first = dd.sort_values("iteration").groupby("term")["rank"].first()
                    last = dd.sort_values("iteration").groupby("term")["rank"].last()
                    entry["drift"] = {w: {"first": float(first[w]), "last": float(last[w])} for w in last.index}
            topics.append(entry)
        gc = cap[cap["group"] == g]
        captured = (gc.groupby(["topic", "label"], sort=False)
                      .agg(p_t_w=("p_t_w", "sum"), words=("term", lambda s: sorted(set(s))))
                      .reset_index().sort_values("p_t_w", ascending=False))
        cov = coverage(model, corpus, _ids(corpus, terms, setup.modality), setup.group_topics.get(g, []))
        groups.append({
            "group": g,
            "topics": topics,
            "captured_by": [{"topic": r.topic, "label": r.label, "weight": round(float(r.p_t_w), 4),
                             "words": list(r.words)} for r in captured.itertuples()],
            "seeds_found": [{"seed": r.seed, "term": r.term, "tf": float(r.tf), "df": int(r.df)}
                            for r in gt[gt["found"]].itertuples()],
            "seeds_missing": [{"seed": r.seed, "term": r.term, "note": r.note, "near": list(r.suggestions)}
                              for r in gt[~gt["found"]].itertuples()],
            "coverage": cov,
            "precision": _records(prec[prec["group"] == g].drop(columns="group")),
            "support": _records(sup.loc[[g]].reset_index())[0] if g in sup.index else None,
        })
    all_ids = _ids(corpus, setup.all_terms, setup.modality)
    rel_names = rel["topic"].tolist()
    summary = {
        "groups": len(setup.lexicon), "groups_found": len(setup.terms),
        "seeds": int(len(tab)), "seeds_found": int(tab["found"].sum()),
        "seeded_topics": len(setup.seeded_topics),
        **headline(tables),
        "coverage_seeded": coverage(model, corpus, all_ids, setup.seeded_topics),
        "coverage_relevant": coverage(model, corpus, all_ids, rel_names),
        "top": top,
    }
    return {"preset": setup.preset, "summary": summary, "groups": groups,
            "relevant_topics": [{"topic": r.topic, "label": r.label, "seeded": bool(r.seeded),
                                 "relevance": round(float(r.relevance), 6), "seeds_in_top": list(r.seeds_in_top),
                                 "top_words": r.top_words} for r in rel.itertuples()]}
