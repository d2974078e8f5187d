"""Data: upload a corpus, pick columns and preprocessing with a live vocabulary preview, import
it with a progress bar; the corpora in the workspace with their statistics."""
from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd
import streamlit as st

from app import figures, resources, state, widgets
import engine
from engine import EngineError

P = "data"
K = lambda name: state.key(P, name)  # noqa: E731
TYPES = ["txt", "zip", "csv", "tsv", "jsonl", "json", "gz", "parquet", "vw"]
LANGS = ["auto", "en", "ru", "de", "es", "fr", "it", "nl", "pt"]


def save_uploads(files) -> Path:
    """Write the uploaded files into this session's own folder (engine.uploads: names
    sanitized, abandoned folders removed); the path to import."""
    session = st.session_state.setdefault("_upload_session", uuid.uuid4().hex)
    engine.uploads.clean_abandoned(resources.root())
    return engine.uploads.save_uploads(resources.root(), session, [(f.name, f.getbuffer()) for f in files])


@st.cache_data(show_spinner="Reading the first rows…", max_entries=8)
def preview(path: str, options: dict):
    return engine.preview_source(path, n=20, options=engine.ImportOptions.from_dict(options))


@st.cache_data(show_spinner="Building the vocabulary preview…", max_entries=16)
def vocabulary(path: str, options: dict) -> pd.DataFrame:
    return engine.preview_vocabulary(path, engine.ImportOptions.from_dict(options), max_docs=2000)


def column_options(pv) -> dict:
    """Text/id/date columns and modalities picked from the preview's columns."""
    cols = [str(c) for c in (getattr(pv, "columns", None) or [])]
    if not cols:
        return {}
    c1, c2, c3 = st.columns(3)
    guess = lambda g: cols.index(g) if g in cols else 0  # noqa: E731
    text = c1.selectbox("Text column", cols, index=guess(getattr(pv, "text_column", None)), key=K("text"))
    none = ["(none)"] + cols
    gid, gdate = getattr(pv, "id_column", None), getattr(pv, "date_column", None)
    ident = c2.selectbox("Id column", none, index=none.index(gid) if gid in none else 0, key=K("id"))
    date = c3.selectbox("Date column", none, index=none.index(gdate) if gdate in none else 0, key=K("date"))
    mods = st.multiselect("Columns to use as modalities (e.g. party, author, label)",
                          [c for c in cols if c != text], key=K("mods"))
    return {"text_column": text, "id_column": None if ident == "(none)" else ident,
            "date_column": None if date == "(none)" else date,
            "modalities": {c: "@" + c.strip().lower().replace(" ", "_") for c in mods}}


def preprocessing_options() -> dict:
    c1, c2, c3, c4 = st.columns(4)
    lang = c1.selectbox("Language", LANGS, key=K("lang"))
    stop = c2.selectbox("Stop words", ["default", "none"], key=K("stop"))
    lemma = c3.checkbox("Lemmatize (Russian, pymorphy3)", key=K("lemma"))
    stem = c3.checkbox("Stem (Snowball)", key=K("stem"))
    numbers = c4.checkbox("Keep numbers", key=K("numbers"))
    c5, c6, c7 = st.columns(3)
    min_df = c5.number_input("Min document frequency (documents)", 1, 10_000, 2, key=K("min_df"))
    max_df = c6.number_input("Max document frequency (fraction)", 0.01, 1.0, 0.5, 0.05, key=K("max_df"))
    max_vocab = c7.number_input("Max vocabulary (0 = no limit)", 0, 1_000_000, 0, 1000, key=K("max_vocab"))
    return {"lang": lang, "stopwords": stop, "lemmatize": lemma, "stem": stem, "keep_numbers": numbers,
            "min_df": int(min_df), "max_df": float(max_df), "max_vocab": int(max_vocab) or None}


def import_section() -> None:
    limit = st.get_option("server.maxUploadSize")
    files = st.file_uploader("Drop a corpus file here", type=TYPES, accept_multiple_files=True, key=K("files"),
                             help="Plain text (.txt, .zip of .txt), CSV/TSV, JSON Lines (.jsonl, .gz), Parquet, "
                                  "Vowpal Wabbit (.vw), UCI bag-of-words (drop docword.*.txt and vocab.*.txt together).")
    st.caption(f"Files up to {limit} MB. For a larger file run `artm-studio import PATH --name NAME` in a "
               "terminal (same workspace); it appears here when done.")
    if not files:
        return
    path = save_uploads(files)
    options: dict = {}
    try:
        pv = preview(str(path), options)
    except EngineError as e:
        widgets.error_box(e, hide_prefix=str(path.parent))
        return
    st.markdown(f"**{path.name}** — format `{getattr(pv, 'format', '?')}`")
    for note in getattr(pv, "notes", None) or []:
        st.caption(note)
    rows = getattr(pv, "rows", None)
    if rows is not None and len(rows):
        st.dataframe(rows.head(20), hide_index=True, height=220)
    options.update(column_options(pv))
    st.subheader("Preprocessing", divider="gray")
    options.update(preprocessing_options())
    try:
        vocab = vocabulary(str(path), options)
        per_mod = vocab.groupby("modality").size()
        cols = st.columns(max(1, len(per_mod)))
        for col, (m, n) in zip(cols, per_mod.items()):
            col.metric(f"Vocabulary {m}", f"{n:,}", help="On the first 2,000 documents")
        words = vocab[vocab["modality"] == vocab["modality"].iloc[0]] if len(vocab) else vocab
        words = vocab[vocab["modality"] == "@default_class"] if (vocab["modality"] == "@default_class").any() else words
        st.plotly_chart(figures.vocabulary_preview(words, top=30), key=K("vocab_chart"))
    except EngineError as e:
        widgets.error_box(e, hide_prefix=str(path.parent))
        return
    c1, c2, c3 = st.columns([2, 1, 1])
    default = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in path.name.split(".")[0])
    name = c1.text_input("Corpus name", default, key=K("name"))
    replace = c2.checkbox("Replace if it exists", key=K("replace"))
    if c3.button("Import", type="primary", key=K("import"), icon=":material/upload:"):
        run_import(path, name, options, replace)


def run_import(path: Path, name: str, options: dict, replace: bool) -> None:
    bar = st.progress(0.0, text="Importing…")
    try:
        summary = engine.import_corpus(str(path), name, engine.ImportOptions.from_dict(options), resources.workspace(),
                                replace=replace, progress=lambda f, msg: bar.progress(min(max(float(f), 0.0), 1.0), text=msg))
    except EngineError as e:
        bar.empty()
        widgets.error_box(e, hide_prefix=str(path.parent))
        return
    bar.progress(1.0, text="Done")
    engine.uploads.remove_upload(resources.root(), path)  # imported: the uploaded copy is not needed
    st.session_state.pop(K("files"), None)  # and the uploader forgets it (no re-save on rerun)
    state.set(state.CORPUS, name)
    state.flash(f"Imported {summary.get('documents', '?')} documents into “{name}”.")
    st.rerun()


def corpora_section() -> None:
    items = resources.corpora()
    if not items:
        st.info("The workspace has no corpus yet.")
        return
    table = pd.DataFrame([{
        "name": m["name"], "documents": m.get("documents"), "tokens": int(m.get("tokens") or 0),
        "vocabulary": ", ".join(f"{k}: {v.get('vocabulary', v) if isinstance(v, dict) else v}"
                                for k, v in (m.get("modalities") or {}).items()),
        "dates": " – ".join(m["date_range"]) if m.get("date_range") else "",
        "source": (m.get("source") or {}).get("name", "") if isinstance(m.get("source"), dict) else m.get("source", ""),
    } for m in items])
    st.dataframe(table, hide_index=True)
    name = widgets.default_corpus()
    if name and any(m["name"] == name for m in items):
        st.markdown(f"**Documents per period — {name}**")
        st.plotly_chart(figures.documents_per_period(resources.docs_per_period(name, resources.corpus_stamp(name))),
                        key=K("per_period"))


st.title("Data")
with st.container(border=True):
    st.subheader("Import a corpus")
    import_section()
st.subheader("Corpora in the workspace")
corpora_section()
