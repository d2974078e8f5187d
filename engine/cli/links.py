"""``artm-studio links train|agreement``: relational ARTM from an edge list of document ids."""
from __future__ import annotations

from pathlib import Path

from engine.cli import _family as F
from engine.cli.common import print_json, run_and_corpus, run_command, workspace_of
from engine.families.links.family import LinksOptions, links_config, links_from_arrays
from engine.families.links.model import agreement, random_agreement


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    opts = LinksOptions(edges=str(Path(args.edges).resolve()), source=args.source, target=args.target,
                        weight=args.weight, allow_unknown=args.allow_unknown, tau=args.tau)
    F.run_training(args, ws, corpus, links_config(F.config_of(args), opts))
    return 0


def cmd_agreement(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    opts, links = LinksOptions.from_dict(run.config.get("options")), links_from_arrays(run.arrays, corpus.n_docs)
    theta = run.model.theta.T
    agr, rows, cols = agreement(theta, links)
    ids = corpus.documents["id"].astype(str).to_numpy()
    worst = agr.argsort()[: args.top]
    return print_json({"run": run.run_id, "tau": opts.tau, "edges": int(len(agr)),
                       "mean_agreement": float(agr.mean()),
                       "random_pairs_agreement": float(random_agreement(theta, 2000).mean()),
                       "least_agreeing": [{"source": ids[rows[i]], "target": ids[cols[i]], "agreement": float(agr[i])}
                                          for i in worst]})


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "links", "document links: R(Θ) = τ Σ n_dc Σ_t θ_td θ_tc from an edge list",
                          "train with an edge list (CSV/Parquet of document ids)")
    t.add_argument("--edges", required=True, metavar="FILE", help="one row per link: source, target[, weight]")
    t.add_argument("--source", default="source", help="column of the first document id")
    t.add_argument("--target", default="target", help="column of the second document id")
    t.add_argument("--weight", default="weight", help="optional column of link weights n_dc")
    t.add_argument("--allow-unknown", action="store_true", dest="allow_unknown",
                   help="drop edges naming documents not in the corpus (default: an error)")
    t.add_argument("--tau", type=float, default=20.0, help="τ of the link term (default 20)")
    t.set_defaults(func=cmd_train)
    a = run_command(s, common, "agreement", cmd_agreement, "linked documents' topic agreement (JSON)")
    a.add_argument("--top", type=int, default=10, help="least agreeing links listed")
