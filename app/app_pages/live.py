"""Live training: the job this session watches — progress and charts at the top, the control
strip under them, the steering form below; then every job on this server (others' jobs are
read-only). Opened right after "Start training", so the progress is in view."""
from __future__ import annotations

import streamlit as st

from app import identity, live, resources, state, steer

P = "live"
K = lambda name: state.key(P, name)  # noqa: E731


def watch(job_id: str) -> None:
    state.set(state.JOB, job_id)
    st.query_params["job"] = job_id


def from_url() -> None:
    """A refresh keeps ?job=<id>: watch that job again (control stays with its owner)."""
    jid = st.query_params.get("job")
    if jid and state.job_id() != jid and resources.job(jid) is not None:
        state.set(state.JOB, jid)


def job_list(current: str | None) -> None:
    """Every job this server knows: status, owner, queue position and ETA; "Watch" opens one."""
    reg = resources.job_registry()
    me = resources.session_owner()
    jobs = [j for j in reg.jobs() if j.job_id != current]
    if not jobs:
        return
    st.subheader("Jobs on this server")
    for j in reversed(jobs):
        s = j.snapshot()
        who = ", ".join(identity.describe(o, me) for o in sorted(s.owners)) or "the command line"
        extra = ""
        if s.status == "queued":
            extra = f" · position {s.queue_position} · starts in about {live.eta_text(reg.queue_eta(j.job_id))}"
        c1, c2 = st.columns([4, 1])
        c1.write(f"**{s.name}** · {s.status} · iteration {s.iteration}/{s.total_iterations} · owner: {who}"
                 f"{' · shared' if reg.is_shared(j.job_id) else ''}{extra}")
        mine = reg.can_control(j.job_id, me)
        c2.button("Open" if mine else "Watch (read-only)", key=K(f"watch_{j.job_id}"), on_click=watch, args=(j.job_id,))


st.title("Live training")
from_url()
job = resources.job(state.job_id())
if job is None:
    st.info("No job to show yet. Start one on **Model & training**, or train a demo model from the home page.")
    st.page_link("app_pages/train.py", label="Set up a model", icon=":material/model_training:")
else:
    snap = job.snapshot()
    if st.query_params.get("job") != job.job_id:
        st.query_params["job"] = job.job_id  # a refresh (or a shared link) comes back to this job
    c1, c2, c3 = st.columns([3, 1, 1])
    c1.subheader(f"Run “{snap.name}”")
    if c2.button("Open in Topics", key=K("open_topics"), disabled=not snap.saved):
        state.set(state.RUN, snap.run_id)
        st.switch_page("app_pages/topics.py")
    if c3.button("New run", key=K("new"), help="Set up another run (this one goes on / stays saved)"):
        state.set(state.JOB, None)
        st.query_params.pop("job", None)
        st.switch_page("app_pages/train.py")
    if snap.done and snap.saved and state.run_id() != snap.run_id and st.session_state.get(K("opened")) != snap.job_id:
        st.session_state[K("opened")] = snap.job_id  # the finished run is what Topics/Documents/Trends show next
        state.set(state.RUN, snap.run_id)
    live.controls(job.job_id)
    live.charts(job.job_id, snap.done)
    if not snap.done and resources.job_registry().can_control(job.job_id, resources.session_owner()):
        steer.editor(job.job_id)
job_list(state.job_id())
