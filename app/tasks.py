"""Background tasks of the hierarchy and sweep pages, shared by every session of this server
(a browser refresh re-attaches through the task id kept in the session)."""
from __future__ import annotations

import streamlit as st

from engine import hierarchy as Hierarchy


@st.cache_resource(show_spinner=False)
def _tasks() -> dict:
    return {}


def start(fn, kind: str) -> str:
    task = Hierarchy.Task(fn, kind).start()
    _tasks()[task.task_id] = task
    return task.task_id


def get(task_id: str | None) -> Hierarchy.Task | None:
    return _tasks().get(task_id) if task_id else None
