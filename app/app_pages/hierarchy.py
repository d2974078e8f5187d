"""Hierarchy: train a topic hierarchy (hARTM) in the background — every level an ordinary run with
checkpoints and live τ (app/hierarchy_view.py) — then browse it — the tree,
topic mass as a sunburst/icicle, parent → child → document drill-down with the p(t|d,w) heatmap,
Ψ with its strongest edges, quality scores; labels edited at any level persist."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import engine
from app import figures, resources, state, tasks, widgets
from app.hierarchy_view import extension_form, start_training, training_status, unfinished
from app.figures import hierarchy as hfig

P = "hier"


def K(name: str) -> str:
    return f"{P}_{name}"
H = engine.hierarchy


@st.cache_resource(show_spinner="Loading hierarchy…", max_entries=4)
def _load(root: str, hid: str, stamp: str):
    return H.load_hierarchy(resources.workspace(), hid)


def load(hid: str):
    path = H.store.hierarchy_path(resources.workspace(), hid) / "manifest.json"
    return _load(resources.root(), hid, str(path.stat().st_mtime_ns))


def tree_tab(h, tree: pd.DataFrame) -> None:
    kind = st.radio("Chart", ["tree", "sunburst", "icicle"], horizontal=True, key=K("chart"))
    edges = None
    if kind == "tree":
        parts = [H.tables.edge_nodes(h, k) for k in range(1, len(h.levels))]
        edges = pd.concat(parts, ignore_index=True) if parts else None
        st.plotly_chart(hfig.tree_graph(tree, edges), key=K("tree"))
    else:
        st.plotly_chart(hfig.topic_mass_chart(tree, kind), key=K("mass"))
    st.caption("Marker area and sector size ∝ topic mass within its level; lines: child → parent, "
               "width ∝ ψ = p(child|parent), solid = strongest parent.")
    k = st.selectbox("Edit labels of level", range(len(h.levels)), key=K("label_level"))
    sub = tree[tree["level"] == k][["topic", "label", "mass", "top_tokens"]]
    sub = sub.assign(label=[h.levels[k].model.labels.get(t, "") for t in sub["topic"]])
    edited = st.data_editor(sub, hide_index=True, disabled=["topic", "mass", "top_tokens"], key=K(f"labels{k}"),
                            column_config={"mass": st.column_config.NumberColumn(format="percent")})
    if st.button("Save labels", key=K("save_labels"), icon=":material/save:"):
        H.set_level_labels(resources.workspace(), h.hierarchy_id, int(k),
                           {r.topic: str(r.label or "") for r in edited.itertuples()})
        state.flash(f"Labels of level {k} saved.")
        st.rerun()


def pick_topic(h, k: int, label: str, key: str, topics=None) -> int:
    m = h.levels[k].model
    tree = H.tables.tree_table(h, n_tokens=4)
    words = dict(zip(tree.loc[tree["level"] == k, "index"], tree.loc[tree["level"] == k, "top_tokens"]))
    options = list(range(m.n_topics)) if topics is None else list(topics)
    return st.selectbox(label, options, key=key, format_func=lambda t: f"{m.label(t)} — {words.get(t, '')}")


def drill_tab(h, corpus) -> None:
    c1, c2 = st.columns(2)
    k = c1.selectbox("Parent level", range(max(len(h.levels) - 1, 1)), key=K("drill_level"))
    with c2:
        t = pick_topic(h, k, "Parent topic", K("parent"))
    kids = H.tables.children_table(h, k, t)
    if kids.empty:
        st.info("This topic has no children at the next level.")
        return
    st.dataframe(kids.drop(columns=["child"]), hide_index=True, key=K("children"),
                 column_config={"psi": st.column_config.ProgressColumn("ψ = p(child|parent)", min_value=0.0, max_value=1.0),
                                "mass": st.column_config.NumberColumn(format="percent")})
    s = pick_topic(h, k + 1, "Child topic", K("child"), topics=kids["child"].tolist())
    docs = engine.top_documents(h.levels[k + 1].model, corpus, int(s), n=20)
    if docs.empty:
        st.info("No document uses this topic.")
        return
    d = st.selectbox("Document", docs["doc"].tolist(), key=K("doc"),
                     format_func=lambda i: f"{docs.set_index('doc').loc[i, 'id']} — "
                                           f"θ={docs.set_index('doc').loc[i, 'theta']:.2f}")
    level = st.radio("Heatmap level", range(len(h.levels)), index=k + 1, horizontal=True, key=K("heat_level"))
    model = h.levels[level].model
    st.markdown(f"**Document {corpus.documents['id'].iloc[int(d)]}**")
    if corpus.sequences is None:
        st.dataframe(engine.doc_topics(model, int(d)).head(10), hide_index=True)
        return
    table, mat = engine.token_topic_table(model, corpus, int(d))
    labels = [model.label(i) for i in range(model.n_topics)]
    if mat.shape[1] == 0:
        st.info("No in-vocabulary tokens in this document.")
        return
    best = mat.argmax(axis=0)
    stop = min(len(table), 200)
    st.html(figures.highlighted_text(str(corpus.documents["text"].iloc[int(d)]), table["start"].to_numpy(),
                                     table["end"].to_numpy(), best, table["p"].to_numpy(), labels, window=(0, stop)))
    st.plotly_chart(figures.token_heatmap(mat[:, :stop], table["token"].to_numpy()[:stop], labels), key=K("heat"))
    st.caption("p(t|d,w) of the first 200 token positions at the chosen level.")


st.title("Hierarchy")
corpus = widgets.require_corpus()
saved = H.list_hierarchies(resources.workspace(), corpus=state.corpus())
with st.expander("Train a new hierarchy", expanded=not saved, icon=":material/account_tree:"):
    c1, c2, c3 = st.columns(3)
    levels = c1.text_input("Topics per level (top first)", "6,20", key=K("levels"))
    iterations = c2.number_input("Iterations per level", 1, 500, 20, key=K("iterations"))
    tau = c3.number_input("τ of the parent link", 0.0, 1e6, 1.0, key=K("tau"),
                          help="Weight of the parent topics as pseudo-documents (1 = as heavy as the corpus).")
    one_parent = c1.toggle("One parent per child (tree)", key=K("one_parent"))
    sparsing = c2.number_input("Ψ sparsing σ", 0.0, 1e6, 0.0, key=K("sparsing"),
                               help="HierarchySparsingTheta: fewer parents per child.")
    preset = c3.selectbox("Every level", engine.PRESETS, key=K("preset"),
                          help="plsa: no regularizers; lda: smoothing; interpretable: background topic, "
                               "sparsing and decorrelation (BigARTM's recipe).")
    if st.button("Train hierarchy", key=K("train"), icon=":material/play_arrow:", type="primary",
                 disabled=tasks.get(state.get(K("task"))) is not None):
        start_training(corpus, levels, iterations, tau, one_parent, sparsing, preset)
if tasks.get(state.get(K("task"))) is not None:  # poll only while a task runs
    training_status()
unfinished(corpus)
if not saved:
    st.info("No hierarchy for this corpus yet: train one above, or with `artm-studio hierarchy`.")
    st.stop()
ids = [m["hierarchy_id"] for m in saved]
if state.get(K("selected")) in ids:
    state.set(K("pick"), state.get(K("selected")))
    state.set(K("selected"), None)
names = {m["hierarchy_id"]: f"{m['name']} {m['levels']} — {m['created_at']}" for m in saved}
hid = st.selectbox("Hierarchy", ids, key=K("pick"), format_func=names.get)
h = load(hid)
extension_form(corpus, h)
tree = H.tables.tree_table(h)
tabs = st.tabs(["Tree", "Drill down", "Ψ", "Quality"])
with tabs[0]:
    tree_tab(h, tree)
with tabs[1]:
    drill_tab(h, corpus)
with tabs[2]:
    if len(h.levels) > 1:
        k = st.selectbox("Child level", range(1, len(h.levels)), key=K("psi_level"))
        st.plotly_chart(hfig.psi_heatmap(H.tables.psi_table(h, k)), key=K("psi"))
    else:
        st.info("One level only: Ψ links a level to the one above.")
with tabs[3]:
    st.dataframe(H.tables.quality_table(h), hide_index=True, key=K("quality"))
    st.caption("parent_child_coherence: 1 − JS distance between a parent and its children mixed by Ψ; "
               "orphans: children no parent uses; duplicates: children within JS distance 0.25 of another.")
