"""Regression on Θ (issue 13, family 1) on 20 Newsgroups: held-out AUC/R² of supervised ARTM
against logistic/linear regression on PLSA θ of the same T, and the cost of a pass.

y = 1 for the sci.* groups (4 of 20, 21 % of posts), else 0. The train split supervises; the
test split (later posts) is left unlabeled in training and predicted from θ inferred with Φ
fixed (``transform``, y unused). Both models see the same corpus, T, seed and iterations.

    PYTHONPATH=$PWD bench/.venv/bin/python bench/bench_families_regression.py --workspace WS
(WS holds corpus ``news20``: ``artm-studio import .../20newsgroups_bydate.jsonl.gz --name news20
--text-column text --id-column id --lang en --min-df 5 --max-df 0.5``)
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import r2_score, roc_auc_score

from engine.em.config import ModelConfig
from engine.em.inference import transform
from engine.em.trainer import Trainer
from engine.families.regression import model as M
from engine.families.regression.family import RegressionOptions, regression_config
from engine.families.regression.fit import fit_of_trainer, predict
from engine.store.workspace import Workspace


def timed_fit(tr, n):
    secs = []
    for _ in range(n):
        t0 = time.perf_counter()
        tr.step()
        secs.append(time.perf_counter() - t0)
    return float(np.median(secs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--corpus", default="news20")
    ap.add_argument("--topics", type=int, nargs="+", default=[10, 20])
    ap.add_argument("--taus", type=float, nargs="+", default=[50.0, 200.0])
    ap.add_argument("--iterations", type=int, default=30)
    args = ap.parse_args()
    c = Workspace(args.workspace).load_corpus(args.corpus)
    c.documents["sci"] = c.documents["label"].astype(str).str.startswith("sci.").astype(float)
    test = (c.documents["split"] == "test").to_numpy()
    y = c.documents["sci"].to_numpy()
    rows = []
    for T in args.topics:
        cfg = ModelConfig(n_topics=T, iterations=args.iterations, seed=1, threads=2)
        plain = Trainer(c, cfg)
        t_plain = timed_fit(plain, args.iterations)
        th_tr = plain.model.theta.T[~test]
        th_te = transform(plain.model, c.n_dw[np.flatnonzero(test)], 10)[0].T
        lr = LogisticRegression(max_iter=2000).fit(th_tr, y[~test])
        lin = LinearRegression().fit(th_tr, y[~test])
        rows.append({"model": "PLSA + logistic", "T": T, "auc": roc_auc_score(y[test], lr.predict_proba(th_te)[:, 1]),
                     "r2": r2_score(y[test], lin.predict(th_te)), "sec_per_pass": t_plain})
        for tau in args.taus:
            opts = RegressionOptions(column="sci", unlabeled="split=test", tau=tau)
            sup = Trainer(c, regression_config(cfg, opts))
            t_sup = timed_fit(sup, args.iterations)
            yhat, th = predict(sup.model, fit_of_trainer(sup), c.n_dw[np.flatnonzero(test)])
            lr2 = LogisticRegression(max_iter=2000).fit(sup.model.theta.T[~test], y[~test])
            rows.append({"model": f"supervised ARTM τ={tau:g}", "T": T, "auc": M.auc(y[test], yhat),
                         "auc_logistic_on_theta": roc_auc_score(y[test], lr2.predict_proba(th.T)[:, 1]),
                         "r2": M.r2(y[test], yhat), "sec_per_pass": t_sup, "ratio_to_plain": t_sup / t_plain})
        for r in rows[-1 - len(args.taus):]:
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}), flush=True)
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
