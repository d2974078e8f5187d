"""TimeSmoothing against BigARTM 0.9.2's SmoothTimeInTopicsPhiRegularizer end to end (issue 13,
item 8): the same corpus, the same Φ0, the same passes, perplexity after every pass.

Corpus: the shared NeurIPS Vowpal Wabbit file (../shared/corpora/neurips_1987_2019/bow/
vw.neurips.txt.gz: 9,675 papers, words + a ``year`` modality 1987–2019; the ``author`` part is
left out). The file is in year order, so BigARTM's dictionary lists the year tokens in time
order — the order BigARTM's regularizer walks — and the engine orders them by value: the same
order on both sides (checked below). 2 threads, 1 inner pass, Θ reused (as run_parity.py).

    bench/.venv/bin/python bench/bench_time_smoothing_parity.py [--topics 20] [--passes 20] \
        [--taus 0 10 100 500]
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import run_bigartm as rb  # noqa: E402

SOURCE = Path("/work/shared/corpora/neurips_1987_2019/bow/vw.neurips.txt.gz")


def words_and_years(folder: Path) -> Path:
    """The VW file without its author part (uncompressed: BigARTM reads plain files only)."""
    out = folder / "vw.neurips_years.txt"
    with gzip.open(SOURCE, "rt", encoding="utf-8") as src, out.open("w", encoding="utf-8") as dst:
        for line in src:
            parts = line.rstrip("\n").split(" |")
            dst.write(" |".join(p for p in parts if not p.startswith("author")) + "\n")
    return out


def time_ordered(artm, dictionary, folder: Path):
    """BigARTM's dictionary with the ``year`` tokens rewritten in ascending order: its own
    order is its hash table's (e.g. 2011, 1994, 1990, …), and SmoothTimeInTopicsPhi walks the
    tokens of the class in Φ's row order, i.e. the dictionary's."""
    src, dst = folder / "dict.txt", folder / "dict_time.txt"
    dictionary.save_text(str(src))
    lines = src.read_text(encoding="utf-8").splitlines()
    head = [ln for ln in lines if ln.startswith("name:") or ln.startswith("token,")]
    rows = [ln for ln in lines if ln not in head]
    years = sorted((r for r in rows if r.split(", ")[1] == "year"), key=lambda r: int(r.split(", ")[0]))
    dst.write_text("\n".join(head + [r for r in rows if r.split(", ")[1] != "year"] + years) + "\n", encoding="utf-8")
    out = artm.Dictionary()
    out.load_text(str(dst))
    return out


def bigartm_fit(vw: Path, folder: Path, vocab, phi0, T, passes, tau):
    artm = rb._artm()
    bv = artm.BatchVectorizer(data_path=str(vw), data_format="vowpal_wabbit", target_folder=str(folder / "batches"),
                              batch_size=1000)
    model = artm.ARTM(topic_names=[f"topic_{i}" for i in range(T)], num_processors=2, num_document_passes=1,
                      reuse_theta=True, cache_theta=False, show_progress_bars=False,
                      class_ids={"@default_class": 1.0, "year": 1.0})
    model.scores.add(artm.PerplexityScore(name="perplexity"))
    model.scores.add(artm.PerplexityScore(name="perplexity_words", class_ids=["@default_class"]))
    if tau:
        model.regularizers.add(artm.SmoothTimeInTopicsPhiRegularizer(name="time", tau=tau, class_id="year"))
    model.initialize(time_ordered(artm, bv.dictionary, folder))
    info, pwt = model.master.attach_model(model.model_pwt)
    row = {(m, t): i for i, (t, m) in enumerate(zip(vocab["token"], vocab["modality"]))}
    order = np.fromiter((row[(c, t)] for t, c in zip(info.token, info.class_id)), np.int64, len(info.token))
    pwt[:, :] = phi0[order, :]
    years = [t for t, c in zip(info.token, info.class_id) if c == "year"]
    for _ in range(passes):
        model.fit_offline(bv, num_collection_passes=1)
    phi = model.get_phi(class_ids=["@default_class", "year"])
    out = {"perplexity": [float(v) for v in model.score_tracker["perplexity"].value],
           "perplexity_words": [float(v) for v in model.score_tracker["perplexity_words"].value],
           "years_in_phi_order": years, "phi": phi}
    model.dispose()
    return out


def engine_fit(corpus, phi0, T, passes, tau, rule="bigartm"):
    from engine.em.config import ModelConfig
    from engine.em.regularizers import TimeSmoothing
    from engine.em.trainer import Trainer

    regs = (TimeSmoothing(name="time", tau=tau, modality="year", rule=rule),) if tau else ()
    tr = Trainer(corpus, ModelConfig(n_topics=T, iterations=passes, inner_passes=1, reuse_theta=True, threads=2,
                                     regularizers=regs), phi0=phi0)
    reps = tr.fit()
    return {"perplexity": [r.scores["perplexity"] for r in reps],
            "perplexity_words": [r.scores["perplexity@default_class"] for r in reps], "phi": tr.phi}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--topics", type=int, default=20)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--taus", type=float, nargs="+", default=[0.0, 10.0, 100.0, 500.0])
    args = ap.parse_args()
    from engine.corpus.ingest import build_corpus
    from engine.em.regularizers import time_order

    folder = Path(tempfile.mkdtemp(prefix="ts_parity_"))
    vw = words_and_years(folder)
    corpus = build_corpus(vw)
    vocab = corpus.vocab
    years = vocab["token"][vocab["modality"] == "year"].tolist()
    rng = np.random.default_rng(1)
    phi0 = (rng.random((corpus.n_tokens, args.topics)) + 1e-3).astype(np.float32)
    for m in corpus.modalities:  # unit columns within each modality
        mask = (vocab["modality"] == m).to_numpy()
        phi0[mask] /= phi0[mask].sum(axis=0, keepdims=True)
    print(json.dumps({"documents": corpus.n_docs, "tokens": {m: int((vocab["modality"] == m).sum())
                                                             for m in corpus.modalities}}))
    runs = [(tau, "bigartm") for tau in args.taus] + [(tau, "symmetric") for tau in args.taus if tau]
    cache = {}
    for tau, rule in runs:
        if tau not in cache:
            cache[tau] = bigartm_fit(vw, folder, vocab, phi0, args.topics, args.passes, tau)
            cache[tau].pop("phi_frame", None)
        b = cache[tau]
        e = engine_fit(corpus, phi0, args.topics, args.passes, tau, rule)
        engine_years = [years[i] for i in time_order(years)]
        rel = [abs(x / y - 1) for x, y in zip(e["perplexity"], b["perplexity"])]
        relw = [abs(x / y - 1) for x, y in zip(e["perplexity_words"], b["perplexity_words"])]
        bphi = b["phi"]
        row = {(m, t): i for i, (t, m) in enumerate(zip(vocab["token"], vocab["modality"]))}
        by_token = {t: i for i, t in enumerate(vocab["token"])}   # words are letters, years digits
        rows = [row[(k[0], k[1])] if isinstance(k, tuple) else by_token[k] for k in bphi.index]
        dphi = np.abs(e["phi"][rows] - bphi.to_numpy(np.float32)).sum(axis=0)
        if b["years_in_phi_order"] != engine_years:
            print(json.dumps({"bigartm_order": b["years_in_phi_order"], "engine_order": engine_years}))
        print(json.dumps({"tau": tau, "engine_rule": rule, "same_time_order": b["years_in_phi_order"] == engine_years,
                          "worst_rel_diff_perplexity": max(rel), "worst_rel_diff_perplexity_words": max(relw),
                          "final_perplexity_bigartm": round(b["perplexity"][-1], 3),
                          "final_perplexity_engine": round(e["perplexity"][-1], 3),
                          "final_words_bigartm": round(b["perplexity_words"][-1], 3),
                          "final_words_engine": round(e["perplexity_words"][-1], 3),
                          "phi_l1_per_topic_max": float(dphi.max())}), flush=True)
    print(json.dumps({"loadavg": os.getloadavg()}))


if __name__ == "__main__":
    main()
