"""How many topics? Train the same configuration at several T with several random starts in the
background, every run an ordinary job with checkpoints (a stopped or interrupted sweep continues); curves of perplexity (train, held-out), coherence, sparsity, distinctness and
stability against T with the bends marked; TopicSelection's surviving count; per-topic stability.
Every finished sweep is saved in the workspace (engine.store.sweeps) and listed here,
also after a restart, with its tables and report for download."""
from __future__ import annotations

import streamlit as st

import engine
from app import resources, state, tasks, widgets
from engine import csvsafe
from app.figures import sweep as sfig
from app.hierarchy_view import continue_rows
from engine import sweeps as store
from engine import starts as S

P = "sweep"


def K(name: str) -> str:
    return f"{P}_{name}"


def _launch(build, corpus) -> None:
    reg, owner = resources.job_registry(), resources.session_owner()

    def work(progress, should_stop):
        saved = build.run(corpus, registry=reg, owner=owner, on_run=progress, should_stop=should_stop,
                          on_job=lambda e, job_id: progress({"job": job_id, "name": e["name"]}))
        return None if saved is None else saved.sweep_id

    state.set(K("task"), tasks.start(work, "sweep"))
    state.set(K("total"), build.progress())


def start(corpus, topics: str, starts: int, iterations: int, holdout: float, selection: int, sel_tau: float) -> bool:
    """Check everything, write the plan, train the runs as jobs in the background; False (and
    the message shown) when the input is refused."""
    try:
        ts = engine.hierarchy.parse_levels(topics)
        base = engine.ModelConfig(iterations=int(iterations)).validate()
        build = S.plan_sweep(resources.workspace(), corpus, ts, int(starts), base, holdout=float(holdout),
                             selection=int(selection), selection_tau=float(sel_tau))
    except engine.EngineError as e:
        widgets.error_box(e)
        return False
    _launch(build, corpus)
    return True


def unfinished(corpus) -> None:
    """Stopped, interrupted or failed sweeps of this corpus, each with a Continue button."""
    continue_rows(S.list_sweep_builds(resources.workspace(), corpus.name), "sweep_id", P,
                  tasks.get(state.get(K("task"))) is not None,
                  lambda b: f"Sweep **{b['name']}** is {b['status']} after {b['done']} of {b['total']} runs",
                  lambda sid: _launch(S.load_sweep_build(resources.workspace(), sid), corpus))


@st.fragment(run_every=1.0)
def status() -> None:
    task = tasks.get(state.get(K("task")))
    if task is None:
        return
    if task.done:
        state.set(K("task"), None)
        if task.status == "finished" and task.result:
            state.set(K("pick"), task.result)  # the selector opens the new sweep
            state.flash("Sweep finished and saved.")
        elif task.status in ("finished", "stopped"):
            state.flash("Sweep stopped; finished runs are kept — continue it below.")
        else:
            state.flash(f"The sweep failed: {task.error} (finished runs are kept — continue it below)")
        st.rerun(scope="app")
    ev = task.events
    done0, total = state.get(K("total"), (0, 1))
    done = done0 + sum("topics" in e for e in ev)
    jobs = [e for e in ev if "job" in e]
    snap = resources.job(jobs[-1]["job"]).snapshot() if jobs and resources.job(jobs[-1]["job"]) else None
    now = f" · {jobs[-1]['name']}: iteration {snap.iteration}/{snap.total_iterations}" if snap is not None else ""
    st.progress(min(done / max(total, 1), 1.0), text=f"{done} of {total} runs finished{now}")
    if st.button("Stop (finished runs are kept)", key=K("stop"), icon=":material/stop:"):
        task.stop()


@st.cache_resource(show_spinner="Loading sweep…", max_entries=8)
def _load(root: str, sweep_id: str):
    return store.load_sweep(resources.workspace(), sweep_id)


def show(sw) -> None:
    st.plotly_chart(sfig.sweep_curves(sw.summary, sw.bends), key=K("curves"))
    bends = ", ".join(f"{k}: T={v:g}" for k, v in sw.bends.items() if v is not None)
    st.caption(f"{len(sw.runs)} runs in {sw.seconds:.0f} s. ◆ marks where a curve bends most "
               f"({bends or 'no bend'}). Stability: share of a topic's matches (Hungarian on JS distance) "
               "across starts within distance 0.5.")
    st.dataframe(sw.summary, hide_index=True, key=K("summary"))
    if sw.selection is not None:
        st.plotly_chart(sfig.selection_curve(sw.selection), key=K("selection_curve"))
    st.subheader("Per-topic stability")
    c1, c2 = st.columns(2)
    t_pick = c1.selectbox("T", sorted(int(t) for t in sw.summary["topics"]), key=K("t_pick"))
    s_pick = c2.selectbox("Start", sorted(int(s) for s in sw.runs.loc[sw.runs["topics"] == t_pick, "start"]),
                          key=K("s_pick"))
    per = sw.topic_stability(int(t_pick), int(s_pick))
    if len(per):
        st.plotly_chart(sfig.stability_bars(per, sw.labels(int(t_pick), int(s_pick))), key=K("bars"))
        st.caption("Blue: the topic reappears in at least half of the other starts (stable); grey ⚠: unstable.")
    else:
        st.info("Per-topic stability needs at least two starts.")
    c = st.columns(4)
    c[0].download_button("Per-T table (CSV)", csvsafe.to_csv(sw.summary), file_name=f"{sw.name}.csv",
                         key=K("csv"), icon=":material/download:")
    c[1].download_button("Runs (CSV)", csvsafe.to_csv(sw.runs), file_name=f"{sw.name}-runs.csv",
                         key=K("runs_csv"), icon=":material/download:")
    c[2].download_button("Per-topic stability (CSV)", csvsafe.to_csv(sw.stability),
                         file_name=f"{sw.name}-stability.csv", key=K("stab_csv"), icon=":material/download:")
    c[3].download_button("Report (HTML)", lambda: sfig.sweep_html(sw, sw.selection), file_name=f"{sw.name}.html",
                         mime="text/html", key=K("html"), icon=":material/download:")


st.title("How many topics?")
corpus = widgets.require_corpus()
with st.expander("Sweep settings", expanded=not store.list_sweeps(resources.workspace(), corpus.name),
                 icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    topics = c1.text_input("Numbers of topics T", "10,20,40,80", key=K("topics"))
    starts = c2.number_input("Random starts per T", 1, 20, 3, key=K("starts"))
    iterations = c3.number_input("Iterations", 1, 500, 20, key=K("iterations"))
    holdout = c1.slider("Held-out share of documents", 0.0, 0.5, 0.1, 0.05, key=K("holdout"))
    selection = c2.number_input("TopicSelection from T (0 = off)", 0, 2000, 0, key=K("selection"),
                                help="Also train this many topics with TopicSelection and watch how many survive.")
    sel_tau = c3.number_input("TopicSelection τ", 0.0, 100.0, 0.5, key=K("sel_tau"))
    running = tasks.get(state.get(K("task"))) is not None
    if st.button("Run sweep", key=K("run"), type="primary", icon=":material/play_arrow:", disabled=running):
        if start(corpus, topics, starts, iterations, holdout, selection, sel_tau):
            st.rerun()
if tasks.get(state.get(K("task"))) is not None:  # poll only while a task runs
    status()
unfinished(corpus)

saved = store.list_sweeps(resources.workspace(), corpus.name)
if not saved:
    st.info("Set the numbers of topics and starts, then run the sweep. Every run trains as a job in "
            "the background (checkpointed, listed with the jobs); the curves appear when all are done, and "
            "the sweep is kept in the workspace. A stopped sweep keeps its finished runs and continues.")
    st.stop()
ids = [m["sweep_id"] for m in saved]
names = {m["sweep_id"]: f"{m['name']} · T={','.join(map(str, m['topics']))} × {m['starts']} · {m['created_at']}"
         for m in saved}
if state.get(K("pick")) not in ids:
    state.set(K("pick"), ids[0])
pick = st.selectbox("Saved sweeps", ids, format_func=names.get, key=K("pick"))
try:
    show(_load(resources.root(), pick))
except engine.EngineError as e:
    widgets.error_box(e)
