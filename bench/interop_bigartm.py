"""Round trips with BigARTM 0.9.2 (bench venv only): Φ tables in both directions.

A. BigARTM → engine: a BigARTM PLSA model trained on the bundled sample writes ``get_phi()`` to
   CSV (its layout: tokens as the unnamed index); the engine takes it as ``--init`` (through
   ``engine.interop.read_phi_table``) and runs one pass. BigARTM runs the same pass from the same
   Φ (a fresh model, ``attach_model``). Both perplexities are printed; they should agree.
B. engine → BigARTM: an engine run exported with ``export --format bigartm`` (``phi.parquet`` with
   a (class_id, token) index, ``corpus.vw``) is loaded into BigARTM with ``attach_model`` and
   continues one pass; the engine continues the same Φ one pass through ``--init``.

Both sides: PLSA, T topics, 1 inner pass, Θ started afresh, 2 threads.

    PYTHONPATH=$PWD bench/.venv/bin/python bench/interop_bigartm.py [--topics 10] [--passes 10]

Also printed: max |ΔΦ| between the Φ one library wrote and the Φ the other holds after
loading it. Exit code 0 when both directions agree within 1 % of perplexity and 1e-6 in Φ.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import engine  # noqa: E402
from engine.corpus.ingest import ImportOptions, import_corpus  # noqa: E402
from engine.corpus.sample import sample_corpus_path  # noqa: E402
from engine.em.config import ModelConfig  # noqa: E402
from engine.em.phi_table import load_phi  # noqa: E402
from engine.em.trainer import Trainer  # noqa: E402
from engine.interop.exports import export  # noqa: E402
from engine.store.runs import load_run  # noqa: E402


def _artm(logs: Path):
    """Import artm with glog writing into ``logs`` (not the current directory)."""
    import artm  # the bench venv only
    from artm.wrapper import LibArtm
    from artm.wrapper import messages_pb2 as messages

    logs.mkdir(parents=True, exist_ok=True)
    LibArtm(logging_config=messages.ConfigureLoggingArgs(log_dir=str(logs), minloglevel=2))
    return artm


def engine_pass(corpus, phi_path: Path, T: int, threads: int) -> float:
    """One engine pass from the Φ table at ``phi_path`` (read by --init's reader)."""
    cfg = ModelConfig(n_topics=T, n_background=0, iterations=1, inner_passes=1, reuse_theta=True,
                      threads=threads, init=str(phi_path)).validate()
    tr = Trainer(corpus, cfg)
    rep = tr.step()
    tr.close()
    return float(rep.scores["perplexity"])


def bigartm_model(artm, bv, T: int, threads: int):
    model = artm.ARTM(topic_names=[f"topic_{i}" for i in range(T)], num_processors=threads, num_document_passes=1,
                      reuse_theta=True, cache_theta=False, show_progress_bars=False,
                      class_ids={"@default_class": 1.0})
    model.scores.add(artm.PerplexityScore(name="perplexity", class_ids=["@default_class"]))
    model.initialize(bv.dictionary)
    return model


def bigartm_pass_from(artm, bv, phi: pd.DataFrame, T: int, threads: int) -> tuple[float, float]:
    """One BigARTM pass from ``phi`` (rows matched by (class_id, token)) loaded with attach_model;
    also max |Φ read back by ``get_phi()`` after attaching − ``phi``| before the pass."""
    model = bigartm_model(artm, bv, T, threads)
    info, pwt = model.master.attach_model(model.model_pwt)
    key = list(zip(info.class_id, info.token))
    values = phi.reindex(pd.MultiIndex.from_tuples(key)).fillna(0.0).to_numpy(np.float32)
    pwt[:, :] = values
    back = model.get_phi()
    back_values = back.reindex([t for _, t in key]).to_numpy(np.float64) if back.index.nlevels == 1 \
        else back.reindex(pd.MultiIndex.from_tuples(key)).to_numpy(np.float64)
    diff = float(np.max(np.abs(back_values - values)))
    model.fit_offline(bv, num_collection_passes=1)
    value = float(model.score_tracker["perplexity"].last_value)
    model.dispose()
    return value, diff


def init_diff(corpus, phi_path: Path, phi: pd.DataFrame) -> float:
    """max |Φ the engine's --init reader takes from ``phi_path`` − ``phi`` (BigARTM's, by token)|."""
    loaded, names = load_phi(phi_path, corpus)
    tokens = corpus.vocab["token"].astype(str).tolist()
    want = phi.reindex(tokens)[names].to_numpy(np.float64)
    return float(np.max(np.abs(loaded - want)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--topics", type=int, default=10)
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="interop_bigartm_"))
    artm = _artm(tmp / "logs")
    ws = engine.Workspace(tmp / "ws")
    # the bundled sample, words only (BigARTM's perplexity below is on @default_class)
    opts = ImportOptions(lang="en", stopwords=str(sample_corpus_path().with_name("stopwords_commons.txt")))
    import_corpus(sample_corpus_path(), "uk", opts, ws)
    corpus = ws.load_corpus("uk")

    # an engine run, exported for BigARTM (also gives the corpus as VW for BigARTM's batches)
    cfg = ModelConfig(n_topics=a.topics, n_background=0, iterations=a.passes, inner_passes=1, reuse_theta=True,
                      threads=a.threads, seed=1).validate()
    job = engine.default_registry().start(ws, corpus, cfg, owner="bench", name="eng")
    snap = engine.default_registry().get(job).wait(timeout=600)
    run = load_run(ws, snap.run_id)
    out = tmp / "export"
    export(run, corpus, "bigartm", out)
    bv = artm.BatchVectorizer(data_path=str(out / "corpus.vw"), data_format="vowpal_wabbit",
                              target_folder=str(tmp / "batches"), batch_size=1000)

    # A. BigARTM → engine
    model = bigartm_model(artm, bv, a.topics, a.threads)
    model.fit_offline(bv, num_collection_passes=a.passes)
    big_trained = float(model.score_tracker["perplexity"].last_value)
    phi_big = model.get_phi()                      # tokens as the unnamed index (0.9.2 layout)
    model.dispose()
    phi_big.to_csv(tmp / "bigartm_phi.csv")
    eng_a = engine_pass(corpus, tmp / "bigartm_phi.csv", a.topics, a.threads)
    diff_a = init_diff(corpus, tmp / "bigartm_phi.csv", phi_big)
    phi_big_multi = phi_big.copy()
    phi_big_multi.index = pd.MultiIndex.from_arrays([["@default_class"] * len(phi_big), phi_big.index])
    big_a, _ = bigartm_pass_from(artm, bv, phi_big_multi, a.topics, a.threads)

    # B. engine → BigARTM
    phi_eng = pd.read_parquet(out / "phi.parquet")
    big_b, diff_b = bigartm_pass_from(artm, bv, phi_eng, a.topics, a.threads)
    eng_b = engine_pass(corpus, out / "phi.parquet", a.topics, a.threads)
    eng_trained = float(run.scores.query("score == 'perplexity'")["value"].iloc[-1])

    ok = True
    for name, trained, eng, big, diff in (("A BigARTM Φ → engine --init", big_trained, eng_a, big_a, diff_a),
                                          ("B engine export → BigARTM", eng_trained, eng_b, big_b, diff_b)):
        rel = eng / big - 1
        ok &= abs(rel) <= 0.01 and diff <= 1e-6
        print(f"{name}: max |ΔΦ| after loading {diff:.2e}; after {a.passes} passes {trained:.2f}; one more "
              f"pass from that Φ: engine {eng:.2f}, BigARTM {big:.2f} (rel {rel:+.2e})")
    print("INTEROP ROUND TRIPS AGREE" if ok else "INTEROP ROUND TRIPS DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
