"""CLI command ``segment``: split a document of a run's corpus into topical segments (JSON)."""
from __future__ import annotations

import json

from engine.cli.argtypes import fraction, positive_float, positive_int
from engine.cli.common import run_and_corpus, workspace_of
from engine.errors import InputError
from engine.families.context import ContextOptions, estep_terms, load_options, segment


def document_index(corpus, ref: str) -> int:
    """Row of the document whose id is ``ref``; else ``ref`` read as a 0-based row number."""
    ids = corpus.documents["id"].astype(str)
    hits = (ids == str(ref)).to_numpy().nonzero()[0]
    if len(hits):
        return int(hits[0])
    try:
        d = int(ref)
    except ValueError:
        raise InputError(f"no document with id {ref!r} in corpus {corpus.name!r}") from None
    if not 0 <= d < corpus.n_docs:
        raise InputError(f"no document with id {ref!r} in corpus {corpus.name!r} "
                         f"(row numbers go from 0 to {corpus.n_docs - 1})")
    return d


def cmd_segment(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    d = document_index(corpus, args.doc)
    opts = load_options(ws, run.run_id) or ContextOptions()
    if args.window is not None:
        opts = ContextOptions.from_dict({**opts.to_dict(), "window": args.window})
    if not 0.0 <= args.threshold <= 1.0:
        raise InputError(f"--threshold must lie in [0, 1], got {args.threshold}")
    segs = segment(run.model, corpus, d, threshold=args.threshold, options=opts,
                   min_length=args.min_length, top=args.top, estep=estep_terms(run.config), rule=args.rule)
    text = str(corpus.documents["text"].iloc[d] or "")
    for s in segs:
        s["text"] = text[s["start"]:s["end"]]
        if not args.theta:
            s.pop("theta")
    out = {"run": run.run_id, "corpus": corpus.name, "doc": str(corpus.documents["id"].iloc[d]),
           "index": d, "mode": opts.mode, "window": float(opts.window(10_000)),
           "threshold": args.threshold, "rule": args.rule, "segments": segs}
    print(json.dumps(out, ensure_ascii=False, indent=2 if args.pretty else None))
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("segment", parents=[common],
                       help="split a document into topical segments (JSON)",
                       description="Token topics of one document under the run's model (context-ARTM "
                                   "reading), boundaries where the left and right topic contexts differ "
                                   "most. Prints one JSON object: segments with character offsets, "
                                   "token ranges, the main topic and the top topics.")
    p.add_argument("run", help="run id, unique id prefix, or run name")
    p.add_argument("--doc", required=True, metavar="ID", help="document id (or 0-based row number)")
    p.add_argument("--threshold", type=fraction, default=0.3,
                   help="least boundary score (total variation of the two contexts, 0..1; default 0.3)")
    p.add_argument("--window", type=positive_float, default=None,
                   help="context width in tokens (default: the run's, else 10)")
    p.add_argument("--min-length", type=positive_int, default=None, dest="min_length",
                   help="least tokens per segment (default: the window)")
    p.add_argument("--top", type=positive_int, default=3, help="top topics listed per segment")
    p.add_argument("--rule", choices=("gap", "seed"), default="gap",
                   help="gap (default): boundary ½‖L_{i−1} − R_i‖, segment θ = mean p_ti; seed: the seed's "
                        "½‖L_i − R_i‖ and ½(R_i + L_j) (bench/README §10.8: equal boundaries, less faithful θ)")
    p.add_argument("--theta", action="store_true", help="include the full topic distribution")
    p.add_argument("--pretty", action="store_true", help="indented JSON")
    p.set_defaults(func=cmd_segment)
