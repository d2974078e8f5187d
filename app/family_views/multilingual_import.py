"""Importing a parallel or comparable corpus from the Model families page: one table with a
text column per language, or one file per language joined by an id column (as
``artm-studio multilingual import``). Nothing is stored unless the whole import succeeds."""
from __future__ import annotations

import uuid

import streamlit as st

from app import resources, state
from engine import ImportOptions, preview_source, uploads
from engine import multilingual as Multilingual

TYPES = ["csv", "tsv", "jsonl", "json", "gz", "parquet"]
LAYOUTS = ("One table, a text column per language", "One file per language, joined by an id column")
DEFAULT_LANGS = ("en", "ru", "de", "fr")


def _saved(up, saved: list):
    """(path of the uploaded file in this session's upload folder, its columns); the path is
    appended to ``saved`` first, so an unreadable file's message can hide the folder."""
    session = st.session_state.setdefault("_upload_session", uuid.uuid4().hex)
    path = uploads.save_uploads(resources.root(), session, [(up.name, up.getbuffer())])
    saved.append(path)
    return path, preview_source(path, n=5, options=ImportOptions(dates=False)).columns


def _shown(e: Exception, saved: list) -> None:
    """The error with the server-side upload folders cut from it (the user sees their file's name)."""
    text = str(e) or type(e).__name__
    for p in saved:
        text = text.replace(str(p.parent).rstrip("/") + "/", "")
    st.error(text, icon=":material/error:")


def _language(i: int, columns: list, key: str, file=None) -> Multilingual.LanguagePart:
    c1, c2, c3 = st.columns([1, 2, 1])
    code = DEFAULT_LANGS[i] if i < len(DEFAULT_LANGS) else "en"
    mod = c1.text_input("Modality", f"@{code}", key=f"{key}_mod{i}")
    guess = next((c for c in columns if c.lower().endswith(code)), columns[min(i, len(columns) - 1)])
    col = c2.selectbox("Text column", columns, columns.index(guess), key=f"{key}_col{i}")
    lang = c3.text_input("Language code", code, key=f"{key}_lang{i}", help="two letters: stop words and lemmas")
    return Multilingual.LanguagePart(mod, col, lang, str(file or ""))


def import_form(key: str, expanded: bool) -> None:
    """The import expander (``key`` prefixes its widgets)."""
    with st.expander("Import a parallel or comparable corpus", expanded=expanded):
        layout = st.radio("Layout", LAYOUTS, key=f"{key}_layout", horizontal=True)
        n = int(st.number_input("Languages", 2, 4, 2, key=f"{key}_n"))
        parts, path, saved, id_col = [], None, [], None
        try:
            if layout == LAYOUTS[0]:
                up = st.file_uploader("Table (CSV, JSON Lines, Parquet)", type=TYPES, key=f"{key}_file")
                if up is None:
                    return
                path, columns = _saved(up, saved)
                parts = [_language(i, columns, key) for i in range(n)]
                pick = st.selectbox("Id column (optional)", ["(row number)"] + columns, key=f"{key}_id")
                id_col = None if pick == "(row number)" else pick
            else:
                shared = None
                for i in range(n):
                    up = st.file_uploader(f"File of language {i + 1}", type=TYPES, key=f"{key}_file{i}")
                    if up is None:
                        return
                    p, columns = _saved(up, saved)
                    parts.append(_language(i, columns, key, p))
                    shared = [c for c in columns if shared is None or c in shared]
                if not shared:
                    st.error("The files have no column in common: each needs the id that pairs the documents.")
                    return
                id_col = st.selectbox("Id column (in every file)", shared, key=f"{key}_idsep")
        except Exception as e:  # noqa: BLE001 - the message names the file to fix
            _shown(e, saved)
            return
        c1, c2 = st.columns([2, 1])
        name = c1.text_input("Corpus name", "parallel", key=f"{key}_name")
        min_df = int(c2.number_input("min_df per language", 1, 1000, 2, key=f"{key}_mindf"))
        if st.button("Import", type="primary", key=f"{key}_go", icon=":material/upload:"):
            try:
                with st.spinner("Importing…"):
                    c = Multilingual.import_multilingual(resources.workspace(), name, parts, path, id_col, min_df=min_df)
            except Exception as e:  # noqa: BLE001 - nothing was stored; the message names file and column
                _shown(e, saved)
                return
            for p in saved:  # imported: the uploaded copies are not needed
                uploads.remove_upload(resources.root(), p)
            for k in [f"{key}_file"] + [f"{key}_file{i}" for i in range(n)]:
                st.session_state.pop(k, None)  # and the uploaders forget them (no re-save on rerun)
            state.set(state.CORPUS, name)
            state.flash(f"Imported {c.n_docs:,} documents into “{name}” with modalities {', '.join(c.modalities)}.")
            st.rerun()
