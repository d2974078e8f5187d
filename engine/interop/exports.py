"""A run for the neighbours' tools: pyLDAvis, BigARTM and gensim.

Every exporter writes into ``out_dir`` and returns the paths written; nothing is pickled except
gensim's own model files, written by gensim itself when it is installed.

- ``pyldavis``: the five arrays ``pyLDAvis.prepare`` takes — ``topic_term_dists`` (T, W) rows
  p(w|t) of the word modality, ``doc_topic_dists`` (D, T) rows p(t|d), ``doc_lengths`` (D,)
  word counts, ``vocab`` (W,), ``term_frequency`` (W,) — as ``pyldavis.json`` (exactly
  ``prepare``'s keyword arguments) and
  ``pyldavis_*.parquet``, plus ``pyldavis.html`` rendered by pyLDAvis when it is installed.
- ``bigartm``: Φ in ``get_phi()`` layout with a ``(class_id, token)`` index (``phi.parquet``;
  no CSV: class ids start with ``@``, which a spreadsheet-safe CSV would have to alter), the corpus as Vowpal Wabbit (``corpus.vw``, one namespace per modality) and
  ``topics.json``; load it with ``attach_model`` (README, "BigARTM").
- ``gensim``: ``dictionary.txt`` (gensim ``Dictionary.save_as_text`` format) and
  ``topic_term.npy`` (T, W) = ``LdaModel.get_topics()`` of the word modality, plus ``lda.gensim``
  saved by gensim when it is installed (its ``get_topics()`` equals Φᵀ).
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd

from engine.errors import InputError

DEFAULT = "@default_class"
FORMATS = ("pyldavis", "bigartm", "gensim")


def _word_rows(run) -> np.ndarray:
    tokens = run.tokens
    rows = np.flatnonzero(tokens["modality"].astype(str).to_numpy() == DEFAULT)
    if len(rows) == 0:
        rows = np.arange(len(tokens))  # a corpus without words: its only modality
    return rows


def _word_counts(run, corpus) -> np.ndarray:
    """n_dw (D, W_words) of the run's documents and word tokens, from the corpus."""
    if corpus is None or corpus.n_tokens != len(run.tokens) or corpus.n_docs != len(run.doc_ids):
        raise InputError(f"this export needs the run's corpus {run.corpus_name!r} as it was at training "
                         "time (document lengths and term frequencies come from it)")
    return corpus.n_dw[:, _word_rows(run)]


def pyldavis_data(run, corpus) -> dict:
    """The keyword arguments of ``pyLDAvis.prepare`` for ``run`` (word modality only)."""
    rows = _word_rows(run)
    phi = np.asarray(run.model.phi, np.float64)[rows]
    mass = phi.sum(axis=0)
    alive = mass > 0
    if not alive.any():
        raise InputError("the run has no live topic (Φ is all zero); nothing to visualize")
    ttd = (phi[:, alive] / mass[alive]).T
    theta = np.asarray(run.model.theta, np.float64)[alive].T
    tsum = theta.sum(axis=1, keepdims=True)
    n_dw = _word_counts(run, corpus)
    lengths = np.asarray(n_dw.sum(axis=1)).ravel()
    keep = (tsum.ravel() > 0) & (lengths > 0)
    dtd = theta[keep] / tsum[keep]
    tf = np.asarray(n_dw.sum(axis=0)).ravel()
    vocab = run.tokens["token"].astype(str).to_numpy()[rows]
    present = tf > 0
    return {"topic_term_dists": ttd[:, present] / ttd[:, present].sum(axis=1, keepdims=True),
            "doc_topic_dists": dtd, "doc_lengths": lengths[keep],
            "vocab": vocab[present].tolist(), "term_frequency": tf[present],
            "topic_names": [n for n, a in zip(run.model.topic_names, alive) if a]}


def export_pyldavis(run, corpus, out: Path) -> list[Path]:
    data = pyldavis_data(run, corpus)
    paths = [out / "pyldavis.json"]
    plain = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in data.items() if k != "topic_names"}
    paths[0].write_text(json.dumps(plain))  # exactly prepare()'s arguments: prepare(**json.load(f))
    names = data["topic_names"]
    frames = {"topic_term_dists": pd.DataFrame(data["topic_term_dists"], index=names, columns=data["vocab"]).T,
              "doc_topic_dists": pd.DataFrame(data["doc_topic_dists"], columns=names),
              "terms": pd.DataFrame({"vocab": data["vocab"], "term_frequency": data["term_frequency"]}),
              "doc_lengths": pd.DataFrame({"doc_lengths": data["doc_lengths"]})}
    for name, df in frames.items():
        p = out / f"pyldavis_{name}.parquet"
        df.to_parquet(p)
        paths.append(p)
    if importlib.util.find_spec("pyLDAvis") is not None:
        import pyLDAvis  # optional (the `interop` extra): only this export renders its HTML

        kwargs = {k: v for k, v in data.items() if k != "topic_names"}
        with np.errstate(divide="ignore"):  # pyLDAvis takes log(0) for words a topic never uses
            vis = pyLDAvis.prepare(**kwargs, sort_topics=False, start_index=0, n_jobs=1)
        p = out / "pyldavis.html"
        pyLDAvis.save_html(vis, str(p))
        paths.append(p)
    return paths


def _vw_token(s: str) -> str:
    return s.replace(" ", "_").replace(":", "_").replace("|", "_")


def export_bigartm(run, corpus, out: Path) -> list[Path]:
    m = run.model
    tokens = run.tokens["token"].astype(str).to_numpy()
    mods = run.tokens["modality"].astype(str).to_numpy()
    index = pd.MultiIndex.from_arrays([mods, tokens])  # unnamed, as get_phi() of BigARTM ≥ 0.10
    phi = pd.DataFrame(np.asarray(m.phi, np.float32), index=index, columns=list(m.topic_names))
    paths = [out / "phi.parquet", out / "topics.json"]
    phi.to_parquet(paths[0])
    paths[1].write_text(json.dumps({"topic_names": list(m.topic_names), "class_ids": sorted(set(mods)),
                                    "modality_weights": (run.config or {}).get("modality_weights") or {}},
                                   ensure_ascii=False, indent=1))
    if corpus is not None and corpus.n_tokens == len(run.tokens):
        p = out / "corpus.vw"
        n_dw = corpus.n_dw.tocsr()
        vt = [_vw_token(t) for t in corpus.vocab["token"].astype(str)]
        vm = corpus.vocab["modality"].astype(str).to_numpy()
        ids = corpus.documents["id"].astype(str).tolist()
        with open(p, "w", encoding="utf-8") as f:
            for d in range(corpus.n_docs):
                lo, hi = n_dw.indptr[d], n_dw.indptr[d + 1]
                parts = {}
                for w, c in zip(n_dw.indices[lo:hi], n_dw.data[lo:hi]):
                    parts.setdefault(vm[w], []).append(f"{vt[w]}:{c:g}")
                body = " ".join(f"|{mod} " + " ".join(ws) for mod, ws in parts.items())
                f.write(f"{_vw_token(ids[d])} {body}\n")
        paths.append(p)
    return paths


def gensim_dictionary_text(vocab: list[str], df: np.ndarray, n_docs: int) -> str:
    """gensim's ``Dictionary.save_as_text`` format: ``num_docs``, then ``id\\tword\\tdocfreq``."""
    lines = [str(int(n_docs))]
    lines += [f"{i}\t{w}\t{int(f)}" for i, (w, f) in enumerate(zip(vocab, df))]
    return "\n".join(lines) + "\n"


def export_gensim(run, corpus, out: Path) -> list[Path]:
    rows = _word_rows(run)
    phi = np.asarray(run.model.phi, np.float64)[rows]
    vocab = [_vw_token(t) for t in run.tokens["token"].astype(str).to_numpy()[rows]]
    if len(set(vocab)) != len(vocab):
        raise InputError("two word tokens become the same gensim word after replacing spaces; cannot export")
    n_dw = _word_counts(run, corpus)
    df = np.bincount(n_dw.tocsr().indices, minlength=len(rows))
    mass = phi.sum(axis=0)
    topics = np.where(mass > 0, phi / np.where(mass > 0, mass, 1), 1.0 / len(rows)).T  # (T, W)
    paths = [out / "dictionary.txt", out / "topic_term.npy"]
    paths[0].write_text(gensim_dictionary_text(vocab, df, corpus.n_docs), encoding="utf-8")
    np.save(paths[1], topics.astype(np.float64), allow_pickle=False)
    if importlib.util.find_spec("gensim") is not None:
        p = out / "lda.gensim"
        lda_model(paths[0], paths[1]).save(str(p))
        paths.append(p)
    return paths


def lda_model(dictionary_txt, topic_term_npy, scale: float = 1e6):
    """A gensim ``LdaModel`` whose ``get_topics()`` is the exported matrix (needs gensim).

    gensim's topics are λ normalized by row, λ = η + sstats; with η = 0 and sstats =
    ``scale`` × topic_term the rows come back exactly."""
    from gensim.corpora import Dictionary  # optional dependency, the `interop` extra
    from gensim.models import LdaModel  # (same extra)

    dictionary = Dictionary.load_from_text(str(dictionary_txt))
    topics = np.load(topic_term_npy, allow_pickle=False)
    lda = LdaModel(num_topics=topics.shape[0], id2word=dictionary, eta=0.0, alpha="symmetric",
                   iterations=50, dtype=np.float64)
    lda.state.sstats[...] = topics * scale
    lda.sync_state()
    return lda


def export(run, corpus, fmt: str, out_dir) -> list[Path]:
    """Write ``run`` in ``fmt`` (one of :data:`FORMATS`) into ``out_dir``; the paths written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: a file is in the way; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    writer = {"pyldavis": export_pyldavis, "bigartm": export_bigartm, "gensim": export_gensim}.get(fmt)
    if writer is None:
        raise InputError(f"export format {fmt!r}: use one of {', '.join(FORMATS)}")
    return writer(run, corpus, out)
