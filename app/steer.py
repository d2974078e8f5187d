"""Steering a running job: its regularizer cards and modality weights in an ``st.form`` inside a
fragment of their own. Editing a field reruns nothing (a form sends its widgets' values only when
submitted); "Apply" submits the form, which reruns this fragment once (never the charts), and
sends the new config to the job at once; the next pass that starts uses it (the control strip
shows which one). "Preview" redraws the form (fields of a new τ trajectory kind, the τ charts, a
card added or removed) without sending anything.

Order inside the fragment's run, for a quick answer to "Apply": the form's widgets (cheap), the
control sent to the job and its confirmation, and only then the cards' τ charts (the costly part:
Plotly figures), each drawn into the place its card kept for it."""
from __future__ import annotations

import time

import streamlit as st
from streamlit.errors import StreamlitAPIException

import engine
from app import config_form, resources, state

K = lambda name: state.key("live", name)  # noqa: E731


def _applied(snap) -> dict:
    out: dict = {}
    for r in snap.reports:
        for name, tau in r.tau.items():
            out.setdefault(name, {})[r.iteration] = tau
    return out


@st.fragment
@resources.timed("steer")
def editor(job_id: str) -> None:
    """The live form of job ``job_id`` (owner or shared only)."""
    job = resources.job(job_id)
    if job is None:
        return
    snap = job.snapshot()
    corpus = job.corpus
    st.subheader("Steer the running model")
    st.caption("Changes apply from the next pass after you click “Apply” — the pass in progress finishes "
               "with the old settings.")
    if st.session_state.get(K("edit_job")) != job_id or not st.session_state.get(K("edit_cfg")):
        st.session_state[K("edit_cfg")] = job.config.to_dict()
        st.session_state[K("edit_job")] = job_id
    before = st.session_state[K("edit_cfg")]
    gen = config_form.generation(K("edit"))
    charts: list = []  # the cards' τ charts, drawn after "Apply" is acted on
    with st.form(K(f"form{gen}"), border=False, enter_to_submit=False):
        cfg = config_form.edit_config(before, corpus, K(f"e{gen}"), live=True, applied=_applied(snap), later=charts,
                                      in_form=True)
        c1, c2, _ = st.columns([2, 1, 2])
        apply = c1.form_submit_button("Apply changes to the running job", type="primary", key=K("apply"),
                                      icon=":material/bolt:")
        c2.form_submit_button("Preview", key=K("preview"), icon=":material/visibility:",
                              help="Redraw the form (a new trajectory's fields, the τ charts, cards added or removed) "
                                   "without sending anything to the job.")
        if apply:
            _apply(job, cfg)
        elif [r["name"] for r in cfg["regularizers"]] != [r["name"] for r in before["regularizers"]]:
            st.session_state[K("edit_cfg")] = cfg  # a card added or removed: new widgets for the new list
            config_form.bump(K("edit"))
            _rerun_form()
        else:
            st.session_state[K("edit_cfg")] = cfg
        for draw in charts:
            draw()


def _rerun_form() -> None:
    """Rerun this fragment (the whole app when it runs as part of a full-app run, where a
    fragment-scoped rerun is refused)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def _apply(job, cfg: dict) -> None:
    """Send the edited config to the job now and confirm it under the button."""
    try:
        new = engine.ModelConfig.from_dict({**cfg, "iterations": job.config.iterations})
        event = resources.job_registry().control(job.job_id, resources.session_owner(), "update_config", new)
    except engine.EngineError as e:
        st.error(str(e), icon=":material/error:")
        return
    st.session_state[K("sent")] = {"job": job.job_id, "action": "update_config", "args": (), "iteration": event.iteration,
                                   "version": event.config_version, "at": time.monotonic(), "done_at": None}
    st.session_state[K("edit_cfg")] = cfg  # the form keeps its widgets (no new keys: nothing to rebuild in the browser)
    st.success(f"Applied at iteration {event.iteration}: the next pass uses the new settings "
               "(see the line under the buttons for the pass that did).", icon=":material/bolt:")
