"""The live view of a training job: a fragment that polls the job's immutable snapshot.

No loop and no sleep in the script: ``st.fragment(run_every=...)`` reruns only this panel every
second while the job lives; the worker thread never calls Streamlit. When the job ends the
fragment triggers one full rerun, which stops the polling.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import figures, resources, state, widgets
from engine.errors import EngineError

K = lambda name: state.key("train", name)  # noqa: E731
POLL_SECONDS = 1.0


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def top_tokens_table(snap, n: int = 8) -> pd.DataFrame:
    """Topics × their top tokens (default modality) from the snapshot, p(w|t) in %."""
    if not snap.top_tokens:
        return pd.DataFrame()
    mod = next(iter(snap.top_tokens))
    rows = []
    for name, tokens in zip(snap.topic_names, snap.top_tokens[mod]):
        rows.append({"topic": name, "top tokens": " · ".join(f"{t} {100 * p:.1f}%" for t, p in list(tokens)[:n])})
    return pd.DataFrame(rows)


def control(action: str, *args) -> None:
    """Send a control to the job of this session; show permission/engine errors inline."""
    try:
        resources.job_registry().control(state.job_id(), resources.session_owner(), action, *args)
    except EngineError as e:
        widgets.error_box(e)


def controls(snap) -> None:
    c = st.columns([1, 1, 1, 1.4, 1.6, 1.2])
    running = snap.status in ("running", "queued")
    if running:
        c[0].button("Pause", key=K("pause"), icon=":material/pause:", on_click=control, args=("pause",))
    elif snap.status == "paused":
        c[0].button("Resume", key=K("resume"), icon=":material/play_arrow:", on_click=control, args=("resume",))
    c[1].button("Stop", key=K("stop"), icon=":material/stop:", disabled=snap.done, on_click=control, args=("stop",))
    k = c[2].number_input("k", 1, 10_000, 10, key=K("more_k"), label_visibility="collapsed")
    c[3].button(f"{int(k)} more iterations", key=K("more"), icon=":material/add:", on_click=control, args=("more", int(k)))
    if snap.checkpoints:
        it = c[4].selectbox("checkpoint", list(snap.checkpoints)[::-1], key=K("rb_it"), label_visibility="collapsed",
                            format_func=lambda i: f"iteration {i}")
        c[5].button("Roll back", key=K("rollback"), icon=":material/undo:", on_click=control, args=("rollback", int(it)))


EXTRA_SCORES = ("kernel_size", "holdout_perplexity", "dead_topics", "class_precision", "intratext_coherence",
                "segments_per_document")


def score_picker(job) -> list[str]:
    """Scores to plot (full-run widget; the fragment reads the choice)."""
    from app.figures.training import DEFAULT_SCORES

    mods = [m.lstrip("@") for m in getattr(job.corpus, "modalities", [])[1:]]
    options = list(DEFAULT_SCORES) + list(EXTRA_SCORES) + [f"perplexity@{m}" for m in mods]
    return st.multiselect("Scores to plot", options, default=list(DEFAULT_SCORES[:4]), key=K("score_names"),
                          help="Scores not computed (yet) are skipped; some run every few iterations.")


def render(snap, names: list[str] | None = None) -> None:
    status = snap.status
    if status == "queued":
        st.info(f"Queued: position {snap.queue_position} — one job trains at a time on this server.")
    elif status == "failed":
        st.error(f"Training failed: {snap.error}")
    text = (f"{status} · iteration {snap.iteration} / {snap.total_iterations} · "
            f"{(snap.seconds_per_iteration or 0):.2f} s per iteration · ETA {_eta(snap.eta_seconds)}")
    st.progress(snap.progress, text=text if not snap.done else f"{status} · {snap.iteration} iterations")
    if snap.branches:
        st.caption("Roll-backs (reached → went back to): "
                   + ", ".join(f"{b.abandoned_at} → {b.from_iteration}" for b in snap.branches))
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.score_curves(snap.scores_frame(), snap.tau_frame(), current=snap.iteration or None,
                                           total=snap.total_iterations, names=names or None), key=K("scores"))
    left.caption("Solid: scores. Dotted, right axis: the τ each regularizer got at each iteration, scaled to "
                 "its largest |τ| (hover for the value). Dashed line: the latest iteration.")
    with right:
        st.markdown("**Top tokens now**")
        table = top_tokens_table(snap)
        if table.empty:
            st.caption("Shown after the first iteration.")
        else:
            st.dataframe(table, hide_index=True, height=520)


def job_panel(job) -> None:
    """Header, then the polling fragment; on finish, the run opens in the other pages."""
    snap = job.snapshot()
    if snap.done and snap.saved and st.session_state.get(K("opened")) != (snap.job_id, snap.iteration):
        st.session_state[K("opened")] = (snap.job_id, snap.iteration)
        if state.run_id() != snap.run_id:  # the saved run is what Topics/Documents/Trends show next
            state.set(state.RUN, snap.run_id)
            st.rerun()
    c1, c2, c3 = st.columns([3, 1, 1])
    c1.subheader(f"Run “{snap.name}”")
    if c2.button("Open in Topics", key=K("open_topics"), disabled=not snap.saved):
        state.set(state.RUN, snap.run_id)
        st.switch_page("app_pages/topics.py")
    controls(snap)  # outside the fragment: stable buttons; each click reruns the whole page
    names = score_picker(job)
    if c3.button("New run", key=K("new"), disabled=not snap.done, help="Set up another run (this one stays saved)"):
        state.set(state.JOB, None)
        st.query_params.pop("job", None)
        st.rerun()

    @st.fragment(run_every=None if snap.done else POLL_SECONDS)
    def live():
        s = job.snapshot()
        render(s, names)
        if s.status != snap.status:  # paused, resumed, ended or revived: refresh controls and polling
            if s.done and s.saved:
                state.set(state.RUN, s.run_id)
            st.rerun()

    live()
