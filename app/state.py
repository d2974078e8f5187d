"""The only place session-state keys are named.

Global keys (shared by pages) are set up once by :func:`init` from the entry script; page-local
widget keys are prefixed with the page name (``data_``, ``train_``, ``topics_``, ``docs_``,
``trends_``, ``runs_``) and built with :func:`key`. Sessions hold names and ids only — corpora,
runs and jobs live in the engine (cached in :mod:`app.resources`).
"""
from __future__ import annotations

import streamlit as st

CORPUS = "corpus_name"        # name of the corpus the user works on
RUN = "run_id"                # run shown on Topics / Documents / Trends
JOB = "job_id"                # training job started (or attached) in this session
TOPIC = "topic_name"          # topic selected on Topics (reused by Documents)
DOC = "doc_index"             # document selected on Documents
CONFIG = "train_config"       # ModelConfig.to_dict() being edited on the training page
FLASH = "flash_message"       # one-shot message shown after a rerun

PAGES = ("home", "data", "train", "live", "topics", "docs", "trends", "runs")


def init() -> None:
    """Create the global keys (idempotent; call at the top of the entry script)."""
    for k, v in ((CORPUS, None), (RUN, None), (JOB, None), (TOPIC, None), (DOC, None), (CONFIG, None),
                 (FLASH, None)):
        st.session_state.setdefault(k, v)


def key(page: str, name: str) -> str:
    """A page-local widget key, e.g. ``key("topics", "lambda") == "topics_lambda"``."""
    if page not in PAGES:
        raise ValueError(f"unknown page prefix {page!r}")
    return f"{page}_{name}"


def get(k: str, default=None):
    return st.session_state.get(k, default)


def set(k: str, value) -> None:  # noqa: A001 - mirrors st.session_state's vocabulary
    st.session_state[k] = value


def corpus() -> str | None:
    return st.session_state.get(CORPUS)


def run_id() -> str | None:
    return st.session_state.get(RUN)


def job_id() -> str | None:
    return st.session_state.get(JOB)


def flash(message: str | None = None) -> str | None:
    """Store ``message`` for the next run, or (without argument) pop the stored one."""
    if message is not None:
        st.session_state[FLASH] = message
        return None
    return st.session_state.pop(FLASH, None)
