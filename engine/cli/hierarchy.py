"""CLI: ``hierarchy`` (train a topic hierarchy level by level, one JSON line per level and
iteration), ``hierarchies`` (list), ``hierarchy-show``, ``hierarchy-export``, ``hierarchy-label``.

Everything is checked before the first pass. Every level trains as an ordinary run (a job with
checkpoints, :mod:`engine.families.hierarchy.build`); the hierarchy itself is written once,
atomically, after the last level. Ctrl-C or a killed process keeps the finished levels and the
current level's checkpoints: ``hierarchy --resume ID`` continues. ``--extend ID`` (levels below a
saved hierarchy) is planned and trained the same way; the hierarchy is replaced, under its id, only
after the last new level.
"""
from __future__ import annotations

import json
import math


from engine.cli.common import workspace_of
from engine.cli.model import config_from_args
from engine.errors import ConfigError
from engine.families.hierarchy import (
    HierarchyOptions, export_hierarchy, level_configs, list_hierarchies, load_hierarchy,
    parse_levels, set_level_labels,
)
from engine.families.hierarchy.build import list_builds, load_build, plan_build
from engine.families.hierarchy.tables import tree_table
from engine.store.workspace import Workspace


def _clean(v):
    return v if not isinstance(v, float) or math.isfinite(v) else None


def _print(obj) -> None:
    print(json.dumps({k: _clean(v) for k, v in obj.items()}, ensure_ascii=False), flush=True)


def _report(level, rep):
    _print({"level": level, "iteration": rep.iteration, "seconds": round(rep.seconds, 4),
            **{k: v for k, v in rep.scores.items() if not k.startswith("topic_mass:")}})


def _run_build(build, corpus) -> int:
    _print({"hierarchy_id": build.build_id, "name": build.name, "runs": build.run_ids,
            **({"extends": build.record["extends"]["hierarchy_id"]} if build.record.get("extends") else {})})
    try:
        h = build.run(corpus, on_report=_report)
    except KeyboardInterrupt:
        _print({"stopped": build.build_id, "resume": f"artm-studio hierarchy --resume {build.build_id}"})
        return 130
    if h is None:
        _print({"stopped": build.build_id, "resume": f"artm-studio hierarchy --resume {build.build_id}"})
        return 1
    _print({"hierarchy_id": h.hierarchy_id, "name": h.name, "levels": [lv.n_topics for lv in h.levels],
            "seconds": round(h.seconds, 2), "quality": h.quality})
    return 0


def cmd_hierarchy(args) -> int:
    ws = workspace_of(args)
    if args.resume:
        build = load_build(ws, args.resume)
        return _run_build(build, ws.load_corpus(build.record["corpus"]["name"]))
    if not args.corpus or not args.levels:
        raise ConfigError("hierarchy: give --corpus and --levels (or --resume ID)")
    corpus = ws.load_corpus(args.corpus)
    opts = HierarchyOptions(tau=args.tau, psi_passes=args.psi_passes, psi_sparsing=args.psi_sparsing,
                            one_parent=args.one_parent).validate()
    args.topics = None
    base = config_from_args(args)
    configs = level_configs(parse_levels(args.levels), base)
    return _run_build(plan_build(ws, corpus, configs, opts, name=args.name, extend=args.extend), corpus)


def cmd_list(args) -> int:
    ws = Workspace(args.workspace)
    items = list_hierarchies(ws, args.corpus)
    pending = list_builds(ws, args.corpus)
    if args.json:
        print(json.dumps({"hierarchies": items, "unfinished": pending}, ensure_ascii=False))
    else:
        for m in items:
            print(f"{m['hierarchy_id']}  {m['name']}  corpus={m['corpus']}  levels={m['levels']}  {m['created_at']}")
        for m in pending:
            print(f"{m['build_id']}  {m['name']}  corpus={m['corpus']}  levels={m['levels']}  {m['status']} "
                  f"(continue: artm-studio hierarchy --resume {m['build_id']})")
    return 0


def cmd_show(args) -> int:
    h = load_hierarchy(Workspace(args.workspace), args.hierarchy)
    tree = tree_table(h, n_tokens=args.top)
    if args.json:
        print(tree.to_json(orient="records", force_ascii=False))
        return 0
    for r in tree.itertuples():
        indent = "  " * int(r.level)
        link = f" (ψ={r.psi:.2f})" if r.level else ""
        print(f"{indent}{r.node}  {r.label}  mass={r.mass:.3f}{link}: {r.top_tokens}")
    for k, q in enumerate(h.quality):
        print(f"link {k} → {k + 1}: " + ", ".join(f"{a}={b:.3g}" for a, b in q.items()))
    return 0


def cmd_export(args) -> int:
    h = load_hierarchy(Workspace(args.workspace), args.hierarchy)
    for p in export_hierarchy(h, args.out, args.format):
        print(p)
    return 0


def cmd_label(args) -> int:
    labels = {}
    for item in args.labels:
        if "=" not in item:
            raise ConfigError(f"labels are TOPIC=LABEL (e.g. topic_3=sport), got {item!r}")
        k, v = item.split("=", 1)
        labels[k.strip()] = v
    set_level_labels(Workspace(args.workspace), args.hierarchy, args.level, labels)
    return 0


def add_list_parser(sub, common, name: str, help_text: str, func) -> None:
    """A ``NAME [--corpus C] [--json]`` listing command."""
    p = sub.add_parser(name, parents=[common], help=help_text)
    p.add_argument("--corpus", default=None)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=func)


def register(sub, common) -> None:
    p = sub.add_parser("hierarchy", parents=[common], help="train a topic hierarchy (hARTM), level by level")
    p.add_argument("--corpus", default=None, help="corpus name in the workspace")
    p.add_argument("--levels", default=None, help="topics per level, top first (e.g. 8,40,150)")
    p.add_argument("--resume", default=None, metavar="ID",
                   help="continue an interrupted hierarchy training (see `hierarchies`)")
    p.add_argument("--tau", type=float, default=1.0,
                   help="weight of the parent pseudo-documents (0..1e6; 1 = as heavy as the corpus)")
    p.add_argument("--psi-passes", type=int, default=10, dest="psi_passes", help="Ψ updates per pass")
    p.add_argument("--psi-sparsing", type=float, default=0.0, dest="psi_sparsing",
                   help="σ ≥ 0: fewer parents per child (HierarchySparsingTheta)")
    p.add_argument("--one-parent", action="store_true", dest="one_parent",
                   help="every child keeps only its strongest parent (a tree, not a DAG)")
    p.add_argument("--extend", default=None, metavar="ID", help="add levels below a saved hierarchy")
    p.add_argument("--background", type=int, default=None, help="background topics per level")
    p.add_argument("--iterations", type=int, default=None, help="EM passes per level (default 20)")
    p.add_argument("--inner-passes", type=int, default=None, dest="inner_passes")
    p.add_argument("--reg", action="append", default=[], metavar="SPEC", help="regularizer for every level")
    p.add_argument("--modality-weight", action="append", default=[], metavar="@M=W")
    p.add_argument("--off-last", type=int, default=None, dest="off_last", metavar="K")
    p.add_argument("--score", action="append", default=[], dest="score_every", metavar="NAME=EVERY")
    p.add_argument("--config", default=None, metavar="FILE", help="ModelConfig JSON for every level")
    p.add_argument("--preset", default=None, choices=("plsa", "lda", "interpretable"))
    p.add_argument("--seed", type=int, default=None, help="seed of level 0 (level k uses seed + k)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--name", default=None)
    p.set_defaults(func=cmd_hierarchy, init=None)

    add_list_parser(sub, common, "hierarchies", "list saved hierarchies (and unfinished trainings)", cmd_list)

    p = sub.add_parser("hierarchy-show", parents=[common], help="print a hierarchy as a tree")
    p.add_argument("hierarchy", help="hierarchy id")
    p.add_argument("--top", type=int, default=6, help="top tokens per topic")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("hierarchy-export", parents=[common], help="Φ per level, Ψ, Θ as files")
    p.add_argument("hierarchy")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("hierarchy-label", parents=[common], help="label topics of one level")
    p.add_argument("hierarchy")
    p.add_argument("--level", type=int, required=True)
    p.add_argument("labels", nargs="+", metavar="TOPIC=LABEL")
    p.set_defaults(func=cmd_label)


