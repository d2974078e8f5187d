"""Cached resources and loaders: the only place the app caches anything.

- ``st.cache_resource``: shared, thread-safe objects — the workspace, the engine's job registry,
  the start-up work (sample import + kernel warm-up in a background thread), loaded corpora and runs (read-only once loaded; keyed by their on-disk
  stamp so a replaced corpus or an edited run is reloaded).
- ``st.cache_data``: derived tables (topic map, similarity, trends...) keyed by run id + stamp.

Nothing here draws; pages call these, then :mod:`app.figures`.
"""
from __future__ import annotations

import functools
import logging
import os
import threading
import time

import numpy as np
import pandas as pd
import streamlit as st

import engine
from engine import Workspace, analysis

from app import identity

# ---------------------------------------------------------------- shared objects


def root() -> str:
    """Workspace folder of this server ($ARTM_STUDIO_HOME or ~/.artm-studio)."""
    return str(Workspace().root)  # cheap: reads $ARTM_STUDIO_HOME, touches no disk


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return Workspace(path)


def workspace() -> Workspace:
    return _workspace(root())


@st.cache_resource(show_spinner=False)
def job_registry() -> engine.JobRegistry:
    """The process-wide job registry (one per server, thread-safe). With
    ``ARTM_STUDIO_LOG_CONTROLS=1`` every control is logged to stderr with its time
    (bench/bench_steering.py reads them: click → control received by the job)."""
    if os.environ.get("ARTM_STUDIO_LOG_CONTROLS") == "1":
        logger = logging.getLogger("engine.jobs")
        if not logger.handlers:  # once per process, even if the resource cache is cleared
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False  # not twice when the root logger has a handler too
    return engine.default_registry()


def timed(name: str):
    """Decorator: with ``ARTM_STUDIO_LOG_CONTROLS=1``, log each call of a fragment body (its name,
    start time, seconds) next to the controls (the steering bench reads both: did a click wait
    for a poll in progress?). Without it, the function itself."""
    def deco(f):
        if os.environ.get("ARTM_STUDIO_LOG_CONTROLS") != "1":
            return f

        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            t0 = time.time()
            try:
                return f(*args, **kwargs)
            finally:
                logging.getLogger("engine.jobs.app").info("run %s at=%.3f seconds=%.3f", name, t0, time.time() - t0)
        return wrapper
    return deco


class Background:
    """Start-up work done off the page: import the bundled sample corpus, then compile every
    kernel (``engine.warmup``). The first page never waits for it; ``sample_ready`` and
    ``kernels_ready`` say how far it got, ``error`` what went wrong."""

    def __init__(self, path: str, sample: bool):
        self.sample_ready = threading.Event()
        self.kernels_ready = threading.Event()
        self.sample_name: str | None = None
        self.error: str | None = None
        self.seconds: float | None = None
        threading.Thread(target=self._run, args=(path, sample), name="artm-warmup", daemon=True).start()

    def _run(self, path: str, sample: bool) -> None:
        t0 = time.perf_counter()
        try:
            if sample:
                info = engine.ensure_sample_corpus(_workspace(path))
                self.sample_name = info if isinstance(info, str) else getattr(info, "name", None) or (
                    info.get("name") if isinstance(info, dict) else None)
        except Exception as e:  # noqa: BLE001 - shown on the landing page; other corpora still work
            self.error = f"The bundled sample corpus could not be imported: {e}"
        finally:
            self.sample_ready.set()
        try:
            engine.warmup()
        finally:
            self.seconds = time.perf_counter() - t0
            self.kernels_ready.set()


@st.cache_resource(show_spinner=False)
def _background(path: str, sample: bool) -> Background:
    return Background(path, sample)


def background() -> Background:
    """The start-up work of this server (started by the first page view)."""
    return _background(root(), not env_flag("ARTM_STUDIO_NO_SAMPLE"))


def session_owner() -> str:
    """The owner id of this browser session (see :mod:`app.identity`)."""
    return identity.current()


# ---------------------------------------------------------------- corpora


def corpora() -> list[dict]:
    """Manifests of the corpora in the workspace (not cached: cheap, and changes on import)."""
    return workspace().list_corpora()


def _corpus_stamp(name: str) -> str:
    try:
        p = workspace().corpus_path(name) / "manifest.json"
        return f"{p.stat().st_mtime_ns}"
    except OSError:
        return ""


@st.cache_resource(show_spinner="Loading corpus…", max_entries=4)
def _corpus(path: str, name: str, stamp: str):
    return _workspace(path).load_corpus(name)


def corpus(name: str):
    """The stored corpus ``name`` (shared, treat as read-only)."""
    return _corpus(root(), name, _corpus_stamp(name))


@st.cache_resource(show_spinner=False, max_entries=4)
def _batched(path: str, name: str, stamp: str):
    return engine.open_corpus(_workspace(path), name)


def is_batched(name: str) -> bool:
    """Whether the corpus ``name`` is stored as batches (out of core)."""
    return engine.is_batched(workspace(), name)


def training_corpus(name: str):
    """What a training job reads: the stored corpus, or a corpus stored as batches (its batches
    stream from disk; pages that need no document's tokens open it too: see widgets.require_corpus)."""
    return _batched(root(), name, _corpus_stamp(name)) if is_batched(name) else corpus(name)


# ---------------------------------------------------------------- runs


def runs(corpus_name: str | None = None) -> list[dict]:
    """Run manifests, newest first."""
    items = engine.list_runs(workspace(), corpus_name) if corpus_name else engine.list_runs(workspace())
    return sorted(items, key=lambda m: m.get("created_at", ""), reverse=True)


def run_stamp(run_id: str) -> str:
    try:
        return str((workspace().runs_dir / run_id / "manifest.json").stat().st_mtime_ns)
    except OSError:
        return ""


@st.cache_resource(show_spinner="Loading run…", max_entries=6)
def _run(path: str, run_id: str, stamp: str):
    return engine.load_run(_workspace(path), run_id)


def run(run_id: str):
    """The saved run ``run_id`` (shared, treat as read-only)."""
    return _run(root(), run_id, run_stamp(run_id))


def runs_stamp() -> str:
    """Changes whenever a run is added or removed (the runs folder's modification time)."""
    try:
        return str(workspace().runs_dir.stat().st_mtime_ns)
    except OSError:
        return ""


@st.cache_data(show_spinner="Comparing with the other random starts…", max_entries=16)
def run_stability(run_id: str, stamp: str, runs_stamp: str) -> pd.DataFrame | None:
    """Per-topic stability of run ``run_id`` against its sibling random starts, or None when it
    has none (:func:`engine.run_stability`); recomputed when the run or the run list changes."""
    return engine.run_stability(workspace(), run_id)


def clear_run_caches() -> None:
    """Forget derived data after a run was renamed, relabelled or deleted."""
    _run.clear()


# ---------------------------------------------------------------- derived tables


@st.cache_data(show_spinner=False, max_entries=32)
def short_labels(run_id: str, stamp: str, k: int = 2) -> list[str]:
    """The one name of each topic everywhere: the user's label, else its ``k`` (two) most
    probable words (``"tax · budget"``); see :mod:`engine.analysis.names`."""
    return analysis.topic_names_for(run(run_id), k)


def names_by_topic(run_id: str) -> dict[str, str]:
    """Topic id → display name of run ``run_id``."""
    return dict(zip(run(run_id).model.topic_names, short_labels(run_id, run_stamp(run_id))))


@st.cache_data(show_spinner=False, max_entries=32)
def topic_map(run_id: str, stamp: str, modality: str) -> pd.DataFrame:
    m = run(run_id).model
    mask = np.asarray(m.token_modality) == list(m.modalities).index(modality)
    return analysis.intertopic_map(m.phi, m.n_t, m.topic_names, m.background, short_labels(run_id, stamp), mask)


@st.cache_data(show_spinner=False, max_entries=32)
def similarity(run_id: str, stamp: str, modality: str) -> np.ndarray:
    m = run(run_id).model
    mask = np.asarray(m.token_modality) == list(m.modalities).index(modality)
    return analysis.topic_similarity(m.phi, mask)


@st.cache_data(show_spinner=False, max_entries=64)
def top_tokens(run_id: str, stamp: str, modality: str, lam: float, n: int) -> pd.DataFrame:
    r = run(run_id)
    vocab = _run_vocab(r)
    df = engine.top_tokens(r.model, vocab, n=n, modality=modality, relevance_lambda=lam)
    pw = analysis.token_marginal(r.model, vocab)
    key = pd.Series(np.arange(len(vocab)), index=vocab["modality"].astype(str) + "\x00" + vocab["token"].astype(str))
    key = key[~key.index.duplicated()]
    rows = key.reindex(df["modality"].astype(str) + "\x00" + df["token"].astype(str)).to_numpy()
    df["p_corpus"] = np.where(np.isnan(rows), 0.0, pw[np.nan_to_num(rows).astype(np.int64)])
    return df


def _run_vocab(r) -> pd.DataFrame:
    """The run's token table, with corpus frequencies when the corpus is still there."""
    vocab = r.tokens
    try:
        c = corpus(r.corpus_name)
        if c.n_tokens == len(vocab) and "tf" in c.vocab.columns:
            vocab = vocab.assign(tf=c.vocab["tf"].to_numpy())
    except Exception:  # noqa: BLE001 - the corpus may be gone; p(w) then comes from Φ
        pass
    return vocab


@st.cache_data(show_spinner=False, max_entries=32)
def trends(run_id: str, stamp: str, freq: str | None, by: str | None, smooth: int = 1) -> pd.DataFrame:
    """Topic shares per bin of the subject topics (background topics never appear)."""
    r = run(run_id)
    c = training_corpus(r.corpus_name)
    if getattr(c, "is_batched", False):  # document lengths and a modality split batch by batch
        n_d = c.doc_lengths()
        n_dw = (b.n_dw for b in c.iter_batches()) if by and by.startswith("@") else None
    else:
        n_d, n_dw = np.asarray(c.n_dw.sum(axis=1)).ravel(), c.n_dw
    groups = analysis.document_groups(c.documents, by, n_dw, c.vocab) if by else None
    return analysis.topic_trends(r.model.theta, n_d, c.documents["date"], freq=freq,
                                 topic_names=r.model.topic_names, groups=groups,
                                 background=r.model.background, smooth=smooth)


@st.cache_data(show_spinner=False, max_entries=16)
def docs_per_period(name: str, stamp: str) -> pd.DataFrame:
    c = corpus(name)
    if not c.has_dates:
        return pd.DataFrame(columns=["period", "documents"])
    return analysis.documents_per_period(c.documents["date"])


def corpus_stamp(name: str) -> str:
    return _corpus_stamp(name)


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


# ---------------------------------------------------------------- training jobs


def start_job(corpus_name: str, config, name: str | None = None, reading: dict | None = None) -> str:
    """Queue a training job for ``corpus_name`` owned by this session; returns its id (= run id).

    ``reading`` is an ``engine.ContextOptions`` dict (mode ``one_pass`` or ``context``): the run
    is then of the context family; None or mode ``standard`` trains with the plain E-step.
    """
    c = training_corpus(corpus_name)
    if reading and reading.get("mode", "standard") != "standard":
        config = engine.context_config(config, reading)  # the run is then of the context family
    config.check_corpus(c)
    return job_registry().start(workspace(), c, config, owner=session_owner(), name=name)


def demo_config(corpus_name: str):
    """A small "interpretable ARTM" config so every page has something to show."""
    config = engine.preset("interpretable", n_topics=12, iterations=20, n_background=1)
    words = corpus(corpus_name).modalities[:1]
    regs = tuple(r.with_changes(modalities=words) if r.name in ("sparse_subject_phi", "decorrelate_subject") else r
                 for r in config.regularizers)
    return config.with_changes(regularizers=regs)


def start_demo_job(corpus_name: str) -> str:
    return start_job(corpus_name, demo_config(corpus_name), name=f"demo-{corpus_name}-12-topics")


def job(job_id: str | None):
    """The job ``job_id`` from the registry, or None if this process does not know it."""
    if not job_id:
        return None
    reg = job_registry()
    return reg.get(job_id) if job_id in reg else None
