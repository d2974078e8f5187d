"""``artm-studio sentences train|show``: the sentence model (each sentence one edge, one topic)."""
from __future__ import annotations

import json

from engine.analysis.tables import top_tokens
from engine.cli import _family as F
from engine.cli.common import run_and_corpus, run_command, workspace_of
from engine.cli.context import document_index
from engine.families.hypergraph.family import HypergraphOptions, edges_of, hypergraph_config
from engine.families.hypergraph.reading import sentence_table


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    opts = HypergraphOptions(edges="sentences", min_tokens=args.min_tokens).validate()
    F.run_training(args, ws, corpus, hypergraph_config(F.config_of(args), opts))
    return 0


def cmd_show(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    edges = edges_of(corpus, run.config.get("options"))
    model = run.model
    top = top_tokens(model, corpus, n=6)
    words = top.groupby("topic", sort=False)["token"].apply(", ".join).to_dict()
    out = []
    for ref in args.doc:
        d = document_index(corpus, ref)
        table, _ = sentence_table(model, corpus, edges, d)
        out.append({"document": str(corpus.documents["id"].iloc[d]),
                    "topics": {t: words.get(t, "") for t in dict.fromkeys(table["topic"]) if t},
                    "sentences": [{"topic": r.topic, "p": round(float(r.p), 3), "text": " ".join(r.text.split())}
                                  for r in table.itertuples()]})
    if args.json:
        print(json.dumps({"run": run.run_id, "documents": out}, ensure_ascii=False, indent=2))
        return 0
    for doc in out:
        print(f"== document {doc['document']}")
        for t, w in doc["topics"].items():
            print(f"   {t}: {w}")
        for s in doc["sentences"]:
            print(f"[{s['topic']} {s['p']:.2f}] {s['text'][:args.width]}")
    return 0


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "sentences",
                          "sentence model: p(s|d) = Σ_t θ_td Π_w φ_wt^n_sw, one topic per sentence",
                          "train on a text corpus (sentences cut at . ! ? and line breaks)")
    t.add_argument("--min-tokens", type=int, default=1, dest="min_tokens",
                   help="drop sentences with fewer in-vocabulary tokens (default 1)")
    t.set_defaults(func=cmd_train)
    w = run_command(s, common, "show", cmd_show, "documents' sentences with their topics")
    w.add_argument("--doc", required=True, action="append", help="document id or row number (repeatable)")
    w.add_argument("--json", action="store_true")
    w.add_argument("--width", type=int, default=160, help="characters of each sentence printed")
