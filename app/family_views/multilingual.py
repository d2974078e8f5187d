"""Multilingual: languages and dictionary form, and the view (topics' top words per language
side by side with their translation hits; documents of one language finding the other's)."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from app.family_views.multilingual_import import import_form
from engine import InputError
from engine import multilingual as Multilingual

HELP = ("In a terminal: `artm-studio multilingual import FILE --name NAME --part @en=text_en:en "
        "--part @ru=text_ru:ru` (one table with a text column per language, or one file per language joined by "
        "`--id`).")


def form(corpus, key, ws):
    langs = [m for m in Multilingual.languages_of(corpus) if m != "@default_class"]
    import_form(f"{key}_import", expanded=len(langs) < 2)
    if len(langs) < 2:
        st.info("This corpus has fewer than two language modalities: import one above. " + HELP)
        return None
    chosen = st.multiselect("Languages (shown side by side in this order)", langs, langs[:2], key=f"{key}_langs")
    up = st.file_uploader("Bilingual dictionary (optional; CSV with a column per language, e.g. en,ru)",
                          type=["csv", "gz"], key=f"{key}_dict")
    tau = st.number_input("τ of the dictionary term", 0.0, 1e6, 1.0, key=f"{key}_tau",
                          help="R = τ Σ_u Σ_t n_ut ln Σ_w π_uw φ_wt between the first two languages; "
                               "0.5–2 aligned the Bible corpus's topics (bench/README §10.6)")
    if len(chosen) < 2:
        st.caption("Choose at least two languages.")
        return None
    out = {"options": Multilingual.MultilingualOptions(tuple(chosen)).to_dict(), "tau": float(tau), "dictionary": None}
    if up is not None:
        data = up.getvalue()
        try:
            frame = pd.read_csv(io.BytesIO(data), dtype=str, compression="gzip" if up.name.endswith(".gz") else None)
        except (OSError, ValueError, UnicodeDecodeError) as e:
            raise InputError(f"{up.name}: cannot be read as CSV ({str(e).splitlines()[0][:160]}); "
                             "give a CSV with one column per language, e.g. en,ru") from None
        d = Multilingual.match_dictionary(frame, corpus, chosen[:2], name=up.name)  # checked before it is kept
        st.caption(f"{len(d):,} of {len(frame):,} pairs match the corpus's words "
                   f"({d.stats['unknown_pairs']:,} name unknown words, {d.stats['not_single_words']:,} are phrases).")
        out["dictionary"] = str(Multilingual.store_dictionary(ws, data=data, name=up.name))
    return out


def config(cfg, options):
    return Multilingual.multilingual_config(cfg, options["options"], options.get("dictionary"), tau=options.get("tau", 1.0))


def render(run, corpus, ws, key):
    model = run.model
    langs = Multilingual.MultilingualOptions.from_dict(run.config.get("options")).languages
    d = Multilingual.dictionary_from_arrays(run.arrays, langs[:2])
    n = st.slider("Top words", 5, 20, 10, key=f"{key}_n")
    labels = {model.topic_names[t]: model.label(t) for t in range(len(model.topic_names))}
    if d is not None:
        hits = Multilingual.translation_hits(model, d, n)
        st.caption(f"Translation hits (share of a topic's top-{n} words with a dictionary translation among its "
                   f"top-{n} of the other language, {len(d):,} dictionary pairs): mean {hits['hits'].mean():.2f}.")
    else:
        hits = None
        st.caption("Trained without a dictionary: the languages are tied only by documents that have both.")
    topic = st.selectbox("Topic", list(labels), format_func=labels.get, key=f"{key}_topic")
    t = model.topic_names.index(topic)
    sbs = Multilingual.side_by_side(model, corpus.vocab, langs, n, [t])
    cols = st.columns(len(langs))
    h = hits.set_index("topic") if hits is not None else None
    for c, m in zip(cols, langs):
        c.markdown(f"**{m}**" + (f" — hits {h.at[topic, 'hits' + m]:.2f}" if h is not None and f"hits{m}" in h else ""))
        c.dataframe(sbs[[m, f"p{m}"]].rename(columns={m: "word", f"p{m}": "p(w|t)"}), hide_index=True,
                    key=f"{key}_sbs_{m}")
    st.markdown("**Find documents across languages**")
    c1, c2, c3 = st.columns(3)
    src = c1.selectbox("From", langs, 0, key=f"{key}_from")
    dst = c2.selectbox("To", [m for m in langs if m != src], 0, key=f"{key}_to")
    ids = corpus.documents["id"].astype(str)
    doc = c3.selectbox("Document", ids.tolist()[:5000], key=f"{key}_doc")
    text = st.text_input(f"…or new text in {src}", "", key=f"{key}_text")
    d_idx = int(ids.index[ids == doc][0]) if doc is not None else 0
    near = Multilingual.nearest_documents(model, corpus, src, dst, doc=None if text.strip() else d_idx,
                             text=text if text.strip() else None, n=10)
    st.dataframe(near, hide_index=True, key=f"{key}_near")
