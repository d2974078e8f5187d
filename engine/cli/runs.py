"""CLI commands about saved runs: ``runs``, ``show``, ``export``, ``transform``, ``rename-run``,
``delete-run``."""
from __future__ import annotations

from pathlib import Path

from engine.analysis.tables import top_tokens, transform
from engine.cli.argtypes import positive_int
from engine.cli.common import add_text_args, fmt_number, print_json, read_texts, run_command, workspace_of
from engine.cli.report import write_report
from engine.em.health import KEYS as HEALTH_KEYS, warnings_of
from engine.errors import InputError, WorkspaceError
from engine.interop.exports import FORMATS as INTEROP_FORMATS
from engine.interop.exports import export as export_interop
from engine.store.runs import delete_run, export_run, list_runs, load_run, rename_run, resolve_run_id


def cmd_runs(args) -> int:
    runs = list_runs(workspace_of(args), corpus=args.corpus)
    if args.json:
        keep = ("run_id", "name", "corpus", "status", "iteration", "n_topics", "created_at", "updated_at",
                "final_scores", "labels")
        return print_json([{k: m.get(k) for k in keep} for m in runs])
    if not runs:
        print("no runs yet (train one with: artm-studio train --corpus NAME)")
        return 0
    rows = [("RUN", "NAME", "CORPUS", "STATUS", "ITER", "TOPICS", "PERPLEXITY", "CREATED")]
    for m in runs:
        perp = (m.get("final_scores") or {}).get("perplexity")
        status = m.get("status", "")
        if any((m.get("final_scores") or {}).get(k) for k in HEALTH_KEYS):
            status += " (collapse: " + "; ".join(warnings_of(m["final_scores"])) + ")"
        rows.append((m["run_id"], str(m.get("name", ""))[:30], m.get("corpus", {}).get("name", ""),
                     status, str(m.get("iteration", "")), str(m.get("n_topics", "")),
                     fmt_number(perp) if perp is not None else "-", str(m.get("created_at", ""))[:19]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return 0


def cmd_show(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    df = top_tokens(run.model, run.tokens, n=args.top, modality=args.modality,
                    relevance_lambda=args.relevance_lambda)
    model = run.model
    if args.json:
        topics = []
        for t, name in enumerate(model.topic_names):
            sub = df[df["topic"] == name]
            entry = {"name": name, "label": model.label(t), "background": bool(model.background[t]),
                     "top_tokens": [{"token": r.token, "modality": r.modality, "p": float(r.p_wt)}
                                    for r in sub.itertuples()]}
            topics.append(entry)
        return print_json(topics)
    print(f"run {run.run_id} ({run.name}) on corpus {run.corpus_name}: {model.n_topics} topics, "
          f"{run.iteration} iterations, {run.status}")
    for t, name in enumerate(model.topic_names):
        sub = df[df["topic"] == name]
        head = name if model.label(t) == name else f"{name} [{model.label(t)}]"
        dead = "  (dead)" if not sub.shape[0] else ""
        print(f"\n{head}{dead}")
        for mod, g in sub.groupby("modality", sort=False):
            print(f"  {mod}: " + ", ".join(g["token"].astype(str)))
    return 0


def cmd_export(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    corpus = ws.load_corpus(run.corpus_name) if ws.has_corpus(run.corpus_name) else None
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder; give a folder (it is created if missing)")
    try:
        if args.format in INTEROP_FORMATS:  # pyLDAvis, BigARTM, gensim: engine/interop
            paths = export_interop(run, corpus, args.format, out)
        elif args.format == "html":  # the stakeholder report, as `artm-studio report`
            paths = [write_report(run, out / "report.html", corpus)]
        else:
            paths = export_run(run, corpus, fmt=args.format, out_dir=out, top_n=args.top)
    except OSError as e:
        raise InputError(f"--out {out}: cannot write there ({e.strerror or e})") from None
    for p in paths:
        print(p)
    return 0


def cmd_transform(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    if not ws.has_corpus(run.corpus_name):
        raise WorkspaceError(f"run {run.run_id} was trained on corpus {run.corpus_name!r}, which is no longer "
                             "in the workspace; transform needs its vocabulary and preprocessing")
    corpus = ws.load_corpus(run.corpus_name)
    df = transform(run, corpus, read_texts(args), method="one_pass" if args.one_pass else "em")
    model = run.model
    out = []
    for i, row in df.iterrows():
        theta = {name: float(row[name]) for name in model.topic_names}
        ranked = sorted(theta.items(), key=lambda kv: -kv[1])
        out.append({"text": int(row["text"]), "tokens": float(row["tokens"]),
                    "topics": [{"topic": n, "label": model.labels.get(n) or n, "p": p}
                               for n, p in ranked if p > 0][: args.top]})
    return print_json(out[0] if len(out) == 1 and not args.lines else out)


def cmd_rename(args) -> int:
    ws = workspace_of(args)
    man = rename_run(ws, resolve_run_id(ws, args.run), args.name)
    print(f"run {man['run_id']} is now named {man['name']!r}")
    return 0


def cmd_delete(args) -> int:
    ws = workspace_of(args)
    run_id = resolve_run_id(ws, args.run)
    delete_run(ws, run_id)
    print(f"deleted run {run_id}")
    return 0


def register(sub, common) -> None:
    p = sub.add_parser("runs", parents=[common], help="list saved runs, newest first")
    p.add_argument("--corpus", default=None, help="only runs of this corpus")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_runs)

    p = run_command(sub, common, "show", cmd_show, "top tokens of every topic of a run")
    p.add_argument("--top", type=positive_int, default=10)
    p.add_argument("--modality", default=None)
    p.add_argument("--lambda", type=float, default=1.0, dest="relevance_lambda",
                   help="relevance λ (1 = by p(w|t); smaller favours topic-specific tokens)")
    p.add_argument("--json", action="store_true", help="a list of topics, each with name and top tokens")

    p = run_command(sub, common, "export", cmd_export, "write Φ, Θ, top tokens and scores of a run")
    p.add_argument("--format", choices=("csv", "parquet", "html") + INTEROP_FORMATS, default="csv",
                   help="csv/parquet: Φ, Θ, top tokens, scores; html: the stakeholder report (report.html); pyldavis: pyLDAvis.prepare's data (+ HTML "
                        "when pyLDAvis is installed); bigartm: Φ for attach_model + the corpus as VW; "
                        "gensim: Dictionary + LdaModel topic-term matrix")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--top", type=positive_int, default=20, help="top tokens per topic in top_tokens")

    p = run_command(sub, common, "transform", cmd_transform, "topics of new text (JSON)")
    add_text_args(p)
    p.add_argument("--one-pass", action="store_true", dest="one_pass",
                   help="one-pass estimate θ_td = Σ_w (n_dw/n_d) p(t|w) instead of EM inference")
    p.add_argument("--top", type=positive_int, default=10, help="topics listed per text")

    p = run_command(sub, common, "rename-run", cmd_rename, "give a run a new name")
    p.add_argument("name")

    run_command(sub, common, "delete-run", cmd_delete, "delete a saved run")
