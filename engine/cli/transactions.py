"""``artm-studio transactions import|train|show``: the hypergraph (transaction) model."""
from __future__ import annotations

import json
from pathlib import Path

from engine.cli import _family as F
from engine.cli.common import run_and_corpus, run_command, workspace_of
from engine.cli.context import document_index
from engine.errors import InputError
from engine.families.hypergraph import transactions as X
from engine.families.hypergraph.family import HypergraphOptions, edges_of, hypergraph_config
from engine.families.hypergraph.reading import edge_table


def _type_weights(specs: list[str]) -> dict:
    out = {}
    for s in specs:
        name, eq, val = s.rpartition("=")
        try:
            out[name] = float(val)
        except ValueError:
            name = ""
        if not eq or not name:
            raise InputError(f"--type-weight must look like TYPE=NUMBER, got {s!r}")
    return out


def cmd_import(args) -> int:
    ws = workspace_of(args)
    path = Path(args.file)
    fmt = args.format or ("vw" if path.suffix.lower() in (".vw", ".txt") else "table")
    if fmt == "vw":
        long = X.vw_transactions(path)
    else:
        verts = [c.strip() for c in args.vertices.split(",") if c.strip()] if args.vertices else None
        long = X.table_transactions(path, doc=args.doc, vertices=verts, count=args.count, type_column=args.type)
    name = args.name or path.stem
    print(json.dumps(X.import_transactions(ws, long, name, str(path), replace=args.replace), ensure_ascii=False,
                     indent=2))
    return 0


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    opts = HypergraphOptions(edges="transactions", path=str(X.transactions_path(ws, args.corpus)),
                             type_weights=_type_weights(args.type_weight)).validate()
    F.run_training(args, ws, corpus, hypergraph_config(F.config_of(args), opts))
    return 0


def cmd_show(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    d = document_index(corpus, args.doc)
    table = edge_table(run.model, corpus, edges_of(corpus, run.config.get("options")), d)
    print(json.dumps({"run": run.run_id, "document": str(corpus.documents["id"].iloc[d]),
                      "edges": table.head(args.top).to_dict(orient="records")}, ensure_ascii=False, indent=2,
                     default=float))
    return 0


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "transactions", "hypergraph (transaction) model: p(x|d) = Σ_t θ_td Π_v φ_vt",
                          "train on a corpus imported with 'transactions import'")
    t.add_argument("--type-weight", action="append", default=[], metavar="TYPE=W", dest="type_weight",
                   help="weight τ_k of a transaction type (repeatable; default 1)")
    t.set_defaults(func=cmd_train)
    i = s.add_parser("import", parents=[common], help="a table (one row per transaction) or BigARTM transaction VW")
    i.add_argument("file")
    i.add_argument("--name", help="corpus name (default: the file name)")
    i.add_argument("--format", choices=("table", "vw"), help="default: vw for .vw/.txt, else a table")
    i.add_argument("--doc", default="doc", help="table: the document/user id column (default 'doc')")
    i.add_argument("--vertices", help="table: vertex columns, comma-separated (default: all other columns)")
    i.add_argument("--count", help="table: optional column of counts n_dx")
    i.add_argument("--type", help="table: optional column of transaction types k")
    i.add_argument("--replace", action="store_true", help="overwrite a corpus of that name")
    i.set_defaults(func=cmd_import)
    w = run_command(s, common, "show", cmd_show, "a document's transactions with their topics (JSON)")
    w.add_argument("--doc", required=True, help="document id or row number")
    w.add_argument("--top", type=int, default=50, help="transactions shown")
