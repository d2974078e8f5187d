"""The input half of the Seed words page: the lexicon (typed or uploaded), how its seeds fare in
the corpus, the seeded setup and its training job (through the job registry, family "seeds").
The results half is :mod:`app.seeds_view`."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from app import resources, state, widgets
from app.seeds_view import K
from engine import EngineError, Lexicon, check_lexicon
from engine import seeds as S
from engine import seeds as Seeds

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
def check_seeds(corpus_name: str, stamp: str, lexicon_json: str):
    """The lexicon checked against the corpus's vocabulary (cached per corpus version)."""
    return check_lexicon(Lexicon.from_json(lexicon_json), resources.corpus(corpus_name))


# ---------------------------------------------------------------- lexicon

def lexicon_input(corpus):
    """Typed or uploaded lexicon -> Lexicon (None while empty or invalid)."""
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
    """How each seed fares in the corpus: found or not, tf/df, near matches."""
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
    """The seeded setup's widgets and the Train button (starts the job, remembers its id)."""
    c = st.columns(3)
    preset = c[0].radio("Setup", list(PRESETS), format_func=PRESETS.get, key=K("preset"),
                        help="One seeded topic per group, or k topics sharing all seeds (decorrelation splits them).")
    k = c[0].number_input("k (seeded topics)", 1, 500, min(20, max(1, len(check.terms()))), key=K("k"),
                          disabled=preset != "shared")
    extra = c[1].number_input("Ordinary subject topics", 0, 500, 10, key=K("extra"),
                              help="Unseeded topics, so the rest of the corpus has somewhere to go.")
    background = c[1].number_input("Background topics", 0, 20, 1, key=K("background"))
    iterations = c[2].number_input("Iterations", 2, 1000, 30, key=K("iterations"))
    rec, reason = Seeds.recommended_settings(corpus)
    doc_tau = c[0].number_input("Pull documents to their group's topic (τ)", 0.0, 100.0, float(rec["doc_tau"]),
                                0.5, key=K("doc_tau"), help="SeedDocuments: documents that mention a group get τ·(their "
                                "length) pseudo-counts on its topic; fades like SeedWords. 0 = off.")
    seedwords = c[2].checkbox("Also force the seeds into their topics (SeedWords)", rec["seed_strength"] > 0,
                              key=K("seedwords"), help="Puts every seed in its topic's top words by construction; "
                              "in the benchmark it did not improve the documents and lowered coherence.")
    tau = c[2].number_input("SeedWords τ (0 = automatic)", 0.0, 1e7, 0.0, format="%g", key=K("tau"),
                            disabled=not seedwords, help="Pseudo-counts per seed per pass; automatic = 5% of an "
                            "average topic. τ stays for half the run, then fades to the kept fraction.")
    keep = c[2].slider("SeedWords τ kept at the end", 0.0, 1.0, 0.2, 0.05, key=K("keep"), disabled=not seedwords)
    st.caption(f"Defaults: {reason}")
    try:
        config, setup = S.seed_config(check, preset, seeded_topics=int(k), extra_topics=int(extra),
                                      background=int(background), iterations=int(iterations),
                                      seed_tau=(float(tau) or None) if seedwords else 0.0, seed_keep=float(keep),
                                      doc_tau=float(doc_tau))
    except EngineError as e:
        widgets.error_box(e)
        return
    st.caption(f"{config.n_topics} subject topics ({len(setup.seeded_topics)} seeded) + {config.n_background} "
               f"background · regularizers: {', '.join(r.name for r in config.regularizers)}")
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
    """The seeded job's progress (live), then the new run selected below; Stop while it runs."""
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
    if snap.done and snap.saved:  # the job saved the topic labels with the run (registry.start(labels=…))
        if st.session_state.get(K("run")) != snap.run_id:  # show the new run (before its selectbox exists)
            st.session_state[K("run")] = snap.run_id
            st.session_state[K("run_pick")] = snap.run_id
            state.set(state.RUN, snap.run_id)
    elif not snap.done and st.button("Stop", key=K("stop"), icon=":material/stop:"):
        try:
            resources.job_registry().control(job.job_id, resources.session_owner(), "stop")
        except EngineError as e:
            widgets.error_box(e)
