"""Topics: top tokens per modality (p(w|t) in %), relevance λ, naming a topic, the intertopic
distance map and the similarity heatmap; background topics are marked."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import engine
from app import figures, glossary, resources, state, widgets
from app.figures.sweep import stability_bars

P = "topics"
K = lambda name: state.key(P, name)  # noqa: E731


def overview_table(run, tokens: pd.DataFrame, tmap: pd.DataFrame) -> pd.DataFrame:
    """One row per topic: name, label, background, mass %, its top tokens with p(w|t) in %."""
    m = run.model
    words = (tokens.assign(cell=tokens["token"] + " " + (100 * tokens["p_wt"]).map("{:.1f}%".format))
             .groupby("topic", sort=False)["cell"].agg(" · ".join))
    return pd.DataFrame({
        "topic": m.topic_names,
        "name": resources.short_labels(run.run_id, resources.run_stamp(run.run_id)),
        "label": [m.labels.get(n, "") for n in m.topic_names],
        "background": [bool(b) for b in m.background],
        "mass %": (100 * tmap["mass"]).round(1).to_numpy(),
        "top tokens": [words.get(n, "") for n in m.topic_names],
    })


def save_label(run, topic: str, label: str) -> None:
    """Callback of "Save": store ``label`` for ``topic`` with the run (empty = automatic
    name); every page, figure, export and the report then use it."""
    labels = {**run.model.labels, topic: label.strip()}
    engine.set_topic_labels(resources.workspace(), run.run_id, labels)
    resources.clear_run_caches()
    state.flash(f"Saved: {topic} is now “{label.strip()}”." if label.strip() else f"{topic} uses its automatic name again.")


def topic_detail(run, rid: str, stamp: str, lam: float, n: int) -> None:
    m = run.model
    names = list(m.topic_names)
    labels = dict(zip(names, resources.short_labels(rid, stamp)))
    topic = widgets.synced_select("Topic", names, state.TOPIC, K("topic"), format_func=labels.get)
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")  # room for the button's label at 1280 px
    new = c1.text_input("Name this topic", m.labels.get(topic, ""), key=K(f"label_{topic}"),
                        placeholder=labels[topic], help="Empty: the automatic name (its two most probable words).")
    c2.button("Save", key=K("save_label"), help="Save this name for the topic", icon=":material/save:",
              on_click=save_label, args=(run, topic, new))
    colors = figures.topic_colors(len(names))
    t = names.index(topic)
    for mod in m.modalities:
        df = resources.top_tokens(rid, stamp, mod, lam, n)
        sub = df[df["topic"] == topic].rename(columns={"p_wt": "p"})
        if sub.empty:
            st.caption(f"{labels[topic]} has no {glossary.modality(mod)} tokens with p(w|t) > 0.")
            continue
        st.plotly_chart(figures.top_tokens_bar(sub, title=f"{labels[topic]} — {glossary.modality(mod)}", color=colors[t]),
                        key=K(f"bar_{mod}"))


def stability_section(rid: str, stamp: str) -> None:
    """Per-topic stability across random starts (runs with the same settings but another seed);
    shown only when such sibling runs exist (:func:`engine.run_stability` is not None)."""
    table = resources.run_stability(rid, stamp, resources.runs_stamp())
    if table is None:
        return
    if st.toggle("Stability across random starts", key=K("show_stability"),
                 help="Does each topic come back when the same model is trained from another random start? "
                      "Matched by Jensen–Shannon distance between topics (Hungarian matching)."):
        names = resources.names_by_topic(rid)
        st.plotly_chart(stability_bars(table, names), key=K("stability"))
        st.caption(f"Compared with {table.attrs.get('starts', 1) - 1} other start(s) of the same settings. "
                   "⚠ = the topic reappears in fewer than half of them: read it with care.")


st.title("Topics")
widgets.require_corpus(batched=True)  # a run of a corpus stored as batches shows its topics too
run = widgets.require_run()
rid, stamp = run.run_id, resources.run_stamp(run.run_id)
model = run.model

c1, c2, c3 = st.columns([2, 2, 1])
mods = list(model.modalities)
modality = c1.selectbox("Compare topics on modality", mods, key=K("modality"), format_func=glossary.modality,
                        help="Which kind of token (words, or another modality) the distances are computed on.")
lam = c2.slider("Relevance λ", 0.0, 1.0, 1.0, 0.05, key=K("lambda"),
                help=glossary.tip("λ") + " λ = 1 ranks tokens by p(w|t); smaller λ favours tokens specific to the topic "
                     "(relevance = λ·log p(w|t) + (1−λ)·log p(w|t)/p(w), as in pyLDAvis).")
n_top = c3.number_input("Tokens", 5, 50, 10, key=K("n"))

tmap = resources.topic_map(rid, stamp, modality)
left, right = st.columns([3, 2])
with left:
    st.subheader("Intertopic distance map")
    event = st.plotly_chart(figures.intertopic_map(tmap, selected=state.get(state.TOPIC)), key=K("map"),
                            on_select="rerun", selection_mode="points")
    st.caption("Jensen–Shannon distances between topics, classical MDS; area ∝ topic mass; "
               "grey ◉ = background topics. Click a circle to open the topic.")
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    if points:
        picked = points[0].get("customdata", [None])[0]
        if picked and picked != state.get(state.TOPIC):
            state.set(state.TOPIC, picked)
            st.rerun()
with right:
    topic_detail(run, rid, stamp, lam, int(n_top))

st.subheader("All topics")
tokens = resources.top_tokens(rid, stamp, mods[0], lam, int(n_top))
st.dataframe(overview_table(run, tokens, tmap), hide_index=True, key=K("labels"),
             column_config={"top tokens": st.column_config.TextColumn(width="large"),
                            "name": st.column_config.TextColumn(help="The label, else the two most probable words")})

if st.toggle("Show the topic similarity heatmap", key=K("show_sim")):
    sim = resources.similarity(rid, stamp, modality)
    st.plotly_chart(figures.similarity_heatmap(sim, resources.short_labels(rid, stamp),
                                               background=list(model.background)), key=K("sim"))
stability_section(rid, stamp)
