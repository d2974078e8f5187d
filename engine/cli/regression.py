"""``artm-studio regression train|effects|predict``: supervised ARTM (regression on Θ)."""
from __future__ import annotations

import json

import numpy as np

from engine.analysis.tables import top_tokens
from engine.cli import _family as F
from engine.cli.common import add_text_args, print_json, read_texts, run_and_corpus, run_command, workspace_of
from engine.corpus.ingest import vectorize_texts
from engine.families.regression.family import RegressionOptions, regression_config
from engine.families.regression.fit import fit_of, predict
from engine.families.regression.model import topic_effects
from engine.store.runs import load_run, resolve_run_id


def cmd_train(args) -> int:
    ws = workspace_of(args)
    corpus = ws.load_corpus(args.corpus)
    opts = RegressionOptions(column=args.y, positive=tuple(args.positive or ()), unlabeled=args.unlabeled or "",
                             missing=args.missing, tau=args.tau).validate()
    F.run_training(args, ws, corpus, regression_config(F.config_of(args), opts))
    return 0


def cmd_effects(args) -> int:
    ws = workspace_of(args)
    run = load_run(ws, resolve_run_id(ws, args.run))
    fit = fit_of(run)
    df = topic_effects([run.model.label(t) for t in range(run.model.n_topics)], fit.v, fit.se, fit.mean, fit.sd)
    tops = top_tokens(run.model, run.tokens, n=args.top)
    out = []
    for r in df.itertuples():
        name = run.model.topic_names[[run.model.label(t) for t in range(run.model.n_topics)].index(r.topic)]
        words = tops[tops["topic"] == name]["token"].tolist()
        out.append({"topic": r.topic, "effect": r.effect, "low": r.low, "high": r.high, "top_tokens": words})
    return print_json({"run": run.run_id, "y": fit.options.column, "mean": fit.mean, "binary": fit.binary,
                       "topics": out})


def cmd_predict(args) -> int:
    ws = workspace_of(args)
    run, corpus = run_and_corpus(ws, args.run)
    fit = fit_of(run)
    n_dw, _ = vectorize_texts(corpus, read_texts(args))
    yhat, theta = predict(run.model, fit, n_dw)
    for i in range(len(yhat)):
        top = np.argsort(-theta[:, i])[:3]
        print(json.dumps({"text": i, "tokens": float(n_dw[i].sum()), "y": float(yhat[i]),
                          "topics": [{"topic": run.model.label(int(t)), "p": float(theta[t, i])} for t in top]},
                         ensure_ascii=False))
    return 0


def register(sub, common) -> None:
    s, t = F.family_group(sub, common, "regression", "supervised ARTM: topics that explain a document variable y",
                          "train with R = −τ Σ_d (y_d − v·θ_d)²")
    t.add_argument("--y", required=True, metavar="COLUMN", help="numeric (or categorical with --positive) column")
    t.add_argument("--positive", nargs="+", metavar="VALUE",
                   help="values of COLUMN that make y = 1 (VALUE* = prefix), all others 0")
    t.add_argument("--unlabeled", default=None, metavar="COL=VALUE",
                   help="leave these documents unsupervised (e.g. split=test); their y is predicted")
    t.add_argument("--missing", choices=("error", "unlabeled"), default="error",
                   help="what NaN/empty y means (default: an error naming the column)")
    t.add_argument("--tau", type=float, default=50.0, help="τ of the regression term (default 50)")
    t.set_defaults(func=cmd_train)
    e = run_command(s, common, "effects", cmd_effects, "topics ranked by their y (JSON, with 95%% intervals)")
    e.add_argument("--top", type=int, default=8, help="top tokens per topic")
    r = run_command(s, common, "predict", cmd_predict, "predicted y and topics of new text (JSON lines)")
    add_text_args(r)
