"""Training a hierarchy from the Hierarchy page: every level is an ordinary job of the server's
job registry (engine.families.hierarchy.build), so it checkpoints, shows in the run list and
takes live τ edits; this panel shows the level in progress, edits τ of its regularizers
(the HierarchyLink's included) and continues interrupted trainings."""
from __future__ import annotations

import streamlit as st

import engine
from app import resources, state, tasks, widgets
from engine import hierarchy as B

H = engine.hierarchy
P = "hier"


def K(name: str) -> str:
    return f"{P}_{name}"


def _launch(build, corpus, total: int) -> None:
    reg, owner = resources.job_registry(), resources.session_owner()

    def work(progress, should_stop):
        h = build.run(corpus, registry=reg, owner=owner, should_stop=should_stop,
                      on_job=lambda k, job_id: progress({"level": k, "job": job_id}),
                      on_report=lambda k, r: progress({"level": k, "iteration": r.iteration}))
        return None if h is None else h.hierarchy_id

    state.set(K("task"), tasks.start(work, "hierarchy"))
    state.set(K("total"), total)


def start_training(corpus, levels: str, iterations: int, tau: float, one_parent: bool, sparsing: float,
                   preset: str = "plsa") -> None:
    """Check everything, write the plan, train the levels as jobs in the background."""
    try:
        configs = H.level_configs(H.parse_levels(levels), engine.preset(preset, iterations=int(iterations)))
        opts = H.HierarchyOptions(tau=float(tau), one_parent=one_parent, psi_sparsing=float(sparsing)).validate()
        build = B.plan_build(resources.workspace(), corpus, configs, opts)
    except engine.EngineError as e:
        widgets.error_box(e)
        return
    _launch(build, corpus, sum(c.iterations for c in configs))


def start_extension(corpus, hierarchy_id: str, levels: str, iterations: int, preset: str = "plsa") -> None:
    """Levels below a saved hierarchy, planned and trained like a new one (resumable jobs)."""
    try:
        configs = H.level_configs(H.parse_levels(levels), engine.preset(preset, iterations=int(iterations)))
        build = B.plan_build(resources.workspace(), corpus, configs, extend=hierarchy_id)
    except engine.EngineError as e:
        widgets.error_box(e)
        return
    _launch(build, corpus, sum(c.iterations for c in configs))


def extension_form(corpus, h) -> None:
    """"Add levels below": topics per new level (each ≥ the last level's), iterations, preset."""
    with st.expander("Add levels below this hierarchy", icon=":material/add:"):
        c1, c2, c3 = st.columns(3)
        levels = c1.text_input(f"Topics per new level (≥ {h.levels[-1].n_topics})",
                               str(h.levels[-1].n_topics * 2), key=K("ext_levels"))
        iterations = c2.number_input("Iterations per level", 1, 500, 20, key=K("ext_iterations"))
        preset = c3.selectbox("Every new level", engine.PRESETS, key=K("ext_preset"))
        if st.button("Add levels", key=K("extend"), icon=":material/play_arrow:",
                     disabled=tasks.get(state.get(K("task"))) is not None):
            start_extension(corpus, h.hierarchy_id, levels, iterations, preset)


def continue_rows(items: list[dict], id_key: str, prefix: str, running: bool, text, on_continue) -> None:
    """One warning per stopped/interrupted/failed training (``text(item)``, its error) with a
    Continue button (key ``<prefix>_resume_<id>``) that calls ``on_continue(id)``."""
    for b in items:
        if b["status"] == "running":
            continue
        c1, c2 = st.columns([4, 1])
        c1.warning(text(b) + (f": {b['error']}" if b.get("error") else "") + " — finished runs are kept.")
        if c2.button("Continue", key=f"{prefix}_resume_{b[id_key]}", icon=":material/play_arrow:",
                     disabled=running):
            try:
                on_continue(b[id_key])
            except engine.EngineError as e:
                state.flash(f"Not continued: {e}")
            st.rerun()


def unfinished(corpus) -> None:
    """Interrupted, stopped or failed trainings of this corpus, each with a Continue button."""
    def go(build_id):
        build = B.load_build(resources.workspace(), build_id)
        _launch(build, corpus, sum(c.iterations for c in build.configs()))

    continue_rows(B.list_builds(resources.workspace(), corpus.name), "build_id", P,
                  tasks.get(state.get(K("task"))) is not None,
                  lambda b: f"Hierarchy **{b['name']}** {b['levels']} is {b['status']}", go)


def _set_tau(job_id: str, name: str, value: float) -> None:
    try:
        resources.job_registry().control(job_id, resources.session_owner(), "set_regularizer", name, tau=float(value))
        state.flash(f"τ of {name} = {value:g} from the next iteration.")
    except engine.EngineError as e:
        state.flash(f"τ not changed: {e}")


def live_tau(job) -> None:
    """τ of every regularizer of the level in training; applied from its next pass."""
    snap = job.snapshot()
    regs = list(snap.config.regularizers)
    if not regs:
        return
    nxt = snap.iteration + 1
    with st.form(K("tau_form"), border=False):
        cols = st.columns(min(len(regs), 4))
        values = {r.name: cols[i % len(cols)].number_input(f"τ {r.name}", value=float(r.tau(nxt)), format="%g",
                                                           key=K(f"tau_{r.name}"))
                  for i, r in enumerate(regs)}
        if st.form_submit_button("Apply τ to the running level", icon=":material/tune:"):
            for r in regs:
                if values[r.name] != float(r.tau(nxt)):
                    _set_tau(job.job_id, r.name, values[r.name])


@st.fragment(run_every=1.0)
def training_status() -> None:
    task = tasks.get(state.get(K("task")))
    if task is None:
        return
    if not task.done:
        ev = task.events
        jobs = [e for e in ev if "job" in e]
        job = resources.job(jobs[-1]["job"]) if jobs else None
        snap = job.snapshot() if job is not None else None
        done = sum("iteration" in e for e in ev)
        text = (f"Level {jobs[-1]['level']}: iteration {snap.iteration}/{snap.total_iterations} ({snap.status})"
                if snap is not None else "Starting…")
        st.progress(min(done / max(state.get(K("total"), 1), 1), 1.0), text=text)
        c1, c2 = st.columns(2)
        if c1.button("Stop (finished levels are kept)", key=K("stop"), icon=":material/stop:"):
            task.stop()
        if job is not None and c2.button("Open the live view", key=K("live"), icon=":material/monitoring:"):
            state.set(state.JOB, job.job_id)
            st.switch_page("app_pages/train.py")
        if job is not None and not snap.done:
            live_tau(job)
        return
    state.set(K("task"), None)
    if task.status == "finished" and task.result:
        state.set(K("selected"), task.result)
        state.flash("Hierarchy trained and saved.")
    elif task.status in ("finished", "stopped"):
        state.flash("Hierarchy training stopped; finished levels are kept — continue it below.")
    else:
        state.flash(f"Hierarchy training {task.status}: {task.error}")
    st.rerun(scope="app")
