"""Cached resources and loaders: the only place the app caches anything.

- ``st.cache_resource``: shared, thread-safe objects — the workspace, the engine's job registry,
  the numba warm-up, loaded corpora and runs (read-only once loaded; keyed by their on-disk
  stamp so a replaced corpus or an edited run is reloaded).
- ``st.cache_data``: derived tables (topic map, similarity, trends...) keyed by run id + stamp.

Nothing here draws; pages call these, then :mod:`app.figures`.
"""
from __future__ import annotations

import os
import uuid

import numpy as np
import pandas as pd
import streamlit as st

from engine import Workspace, analysis, context_config
from engine.store.workspace import default_root

# ---------------------------------------------------------------- shared objects


def root() -> str:
    """Workspace folder of this server ($ARTM_STUDIO_HOME or ~/.artm-studio)."""
    return str(default_root())


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    return Workspace(path)


def workspace() -> Workspace:
    return _workspace(root())


@st.cache_resource(show_spinner=False)
def job_registry():
    """The process-wide :class:`engine.jobs.JobRegistry` (one per server, thread-safe)."""
    from engine.jobs import default_registry

    return default_registry()


@st.cache_resource(show_spinner="Compiling the numba kernels (first start only, about a minute)…")
def warmup() -> float:
    """Compile every kernel once, visibly; returns the seconds it took (0 if nothing to warm)."""
    import time

    t0 = time.perf_counter()
    try:
        import engine

        fn = getattr(engine, "warmup", None)
        if fn is None:
            from engine.em import trainer as _model

            fn = getattr(_model, "compile_kernels", None)
        if fn is not None:
            fn()
    except ImportError:
        return 0.0
    return time.perf_counter() - t0


@st.cache_resource(show_spinner="Preparing the bundled sample corpus…")
def _sample(path: str) -> str | None:
    try:
        from engine.corpus.ingest import ensure_sample_corpus
    except ImportError:
        return None
    info = ensure_sample_corpus(_workspace(path))
    if isinstance(info, dict):
        return info.get("name")
    return getattr(info, "name", None) or (str(info) if info else None)


def ensure_sample() -> str | None:
    """Import the bundled sample corpus into the workspace on first launch; its name.

    ``ARTM_STUDIO_NO_SAMPLE=1`` skips it (tests that bring their own corpus).
    """
    if env_flag("ARTM_STUDIO_NO_SAMPLE"):
        return None
    return _sample(root())


def session_owner() -> str:
    """A stable id for this browser session (the owner of the jobs it starts)."""
    key = "_owner_id"
    if key not in st.session_state:
        st.session_state[key] = uuid.uuid4().hex
    return st.session_state[key]


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


# ---------------------------------------------------------------- runs


def runs(corpus_name: str | None = None) -> list[dict]:
    """Run manifests, newest first."""
    from engine.store.runs import list_runs

    items = list_runs(workspace(), corpus_name) if corpus_name else list_runs(workspace())
    return sorted(items, key=lambda m: m.get("created_at", ""), reverse=True)


def run_stamp(run_id: str) -> str:
    from engine.store.runs import run_path

    try:
        return str((run_path(workspace(), run_id) / "manifest.json").stat().st_mtime_ns)
    except OSError:
        return ""


@st.cache_resource(show_spinner="Loading run…", max_entries=6)
def _run(path: str, run_id: str, stamp: str):
    from engine.store.runs import load_run

    return load_run(_workspace(path), run_id)


def run(run_id: str):
    """The saved run ``run_id`` (shared, treat as read-only)."""
    return _run(root(), run_id, run_stamp(run_id))


def clear_run_caches() -> None:
    """Forget derived data after a run was renamed, relabelled or deleted."""
    _run.clear()


# ---------------------------------------------------------------- derived tables


@st.cache_data(show_spinner=False, max_entries=32)
def short_labels(run_id: str, stamp: str, k: int = 2) -> list[str]:
    """The user's label of each topic, else its ``k`` most probable words (``"tax · budget"``)."""
    from engine.analysis.tables import top_tokens as _top

    r = run(run_id)
    m = r.model
    words = _top(m, r.tokens, n=k, modality=m.modalities[0]).groupby("topic", sort=False)["token"].agg(" · ".join)
    return [m.labels.get(n) or words.get(n) or n for n in m.topic_names]


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
    from engine.analysis.tables import top_tokens as _top

    from engine.analysis.tables import token_marginal

    r = run(run_id)
    vocab = _run_vocab(r)
    df = _top(r.model, vocab, n=n, modality=modality, relevance_lambda=lam)
    pw = token_marginal(r.model, vocab)
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
def trends(run_id: str, stamp: str, freq: str | None, by: str | None) -> pd.DataFrame:
    r = run(run_id)
    c = corpus(r.corpus_name)
    n_d = np.asarray(c.n_dw.sum(axis=1)).ravel()
    groups = analysis.document_groups(c.documents, by, c.n_dw, c.vocab) if by else None
    return analysis.topic_trends(r.model.theta, n_d, c.documents["date"], freq=freq,
                                 topic_names=r.model.topic_names, groups=groups)


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

    ``reading`` is a ``engine.ContextOptions`` dict (mode ``one_pass`` or ``context``): the run
    is then of the context family; None or mode ``standard`` trains with the plain E-step.
    """
    c = corpus(corpus_name)
    if reading and reading.get("mode", "standard") != "standard":
        config = context_config(config, reading)
    config.check_corpus(c)
    return job_registry().start(workspace(), c, config, owner=session_owner(), name=name)


def start_demo_job(corpus_name: str) -> str:
    """A small "interpretable ARTM" run so every page has something to show."""
    from engine.em.config import preset

    config = preset("interpretable", n_topics=12, iterations=20, n_background=1)
    words = corpus(corpus_name).modalities[:1]
    regs = tuple(r.with_changes(modalities=words) if r.name in ("sparse_subject_phi", "decorrelate_subject") else r
                 for r in config.regularizers)
    return start_job(corpus_name, config.with_changes(regularizers=regs), name=f"demo-{corpus_name}")


def job(job_id: str | None):
    """The job ``job_id`` from the registry, or None if this process does not know it."""
    if not job_id:
        return None
    reg = job_registry()
    return reg.get(job_id) if job_id in reg else None
