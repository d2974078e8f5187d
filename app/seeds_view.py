"""The results half of the Seed words page: pick a seeded run, then the headline numbers and
the tabs (Precision, Diagnostics, Relevant topics, Documents, Trends, Export). Headline numbers
come from ``engine.families.seeds.headline`` over the same tables the tabs show.
"""
from __future__ import annotations

import json

import streamlit as st

from app import resources, widgets
from app.figures import seeds as SF
from app.figures import topic_trends
from engine import EngineError, csvsafe
from engine import seeds as S
from engine import seeds as Seeds

P = "seeds"


def K(name: str) -> str:
    return f"{P}_{name}"


@st.cache_resource(show_spinner="Computing the seed diagnostics…", max_entries=8)
def _diagnostics(run_id: str, stamp: str, setup_json: str):
    run = resources.run(run_id)
    corpus = resources.corpus(run.corpus_name)
    setup = S.SeedSetup.from_dict(json.loads(setup_json))
    model = run.model
    tables = Seeds.seed_tables(model, corpus, setup, top=20)
    return {
        **tables,
        "capture": S.seed_capture(model, corpus, setup),
        "coverage": S.group_coverage(model, corpus, setup),
        "discovery": S.discovery(model, corpus, setup, n=12),
        "drift": S.seed_drift(run.active_scores(), setup),
        "report": S.seeds_report(model, corpus, setup, top=20, tables=tables),
    }


@st.cache_data(show_spinner=False, max_entries=16)
def _precision_at(run_id: str, stamp: str, setup_json: str, k: int):
    run = resources.run(run_id)
    setup = S.SeedSetup.from_dict(json.loads(setup_json))
    return Seeds.precision_table(run.model, resources.corpus(run.corpus_name), setup, k=k)


def precision_tab(d: dict, rid: str, setup_json: str) -> None:
    """The measure: per group, do its seeded topic's top documents mention it?"""
    st.markdown("**Do the seeded topics gather the group's documents?** Each group's best seeded topic: of its "
                "top-k documents by θ (k = min(50, documents mentioning the group)), the share that mention "
                "the group. The rest are *candidates beyond the keywords* — read them in the Documents tab.")
    st.plotly_chart(SF.group_precision(Seeds.best_per_group(d["precision"])), key=K("precision_fig"))
    k = st.number_input("Your k (top documents per topic)", 5, 5000, 100, 5, key=K("user_k"))
    tab = _precision_at(rid, resources.run_stamp(rid), setup_json, int(k))
    sup = d["support"].set_index("group")
    view = tab.assign(support=tab["group"].map(sup["verdict"]), advice=tab["group"].map(sup["advice"]))
    view = view.drop(columns=["topic"]).rename(columns={
        "label": "topic", "k_auto": "k", "precision": "P@k", "recall": "R@k", "beyond": "beyond keywords",
        "k": "your k", "precision_k": "P@your k", "recall_k": "R@your k", "r_precision": "R-precision"})
    pct = {c: st.column_config.NumberColumn(c, format="%.2f") for c in
           ("P@k", "R@k", "P@your k", "R@your k", "R-precision")}
    st.dataframe(view, hide_index=True, width="stretch", column_config=pct)
    sup_tab = d["support"]
    for verdict, head in (("too rare", "Too rare to carry a topic of their own"),
                          ("thin", f"Thin (under {d['report']['summary']['thin_below']} mentioning documents)")):
        some = sup_tab[sup_tab["verdict"] == verdict]
        if len(some):
            st.warning(f"{head}: " + "; ".join(f"**{r.group}** — {r.advice}" for r in some.itertuples()))
    st.markdown("**Seeded topic quality** — seed mass share (≥ 0.5: little more than its seeds), coherence "
                "(NPMI of the top-10 words), share of generic (background) words among the top 20")
    st.dataframe(d["quality"], hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(c, format="%.2f")
                                for c in ("seed_mass", "coherence", "generic_overlap", "precision")})


# ---------------------------------------------------------------- results

def seeded_runs(corpus_name: str) -> list[dict]:
    """Runs of the corpus with a stored seed setup or a SeedWords regularizer, newest first."""
    out = []
    for m in resources.runs(corpus_name):
        regs = (m.get("config") or {}).get("regularizers") or []
        if S.load_setup(resources.workspace(), m["run_id"]) is not None or any(r.get("kind") in ("SeedWords", "SeedDocuments") for r in regs):
            out.append(m)
    return out


def results(corpus, lexicon) -> None:
    runs = seeded_runs(corpus.name)
    all_runs = resources.runs(corpus.name)
    if not all_runs:
        st.info("No trained model for this corpus yet: train a seeded model above.")
        return
    by_id = {m["run_id"]: m for m in all_runs}
    options = [m["run_id"] for m in runs] + [m["run_id"] for m in all_runs if m not in runs]
    current = st.session_state.get(K("run"))
    idx = options.index(current) if current in options else 0
    rid = st.selectbox("Run", options, index=idx, key=K("run_pick"), format_func=lambda r: widgets.run_label(by_id[r])
                       + ("" if by_id[r] in runs else " · no seeds"))
    try:
        run = resources.run(rid)
    except Exception as e:  # noqa: BLE001 - a run deleted from another tab
        st.warning(f"Run {rid!r} cannot be loaded: {e}")
        return
    ws = resources.workspace()
    use_typed = st.toggle("Measure the lexicon above instead of the run's own", value=by_id[rid] not in runs,
                          key=K(f"use_typed_{rid}"), disabled=lexicon is None)
    try:
        setup = S.run_setup(ws, run, corpus, lexicon if (use_typed and lexicon is not None) else None)
    except EngineError as e:
        widgets.error_box(e)
        return
    if setup is None or not setup.terms:
        st.info("This run has no seed words; switch on “Measure the lexicon above”.")
        return
    d = _diagnostics(rid, resources.run_stamp(rid), json.dumps(setup.to_dict(), ensure_ascii=False, sort_keys=True))
    model = run.model
    summ = d["report"]["summary"]
    pr = summ["precision"]
    c = st.columns(4)
    c[0].metric("Groups gathered by a topic", f"{pr['passing']} / {pr['measurable']}",
                help=f"Groups whose seeded topic gathers their documents: groups mentioned in ≥ {pr['min_mentions']} "
                     f"documents whose best seeded topic's top-k documents "
                     f"mention the group at least {pr['threshold']:.0%} of the time (the Precision tab)")
    c[1].metric("Groups too rare or thin", summ["groups_too_rare"] + summ["groups_thin"],
                help=f"{summ['groups_too_rare']} too rare (fewer than {summ['rare_below']} occurrences or mentioning "
                     f"documents: no topic of their own), {summ['groups_thin']} thin (fewer than {summ['thin_below']} mentioning "
                     "documents: their topic mostly gathers other documents) — the Precision tab's support column")
    c[2].metric("Seeded topics flagged ok", f"{summ['topics_ok']} / {summ['topics_checked']}",
                help="Quality flags in the Precision tab")
    c[3].metric("Relevant topics", summ["relevant_topics"], help="As listed in the Relevant topics tab")
    setup_json = json.dumps(setup.to_dict(), ensure_ascii=False, sort_keys=True)
    t_prec, t_diag, t_topics, t_docs, t_trend, t_export = st.tabs(
        ["Precision", "Diagnostics", "Relevant topics", "Documents", "Trends", "Export"])
    with t_prec:
        precision_tab(d, rid, setup_json)
    with t_diag:
        st.markdown("**Which topics captured each group** — share of the group's seed words by p(t|w)")
        st.plotly_chart(SF.capture_matrix(d["capture"]), key=K("capture_fig"))
        st.dataframe(d["capture"].rename(columns={"p_w_t": "p(w|t)", "p_t_w": "p(t|w)"}), hide_index=True,
                     width="stretch", height=260,
                     column_config={"p(w|t)": st.column_config.NumberColumn(format="%.4f"),
                                    "p(t|w)": st.column_config.NumberColumn(format="%.2f")})
        left, right = st.columns(2)
        with left:
            st.markdown("**Coverage** — documents mentioning the group's seeds dominated by its topic (a weak "
                        "test: seeded training puts them there; the Precision tab asks the reverse question)")
            st.plotly_chart(SF.group_coverage(d["coverage"]), key=K("coverage_fig"))
        with right:
            st.markdown("**Drift** — each seed's rank in its topic over iterations")
            groups = ["(all)"] + list(setup.terms)
            g = st.selectbox("Group", groups, key=K("drift_group"))
            st.plotly_chart(SF.seed_drift(d["drift"], group=None if g == "(all)" else g), key=K("drift_fig"))
        st.markdown("**Discovery** — the non-seed words most specific to each seeded topic "
                    "(φ_wt · ln p(t|w)/p(t): frequent words every topic has are left out)")
        disc = d["discovery"]
        if disc.empty:
            st.caption("No seeded topic in this run.")
        else:
            st.dataframe(disc.groupby(["topic", "label"], sort=False)["token"].agg(", ".join).reset_index()
                         .rename(columns={"token": "discovered words"}), hide_index=True, width="stretch")
    rel = d["relevant"]
    with t_topics:
        if rel.empty:
            st.info("No topic has a seed word among its top-20 words.")
        else:
            st.plotly_chart(SF.topic_relevance(rel.head(40)), key=K("relevance_fig"))
            view = rel.assign(seeds_in_top=rel["seeds_in_top"].map(", ".join), groups=rel["groups"].map(", ".join))
            st.dataframe(view, hide_index=True, width="stretch",
                         column_config={"share": st.column_config.NumberColumn(format="%.3f"),
                                        "relevance": st.column_config.NumberColumn(format="%.4f")})
    names = rel["topic"].tolist()
    with t_docs:
        if not names:
            st.info("No relevant topic.")
        else:
            topic = st.selectbox("Topic", names, key=K("doc_topic"), format_func=lambda n: model.label(model.topic_names.index(n)))
            n = st.slider("Documents", 3, 50, 10, key=K("doc_n"))
            docs = S.seed_documents(model, corpus, topic, setup, n=n)
            st.dataframe(docs.drop(columns=["doc"]), hide_index=True, width="stretch",
                         column_config={"theta": st.column_config.ProgressColumn("θ", min_value=0.0, max_value=1.0),
                                        "date": st.column_config.DateColumn("date")})
            t = model.topic_names.index(topic)
            top_ids = corpus.token_ids([w for w, _ in S.topic_top_tokens(model, corpus, t, 20)])
            seed_ids = corpus.token_ids(setup.all_terms)
            st.caption("Seed words in yellow, the topic's top-20 words in blue.")
            for row in docs.head(5).itertuples():
                with st.expander(f"#{row.rank} · {row.id} · θ = {row.theta:.2f} · {row.seed_hits} seed mention(s)",
                                 expanded=row.rank == 1):
                    segs = S.document_marks(corpus, int(row.doc), seed_ids[seed_ids >= 0], top_ids[top_ids >= 0])
                    st.markdown(SF.marked_html(segs), unsafe_allow_html=True)
    with t_trend:
        if not names:
            st.info("No relevant topic.")
        elif not corpus.has_dates:
            st.info("The corpus has no dates: trends need a date column.")
        else:
            chosen = st.multiselect("Topics", names, default=names[:5], key=K("trend_topics"),
                                    format_func=lambda n: model.label(model.topic_names.index(n)))
            freq = st.selectbox("Bin", ["auto", "D", "W", "M", "Q", "Y"], key=K("trend_freq"))
            tr = S.relevant_trends(model, corpus, chosen, None if freq == "auto" else freq) if chosen else None
            st.plotly_chart(topic_trends(tr, kind="lines") if tr is not None else SF.empty("Choose topics."),
                            key=K("trend_fig"))
    with t_export:
        if not names:
            st.info("No relevant topic.")
        else:
            share = st.slider("Keep documents whose relevant topics hold at least", 0.05, 1.0, 0.2, 0.05,
                              key=K("export_share"), help="…or whose dominant subject topic is relevant")
            exp = S.relevant_documents(model, corpus, names, setup, min_share=share)
            st.caption(f"{len(exp):,} documents · one column per relevant topic with its share θ_td")
            st.dataframe(exp.head(200), hide_index=True, width="stretch", height=300)
            st.download_button("Download relevant documents (CSV)", csvsafe.to_csv(exp).encode("utf-8"),
                               file_name=widgets.download_name(run.name, "seed-documents.csv"), mime="text/csv",
                               key=K("export_csv"), icon=":material/download:")
            st.download_button("Download the seeds report (JSON)",
                               json.dumps(d["report"], ensure_ascii=False, indent=1).encode("utf-8"),
                               file_name=widgets.download_name(run.name, "seeds-report.json"), mime="application/json",
                               key=K("export_json"))


