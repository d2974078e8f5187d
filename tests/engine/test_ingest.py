"""engine.corpus.ingest / engine.corpus.readers: every format, every bad input, exact round trips."""
import gzip
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine import InputError, Workspace, WorkspaceError
from engine.corpus.ingest import (
    ImportOptions, build_corpus, default_name, import_corpus, preview_source, preview_vocabulary,
    vectorize_texts,
)
from engine.corpus.sample import ensure_sample_corpus, sample_corpus_path
from engine.corpus.readers import detect_format

DOCS = [
    {"id": "a", "text": "Cats chase mice. Cats sleep a lot.", "date": "2020-03-01", "label": "pets",
     "tags": ["x", "y"], "score": 1},
    {"id": "b", "text": "Dogs chase cats and bark at mice.", "date": "2021", "label": "pets",
     "tags": ["y"], "score": 2},
    {"id": "c", "text": "Stocks fall; markets and stocks rise again.", "date": "2022-07-15T10:00:00+02:00",
     "label": "money", "tags": [], "score": 3},
    {"id": "d", "text": "the and of", "date": None, "label": None, "tags": ["z"], "score": 4},
]
OPTS = ImportOptions(min_df=1, modalities={"label": "@labels"})


def _write_jsonl(path, rows, gz=False):
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _files(ws: Workspace):
    root = Path(ws.root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def _words(corpus, d):
    m = corpus.n_dw
    vocab = corpus.vocab
    out = {}
    for j, v in zip(m.indices[m.indptr[d]:m.indptr[d + 1]], m.data[m.indptr[d]:m.indptr[d + 1]]):
        out[(vocab["modality"].iat[j], vocab["token"].iat[j])] = float(v)
    return out


# --------------------------------------------------------------------------- table formats

@pytest.mark.parametrize("gz", [False, True])
def test_jsonl_metadata_dates_modalities(tmp_path, gz):
    path = _write_jsonl(tmp_path / ("c.jsonl.gz" if gz else "c.jsonl"), DOCS, gz)
    c = build_corpus(path, ImportOptions(min_df=1, modalities={"label": "@labels", "tags": "tags"}))
    assert c.manifest["source"]["format"] == "jsonl"
    assert c.documents["id"].tolist() == ["a", "b", "c"]  # "d" is only stop words
    assert c.manifest["dropped_empty"] == 1
    assert {"date", "label", "tags", "score"} <= set(c.documents.columns)
    assert str(c.documents["date"].dtype).startswith("datetime64")
    assert c.documents["date"].tolist() == [pd.Timestamp("2020-03-01"), pd.Timestamp("2021-01-01"),
                                           pd.Timestamp("2022-07-15 08:00:00")]
    w = _words(c, 0)
    assert w[("@default_class", "cats")] == 2 and w[("@labels", "pets")] == 1
    assert w[("@tags", "x")] == 1 and w[("@tags", "y")] == 1
    assert ("@default_class", "a") not in w and ("@default_class", "lot") in w
    assert c.modalities == ["@default_class", "@labels", "@tags"]
    v = c.vocab.set_index(["modality", "token"])
    assert v.loc[("@default_class", "cats"), "tf"] == 3 and v.loc[("@default_class", "cats"), "df"] == 2
    assert v.loc[("@tags", "y"), "df"] == 2
    assert c.n_dw.dtype == np.float32 and c.n_dw.indices.dtype == np.int32 and c.n_dw.has_sorted_indices
    # sequences: offsets into the original text, ids of @default_class tokens
    tok, start, end = c.sequences.of(2)
    text = c.documents["text"].iat[2]
    assert [text[s:e].lower() for s, e in zip(start, end)] == c.vocab["token"].to_numpy()[tok].tolist()
    assert c.sequences.n_positions == c.n_dw[:, c.modality_mask("@default_class")].sum()


def test_csv_guesses_text_column_and_reports_it(tmp_path):
    df = pd.DataFrame({"key": ["k1", "k2"], "body": ["Long text about cats and dogs", "Another text on mice"],
                       "year": [1999, 2005], "author": ["Ann", "Bob"]})
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    c = build_corpus(path, ImportOptions(min_df=1, modalities={"author": "@authors"}))
    assert c.manifest["columns"]["text_column"] == "body"
    assert any("text column guessed: 'body'" in n for n in c.manifest["notes"])
    assert c.documents["id"].tolist() == ["k1", "k2"]  # "key" recognised as id
    assert c.documents["date"].tolist() == [pd.Timestamp("1999-01-01"), pd.Timestamp("2005-01-01")]
    assert c.documents["author"].tolist() == ["Ann", "Bob"]
    assert "@authors" in c.modalities


def test_tsv_and_explicit_columns(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("doc\twhen\tcontent\nx1\t2001-02-03\tapples, pears\nx2\t2002-02-03\tpears and plums\n",
                    encoding="utf-8")
    c = build_corpus(path, ImportOptions(min_df=1, text_column="content", id_column="doc", date_column="when"))
    assert c.manifest["source"]["format"] == "tsv"
    assert c.documents["id"].tolist() == ["x1", "x2"]
    assert c.documents["date"].iloc[1] == pd.Timestamp("2002-02-03")
    assert set(c.vocab["token"]) == {"apples", "pears", "plums"}


def test_parquet_with_list_column(tmp_path):
    df = pd.DataFrame({"id": ["p", "q"], "text": ["neural networks learn", "networks of neurons"],
                       "authors": [["Ann", "Bob"], ["Bob"]]})
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    c = build_corpus(path, ImportOptions(min_df=1, modalities={"authors": "@authors"}))
    assert c.manifest["source"]["format"] == "parquet"
    assert _words(c, 0)[("@authors", "Ann")] == 1 and _words(c, 1)[("@authors", "Bob")] == 1


def test_json_array(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"title": "x", "text": "alpha beta gamma beta"}]), encoding="utf-8")
    c = build_corpus(path, ImportOptions(min_df=1))
    assert c.manifest["source"]["format"] == "json" and _words(c, 0)[("@default_class", "beta")] == 2


# --------------------------------------------------------------------------- plain text

def test_txt_one_document_and_one_per_line(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("First line about rivers.\n\nSecond line about mountains and rivers.\n", encoding="utf-8")
    one = build_corpus(path, ImportOptions())
    assert one.n_docs == 1 and one.documents["id"].iat[0] == "story"
    assert one.manifest["preprocessing"]["min_df"] == 1  # auto: small corpus
    lines = build_corpus(path, ImportOptions(one_per_line=True, min_df=1))
    assert lines.documents["id"].tolist() == ["1", "3"]
    assert _words(lines, 1)[("@default_class", "rivers")] == 1


def test_zip_and_folder_of_txt(tmp_path):
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "one.txt").write_text("Apples and pears", encoding="utf-8")
    (folder / "sub" / "two.txt").write_text("Pears and plums", encoding="utf-8")
    (folder / "skip.md").write_text("not a text file", encoding="utf-8")
    c = build_corpus(folder, ImportOptions(min_df=1))
    assert c.manifest["source"]["format"] == "text-folder"
    assert c.documents["id"].tolist() == ["one", "sub/two"]
    zpath = tmp_path / "docs.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        z.write(folder / "one.txt", "one.txt")
        z.write(folder / "sub" / "two.txt", "sub/two.txt")
        z.writestr("__MACOSX/._one.txt", b"\x00\x01")
    cz = build_corpus(zpath, ImportOptions(min_df=1))
    assert cz.manifest["source"]["format"] == "zip"
    assert cz.documents["id"].tolist() == ["one", "sub/two"]
    assert (cz.n_dw != c.n_dw).nnz == 0


# --------------------------------------------------------------------------- bag of words

VW = """doc1 alpha beta:3 |@labels pos |@authors ann bob
doc2 beta gamma:2.5
doc3 |@labels neg
"""


def test_vowpal_wabbit_modalities_and_counts(tmp_path):
    path = tmp_path / "vw.data.txt"
    path.write_text(VW, encoding="utf-8")
    assert detect_format(path) == "vw"
    c = build_corpus(path)
    assert c.sequences is None
    assert c.documents["id"].tolist() == ["doc1", "doc2"]  # doc3 has no words
    assert c.manifest["dropped_empty"] == 1
    assert _words(c, 0) == {("@default_class", "alpha"): 1, ("@default_class", "beta"): 3,
                            ("@labels", "pos"): 1, ("@authors", "ann"): 1, ("@authors", "bob"): 1}
    assert _words(c, 1)[("@default_class", "gamma")] == 2.5
    assert c.modalities[0] == "@default_class"


def _write_uci(folder, gz=False, header="3\n4\n5\n", body="1 1 2\n1 2 1\n2 2 3\n2 3 1\n3 4 1\n"):
    folder.mkdir(exist_ok=True)
    data = (header + body).encode()
    name = "docword.toy.txt" + (".gz" if gz else "")
    (folder / name).write_bytes(gzip.compress(data) if gz else data)
    (folder / "vocab.toy.txt").write_text("alpha\nbeta\ngamma\npos @labels\n", encoding="utf-8")
    return folder / name


@pytest.mark.parametrize("gz", [False, True])
def test_uci_with_modality_in_vocab(tmp_path, gz):
    path = _write_uci(tmp_path / "uci", gz)
    c = build_corpus(path)
    assert c.manifest["source"]["format"] == "uci"
    assert c.documents["id"].tolist() == ["1", "2"]  # doc 3 has only a label
    assert _words(c, 0) == {("@default_class", "alpha"): 2, ("@default_class", "beta"): 1}
    assert c.modalities == ["@default_class", "@labels"]
    # the folder and the vocab file work as paths too
    assert (build_corpus(tmp_path / "uci").n_dw != c.n_dw).nnz == 0
    assert (build_corpus(tmp_path / "uci" / "vocab.toy.txt").n_dw != c.n_dw).nnz == 0


def test_uci_and_vw_give_the_same_counts(tmp_path):
    _write_uci(tmp_path / "uci")
    (tmp_path / "uci" / "docids.toy.txt").write_text("d1\nd2\nd3\n", encoding="utf-8")
    vw = tmp_path / "same.vw"
    vw.write_text("d1 alpha:2 beta\nd2 beta:3 gamma\nd3 |@labels pos\n", encoding="utf-8")
    a = build_corpus(tmp_path / "uci")
    b = build_corpus(vw)
    assert a.documents["id"].tolist() == b.documents["id"].tolist() == ["d1", "d2"]
    cols = [int(a.token_ids([t], m)[0]) for t, m in zip(b.vocab["token"], b.vocab["modality"])]
    assert (a.n_dw[:, cols] != b.n_dw).nnz == 0


# --------------------------------------------------------------------------- encodings

def test_cp1251_is_detected_and_decoded(tmp_path):
    path = tmp_path / "ru.txt"
    path.write_bytes("Новости России. Москва и Россия сегодня.\nЕщё новости России.".encode("cp1251"))
    c = build_corpus(path, ImportOptions(one_per_line=True, min_df=1))
    assert "россии" in set(c.vocab["token"])
    assert c.manifest["encoding"] == "cp1251"
    assert any("cp1251" in n for n in c.manifest["notes"])


def test_latin1_is_detected_and_decoded(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_bytes("id,text\n1,Le café est très bon\n2,Un café crème à Paris\n".encode("latin-1"))
    c = build_corpus(path, ImportOptions(min_df=1, stopwords="none"))
    assert {"café", "très", "crème"} <= set(c.vocab["token"])
    assert c.manifest["encoding"] in ("cp1252", "latin-1")


def test_wrong_explicit_encoding_names_line_and_suggests(tmp_path):
    path = tmp_path / "ru.txt"
    path.write_bytes("hello\nworld\nМосква".encode("cp1251"))
    with pytest.raises(InputError, match=r"ru\.txt: line 3: not valid utf-8.*--encoding cp1251"):
        build_corpus(path, ImportOptions(encoding="utf-8"))
    c = build_corpus(path, ImportOptions(encoding="cp1251", min_df=1))
    assert "москва" in set(c.vocab["token"])


# --------------------------------------------------------------------------- bad inputs

def _bad(tmp_path, name, content: bytes):
    p = tmp_path / name
    p.write_bytes(content)
    return p


BAD_CASES = [
    ("empty file", "empty.txt", b"", ImportOptions(), r"empty\.txt: the file is empty"),
    ("blank file", "blank.csv", b"  \n\n", ImportOptions(), r"blank\.csv: the file is empty"),
    ("binary file", "image.txt", bytes(range(256)) * 4, ImportOptions(), r"image\.txt: looks like a binary file"),
    ("no text column", "nums.csv", b"a,b\n1,2\n3,4\n", ImportOptions(), r"nums\.csv: no usable text column"),
    ("missing column", "t.csv", b"id,text\n1,hello world\n", ImportOptions(text_column="body"),
     r"t\.csv: text column 'body' does not exist \(columns: id, text\)"),
    ("missing modality column", "t.csv", b"id,text\n1,hello world\n", ImportOptions(modalities={"lab": "@l"}),
     r"t\.csv: modality column 'lab' does not exist"),
    ("malformed vw count", "x.vw", b"d1 a b:3\nd2 c:zz\n", ImportOptions(), r"x\.vw: line 2: malformed Vowpal Wabbit token 'c:zz'"),
    ("vw without id", "x.vw", b"d1 a b\n|@labels x\n", ImportOptions(), r"x\.vw: line 2: malformed Vowpal Wabbit line"),
    ("vw empty modality", "x.vw", b"d1 a | b\n", ImportOptions(), r"x\.vw: line 1: malformed Vowpal Wabbit line"),
    ("uci header", "docword.bad.txt", b"3\nfour\n5\n1 1 1\n", ImportOptions(), r"docword\.bad\.txt: line 2: malformed UCI header"),
    ("uci line", "docword.bad.txt", b"1\n1\n2\n1 1 1\n1 x\n", ImportOptions(), r"docword\.bad\.txt: line 5: malformed UCI line"),
    ("uci range", "docword.bad.txt", b"1\n1\n1\n1 7 1\n", ImportOptions(), r"docword\.bad\.txt: line 4: docID/wordID out of range"),
    ("all empty", "sw.csv", b"id,text\n1,the and of\n2,is a the\n", ImportOptions(min_df=1),
     r"sw\.csv: all 2 documents are empty"),
    ("filters remove all", "f.csv", b"id,text\n1,alpha beta\n2,gamma delta\n", ImportOptions(min_df=2),
     r"f\.csv: the vocabulary filters removed every term"),
    ("bad json line", "x.jsonl", b'{"text": "a b"}\n{"text": oops}\n', ImportOptions(), r"x\.jsonl: line 2: not valid JSON"),
    ("bad date column", "d.csv", b"id,text,when\n1,alpha beta,never\n", ImportOptions(date_column="when", min_df=1),
     r"d\.csv: date column 'when' has no parseable dates"),
]


@pytest.mark.parametrize("case,name,content,opts,pattern", BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_one_clear_error_and_workspace_unchanged(tmp_path, case, name, content, opts, pattern):
    if name.startswith("docword."):
        (tmp_path / "vocab.bad.txt").write_text("w1\n", encoding="utf-8")
    path = _bad(tmp_path, name, content)
    ws = Workspace(tmp_path / "ws")
    import_corpus(_write_jsonl(tmp_path / "ok.jsonl", DOCS), "keep", OPTS, ws)
    before = _files(ws)
    with pytest.raises(InputError, match=pattern) as e:
        import_corpus(path, "new", opts, ws)
    assert "\n" not in str(e.value)
    assert _files(ws) == before


def test_uci_vocab_size_mismatch_and_missing_vocab(tmp_path):
    folder = tmp_path / "u"
    _write_uci(folder)
    (folder / "vocab.toy.txt").write_text("alpha\nbeta\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"vocab\.toy\.txt: has 2 tokens but .* says W=4"):
        build_corpus(folder)
    (folder / "vocab.toy.txt").unlink()
    with pytest.raises(InputError, match=r"needs vocab\.toy\.txt"):
        build_corpus(folder / "docword.toy.txt")


def test_missing_file_and_bad_options(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        build_corpus(tmp_path / "nope.csv")
    p = _write_jsonl(tmp_path / "c.jsonl", DOCS)
    with pytest.raises(InputError, match="fraction"):
        build_corpus(p, ImportOptions(max_df=1.5))
    with pytest.raises(InputError, match="@default_class"):
        build_corpus(p, ImportOptions(modalities={"label": "@default_class"}))
    with pytest.raises(InputError, match="Russian"):
        build_corpus(p, ImportOptions(lang="en", lemmatize=True))


def test_name_exists_without_replace(tmp_path):
    ws = Workspace(tmp_path / "ws")
    p = _write_jsonl(tmp_path / "c.jsonl", DOCS)
    import_corpus(p, "dup", OPTS, ws)
    before = _files(ws)
    with pytest.raises(WorkspaceError, match="already exists"):
        import_corpus(p, "dup", OPTS, ws)
    with pytest.raises(WorkspaceError, match="invalid corpus name"):
        import_corpus(p, "../evil", OPTS, ws)
    assert _files(ws) == before
    s = import_corpus(p, "dup", ImportOptions(min_df=1), ws, replace=True)
    assert s["vocabulary"] == {"@default_class": int((ws.load_corpus("dup").vocab["modality"] == "@default_class").sum())}


# --------------------------------------------------------------------------- storage, summary, pipeline reuse

def test_import_round_trip_is_exact(tmp_path):
    ws = Workspace(tmp_path / "ws")
    p = _write_jsonl(tmp_path / "c.jsonl", DOCS)
    built = build_corpus(p, OPTS)
    progress = []
    s = import_corpus(p, "rt", OPTS, ws, progress=lambda f, m: progress.append((f, m)))
    assert s["name"] == "rt" and s["documents"] == 3 and s["dropped_empty"] == 1
    assert s["vocabulary"]["@labels"] == 2 and s["tokens"] == float(built.n_dw.sum())
    assert progress[0][0] == 0.0 and progress[-1][0] == 1.0
    assert all(a[0] <= b[0] for a, b in zip(progress, progress[1:]))
    back = ws.load_corpus("rt")
    assert (back.n_dw != built.n_dw).nnz == 0 and back.n_dw.dtype == np.float32
    pd.testing.assert_frame_equal(back.vocab, built.vocab)
    pd.testing.assert_frame_equal(back.documents, built.documents)
    for a, b in zip((back.sequences.ptr, back.sequences.token, back.sequences.start, back.sequences.end),
                    (built.sequences.ptr, built.sequences.token, built.sequences.start, built.sequences.end)):
        np.testing.assert_array_equal(a, b)
    assert back.fingerprint() == built.fingerprint()
    m = back.manifest
    assert m["source"]["file"] == "c.jsonl" and len(m["source"]["sha256"]) == 64
    assert ImportOptions.from_dict(m["options"]) == OPTS.validated()
    assert m["preprocessing"]["lang"] == "en"


def test_vectorize_texts_reproduces_the_pipeline(tmp_path):
    p = _write_jsonl(tmp_path / "c.jsonl", DOCS)
    ws = Workspace(tmp_path / "ws")
    import_corpus(p, "v", ImportOptions(min_df=1, stem=True, lang="en"), ws)
    c = ws.load_corpus("v")
    n_dw, seq = vectorize_texts(c, c.documents["text"].tolist() + ["Unknown words only", ""])
    assert n_dw.shape == (c.n_docs + 2, c.n_tokens)
    assert (n_dw[: c.n_docs] != c.n_dw).nnz == 0
    assert n_dw[c.n_docs:].nnz == 0
    np.testing.assert_array_equal(seq.token, c.sequences.token)
    np.testing.assert_array_equal(seq.start, c.sequences.start)
    tok, s, e = seq.of(0)
    assert c.documents["text"].iat[0][s[0]:e[0]] == "Cats"


def test_vectorize_texts_needs_a_text_corpus(tmp_path):
    path = tmp_path / "x.vw"
    path.write_text(VW, encoding="utf-8")
    with pytest.raises(InputError, match="bag-of-words"):
        vectorize_texts(build_corpus(path), ["alpha"])


def test_user_stopwords_are_stored_and_reused(tmp_path):
    sw = tmp_path / "sw.txt"
    sw.write_text("cats\n", encoding="utf-8")
    ws = Workspace(tmp_path / "ws")
    import_corpus(_write_jsonl(tmp_path / "c.jsonl", DOCS), "u", ImportOptions(min_df=1, stopwords=str(sw)), ws)
    sw.unlink()  # the manifest keeps the words
    c = ws.load_corpus("u")
    assert "cats" not in set(c.vocab["token"]) and "the" not in set(c.vocab["token"])
    n_dw, _ = vectorize_texts(c, ["cats and dogs"])
    assert n_dw.sum() == 1


def test_previews(tmp_path):
    p = _write_jsonl(tmp_path / "c.jsonl", DOCS)
    pv = preview_source(p, n=2)
    assert pv.format == "jsonl" and len(pv.rows) == 2 and pv.text_column == "text"
    assert pv.id_column == "id" and pv.date_column == "date" and "label" in pv.columns
    voc = preview_vocabulary(p, ImportOptions(min_df=1), max_docs=2)
    assert list(voc.columns) == ["token", "modality", "tf", "df"]
    assert voc["token"].iat[0] == "cats" and "stocks" not in set(voc["token"])
    vw = tmp_path / "x.vw"
    vw.write_text(VW, encoding="utf-8")
    pb = preview_source(vw)
    assert pb.format == "vw" and pb.rows["tokens"].iat[0].startswith("beta:3")


def test_default_name():
    assert default_name("/x/20newsgroups_bydate.jsonl.gz") == "20newsgroups_bydate"
    assert default_name("My Corpus (v2).csv") == "My-Corpus-v2"


def test_sample_corpus_is_imported_once(tmp_path):
    assert sample_corpus_path().exists()
    ws = Workspace(tmp_path / "ws")
    name = ensure_sample_corpus(ws)
    assert name == "uk-commons"
    c = ws.load_corpus(name)
    assert 900 < c.n_docs <= 1000 and c.has_dates and "@party" in c.modalities
    assert {"author", "label", "agenda"} <= set(c.documents.columns)
    created = c.manifest["created_at"]
    assert ensure_sample_corpus(ws) == name
    assert ws.load_corpus(name).manifest["created_at"] == created


def test_utf8_with_a_few_broken_bytes_stays_utf8(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes(("Größe und Qualität\n" * 30).encode() + b"broken \xff byte\n")
    c = build_corpus(path, ImportOptions(one_per_line=True, min_df=1, lang="de"))
    assert c.manifest["encoding"] == "utf-8"
    assert "größe" in set(c.vocab["token"])
    assert any("line 31" in n for n in c.manifest["notes"])


def test_zip_without_txt_files(tmp_path):
    zpath = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(zpath, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match=r"sheet\.xlsx: contains no \.txt files"):
        build_corpus(zpath)


def test_csv_delimiter_from_header_and_language_aliases(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text('id;text\n1;"Cats, dogs; and mice"\n2;"Mice, cats"\n', encoding="utf-8")
    c = build_corpus(path, ImportOptions(min_df=1, lang="English"))
    assert c.documents["id"].tolist() == ["1", "2"]
    assert c.manifest["preprocessing"]["lang"] == "en"
    with pytest.raises(InputError, match="two-letter code"):
        build_corpus(path, ImportOptions(lang="klingon language"))


def test_numeric_modality_with_missing_values(tmp_path):
    path = _write_jsonl(tmp_path / "y.jsonl", [{"text": "alpha beta", "year": 2015}, {"text": "beta gamma", "year": None}])
    c = build_corpus(path, ImportOptions(min_df=1, modalities={"year": "@year"}))
    assert c.vocab.loc[c.vocab["modality"] == "@year", "token"].tolist() == ["2015"]


def test_unparseable_guessed_date_column_is_kept_under_another_name(tmp_path):
    path = _write_jsonl(tmp_path / "d.jsonl", [{"text": "alpha beta", "date": "soon"}, {"text": "beta", "date": "later"}])
    c = build_corpus(path, ImportOptions(min_df=1))
    assert "date" not in c.documents.columns and c.documents["date_source"].tolist() == ["soon", "later"]
    assert not c.has_dates and any("no dates" in n for n in c.manifest["notes"])
