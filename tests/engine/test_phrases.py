"""Phrase detection at import: NPMI collocations joined into one token (new_york)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.corpus.ingest import ImportOptions, import_corpus
from engine.corpus.phrases import PhraseOptions, merge_phrases, score_pairs
from engine.store.workspace import Workspace


def test_npmi_formula():
    # tokens: a b a b c c ; pairs (a,b)x2, (b,a), (b,c), (c,c)
    left, right = np.array([0, 1, 0, 1, 2]), np.array([1, 0, 1, 2, 2])
    unigram = np.array([2.0, 2.0, 2.0])
    pairs, count, npmi = score_pairs(left, right, unigram, 6)
    k = [tuple(p) for p in pairs].index((0, 1))
    p_ab, p_a, p_b = 2 / 5, 2 / 6, 2 / 6
    assert count[k] == 2 and npmi[k] == pytest.approx(np.log(p_ab / (p_a * p_b)) / -np.log(p_ab))


def test_merge_left_to_right_and_offsets():
    terms = ["new", "york", "city", "is", "big"]
    # doc 0: new york city | doc 1: new york is big ; "new york" and "york city" both frequent
    doc = np.array([0, 0, 0, 1, 1, 1, 1])
    term = np.array([0, 1, 2, 0, 1, 3, 4])
    start = np.array([0, 4, 9, 0, 4, 9, 12])
    end = np.array([3, 8, 13, 3, 8, 11, 15])
    d, t, s, e, new_terms, found = merge_phrases(doc, term, start, end, terms,
                                                 options=PhraseOptions(min_count=1, threshold=0.0))
    names = [new_terms[i] for i in t]
    assert names[:2] == ["new_york", "city"] and names[2] == "new_york"
    assert (s[0], e[0]) == (0, 8) and d.tolist()[:3] == [0, 0, 1]
    assert {p for p, _, _ in found} >= {"new_york"}


def test_no_merge_across_dropped_word():
    terms = ["new", "york"]
    doc, term = np.zeros(4, int), np.array([0, 1, 0, 1])
    start, end = np.array([0, 8, 20, 28]), np.array([3, 12, 23, 32])
    position = np.array([0, 2, 5, 7])  # a stop word between each pair
    out = merge_phrases(doc, term, start, end, terms, position, PhraseOptions(min_count=1, threshold=0.0))
    assert out[4] == terms and len(out[1]) == 4


def test_import_with_phrases(tmp_path):
    rows = [{"id": i, "text": f"I flew to New York on day {i} and New York was cold; weather {i % 3} talk"}
            for i in range(30)]
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    ws = Workspace(tmp_path / "ws")
    import_corpus(path, "c", ImportOptions(phrases=True, lang="en"), ws)
    corpus = ws.load_corpus("c")
    assert "new_york" in set(corpus.vocab.token)
    assert corpus.manifest["preprocessing"]["phrases"] is True
    seq = corpus.sequences
    t = corpus.documents["text"][0]
    tid = int(corpus.vocab.index[corpus.vocab.token == "new_york"][0])
    k = int(np.flatnonzero(seq.token[seq.ptr[0]:seq.ptr[1]] == tid)[0])
    assert t[seq.start[k]:seq.end[k]] == "New York"


@pytest.mark.corpora
def test_20newsgroups_new_york(shared_corpora, tmp_path):
    ws = Workspace(tmp_path / "ws")
    summary = import_corpus(shared_corpora / "20newsgroups" / "20newsgroups_bydate.jsonl.gz", "20ng",
                            ImportOptions(phrases=True), ws)
    vocab = set(ws.load_corpus("20ng").vocab.token)
    assert {"new_york", "united_states", "los_angeles"} <= vocab
    assert any("phrases joined" in n for n in summary["notes"])
