"""CLI ``sweep``: train one configuration at several T with several random starts; a JSON line
per finished run, then the per-T table. Every (T, start) is an ordinary run trained as a job with
checkpoints (:mod:`engine.families.starts.sweep`): Ctrl-C or a killed process keeps the finished
runs, ``sweep --resume ID`` continues. The sweep is saved in the workspace (``sweeps/<id>/``,
:mod:`engine.store.sweeps`); ``--out PREFIX`` writes PREFIX.json,
PREFIX.csv and PREFIX.html with the curves, bends marked. ``sweeps`` lists saved sweeps,
``sweep-export ID --out PREFIX`` writes the same files from a saved one (plus
PREFIX-stability.csv, the per-topic stability of every run)."""
from __future__ import annotations

import json
import math
from pathlib import Path

from engine.store import csvsafe
from engine.store.sweeps import list_sweeps, load_sweep
from engine.cli.common import workspace_of
from engine.cli.hierarchy import add_list_parser
from engine.cli.model import config_from_args
from engine.errors import ConfigError
from engine.families.hierarchy.options import parse_levels
from engine.families.starts.sweep import list_sweep_builds, load_sweep_build, plan_sweep
from engine.store.workspace import Workspace, write_text_atomic


def _clean(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _topics(text: str) -> list[int]:
    try:
        return parse_levels(text)
    except ConfigError:
        raise ConfigError(f"--topics must be comma-separated topic counts such as 10,20,40,80, "
                          f"got {text!r}") from None


def write_outputs(prefix: str, result, selection=None) -> list[Path]:
    """PREFIX.json (runs, summary, bends), PREFIX.csv (summary) and PREFIX.html (figures);
    ``result`` is a fresh SweepResult or a SavedSweep (then also PREFIX-stability.csv)."""
    from app.figures.sweep import sweep_html  # optional: the app's Plotly figures, for the HTML

    if selection is None:
        selection = getattr(result, "selection", None)
    base = Path(prefix)
    base.parent.mkdir(parents=True, exist_ok=True)
    out = {"summary": json.loads(result.summary.to_json(orient="records")),
           "runs": json.loads(result.runs.to_json(orient="records")),
           "bends": {k: _clean(v) for k, v in result.bends.items()}, "seconds": result.seconds}
    if selection is not None:
        out["topic_selection"] = json.loads(selection.to_json(orient="records"))
    paths = [base.with_suffix(".json"), base.with_suffix(".csv"), base.with_suffix(".html")]
    write_text_atomic(paths[0], json.dumps(out, indent=1))
    csvsafe.to_csv(result.summary, paths[1])
    stab = getattr(result, "stability", None)
    if stab is not None:
        paths.append(base.with_name(base.name + "-stability.csv"))
        csvsafe.to_csv(stab, paths[-1])
    write_text_atomic(paths[2], sweep_html(result, selection))
    return paths


def _run_build(build, corpus) -> int:
    done, total = build.progress()
    print(json.dumps({"sweep_id": build.sweep_id, "name": build.name, "runs": total, "finished": done}), flush=True)

    def report(row):
        print(json.dumps({k: _clean(v) for k, v in row.items()}), flush=True)

    resume = {"stopped": build.sweep_id, "resume": f"artm-studio sweep --resume {build.sweep_id}"}
    try:
        saved = build.run(corpus, on_run=report)
    except KeyboardInterrupt:
        print(json.dumps(resume), flush=True)
        return 130
    if saved is None:
        print(json.dumps(resume), flush=True)
        return 1
    sel = saved.selection
    print(json.dumps({"summary": json.loads(saved.summary.to_json(orient="records")),
                      "bends": {k: _clean(v) for k, v in saved.bends.items()},
                      "surviving": int(sel["surviving"].iloc[-1]) if sel is not None and len(sel) else None,
                      "seconds": round(saved.seconds, 1)}), flush=True)
    print(json.dumps({"sweep_id": saved.sweep_id, "name": saved.name}), flush=True)
    return 0


def cmd_sweep(args) -> int:
    ws = workspace_of(args)
    if args.resume:
        build = load_sweep_build(ws, args.resume)
        code = _run_build(build, ws.load_corpus(build.record["corpus"]["name"]))
    else:
        if not args.corpus or not args.topics:
            raise ConfigError("sweep: give --corpus and --topics (or --resume ID)")
        corpus = ws.load_corpus(args.corpus)
        topics = _topics(args.topics)
        args.topics = None
        base = config_from_args(args)
        build = plan_sweep(ws, corpus, topics, args.starts, base, holdout=args.holdout, workers=args.workers,
                           selection=args.selection, selection_tau=args.selection_tau, name=args.name)
        code = _run_build(build, corpus)
    if code == 0 and args.out:
        for p in write_outputs(args.out, load_sweep(ws, build.sweep_id)):
            print(p)
    return code


def cmd_list(args) -> int:
    ws = Workspace(args.workspace)
    items = list_sweeps(ws, args.corpus)
    pending = list_sweep_builds(ws, args.corpus)
    if args.json:
        print(json.dumps(items if not pending else items + [{**m, "unfinished": True} for m in pending],
                         ensure_ascii=False))
    else:
        for m in items:
            print(f"{m['sweep_id']}  {m['name']}  corpus={m['corpus']}  T={m['topics']}  "
                  f"starts={m['starts']}  {m['created_at']}")
        for m in pending:
            print(f"{m['sweep_id']}  {m['name']}  corpus={m['corpus']}  T={m['topics']}  starts={m['starts']}  "
                  f"{m['status']} {m['done']}/{m['total']} runs (continue: artm-studio sweep --resume {m['sweep_id']})")
    return 0


def cmd_export(args) -> int:
    for p in write_outputs(args.out, load_sweep(Workspace(args.workspace), args.sweep)):
        print(p)
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("sweep", parents=[common], help="how many topics? train at several T and starts")
    p.add_argument("--corpus", default=None)
    p.add_argument("--topics", default=None, help="topic counts, e.g. 10,20,40,80")
    p.add_argument("--resume", default=None, metavar="ID",
                   help="continue a stopped or interrupted sweep (see `sweeps`): finished runs are kept")
    p.add_argument("--starts", type=int, default=3, help="random starts per T (seeds seed..seed+k-1)")
    p.add_argument("--holdout", type=float, default=0.1, help="share of documents held out")
    p.add_argument("--workers", type=int, default=2, help="runs trained side by side")
    p.add_argument("--selection", type=int, default=0, metavar="T",
                   help="also train T topics with TopicSelection and report the survivors")
    p.add_argument("--selection-tau", type=float, default=0.5, dest="selection_tau")
    p.add_argument("--out", default=None, metavar="PREFIX", help="write PREFIX.json, .csv and .html")
    p.add_argument("--name", default=None, help="name of the saved sweep")
    p.add_argument("--background", type=int, default=None)
    p.add_argument("--iterations", type=int, default=None)
    p.add_argument("--inner-passes", type=int, default=None, dest="inner_passes")
    p.add_argument("--reg", action="append", default=[], metavar="SPEC")
    p.add_argument("--modality-weight", action="append", default=[], metavar="@M=W")
    p.add_argument("--off-last", type=int, default=None, dest="off_last", metavar="K")
    p.add_argument("--score", action="append", default=[], dest="score_every", metavar="NAME=EVERY")
    p.add_argument("--config", default=None, metavar="FILE")
    p.add_argument("--preset", default=None, choices=("plsa", "lda", "interpretable"))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=cmd_sweep, init=None)

    add_list_parser(sub, common, "sweeps", "list saved sweeps", cmd_list)

    p = sub.add_parser("sweep-export", parents=[common], help="a saved sweep as PREFIX.json/.csv/.html")
    p.add_argument("sweep", help="sweep id (see `sweeps`)")
    p.add_argument("--out", required=True, metavar="PREFIX")
    p.set_defaults(func=cmd_export)
