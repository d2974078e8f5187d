"""Runs: saved runs with config and final scores; open, rename, delete (with confirmation);
compare two runs (score curves, Hungarian topic matching); export tables and an HTML report."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

import engine
from app import figures, resources, state, widgets
from engine import EngineError, analysis

P = "runs"
K = lambda name: state.key(P, name)  # noqa: E731
SHOWN_SCORES = ("perplexity", "sparsity_phi", "sparsity_theta", "kernel_contrast", "coherence")


def runs_table(items: list[dict]) -> pd.DataFrame:
    rows = []
    for m in items:
        cfg = m.get("config") or {}
        fs = m.get("final_scores") or {}
        row = {"name": m.get("name"), "run id": m["run_id"], "status": m.get("status"),
               "topics": widgets.topic_count(m),
               "iterations": m.get("iteration"),
               "regularizers": ", ".join(r.get("name", r.get("kind", "")) for r in cfg.get("regularizers", [])
                                         if r.get("enabled", True)),
               "created": (m.get("created_at") or "")[:19].replace("T", " ")}
        row.update({s: fs.get(s) for s in SHOWN_SCORES})
        rows.append(row)
    return pd.DataFrame(rows)


def manage(m: dict) -> None:
    rid = m["run_id"]
    c1, c2, c3 = st.columns([1, 2, 1])
    if c1.button("Open in Topics", key=K("open"), type="primary", icon=":material/open_in_new:"):
        state.set(state.RUN, rid)
        st.switch_page("app_pages/topics.py")
    new = c2.text_input("Rename", m.get("name") or rid, key=K(f"rename_{rid}"), label_visibility="collapsed")
    if c3.button("Rename", key=K("rename_btn")) and new.strip() and new != m.get("name"):
        engine.rename_run(resources.workspace(), rid, new.strip())
        resources.clear_run_caches()
        st.rerun()
    if m.get("status") in ("interrupted", "stopped", "failed"):
        if st.button("Resume training", key=K("resume"), icon=":material/play_arrow:",
                     help="Continue this run from its last checkpoint (e.g. after the server was killed)."):
            resume(m)
    with st.popover("Delete…", icon=":material/delete:"):
        st.warning(f"Delete run “{m.get('name') or rid}” and its checkpoints? This cannot be undone.")
        if st.button("Yes, delete it", key=K("confirm_delete"), type="primary"):
            engine.delete_run(resources.workspace(), rid)
            resources.clear_run_caches()
            if state.run_id() == rid:
                state.set(state.RUN, None)
            state.flash("Run deleted.")
            st.rerun()


def resume(m: dict) -> None:
    """Continue run ``m`` from its newest checkpoint as a job of this session, then show it."""
    try:
        corpus = resources.training_corpus(m["corpus"]["name"])  # also a corpus stored as batches
        job_id = resources.job_registry().continue_run(resources.workspace(), corpus, m["run_id"],
                                                       owner=resources.session_owner())
    except EngineError as e:
        widgets.error_box(e)
        return
    state.set(state.JOB, job_id)
    st.query_params["job"] = job_id
    st.switch_page("app_pages/live.py")  # the job's progress and controls


def compare(items: list[dict]) -> None:
    ids = [m["run_id"] for m in items]
    names = {m["run_id"]: widgets.run_label(m) for m in items}
    pick = st.multiselect("Two runs to compare", ids, default=ids[:2], max_selections=2,
                          format_func=names.get, key=K("compare"))
    if len(pick) < 2:
        st.caption("Pick two runs.")
        return
    a, b = resources.run(pick[0]), resources.run(pick[1])
    # two runs may share a name (the same settings twice): then their ids tell them apart in the
    # legend and the table (a dict or a DataFrame with one name twice would lose one of them)
    na, nb = (a.name, b.name) if a.name != b.name else (f"{a.name} ({a.run_id})", f"{b.name} ({b.run_id})")
    st.plotly_chart(figures.compare_scores({na: a.active_scores(), nb: b.active_scores()}), key=K("cmp_scores"))
    phi_b = analysis.align_phi(b.model.phi, b.tokens, a.tokens)
    mask = (a.tokens["modality"] == a.model.modalities[0]).to_numpy()
    match = analysis.match_topics(a.model.phi, phi_b, a.model.topic_names, b.model.topic_names, mask=mask)
    la, lb = resources.names_by_topic(a.run_id), resources.names_by_topic(b.run_id)
    pairs = match.assign(topic_a=match["topic_a"].map(la), topic_b=match["topic_b"].map(lb))
    pairs.attrs = {}
    st.plotly_chart(figures.matching_heatmap(match.attrs["distance"], list(la.values()), list(lb.values()), pairs),
                    key=K("cmp_match"))
    st.dataframe(pairs.rename(columns={"topic_a": na, "topic_b": nb}), hide_index=True)


def report_html(run) -> str:
    """The stakeholder report (:func:`engine.analysis.stakeholder_report`): printable, fixed width,
    labelled topics only, background excluded, trends when the corpus has dates."""
    try:
        corpus = resources.corpus(run.corpus_name)
    except EngineError:
        corpus = None
    return analysis.stakeholder_report(run, corpus)


def export(run) -> None:
    fmt = st.segmented_control("Tables as", ["csv", "parquet"], default="csv", key=K("fmt")) or "csv"
    corpus = None
    try:
        corpus = resources.corpus(run.corpus_name)
    except EngineError:
        pass
    with tempfile.TemporaryDirectory() as tmp:
        paths = engine.export_run(run, corpus if corpus is not None and corpus.n_tokens == len(run.tokens) else None,
                           fmt=fmt, out_dir=tmp)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, arcname=Path(p).name)
    c1, c2 = st.columns(2)
    c1.download_button(f"Φ, Θ, top tokens, scores ({fmt}, zip)", buf.getvalue(), key=K("dl_tables"),
                       file_name=widgets.download_name(run.name, fmt) + ".zip", mime="application/zip",
                       icon=":material/download:")
    if c2.button("Build report (HTML, printable)", key=K("build_report"), icon=":material/description:"):
        st.session_state[K("report")] = (run.run_id, report_html(run))
    rep = st.session_state.get(K("report"))
    if rep and rep[0] == run.run_id:
        c2.download_button("Download report.html", rep[1], file_name=widgets.download_name(run.name, "report") + ".html",
                           mime="text/html", key=K("dl_report"), icon=":material/download:")


st.title("Runs")
corpus_name = widgets.default_corpus()
everything = st.toggle("Runs of all corpora", key=K("all"))
items = resources.runs(None if everything else corpus_name)
if not items:
    st.info("No saved runs yet.")
    widgets.demo_button("runs")
    st.stop()
st.dataframe(runs_table(items), hide_index=True)
by_id = {m["run_id"]: m for m in items}
ids = list(by_id)
sel = st.selectbox("Run", ids, index=ids.index(state.run_id()) if state.run_id() in ids else 0,
                   format_func=lambda r: widgets.run_label(by_id[r]), key=K("selected"))
manage(by_id[sel])
st.subheader("Export")
export(resources.run(sel))
if len(items) > 1:
    st.subheader("Compare two runs")
    compare(items)
