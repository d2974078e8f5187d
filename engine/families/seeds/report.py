"""The seed-word report: every diagnostic per group as one JSON-able dict (``seeds-report``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from engine.families.seeds.diagnostics import (count_relevant, coverage, discovery, relevant_topics,
                                               seed_capture, seed_drift)
from engine.families.seeds.lexicon import LexiconCheck, check_lexicon
from engine.families.seeds.setup import SeedSetup, _ids, _modality_rows
from engine.families.seeds.trainer import seed_ranks

__all__ = ["seeds_report"]


def seeds_report(model, corpus, setup: SeedSetup, check: LexiconCheck | None = None, top: int = 20,
                 discovered: int = 10, scores: pd.DataFrame | None = None) -> dict:
    """All diagnostics per group, JSON-able.

    Returns
    -------
    dict with ``summary`` (groups, seeds found/missing, relevant topics, coverage of all seeds
    by the seeded topics and by the relevant topics) and ``groups``: one entry per group with
    ``topics`` (its seeded topics, each with label, its seeds' p(w|t) and ranks, discovered
    words), ``captured_by`` (topics that captured its words), ``seeds_found``,
    ``seeds_missing`` (with near matches), ``coverage``.
    """
    check = check if check is not None else check_lexicon(setup.lexicon, corpus, setup.modality)
    cap = seed_capture(model, corpus, setup)
    disc = discovery(model, corpus, setup, discovered)
    rel = relevant_topics(model, corpus, setup, top=top)
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
        })
    all_ids = _ids(corpus, setup.all_terms, setup.modality)
    rel_names = rel["topic"].tolist()
    summary = {
        "groups": len(setup.lexicon), "groups_found": len(setup.terms),
        "seeds": int(len(tab)), "seeds_found": int(tab["found"].sum()),
        "seeded_topics": len(setup.seeded_topics),
        "relevant_topics": int(len(count_relevant(model, corpus, all_ids, top, setup.modality))),
        "coverage_seeded": coverage(model, corpus, all_ids, setup.seeded_topics),
        "coverage_relevant": coverage(model, corpus, all_ids, rel_names),
        "top": top,
    }
    return {"preset": setup.preset, "summary": summary, "groups": groups,
            "relevant_topics": [{"topic": r.topic, "label": r.label, "seeded": bool(r.seeded),
                                 "relevance": round(float(r.relevance), 6), "seeds_in_top": list(r.seeds_in_top),
                                 "top_words": r.top_words} for r in rel.itertuples()]}
