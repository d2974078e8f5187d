"""Seeded topics measured by their documents: precision/recall against mentions and labels.

Two parts (issue 18):

``telegram``
    telegram_news_ru (imported ``--lang ru --lemmatize`` as in bench_seeds.py) with
    bench/seeds/ethnonyms_ru.csv. For every group with ≥ 25 mentioning documents: precision@k
    (k = min(50, mentions)) of its best seeded topic's top documents by θ_td against the
    documents that mention the group (engine.families.seeds.precision); PLSA gets its best topic
    among all T. Also mean NPMI of the top-10 words of the seeded topics vs PLSA's topics.

``20ng``
    20 Newsgroups (bow/ UCI files, labels from docids) with bench/seeds/newsgroups_en.csv (five
    words per newsgroup, written from domain knowledge before any model was trained). A topic's
    documents = those whose dominant subject topic it is. Per newsgroup: precision, recall, F1
    against the label, and *recall beyond the keywords* (share of the newsgroup's documents
    that mention none of its seeds which the topic still gathers). Compared: keyword search
    alone, PLSA's best-matching topic (max F1 over all topics, per newsgroup), tomotopy's LDA
    with word priors (``set_word_prior``) at the same T, and the engine's seeded variants.

Usage (the bench venv has tomotopy, the project's environment has pymorphy3 for the Russian
lexicon; PYTHONPATH so the worktree's engine is used)::

    PYTHONPATH=$PWD python bench/bench_seed_precision.py telegram [--variants ...]
    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_seed_precision.py 20ng [--variants ...]

Prints Markdown tables; ``--out FILE`` appends them to FILE.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Workspace  # noqa: E402
from engine.em.config import preset  # noqa: E402
from engine.em.scores import coherence_per_topic, cooccurrence, top_token_ids  # noqa: E402
from engine.em.trainer import Trainer  # noqa: E402
from engine.families.seeds import precision as P  # noqa: E402
from engine.families.seeds import workflow as S  # noqa: E402
from engine.families.seeds.lexicon import Lexicon, check_lexicon  # noqa: E402

SHARED = Path("/work/shared/corpora")
TELEGRAM = SHARED / "telegram_news_ru" / "telegram_news_ru.jsonl.gz"
NG_BOW = SHARED / "20newsgroups" / "bow"
LEX_RU = ROOT / "bench" / "seeds" / "ethnonyms_ru.csv"
LEX_EN = ROOT / "bench" / "seeds" / "newsgroups_en.csv"

# name -> (seed_config keyword arguments, seeded start)
VARIANTS = {
    "seeds-train (SeedWords, seeded start)": ({}, True),
    "SeedWords + SeedDocuments τ=1": ({"doc_tau": 1.0}, True),
    "SeedDocuments τ=1 only": ({"doc_tau": 1.0, "seed_strength": 0.0}, True),
    "SeedWords + SeedDocuments τ=1, 3 background": ({"doc_tau": 1.0, "background": 3}, True),
    "SeedWords + SeedDocuments τ=1 kept 0.3": ({"doc_tau": 1.0, "doc_keep": 0.3}, True),
    "SeedWords + SeedDocuments τ=1, sparse Θ −0.3": ({"doc_tau": 1.0, "sparse_theta": -0.3}, True),
    "SeedDocuments τ=3 only": ({"doc_tau": 3.0, "seed_strength": 0.0}, True),
    "SeedDocuments τ=1 only, 3 background": ({"doc_tau": 1.0, "seed_strength": 0.0, "background": 3}, True),
    "SeedDocuments τ=1 only, sparse Θ −0.3": ({"doc_tau": 1.0, "seed_strength": 0.0, "sparse_theta": -0.3}, True),
    "SeedDocuments τ=1 only, +24 extra topics": ({"doc_tau": 1.0, "seed_strength": 0.0, "extra_add": 24}, True),
    "SeedDocuments τ=1 only, random start": ({"doc_tau": 1.0, "seed_strength": 0.0}, False),
    "SeedDocuments τ=10 only": ({"doc_tau": 10.0, "seed_strength": 0.0}, True),
    "SeedDocuments τ=10 only, random start": ({"doc_tau": 10.0, "seed_strength": 0.0}, False),
    "SeedDocuments τ=10 only, 3 background": ({"doc_tau": 10.0, "seed_strength": 0.0, "background": 3}, True),
    "SeedDocuments τ=3 only, 3 background": ({"doc_tau": 3.0, "seed_strength": 0.0, "background": 3}, True),
    "SeedDocuments τ=3 only, +24 extra topics": ({"doc_tau": 3.0, "seed_strength": 0.0, "extra_add": 24}, True),
    "SeedWords + SeedDocuments τ=3": ({"doc_tau": 3.0}, True),
}


def workspace(path) -> Workspace:
    return Workspace(path)


def load(ws: Workspace, name: str, path: Path, options):
    from engine.corpus.ingest import import_corpus

    if not ws.has_corpus(name):
        t = time.perf_counter()
        import_corpus(path, name, options, ws)
        print(f"imported {name} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return ws.load_corpus(name)


def fit(corpus, config, phi0=None):
    tr = Trainer(corpus, config, phi0=phi0)
    tr.fit()
    model = tr.model
    tr.close()
    return model


def seeded_models(corpus, check, variants, common: dict, seed: int):
    """Yield (name, model, setup, seconds) for each seeded variant."""
    for name in variants:
        kw, init = VARIANTS[name]
        args = {**common, **kw}
        args["extra_topics"] = args["extra_topics"] + args.pop("extra_add", 0)
        config, setup = S.seed_config(check, "per_group", seed=seed, **args)
        # the seeds family starts seeded topics from their documents unless told otherwise
        config = config.with_changes(options={**config.options, "init_from_documents": bool(init)})
        t = time.perf_counter()
        model = fit(corpus, config, S.seed_phi0(corpus, config, setup) if init else None)
        yield name, model, setup, time.perf_counter() - t


def variant_T(check, name, common) -> int:
    kw = dict(VARIANTS[name][0])
    extra = common["extra_topics"] + kw.pop("extra_add", 0)
    kw.pop("doc_tau", None), kw.pop("seed_strength", None)
    bg = kw.get("background", common.get("background", 1))
    return len(check.terms()) + extra + bg


def npmi_of(corpus, model, topics, k=10) -> float:
    mask = corpus.modality_mask("@default_class")
    tops = top_token_ids(model.phi, mask, np.asarray(topics, np.int64), k)
    vals = coherence_per_topic(cooccurrence(corpus), tops)
    return float(np.nanmean(vals)) if vals else float("nan")


# --------------------------------------------------------------------------- telegram

def run_telegram(args) -> str:
    from engine.corpus.ingest import ImportOptions

    ws = workspace(args.workspace)
    corpus = load(ws, "telegram_ru", TELEGRAM, ImportOptions(lang="ru", lemmatize=True))
    check = check_lexicon(Lexicon.read(args.lexicon or LEX_RU), corpus)
    common = {"extra_topics": args.extra, "iterations": args.iterations, "threads": args.threads}
    cfg0, setup0 = S.seed_config(check, "per_group", **common)
    T = cfg0.total_topics
    men = P.group_mentions(corpus, setup0)
    n_d = np.asarray(corpus.n_dw.sum(axis=1)).ravel()
    print(f"telegram_ru: {corpus.n_docs} docs, median length {np.median(n_d):.0f} terms; T = {T}; "
          f"groups with ≥ 25 mentions: {int((men.sum(axis=0) >= 25).sum())}", file=sys.stderr)
    results, per_group = [], {}
    Ts = sorted({T} | {variant_T(check, n, common) for n in args.variants})
    for seed in args.runs:
        for T_ in Ts:
            t = time.perf_counter()
            plsa = fit(corpus, preset("plsa", n_topics=T_, iterations=args.iterations, seed=seed,
                                      threads=args.threads))
            sec = time.perf_counter() - t
            # PLSA: every topic is a candidate for every group
            all_setup = S.SeedSetup("plsa", setup0.lexicon, setup0.terms,
                                    {g: list(plsa.topic_names) for g in setup0.lexicon.names})
            tab = P.precision_table(plsa, corpus, all_setup, mentions=men)
            pname = f"PLSA T={T_} (best of all topics)"
            results.append((pname, seed, P.precision_summary(tab), npmi_of(corpus, plsa, range(T_)), sec, T_))
            per_group.setdefault(pname, []).append(P.best_per_group(tab))
            print(f"{pname} seed={seed}: {results[-1][2]} npmi={results[-1][3]:.3f}", file=sys.stderr)
        for name, model, setup, sec in seeded_models(corpus, check, args.variants, common, seed):
            tab = P.precision_table(model, corpus, setup, mentions=men)
            idx = model.topic_indices(setup.seeded_topics)
            results.append((name, seed, P.precision_summary(tab), npmi_of(corpus, model, idx), sec,
                            model.n_topics))
            per_group.setdefault(name, []).append(P.best_per_group(tab))
            print(f"{name} seed={seed}: {results[-1][2]} npmi={results[-1][3]:.3f} {sec:.0f}s", file=sys.stderr)
    lines = [f"### telegram_news_ru, ethnonym lexicon: {args.iterations} iterations, "
             f"random seeds {args.runs}", "",
             "| model | T | groups ≥ 25 mentions with best topic P@k ≥ 0.5 | mean P@k (those groups) "
             "| mean NPMI top-10 (seeded topics; PLSA: all) | seconds |", "|---|---|---|---|---|---|"]
    for name in dict.fromkeys(r[0] for r in results):
        rs = [r for r in results if r[0] == name]
        lines.append(f"| {name} | {rs[0][5]} | {_mean([r[2]['passing'] for r in rs]):.1f} / {rs[0][2]['measurable']} "
                     f"({_mean([r[2]['share'] for r in rs]):.0%}) | {_mean([r[2]['mean_precision'] for r in rs]):.2f} "
                     f"| {_mean([r[3] for r in rs]):.3f} | {_mean([r[4] for r in rs]):.0f} |")
    lines += ["", "Per group (groups with ≥ 25 mentioning documents; first seed): precision@k of the best topic", "",
              "| group | mentions | k | " + " | ".join(per_group) + " |",
              "|---|---|---|" + "---|" * len(per_group)]
    first = {n: v[0].set_index("group") for n, v in per_group.items()}
    base = next(iter(first.values()))
    for g in base.index:
        if base.loc[g, "mentions"] < 25:
            continue
        lines.append(f"| {g} | {base.loc[g, 'mentions']} | {base.loc[g, 'k_auto']} | "
                     + " | ".join(f"{first[n].loc[g, 'precision']:.2f}" for n in first) + " |")
    return "\n".join(lines)


def _mean(v):
    v = [x for x in v if x is not None and np.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


# --------------------------------------------------------------------------- 20 Newsgroups

def set_scores(assigned: np.ndarray, label: np.ndarray, keyword: np.ndarray) -> dict:
    """Precision, recall, F1 of the document set ``assigned`` against ``label``, and recall
    over the labelled documents that do not match a keyword."""
    tp = int((assigned & label).sum())
    p = tp / assigned.sum() if assigned.sum() else 0.0
    r = tp / label.sum() if label.sum() else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    rest = label & ~keyword
    beyond = float((assigned & rest).sum() / rest.sum()) if rest.sum() else 0.0
    return {"precision": p, "recall": r, "f1": f, "beyond": beyond}


def dominant(theta: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """(D,) index of the largest θ_td over the ``subject`` topics (θ is (T, D)); −1 if all 0."""
    sub = theta[subject]
    best = subject[np.argmax(sub, axis=0)]
    return np.where(sub.max(axis=0) > 0, best, -1)


def tomotopy_seeded(corpus, setup, T: int, iterations: int, seed: int, other: float = 0.1):
    """tomotopy LDA (α = 0.1, η = 0.01) with ``set_word_prior``: each group's seeds get prior 1
    on the group's topic and ``other`` elsewhere (0.1 is tomotopy's documented seeded-LDA recipe;
    0 confines a seed to its topic). Returns θ (T, D) and the model."""
    import tomotopy as tp  # the bench venv only

    mdl = tp.LDAModel(k=T, alpha=0.1, eta=0.01, seed=seed)
    tokens = corpus.vocab["token"].to_numpy()
    names = list(setup.lexicon.names)
    for j, g in enumerate(names):
        for w in setup.terms.get(g, []):
            pri = [other] * T
            pri[j] = 1.0
            mdl.set_word_prior(w, pri)
    m = corpus.n_dw.tocsr()
    keep = []
    for d in range(corpus.n_docs):
        a, b = m.indptr[d], m.indptr[d + 1]
        words = np.repeat(tokens[m.indices[a:b]], m.data[a:b].astype(np.int64)).tolist()
        if words:
            mdl.add_doc(words)
            keep.append(d)
    mdl.train(iterations, workers=1)
    theta = np.zeros((T, corpus.n_docs))
    for d, doc in zip(keep, mdl.docs):  # (indexing mdl.docs[i] fails in tomotopy 0.14; iteration works)
        theta[:, d] = doc.get_topic_dist()
    return theta, mdl


def run_20ng(args) -> str:
    from engine.corpus.ingest import ImportOptions

    ws = workspace(args.workspace)
    corpus = load(ws, "20news", NG_BOW, ImportOptions())
    # the UCI reader takes the ids from docids.20news.txt (empty documents are dropped)
    labels = np.array([str(i).split("/")[1] for i in corpus.documents["id"]])
    check = check_lexicon(Lexicon.read(args.lexicon or LEX_EN), corpus)
    common = {"extra_topics": args.extra, "iterations": args.iterations, "threads": args.threads,
              "background": 1}
    cfg0, setup0 = S.seed_config(check, "per_group", **common)
    T = cfg0.total_topics
    groups = setup0.lexicon.names
    men = P.group_mentions(corpus, setup0)
    lab = {g: labels == g for g in groups}
    rows = {}  # method -> DataFrame per group
    rows["keyword search"] = pd.DataFrame(
        [{"group": g, **set_scores(men[g].to_numpy(bool), lab[g], men[g].to_numpy(bool))} for g in groups])
    seed = args.runs[0]
    t = time.perf_counter()
    plsa = fit(corpus, preset("plsa", n_topics=T, iterations=args.iterations, seed=seed, threads=args.threads))
    dom = dominant(np.asarray(plsa.theta), np.arange(T))
    out = []
    for g in groups:
        best = max((set_scores(dom == t, lab[g], men[g].to_numpy(bool)) for t in range(T)), key=lambda s: s["f1"])
        out.append({"group": g, **best})
    rows["PLSA best-matching topic"] = pd.DataFrame(out)
    secs = {"PLSA best-matching topic": time.perf_counter() - t, "keyword search": 0.0}
    for other in ([] if args.no_tomotopy else [0.1, 0.0]):
        name = f"tomotopy seeded LDA (prior 1 / {other:g})"
        t = time.perf_counter()
        theta, _ = tomotopy_seeded(corpus, setup0, T, args.tomotopy_iterations, seed, other)
        dom = dominant(theta, np.arange(T))
        rows[name] = pd.DataFrame(
            [{"group": g, **set_scores(dom == j, lab[g], men[g].to_numpy(bool))} for j, g in enumerate(groups)])
        secs[name] = time.perf_counter() - t
        print(f"{name}: mean F1 {rows[name]['f1'].mean():.3f} {secs[name]:.0f}s", file=sys.stderr)
    for name, model, setup, sec in seeded_models(corpus, check, args.variants, common, seed):
        subj = np.flatnonzero(~np.asarray(model.background, bool))
        dom = dominant(np.asarray(model.theta), subj)
        out = []
        for g in groups:
            t_idx = model.topic_indices(setup.group_topics[g])[0]
            out.append({"group": g, **set_scores(dom == t_idx, lab[g], men[g].to_numpy(bool))})
        rows[name] = pd.DataFrame(out)
        secs[name] = sec
        print(f"{name}: mean F1 {rows[name]['f1'].mean():.3f} {sec:.0f}s", file=sys.stderr)
    lines = [f"### 20 Newsgroups, 5 seeds per newsgroup: T = {T} ({len(groups)} seeded + {args.extra} + 1 "
             f"background for ARTM; {T} for PLSA and tomotopy), {args.iterations} EM iterations "
             f"(tomotopy: {args.tomotopy_iterations} Gibbs iterations), seed {seed}", "",
             "| method | mean precision | mean recall | mean F1 | mean recall beyond keywords "
             "| groups with recall beyond keywords > 0 | seconds |", "|---|---|---|---|---|---|---|"]
    for name, df in rows.items():
        lines.append(f"| {name} | {df['precision'].mean():.3f} | {df['recall'].mean():.3f} | {df['f1'].mean():.3f} "
                     f"| {df['beyond'].mean():.3f} | {int((df['beyond'] > 0).sum())} / {len(df)} "
                     f"| {secs.get(name, 0):.0f} |")
    lines += ["", "Per newsgroup F1 (recall beyond keywords in brackets)", "",
              "| newsgroup | keyword docs | " + " | ".join(rows) + " |", "|---|---|" + "---|" * len(rows)]
    for i, g in enumerate(groups):
        lines.append(f"| {g} | {int(men[g].sum())} | " + " | ".join(
            f"{df.loc[i, 'f1']:.2f} ({df.loc[i, 'beyond']:.2f})" for df in rows.values()) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("part", choices=("telegram", "20ng"))
    ap.add_argument("--workspace", default="/tmp/artm-seeds-bench")
    ap.add_argument("--lexicon", default=None)
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--tomotopy-iterations", type=int, default=200, dest="tomotopy_iterations")
    ap.add_argument("--no-tomotopy", action="store_true", dest="no_tomotopy")
    ap.add_argument("--extra", type=int, default=None, help="ordinary subject topics (telegram 16, 20ng 4)")
    ap.add_argument("--runs", type=int, nargs="+", default=[1])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    if args.extra is None:
        args.extra = 16 if args.part == "telegram" else 4
    text = run_telegram(args) if args.part == "telegram" else run_20ng(args)
    print(text)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as f:
            f.write(text + "\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
