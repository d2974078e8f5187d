"""``artm-studio author train|profiles|documents``: the three-matrix (author–topic) model."""
from __future__ import annotations

import numpy as np

from engine.cli import _family as F
from engine.cli.common import print_json, run_and_corpus, run_command, workspace_of
from engine.families.author.family import AuthorOptions, author_config
from engine.families.author.fit import fit_of, top_documents
from engine.families.author.model import author_similarity


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    opts = AuthorOptions(column=args.authors, sep=args.sep, mode=args.mode).validate()
    F.run_training(args, ws, corpus, author_config(F.config_of(args), opts))
    return 0


def _load(args):
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    return run, corpus, fit_of(run, corpus)


def cmd_profiles(args) -> int:
    run, corpus, fit = _load(args)
    counts = fit.documents_per_author
    sim = None
    out = []
    order = np.argsort(-counts)[: args.limit]
    if args.similar:
        sim = author_similarity(fit.psi)
    for c in order:
        top = np.argsort(-fit.psi[:, c])[: args.top]
        entry = {"author": fit.authors[c], "documents": int(counts[c]),
                 "topics": [{"topic": run.model.label(int(t)), "p": float(fit.psi[t, c])} for t in top]}
        if sim is not None:
            near = [int(j) for j in np.argsort(-sim[c]) if j != c][:5]
            entry["similar"] = [{"author": fit.authors[j], "similarity": float(sim[c, j])} for j in near]
        out.append(entry)
    return print_json({"run": run.run_id, "column": fit.options.column, "mode": fit.options.mode,
                       "authors": out})


def cmd_documents(args) -> int:
    run, corpus, fit = _load(args)
    t = int(run.model.topic_indices([args.topic])[0])
    rows = top_documents(fit, args.author, t, n=args.top)
    docs = corpus.documents
    return print_json([{"id": str(docs["id"].iloc[d]), "p": p, "text": str(docs["text"].iloc[d] or "")[:300]}
                       for d, p in rows])


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "author", "author–topic (three-matrix) model: p(w|d) = Σ φ_wt ψ_tc θ_cd",
                          "train with authors from a metadata column")
    t.add_argument("--authors", required=True, metavar="COLUMN", help="metadata column with the author(s)")
    t.add_argument("--sep", default="", help="separator of several authors in one value (e.g. ';')")
    t.add_argument("--mode", choices=("fixed", "learned"), default="fixed",
                   help="θ_cd fixed to 1/|authors| (classic author–topic) or learned over the listed authors")
    t.set_defaults(func=cmd_train)
    r = run_command(s, common, "profiles", cmd_profiles, "authors' topic profiles ψ_·c (JSON)")
    r.add_argument("--top", type=int, default=3, help="topics per author")
    r.add_argument("--limit", type=int, default=50, help="authors with the most documents")
    r.add_argument("--similar", action="store_true", help="also the 5 most similar authors")
    d = run_command(s, common, "documents", cmd_documents, "top documents of an author in a topic (JSON)")
    d.add_argument("--author", required=True)
    d.add_argument("--topic", required=True, help="topic name (e.g. topic_3)")
    d.add_argument("--top", type=int, default=10)
