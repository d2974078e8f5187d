"""How many topics? Train the same configuration at several T with several random starts in the
background; curves of perplexity (train, held-out), coherence, sparsity, distinctness and
stability against T with the bends marked; TopicSelection's surviving count; per-topic stability."""
from __future__ import annotations

import streamlit as st

import engine
from app import resources, state, tasks, widgets
from engine.store import csvsafe
from app.figures import sweep as sfig

P = "sweep"


def K(name: str) -> str:
    return f"{P}_{name}"


def start(corpus, topics: str, starts: int, iterations: int, holdout: float, selection: int, sel_tau: float) -> None:
    try:
        ts = engine.hierarchy.parse_levels(topics)
        base = engine.ModelConfig(iterations=int(iterations)).validate()
        engine.sweep._check(ts, int(starts), float(holdout))
    except engine.EngineError as e:
        widgets.error_box(e)
        return

    def work(progress, should_stop):
        res = engine.sweep.run_sweep(corpus, ts, int(starts), base, holdout=float(holdout),
                                     callback=progress, should_stop=should_stop)
        sel = None
        if selection:
            sel = engine.sweep.topic_selection_curve(
                corpus, int(selection), tau=float(sel_tau), base=base,
                callback=lambda it, alive: progress({"selection_iteration": it, "surviving": alive}))
        return res, sel

    state.set(K("task"), tasks.start(work, "sweep"))
    state.set(K("total"), len(ts) * int(starts) + (int(iterations) if selection else 0))


@st.fragment(run_every=1.0)
def status() -> None:
    task = tasks.get(state.get(K("task")))
    if task is None or task.done:
        if task is not None and state.get(K("shown")) != task.task_id:
            state.set(K("shown"), task.task_id)
            st.rerun(scope="app")
        return
    ev = task.events
    st.progress(min(len(ev) / max(state.get(K("total"), 1), 1), 1.0),
                text=f"{sum('topics' in e for e in ev)} runs finished" if ev else "Starting…")
    if st.button("Stop", key=K("stop")):
        task.stop()


st.title("How many topics?")
corpus = widgets.require_corpus()
with st.expander("Sweep settings", expanded=True, icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    topics = c1.text_input("Numbers of topics T", "10,20,40,80", key=K("topics"))
    starts = c2.number_input("Random starts per T", 1, 20, 3, key=K("starts"))
    iterations = c3.number_input("Iterations", 1, 500, 20, key=K("iterations"))
    holdout = c1.slider("Held-out share of documents", 0.0, 0.5, 0.1, 0.05, key=K("holdout"))
    selection = c2.number_input("TopicSelection from T (0 = off)", 0, 2000, 0, key=K("selection"),
                                help="Also train this many topics with TopicSelection and watch how many survive.")
    sel_tau = c3.number_input("TopicSelection τ", 0.0, 100.0, 0.5, key=K("sel_tau"))
    running = (t := tasks.get(state.get(K("task")))) is not None and not t.done
    if st.button("Run sweep", key=K("run"), type="primary", icon=":material/play_arrow:", disabled=running):
        start(corpus, topics, starts, iterations, holdout, selection, sel_tau)
        st.rerun()
if tasks.get(state.get(K("task"))) is not None:  # poll only while a task runs
    status()

task = tasks.get(state.get(K("task")))
if task is None or not task.done:
    st.info("Set the numbers of topics and starts, then run the sweep. Runs train side by side in "
            "the background; the curves appear when all are done.")
    st.stop()
if task.status != "finished":
    st.error(f"The sweep {task.status}: {task.error}")
    st.stop()
res, sel = task.result
st.plotly_chart(sfig.sweep_curves(res.summary, res.bends), key=K("curves"))
bends = ", ".join(f"{k}: T={v:g}" for k, v in res.bends.items() if v is not None)
st.caption(f"{len(res.runs)} runs in {res.seconds:.0f} s. ◆ marks where a curve bends most ({bends or 'no bend'}). "
           "Stability: share of a topic's matches (Hungarian on JS distance) across starts within distance 0.5.")
st.dataframe(res.summary, hide_index=True, key=K("summary"))
if sel is not None:
    st.plotly_chart(sfig.selection_curve(sel), key=K("selection_curve"))
st.subheader("Per-topic stability")
c1, c2 = st.columns(2)
t_pick = c1.selectbox("T", sorted(res.summary["topics"]), key=K("t_pick"))
s_pick = c2.selectbox("Start", sorted(res.runs.loc[res.runs["topics"] == t_pick, "start"]), key=K("s_pick"))
if res.summary.set_index("topics").loc[t_pick, "starts"] >= 2:
    per = res.topic_stability(int(t_pick), int(s_pick))
    st.plotly_chart(sfig.stability_bars(per), key=K("bars"))
    st.caption("Blue: the topic reappears in at least half of the other starts (stable); grey ⚠: unstable.")
else:
    st.info("Per-topic stability needs at least two starts.")
st.download_button("Download the table (CSV)", csvsafe.to_csv(res.summary), file_name="sweep.csv",
                   key=K("csv"), icon=":material/download:")
