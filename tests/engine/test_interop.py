"""Interop: BigARTM Φ tables as --init (checked before the job), and exports that pyLDAvis,
BigARTM and gensim read back. The BigARTM round trip with the real library is
bench/interop_bigartm.py (BigARTM lives only in the bench venv)."""
from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

import engine
from engine.cli import main
from engine.em.regularizers import parse_regularizer, regularizer_from_dict
from engine.errors import ConfigError, InputError
from engine.interop import modality_name, read_phi_table
from engine.interop.names import canonical_args, canonical_kind, help_text
from engine.interop.exports import export, gensim_dictionary_text, lda_model

INTEROP = not os.environ.get("CI")  # CI installs the interop extra: its tests must run there


@pytest.fixture(scope="module")
def trained(tmp_path_factory, kernels_ready):
    """The bundled sample and a 6-topic run of 8 passes on it."""
    ws_dir = tmp_path_factory.mktemp("interop_ws")
    ws = engine.Workspace(ws_dir)
    engine.ensure_sample_corpus(ws)
    assert main(["train", "--workspace", str(ws_dir), "--corpus", "uk-commons", "--topics", "6",
                 "--iterations", "8", "--name", "base", "--seed", "3"]) == 0
    return ws_dir, ws


def _run(ws, name):
    from engine.store.runs import load_run, resolve_run_id

    return load_run(ws, resolve_run_id(ws, name))


def _export(ws_dir, fmt, out):
    ws = engine.Workspace(ws_dir)
    run = _run(ws, "base")
    assert export(run, ws.load_corpus(run.corpus_name), fmt, out)


def test_modality_names():
    assert modality_name("labels") == "@labels" and modality_name("@labels") == "@labels"
    assert modality_name("@default_class") == "@default_class" and modality_name("") == "@default_class"


def _bigartm_like(tmp_path):
    phi = pd.DataFrame({"topic_0": [0.5, 0.3, 0.2, 1.0], "topic_1": [0.1, 0.1, 0.8, 1.0]},
                       index=["tax", "health", "europe", "Labour"])
    multi = phi.copy()
    multi.index = pd.MultiIndex.from_arrays([["@default_class"] * 3 + ["party"], list(phi.index)])
    return phi, multi


@pytest.mark.parametrize("layout", ["csv", "parquet", "csv_multi", "parquet_multi", "engine"])
def test_read_bigartm_layouts(tmp_path, layout):
    phi, multi = _bigartm_like(tmp_path)
    if layout == "csv":
        phi.to_csv(p := tmp_path / "phi.csv")
    elif layout == "parquet":
        phi.to_parquet(p := tmp_path / "phi.parquet")
    elif layout == "csv_multi":
        multi.to_csv(p := tmp_path / "phi.csv")
    elif layout == "parquet_multi":
        multi.to_parquet(p := tmp_path / "phi.parquet")
    else:
        phi.rename_axis("token").reset_index().to_csv(p := tmp_path / "phi.csv", index=False)
    table = read_phi_table(p)
    assert list(table.columns) == ["token", "modality", "topic_0", "topic_1"]
    assert table["token"].tolist() == ["tax", "health", "europe", "Labour"]
    want = ["@default_class"] * 3 + (["@party"] if "multi" in layout else ["@default_class"])
    assert table["modality"].tolist() == want
    np.testing.assert_allclose(table["topic_1"], [0.1, 0.1, 0.8, 1.0])


def test_table_without_class_ids_spreads_over_modalities(tmp_path):
    phi, _ = _bigartm_like(tmp_path)
    phi.to_csv(p := tmp_path / "phi.csv")
    vocab = pd.DataFrame({"token": ["tax", "Labour", "Labour"], "modality": ["@default_class", "@party", "@default_class"]})
    table = read_phi_table(p, vocab)
    assert sorted(table.loc[table.token == "Labour", "modality"]) == ["@default_class", "@party"]


@pytest.mark.parametrize("content,needle", [
    ("a,b\n1,2\n", "needs a .token. column"),
    (",topic_0\ntax,x\n", "non-numeric"),
    (",topic_0\ntax,-1\n", "negative"),
    (",topic_0\ntax,0\n", "all zero"),
])
def test_bad_tables_one_message(tmp_path, content, needle):
    (p := tmp_path / "phi.csv").write_text(content)
    with pytest.raises(InputError, match=needle):
        read_phi_table(p)


def test_bigartm_export_layout(trained, tmp_path):
    ws_dir, ws = trained
    _export(ws_dir, "bigartm", tmp_path)
    phi = pd.read_parquet(tmp_path / "phi.parquet")
    assert phi.index.nlevels == 2 and phi.index.names == [None, None]
    assert json.loads((tmp_path / "topics.json").read_text())["topic_names"] == list(phi.columns)
    first = (tmp_path / "corpus.vw").read_text().splitlines()[0]
    assert "|@default_class " in first and "|@party " in first
    back = read_phi_table(tmp_path / "phi.parquet")           # and the reader takes it back
    assert len(back) == len(phi) and set(back.modality) == {"@default_class", "@party"}


def test_bad_init_refused_before_the_job(trained, tmp_path, capsys):
    ws_dir, ws = trained
    pd.DataFrame({"topic_0": [1.0]}, index=["zzz_not_a_word"]).to_csv(p := tmp_path / "phi.csv")
    before = len(list((ws_dir / "runs").iterdir()))
    rc = main(["train", "--workspace", str(ws_dir), "--corpus", "uk-commons", "--topics", "1", "--iterations", "2",
               "--init", str(p)])
    assert rc == 2 and "no token of the Φ table" in capsys.readouterr().err
    assert len(list((ws_dir / "runs").iterdir())) == before       # no run, not even a failed one


def test_bigartm_export_continues_as_init(trained, tmp_path, capsys):
    """Φ exported in BigARTM's layout is taken back by --init and training continues where the
    run stopped: its first pass (Θ starts afresh, so a little worse) is within 10 % of the run's
    last perplexity and far better than a first pass from random Φ."""
    ws_dir, ws = trained
    _export(ws_dir, "bigartm", tmp_path)
    base = _run(ws, "base")
    last = base.scores.query("score == 'perplexity'")["value"].iloc[-1]
    capsys.readouterr()
    for name, init in (("cont", str(tmp_path / "phi.parquet")), ("rand", "random")):
        assert main(["train", "--workspace", str(ws_dir), "--corpus", "uk-commons", "--topics", "6", "--iterations",
                     "1", "--init", init, "--name", name, "--seed", "5"]) == 0
    cont = _run(ws, "cont").scores.query("score == 'perplexity'")["value"].iloc[0]
    rand = _run(ws, "rand").scores.query("score == 'perplexity'")["value"].iloc[0]
    assert cont <= last * 1.10 and cont < rand * 0.6


def test_pyldavis_export_opens_in_pyldavis(trained, tmp_path):
    if INTEROP:
        pytest.importorskip("pyLDAvis", reason="the interop extra")
    import pyLDAvis

    ws_dir, ws = trained
    _export(ws_dir, "pyldavis", tmp_path)
    data = json.loads((tmp_path / "pyldavis.json").read_text())
    ttd = np.asarray(data["topic_term_dists"])
    assert ttd.shape == (6, len(data["vocab"])) and np.allclose(ttd.sum(axis=1), 1)
    assert np.allclose(np.asarray(data["doc_topic_dists"]).sum(axis=1), 1)
    assert len(data["doc_lengths"]) == len(data["doc_topic_dists"])
    vis = pyLDAvis.prepare(**data, sort_topics=False, n_jobs=1)  # the JSON is prepare()'s arguments
    assert len(vis.topic_coordinates) == 6
    assert set(vis.topic_info["Term"]) <= set(data["vocab"])
    html = (tmp_path / "pyldavis.html").read_text()
    assert "LDAvis" in html and "topic.order" in html or "mdsDat" in html
    tt = pd.read_parquet(tmp_path / "pyldavis_topic_term_dists.parquet")
    assert tt.shape == (len(data["vocab"]), 6)


def test_gensim_export_loads_in_gensim(trained, tmp_path):
    if INTEROP:
        pytest.importorskip("gensim", reason="the interop extra")
    from gensim.corpora import Dictionary
    from gensim.models import LdaModel

    ws_dir, ws = trained
    _export(ws_dir, "gensim", tmp_path)
    topics = np.load(tmp_path / "topic_term.npy")
    dictionary = Dictionary.load_from_text(str(tmp_path / "dictionary.txt"))
    run = _run(ws, "base")
    words = run.tokens[run.tokens.modality == "@default_class"]["token"].tolist()
    assert [dictionary[i] for i in range(len(dictionary))] == words
    lda = lda_model(tmp_path / "dictionary.txt", tmp_path / "topic_term.npy")
    np.testing.assert_allclose(lda.get_topics(), topics, atol=1e-9)
    saved = LdaModel.load(str(tmp_path / "lda.gensim"))
    np.testing.assert_allclose(saved.get_topics(), topics, atol=1e-9)
    # gensim's inference on a document puts it in the topic our model gives it
    phi_w = np.asarray(run.model.phi)[run.tokens.modality.to_numpy() == "@default_class"]
    t = 0
    top = np.argsort(-phi_w[:, t])[:15]
    bow = dictionary.doc2bow([words[i] for i in top for _ in range(3)])
    dist = dict(saved.get_document_topics(bow, minimum_probability=0))
    assert max(dist, key=dist.get) == t


def test_gensim_dictionary_format():
    assert gensim_dictionary_text(["a", "b"], np.array([3, 1]), 4) == "4\n0\ta\t3\n1\tb\t1\n"


def test_bigartm_names():

    assert canonical_kind("DecorrelatorPhiRegularizer") == "Decorrelator"
    assert canonical_kind("TopicSelectionThetaRegularizer") == "TopicSelection"
    assert canonical_kind("SmoothTimeInTopicsPhiRegularizer") == "TimeSmoothing"
    assert canonical_kind("ImproveCoherencePhiRegularizer") == "ImproveCoherence"
    assert canonical_kind("SmoothSparsePhiRegularizer") == "SmoothSparsePhi"
    assert canonical_kind("SeedWords") == "SeedWords"
    assert canonical_args("Decorrelator", {"topic_names": ["topic_0"], "class_ids": ["labels"]}) == \
        {"topics": ["topic_0"], "modalities": ["@labels"]}
    assert canonical_args("TimeSmoothing", {"class_ids": "time"}) == {"modality": "@time"}
    assert "DecorrelatorPhiRegularizer" in help_text()
    assert canonical_args("Decorrelator", {"class_ids": None}) == {"modalities": None}


def test_bigartm_names_in_reg_strings_and_configs():
    """The --reg parser and JSON configs accept BigARTM's class and keyword names."""

    reg = parse_regularizer("DecorrelatorPhiRegularizer(tau=1e5, topic_names=subject, class_ids=labels)")
    assert reg.kind == "Decorrelator" and reg.topics == "subject" and tuple(reg.modalities) == ("@labels",)
    reg = parse_regularizer("SmoothTimeInTopicsPhiRegularizer(tau=2, class_ids=year)")
    assert reg.kind == "TimeSmoothing" and reg.modality == "@year"
    reg = regularizer_from_dict({"kind": "TopicSelectionThetaRegularizer", "tau": 0.5, "topic_names": "subject"})
    assert reg.kind == "TopicSelection" and reg.topics == "subject"
    with pytest.raises(ConfigError):
        parse_regularizer("NoSuchPhiRegularizer(tau=1)")


def test_vw_namespace_without_at_is_the_at_modality(tmp_path, capsys):
    """A VW namespace `|label` imports as modality @label, so `--modality-weight label=5` (and
    BigARTM's class_ids=label) name it."""
    (p := tmp_path / "c.vw").write_text("d1 tax:2 health |label economy\nd2 war army |label defence\n"
                                        "d3 tax health |@label economy\n", encoding="utf-8")
    ws_dir = tmp_path / "ws"
    assert main(["import", str(p), "--name", "vw", "--workspace", str(ws_dir)]) == 0
    vocab = engine.Workspace(ws_dir).load_corpus("vw").vocab
    assert set(vocab["modality"]) == {"@default_class", "@label"}
    assert len(vocab[vocab.modality == "@label"]) == 2          # |label and |@label are one modality
    assert main(["train", "--corpus", "vw", "--workspace", str(ws_dir), "--topics", "2", "--iterations", "2",
                 "--modality-weight", "label=5", "--reg", "DecorrelatorPhiRegularizer(tau=1, class_ids=label)"]) == 0
