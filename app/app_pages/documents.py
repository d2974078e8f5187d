"""Documents: search by text or metadata, top documents of a topic, and one document's θ, its
text coloured by topic and the per-token p(t|d,w) heatmap aligned with that text."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import engine
from app import context_view, figures, resources, state, widgets
from app.family_views import sentences
from engine import EngineError

P = "docs"
K = lambda name: state.key(P, name)  # noqa: E731
WINDOW = 120  # token positions shown at once (text and heatmap share the window)


def pick_from(table: pd.DataFrame, key: str) -> None:
    """A selectable table of documents; a click opens that document."""
    if table.empty:
        st.caption("No documents.")
        return
    table = table.copy()
    for c in table.columns:
        if pd.api.types.is_datetime64_any_dtype(table[c]):
            table[c] = table[c].dt.strftime("%Y-%m-%d")
    event = st.dataframe(table, hide_index=True, key=key, on_select="rerun", selection_mode="single-row", height=260)
    rows = event.selection.rows if event is not None else []
    if rows:
        d = int(table.iloc[rows[0]]["doc"])
        if d != state.get(state.DOC):
            state.set(state.DOC, d)
            st.rerun()


def finder(corpus, run) -> None:
    model = run.model
    tab = st.segmented_control("Find documents", ["Search", "Top documents of a topic"], default="Search",
                               key=K("mode"))
    if tab == "Top documents of a topic":
        names = list(model.topic_names)
        shown = resources.names_by_topic(run.run_id)
        t = st.selectbox("Topic", names, index=names.index(state.get(state.TOPIC)) if state.get(state.TOPIC) in names else 0,
                         format_func=shown.get, key=K("topic"))
        top = engine.top_documents(model, corpus, t, n=20).drop(columns=["rank"])
        pick_from(top.assign(topic=top["topic"].map(shown)) if "topic" in top.columns else top, K("top_table"))
        return

    cols = [c for c in corpus.documents.columns if c not in ("date",)]
    c1, c2 = st.columns([3, 1])
    query = c1.text_input("Search", key=K("query"), placeholder="a word or phrase")
    column = c2.selectbox("in", cols, index=cols.index("text") if "text" in cols else 0, key=K("column"))
    if query:
        try:
            pick_from(engine.search_documents(corpus, query, column=column, limit=100), K("search_table"))
        except EngineError as e:
            widgets.error_box(e)


def show_document(corpus, run, d: int) -> None:
    model = run.model
    labels = resources.short_labels(run.run_id, resources.run_stamp(run.run_id))
    bg = list(model.background)
    doc = corpus.documents.iloc[d]
    meta = {k: v for k, v in doc.items() if k != "text" and (isinstance(v, (list, tuple)) or pd.notna(v))}
    fmt = lambda v: str(v.date()) if isinstance(v, pd.Timestamp) and v == v.normalize() else str(v)  # noqa: E731
    st.markdown(" · ".join(f"**{k}**: {fmt(v)}" for k, v in meta.items()))
    st.plotly_chart(figures.theta_bar(model.theta[:, d], labels, background=bg, min_share=0.01), key=K("theta"))
    if corpus.sequences is None:
        st.info("This corpus was imported as bag-of-words (VW/UCI): there is no text to colour.")
        return
    table, mat = engine.token_topic_table(model, corpus, d)
    n = len(table)
    if n == 0:
        st.info("No in-vocabulary tokens in this document.")
        return
    start, width = 0, n
    if n > WINDOW:
        c1, c2 = st.columns([1, 3])
        choice = c1.segmented_control("Positions at once", [str(WINDOW), "400", "all"], default=str(WINDOW),
                                      key=K("width")) or str(WINDOW)
        width = n if choice == "all" else int(choice)
        if width < n:
            start = c2.slider("From token position", 0, n - 1, 0, step=max(1, width // 2), key=K(f"win_{d}"),
                              help="The text and the heatmap show the same positions.")
    stop = min(n, start + width)
    text = str(doc.get("text", ""))
    pos = {name: t for t, name in enumerate(model.topic_names)}
    best = table["topic"].map(pos).fillna(0).astype(int).to_numpy()
    st.markdown("**Text, each token coloured by its most probable topic**")
    st.html(figures.highlighted_text(text, table["start"].to_numpy(), table["end"].to_numpy(), best,
                                     table["p"].to_numpy(), labels, background=bg, window=(start, stop)))
    st.html(figures.topic_legend(labels, best[start:stop], background=bg))
    st.markdown("**p(t|d,w) for every token position** — columns follow the text above")
    st.plotly_chart(figures.token_heatmap(mat[:, start:stop], table["token"].to_numpy()[start:stop], labels,
                                          offset=start), key=K("heatmap"))


st.title("Documents")
corpus = widgets.require_corpus()
run = widgets.require_run()
model = run.model
if model.theta.shape[1] != corpus.n_docs:
    st.error(f"Run “{run.name}” was trained on a different version of corpus “{corpus.name}”.")
    st.stop()
finder(corpus, run)
if state.get(state.DOC) is None:  # first visit: a long document that mixes several topics shows the most
    th = np.asarray(model.theta, dtype=np.float64)
    entropy = -(th * np.log(np.where(th > 0, th, 1.0))).sum(axis=0)
    n_d = np.asarray(corpus.n_dw.sum(axis=1)).ravel()
    state.set(state.DOC, int(np.argmax(entropy * np.log1p(np.minimum(n_d, 400)))))
st.session_state[K("doc_number")] = min(int(state.get(state.DOC)), corpus.n_docs - 1)
d = int(st.number_input("Document number", 0, corpus.n_docs - 1, key=K("doc_number"),
                        on_change=lambda: state.set(state.DOC, st.session_state[K("doc_number")])))
st.subheader(f"Document {corpus.documents['id'].iloc[d]}")
show_document(corpus, run, d)
if sentences.is_sentence_run(run):  # the sentence model gives every sentence one topic
    st.markdown("**Sentences, each coloured by its topic** (sentence model: argmax_t p(t|d,s))")
    sentences.show(run, corpus, d, K("sentences"))
extra = st.segmented_control("More", ["Topics inside the text (context-ARTM)", "Paste any text"], key=K("extra"),
                             help="Segments of this document by context-ARTM, or the topics of any text you paste.")
if extra:
    if extra.startswith("Topics inside"):
        context_view.render_document(run, corpus, d, key="docs_ctx", workspace=resources.workspace())
    else:
        context_view.render_paste(run, corpus, key="docs_paste", workspace=resources.workspace())
