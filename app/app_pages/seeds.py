"""Seed words: type or upload a lexicon of word groups, see how each seed fares in the corpus,
train a seeded model through the job registry, then read the diagnostics (which topics captured
each group, seed drift, coverage, discovered words) and the results (relevant topics, their
documents with seeds highlighted, trends, CSV export)."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app import resources, state, widgets
from app.figures import topic_trends
from app.figures import seeds as SF
from engine.errors import EngineError

P = "seeds"


def K(name: str) -> str:
    return f"{P}_{name}"


EXAMPLES = {
    "ru": "японцы: японец, японский, япония\nкитайцы: китаец, китайский, китай\n"
          "мигранты: мигрант, мигрантов, приезжий, иммигрант\nукраинцы: украинец, украинский",
    "en": "immigration: immigration, immigrants, migrant, asylum, refugee, border\n"
          "europe: europe, european, brussels, eu\n"
          "health: nhs, hospital, patients, doctors, nurses, health",
}
PRESETS = {"per_group": "One topic per group", "shared": "k topics for the whole lexicon"}


# ---------------------------------------------------------------- cached engine calls

@st.cache_resource(show_spinner="Checking the seeds against the vocabulary…", max_entries=8)
def _check(corpus_name: str, stamp: str, lexicon_json: str):
    from engine.families.seeds.lexicon import Lexicon, check_lexicon

    return check_lexicon(Lexicon.from_json(lexicon_json), resources.corpus(corpus_name))


@st.cache_resource(show_spinner="Computing the seed diagnostics…", max_entries=8)
def _diagnostics(run_id: str, stamp: str, setup_json: str):
    from engine.families.seeds import workflow as S

    run = resources.run(run_id)
    corpus = resources.corpus(run.corpus_name)
    setup = S.SeedSetup.from_dict(json.loads(setup_json))
    model = run.model
    return {
        "capture": S.seed_capture(model, corpus, setup),
        "coverage": S.group_coverage(model, corpus, setup),
        "discovery": S.discovery(model, corpus, setup, n=12),
        "relevant": S.relevant_topics(model, corpus, setup, top=20),
        "drift": S.seed_drift(run.active_scores(), setup),
        "report": S.seeds_report(model, corpus, setup, top=20),
    }


# ---------------------------------------------------------------- lexicon

def lexicon_input(corpus):
    """Typed or uploaded lexicon -> Lexicon (None while empty or invalid)."""
    from engine.families.seeds.lexicon import Lexicon

    lang = (corpus.manifest.get("preprocessing") or {}).get("lang", "en")
    example = EXAMPLES.get(lang, EXAMPLES["en"])
    left, right = st.columns([3, 2])
    text = left.text_area("Lexicon — one group per line: `group: word, word, …`", example, height=180,
                          key=K("text"), help="A word may stand in several groups. Seeds go through the corpus's "
                                               "own preprocessing (lemmas/stems), so any word form works.")
    up = right.file_uploader("…or upload CSV (group,word / group,words), TXT or JSON", type=["csv", "tsv", "txt", "json"],
                             key=K("upload"))
    try:
        if up is not None:
            lex = Lexicon.from_upload(up.getvalue().decode("utf-8-sig"), up.name)
            right.caption(f"Using **{up.name}**: {len(lex)} groups, {lex.n_seeds} seeds.")
        else:
            lex = Lexicon.parse(text)
    except (EngineError, UnicodeDecodeError) as e:
        widgets.error_box(e)
        return None
    if not lex:
        st.info("Type at least one group of seed words.")
        return None
    right.download_button("Download lexicon (CSV)", lex.to_csv(), file_name="lexicon.csv", mime="text/csv",
                          key=K("dl_lex"))
    return lex


def seed_status(check) -> None:
    s = check.summary()
    c = st.columns(4)
    c[0].metric("Groups with a found seed", f"{s['groups_found']} / {s['groups']}")
    c[1].metric("Seeds found", f"{s['seeds_found']} / {s['seeds']}")
    c[2].metric("Distinct terms", s["terms"])
    c[3].metric("Seed occurrences in the corpus", f"{int(s['tokens']):,}")
    t = check.table
    view = pd.DataFrame({
        "group": t["group"], "seed": t["seed"], "term": t["term"],
        "status": ["✓ found" if f else "✗ missing" for f in t["found"]],
        "tf": t["tf"].astype(int), "df": t["df"],
        "near matches": [", ".join(x) for x in t["suggestions"]], "note": t["note"]})
    st.dataframe(view, hide_index=True, width="stretch", height=min(420, 36 + 35 * len(view)),
                 column_config={"tf": st.column_config.NumberColumn("tf", help="occurrences in the corpus"),
                                "df": st.column_config.NumberColumn("df", help="documents containing it")})
    if check.missing:
        st.caption(f"{len(check.missing)} seed(s) are not in the vocabulary; near matches are vocabulary terms "
                   "you may add instead.")


# ---------------------------------------------------------------- setup + training

def setup_form(corpus, check):
    from engine.families.seeds import workflow as S

    c = st.columns(3)
    preset = c[0].radio("Setup", list(PRESETS), format_func=PRESETS.get, key=K("preset"),
                        help="One seeded topic per group, or k topics sharing all seeds (decorrelation splits them).")
    k = c[0].number_input("k (seeded topics)", 1, 500, min(20, max(1, len(check.terms()))), key=K("k"),
                          disabled=preset != "shared")
    extra = c[1].number_input("Ordinary subject topics", 0, 500, 10, key=K("extra"),
                              help="Unseeded topics, so the rest of the corpus has somewhere to go.")
    background = c[1].number_input("Background topics", 0, 20, 1, key=K("background"))
    iterations = c[2].number_input("Iterations", 2, 1000, 30, key=K("iterations"))
    tau = c[2].number_input("SeedWords τ (0 = automatic)", 0.0, 1e7, 0.0, format="%g", key=K("tau"),
                            help="Pseudo-counts per seed per pass; automatic = 5% of an average topic. "
                                 "τ stays for half the run, then fades to the kept fraction.")
    keep = c[2].slider("τ kept at the end", 0.0, 1.0, 0.2, 0.05, key=K("keep"))
    try:
        config, setup = S.seed_config(check, preset, seeded_topics=int(k), extra_topics=int(extra),
                                      background=int(background), iterations=int(iterations),
                                      seed_tau=float(tau) or None, seed_keep=float(keep))
    except EngineError as e:
        widgets.error_box(e)
        return
    st.caption(f"{config.n_topics} subject topics ({len(setup.seeded_topics)} seeded) + {config.n_background} "
               f"background · regularizers: {', '.join(r.name for r in config.regularizers)} · "
               f"SeedWords τ = {config.regularizer('seed_words').tau(1):.4g}")
    c1, c2 = st.columns([2, 1])
    name = c1.text_input("Run name", f"{corpus.name}-seeds", key=K("name"))
    if c2.button("Train seeded model", type="primary", icon=":material/play_arrow:", key=K("start")):
        try:
            job_id = start(corpus, config, setup, name or None)
        except EngineError as e:
            widgets.error_box(e)
            return
        st.session_state[K("job")] = job_id
        st.rerun()


def start(corpus, config, setup, name) -> str:
    """Queue a seeded job (family "seeds": seed ranks every iteration, seeded topics start from
    their documents, the setup and the topic labels saved with the run)."""
    config = config.with_changes(family="seeds", options={"setup": setup.to_dict()})
    config.check_corpus(corpus)
    return resources.job_registry().start(resources.workspace(), corpus, config, owner=resources.session_owner(),
                                          name=name, labels=setup.labels)


def job_progress(job) -> None:
    snap = job.snapshot()

    @st.fragment(run_every=None if snap.done else 1.0)
    def live():
        s = job.snapshot()
        if s.status == "failed":
            st.error(f"Training failed: {s.error}")
        st.progress(s.progress, text=f"{s.name}: {s.status} · iteration {s.iteration} / {s.total_iterations}")
        if s.done != snap.done or s.status != snap.status:
            st.rerun()

    live()
    if snap.done and snap.saved:
        from engine.families.seeds import workflow as S
        from engine.store.runs import set_topic_labels

        setup = S.load_setup(resources.workspace(), snap.run_id)
        if setup is not None and st.session_state.get(K("labelled")) != snap.run_id:
            try:
                set_topic_labels(resources.workspace(), snap.run_id, setup.labels)
            except EngineError as e:
                widgets.error_box(e)
            st.session_state[K("labelled")] = snap.run_id
            resources.clear_run_caches()
        if st.session_state.get(K("run")) != snap.run_id:  # show the new run (before its selectbox exists)
            st.session_state[K("run")] = snap.run_id
            st.session_state[K("run_pick")] = snap.run_id
            state.set(state.RUN, snap.run_id)
    elif not snap.done and st.button("Stop", key=K("stop"), icon=":material/stop:"):
        try:
            resources.job_registry().control(job.job_id, resources.session_owner(), "stop")
        except EngineError as e:
            widgets.error_box(e)


# ---------------------------------------------------------------- results

def seeded_runs(corpus_name: str) -> list[dict]:
    """Runs of the corpus with a stored seed setup or a SeedWords regularizer, newest first."""
    from engine.families.seeds import workflow as S

    out = []
    for m in resources.runs(corpus_name):
        regs = (m.get("config") or {}).get("regularizers") or []
        if S.load_setup(resources.workspace(), m["run_id"]) is not None or any(r.get("kind") == "SeedWords" for r in regs):
            out.append(m)
    return out


def results(corpus, lexicon) -> None:
    from engine.families.seeds import workflow as S

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
    c = st.columns(4)
    c[0].metric("Seeded topics", summ["seeded_topics"])
    c[1].metric("Relevant topics (seed in top-20)", summ["relevant_topics"])
    c[2].metric("Coverage by seeded topics", f"{summ['coverage_seeded']['share']:.0%}",
                help="Documents mentioning a seed whose dominant subject topic is a seeded topic")
    c[3].metric("Coverage by relevant topics", f"{summ['coverage_relevant']['share']:.0%}")

    t_diag, t_topics, t_docs, t_trend, t_export = st.tabs(
        ["Diagnostics", "Relevant topics", "Documents", "Trends", "Export"])
    with t_diag:
        st.markdown("**Which topics captured each group** — share of the group's seed words by p(t|w)")
        st.plotly_chart(SF.capture_matrix(d["capture"]), key=K("capture_fig"))
        st.dataframe(d["capture"].rename(columns={"p_w_t": "p(w|t)", "p_t_w": "p(t|w)"}), hide_index=True,
                     width="stretch", height=260,
                     column_config={"p(w|t)": st.column_config.NumberColumn(format="%.4f"),
                                    "p(t|w)": st.column_config.NumberColumn(format="%.2f")})
        left, right = st.columns(2)
        with left:
            st.markdown("**Coverage** — documents mentioning the group's seeds dominated by its topic")
            st.plotly_chart(SF.group_coverage(d["coverage"]), key=K("coverage_fig"))
        with right:
            st.markdown("**Drift** — each seed's rank in its topic over iterations")
            groups = ["(all)"] + list(setup.terms)
            g = st.selectbox("Group", groups, key=K("drift_group"))
            st.plotly_chart(SF.seed_drift(d["drift"], group=None if g == "(all)" else g), key=K("drift_fig"))
        st.markdown("**Discovery** — the top non-seed words each seeded topic attracted")
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
            st.download_button("Download relevant documents (CSV)", exp.to_csv(index=False).encode("utf-8"),
                               file_name=widgets.download_name(run.name, "seed-documents.csv"), mime="text/csv",
                               key=K("export_csv"), icon=":material/download:")
            st.download_button("Download the seeds report (JSON)",
                               json.dumps(d["report"], ensure_ascii=False, indent=1).encode("utf-8"),
                               file_name=widgets.download_name(run.name, "seeds-report.json"), mime="application/json",
                               key=K("export_json"))


# ---------------------------------------------------------------- page

st.title("Seed words")
st.caption("Find the topics about a list of words — e.g. ethnonyms: seeded ARTM steers one topic per word group, "
           "then shows where the seeds ended up, which documents they cover and how the topics change over time.")
corpus = widgets.require_corpus()
lexicon = lexicon_input(corpus)
check = None
if lexicon is not None:
    try:
        check = _check(corpus.name, resources.corpus_stamp(corpus.name), lexicon.to_json())
    except EngineError as e:
        widgets.error_box(e)
if check is not None:
    seed_status(check)
st.subheader("Train a seeded model")
job = resources.job(st.session_state.get(K("job")))
if job is not None:
    job_progress(job)
    if job.snapshot().done and st.button("Set up another seeded run", key=K("new")):
        st.session_state[K("job")] = None
        st.rerun()
elif check is not None and check.terms():
    setup_form(corpus, check)
else:
    st.caption("Enter a lexicon with at least one seed found in the corpus.")
st.subheader("Results")
results(corpus, lexicon)
