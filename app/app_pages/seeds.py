"""Seed words: type or upload a lexicon of word groups, see how each seed fares in the corpus,
train a seeded model through the job registry, then read the diagnostics (which topics captured
each group, seed drift, coverage, discovered words) and the results (relevant topics, their
documents with seeds highlighted, trends, CSV export). The halves: :mod:`app.seeds_form`
(lexicon, setup, job) and :mod:`app.seeds_view` (results)."""
from __future__ import annotations

import streamlit as st

from app import resources, seeds_form, seeds_view, widgets
from app.seeds_view import K
from engine import EngineError

st.title("Seed words")
st.caption("Find the topics about a list of words — e.g. ethnonyms: seeded ARTM steers one topic per word group, "
           "then shows where the seeds ended up, which documents they cover and how the topics change over time.")
corpus = widgets.require_corpus()
lexicon = seeds_form.lexicon_input(corpus)
check = None
if lexicon is not None:
    try:
        check = seeds_form.check_seeds(corpus.name, resources.corpus_stamp(corpus.name), lexicon.to_json())
    except EngineError as e:
        widgets.error_box(e)
if check is not None:
    seeds_form.seed_status(check)
st.subheader("Train a seeded model")
job = resources.job(st.session_state.get(K("job")))
if job is not None:
    seeds_form.job_progress(job)
    if job.snapshot().done and st.button("Set up another seeded run", key=K("new")):
        st.session_state[K("job")] = None
        st.rerun()
elif check is not None and check.terms():
    seeds_form.setup_form(corpus, check)
else:
    st.caption("Enter a lexicon with at least one seed found in the corpus.")
st.subheader("Results")
seeds_view.results(corpus, lexicon)
