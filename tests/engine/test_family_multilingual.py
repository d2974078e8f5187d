"""Multilingual ARTM: corpus layouts, dictionary matching, the translation term, planted
recovery (comparable and parallel corpora), save/load, CLI, bad input."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine.em.config import ModelConfig
from engine.em.trainer import Trainer
from engine.errors import ConfigError, InputError
from engine.families.multilingual.corpus import LanguagePart, build_multilingual, parse_part, vectorize_part
from engine.families.multilingual.dictionary import (
    dictionary_from_arrays, match_dictionary, read_dictionary, translation_matrix,
)
from engine.families.multilingual.family import MultilingualOptions, dictionary_regularizer, multilingual_config
from engine.families.multilingual.regularizer import translation_term
from engine.families.multilingual.views import (
    nearest_documents, part_thetas, retrieval_summary, side_by_side, translation_hits,
)
from engine.jobs import TrainingJob
from engine.store.checkpoints import read_checkpoint
from engine.store.runs import load_run
from engine.store.workspace import Workspace

PARTS = [LanguagePart("@en", "text_en", "en"), LanguagePart("@ru", "text_ru", "ru")]
EN = lambda t, j: f"e{t}q{j}"  # noqa: E731 - planted English word j of topic t
RU = lambda t, j: f"р{t}ж{j}"  # noqa: E731 - its Russian translation


def planted_table(n_docs=400, topics=4, words=10, length=30, parallel=False, seed=0):
    """Documents about one main topic (θ ~ Dir(0.1)); parallel: both parts from the same θ,
    else (comparable) even documents English only, odd ones Russian only."""
    rng = np.random.default_rng(seed)
    rows, main = [], []
    for d in range(n_docs):
        th = rng.dirichlet(np.full(topics, 0.1))
        main.append(int(th.argmax()))
        draw = lambda f: " ".join(f(t, rng.integers(words)) for t in rng.choice(topics, length, p=th))  # noqa: E731
        en = draw(EN) if parallel or d % 2 == 0 else ""
        ru = draw(RU) if parallel or d % 2 == 1 else ""
        rows.append({"id": f"p{d}", "text_en": en, "text_ru": ru})
    return pd.DataFrame(rows), np.array(main)


def planted_dictionary(topics=4, words=10):
    return pd.DataFrame({"en": [EN(t, j) for t in range(topics) for j in range(words)],
                         "ru": [RU(t, j) for t in range(topics) for j in range(words)]})


def _corpus(tmp_path, parallel=False, **kw):
    table, main = planted_table(parallel=parallel, **kw)
    table.to_csv(tmp_path / "pairs.csv", index=False)
    return build_multilingual(PARTS, tmp_path / "pairs.csv", "id", lemmatize=False, min_df=1), main


# --------------------------------------------------------------------------- corpus layouts


def test_one_table_and_joined_files_give_the_same_corpus(tmp_path):
    table, _ = planted_table(n_docs=40, parallel=True)
    table.to_csv(tmp_path / "pairs.csv", index=False)
    one = build_multilingual(PARTS, tmp_path / "pairs.csv", "id", lemmatize=False, min_df=1)
    table[["id", "text_en"]].rename(columns={"id": "pair", "text_en": "text"}).to_csv(tmp_path / "en.csv", index=False)
    table[["id", "text_ru"]].iloc[::-1].rename(columns={"id": "pair", "text_ru": "text"}).to_csv(tmp_path / "ru.csv",
                                                                                                 index=False)
    two = build_multilingual([LanguagePart("@en", "text", "en", str(tmp_path / "en.csv")),
                              LanguagePart("@ru", "text", "ru", str(tmp_path / "ru.csv"))], None, "pair",
                             lemmatize=False, min_df=1)
    assert one.modalities == two.modalities == ["@en", "@ru"]
    assert list(one.documents["id"]) == list(two.documents["id"])
    assert (one.n_dw != two.n_dw).nnz == 0 and list(one.vocab["token"]) == list(two.vocab["token"])
    # sequences point at both languages' words inside the joined text
    toks, start, end = one.sequences.of(3)
    text = one.documents["text"].iat[3]
    assert [text[a:b] for a, b in zip(start, end)] == one.vocab["token"].to_numpy()[toks].tolist()
    assert set(one.vocab["modality"].to_numpy()[toks]) == {"@en", "@ru"}


def test_comparable_documents_keep_their_one_part(tmp_path):
    pd.DataFrame({"pair": ["a", "b"], "text": ["house garden river", "garden river"]}).to_csv(tmp_path / "en.csv",
                                                                                           index=False)
    pd.DataFrame({"pair": ["b", "c"], "text": ["сад река", "дом сад"]}).to_csv(tmp_path / "ru.csv", index=False)
    c = build_multilingual([LanguagePart("@en", "text", "en", str(tmp_path / "en.csv")),
                            LanguagePart("@ru", "text", "ru", str(tmp_path / "ru.csv"))], None, "pair", min_df=1)
    assert sorted(c.documents["id"]) == ["a", "b", "c"]
    assert any("no @ru part" in n for n in c.manifest["notes"])
    # the Russian pipeline lemmatizes new text the same way: "домами" → "дом"
    m = vectorize_part(c, ["домами и садом"], "@ru")
    assert set(c.vocab["token"].to_numpy()[m.indices]) == {"дом", "сад"}


@pytest.mark.parametrize("make, message", [
    (lambda p: build_multilingual(PARTS, p / "pairs.csv", "pair_id"), r"pairs.csv: no column 'pair_id' \(the id"),
    (lambda p: build_multilingual([PARTS[0], LanguagePart("@ru", "text_de", "ru")], p / "pairs.csv", "id"),
     r"pairs.csv: no column 'text_de' \(the text of @ru\)"),
    (lambda p: build_multilingual(PARTS[:1], p / "pairs.csv", "id"), "at least two languages"),
    (lambda p: build_multilingual([LanguagePart("@en", "text_en", "en", str(p / "pairs.csv")), PARTS[1]],
                                  p / "pairs.csv", None), "joined by an id column"),
    (lambda p: parse_part("en text_en"), "MODALITY=COLUMN"),
])
def test_bad_corpus_input(tmp_path, make, message):
    planted_table(n_docs=10, parallel=True)[0].to_csv(tmp_path / "pairs.csv", index=False)
    with pytest.raises(InputError, match=message):
        make(tmp_path)


def test_repeated_ids_named(tmp_path):
    pd.DataFrame({"id": ["a", "a"], "text_en": ["x y", "z w"], "text_ru": ["а б", "в г"]}).to_csv(
        tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError, match=r"dup.csv: column 'id' repeats ids \(e.g. 'a'"):
        build_multilingual(PARTS, tmp_path / "dup.csv", "id", min_df=1)


# --------------------------------------------------------------------------- dictionary and term


def test_dictionary_matching_and_bad_dictionaries(tmp_path):
    c, _ = _corpus(tmp_path, n_docs=60)
    frame = pd.concat([planted_dictionary(), pd.DataFrame({"en": ["zebra", "big house"], "ru": ["зебра", "дом"]})])
    d = match_dictionary(frame, c, ("@en", "@ru"))
    assert len(d) == 40 and d.stats["unknown_pairs"] == 1 and d.stats["not_single_words"] == 1
    assert (c.vocab["token"].to_numpy()[d.target] == [RU(int(w[1]), int(w[3])) for w in
                                                       c.vocab["token"].to_numpy()[d.source]]).all()
    with pytest.raises(InputError, match=r"dict.csv: 1 of 42 pairs name words not in the corpus \(e.g. 'zebra'–'зебра'\)"):
        match_dictionary(frame, c, ("@en", "@ru"), unknown="error", name="dict.csv")
    with pytest.raises(InputError, match=r"dict.csv: no column 'en' for @en \(columns: english, ru\)"):
        match_dictionary(frame.rename(columns={"en": "english"}), c, ("@en", "@ru"), name="dict.csv")
    with pytest.raises(InputError, match="none of its 2 pairs matches"):
        match_dictionary(pd.DataFrame({"en": ["zebra", "cat"], "ru": ["зебра", "кот"]}), c, ("@en", "@ru"))
    with pytest.raises(InputError, match="does not exist"):
        read_dictionary(tmp_path / "nope.csv", c, ("@en", "@ru"))
    # a config naming a bad dictionary fails before training, with the file's name
    pd.DataFrame({"english": ["a"], "ru": ["б"]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(ConfigError, match="bad.csv: no column 'en'"):
        Trainer(c, multilingual_config(ModelConfig(n_topics=4), MultilingualOptions(), str(tmp_path / "bad.csv")))


def test_translation_term_is_phi_times_gradient():
    rng = np.random.default_rng(0)
    W, T = 7, 3
    from engine.families.multilingual.dictionary import Dictionary

    d = Dictionary(("@en", "@ru"), np.array([0, 0, 1, 2]), np.array([4, 5, 5, 6]), np.array([1.0, 2.0, 1.0, 1.0]), {})
    m = translation_matrix(d, W)
    phi, n_wt = rng.random((W, T)) + 0.1, rng.random((W, T)) * 10

    def R(f):
        return float(np.sum(n_wt * np.log(np.where((m @ f) > 0, m @ f, 1.0))))

    grad = np.zeros((W, T))
    for w in range(W):
        for t in range(T):
            e = np.zeros((W, T))
            e[w, t] = 1e-6
            grad[w, t] = (R(phi + e) - R(phi - e)) / 2e-6
    np.testing.assert_allclose(translation_term(phi, n_wt, m, 2.0), 2.0 * phi * grad, rtol=1e-5, atol=1e-7)
    # π is p(u|w): each target word's translations into the source language sum to 1, and back
    assert np.allclose(np.asarray(m[:4, 4:].sum(axis=0)).ravel(), 1) and np.allclose(m[4:, :3].sum(axis=0), 1)


# --------------------------------------------------------------------------- planted recovery


def _main_topic_agreement(a, b):
    return float(np.mean(a == b))


def test_dictionary_aligns_languages_of_a_comparable_corpus(tmp_path, kernels_ready):
    """No document has both languages: without the dictionary a topic's English and Russian
    sides are unrelated; with it they translate each other and English documents find Russian
    documents of their planted topic."""
    c, main = _corpus(tmp_path, n_docs=400)
    planted_dictionary().to_csv(tmp_path / "dict.csv", index=False)
    d = read_dictionary(tmp_path / "dict.csv", c, ("@en", "@ru"))
    order = np.argsort(c.documents["id"].str[1:].astype(int).to_numpy())
    truth = main[c.documents["id"].str[1:].astype(int).to_numpy()]
    assert len(order) == 400
    out = {}
    for tau in (0.0, 1.0):
        cfg = multilingual_config(ModelConfig(n_topics=4, iterations=30, seed=3, threads=1), MultilingualOptions(),
                                  str(tmp_path / "dict.csv") if tau else None, tau=tau)
        tr = Trainer(c, cfg)
        tr.fit()
        hits = translation_hits(tr.model, d, 10)["hits"].mean()
        th = part_thetas(tr.model, c, ("@en", "@ru"))
        en, ru = np.flatnonzero(c.documents.index % 2 == 0), np.flatnonzero(c.documents.index % 2 == 1)
        sim = np.sqrt(th["@en"][en]) @ np.sqrt(th["@ru"][ru]).T
        out[tau] = (hits, _main_topic_agreement(truth[en], truth[ru][sim.argmax(1)]))
    assert out[1.0][0] > 0.95                       # observed 1.00
    assert out[0.0][0] < 0.7                        # observed 0.50 (sides aligned only by chance)
    assert out[1.0][1] > 0.9 > out[0.0][1] + 0.3    # observed 0.96 vs 0.46


def test_parallel_pairs_find_each_other(tmp_path, kernels_ready):
    c, _ = _corpus(tmp_path, parallel=True, n_docs=300)
    tr = Trainer(c, multilingual_config(ModelConfig(n_topics=4, iterations=30, seed=1, threads=1),
                                        MultilingualOptions()))
    tr.fit()
    planted_dictionary().to_csv(tmp_path / "dict.csv", index=False)
    hits = translation_hits(tr.model, read_dictionary(tmp_path / "dict.csv", c, ("@en", "@ru")), 10)
    assert hits["hits"].mean() > 0.8    # shared θ alone aligns the languages (observed 0.88: 3 topics 1.0, one 0.5)
    r = retrieval_summary(tr.model, c, ("@en", "@ru"))
    # 300 candidates, ~75 per planted topic: chance mrr ≈ 0.02; observed top5 0.23, mrr 0.157
    assert r["@en->@ru"]["top5"] > 0.15 and r["@en->@ru"]["mrr"] > 0.1
    sbs = side_by_side(tr.model, c.vocab, ("@en", "@ru"), 5)
    assert len(sbs) == 20 and {"@en", "@ru", "p@en", "p@ru"} <= set(sbs.columns)
    near = nearest_documents(tr.model, c, "@en", "@ru", doc=0, n=5)
    assert len(near) == 5 and near["similarity"].is_monotonic_decreasing


# --------------------------------------------------------------------------- runs and CLI


def test_save_load_resume(tmp_path, kernels_ready):
    c, _ = _corpus(tmp_path, n_docs=120)
    planted_dictionary().to_csv(tmp_path / "dict.csv", index=False)
    ws = Workspace(tmp_path / "ws")
    ws.save_corpus(c, "ml")
    c = ws.load_corpus("ml")
    cfg = multilingual_config(ModelConfig(n_topics=4, iterations=4, threads=1), MultilingualOptions(),
                              str(tmp_path / "dict.csv"), tau=1.0)
    job = TrainingJob(ws, c, cfg)
    job.start()
    assert job.wait(timeout=120).status == "finished"
    run = load_run(ws, job.run_id)
    assert run.config["family"] == "multilingual" and run.config["options"] == {"languages": ["@en", "@ru"]}
    assert dictionary_regularizer(type(cfg).from_dict(run.config)).tau(1) == 1.0
    saved = dictionary_from_arrays(run.arrays, ("@en", "@ru"))
    assert len(saved) == 40
    state, _ = read_checkpoint(ws.runs_dir / job.run_id, 4)
    again = Trainer.from_state(c, None, state)
    np.testing.assert_array_equal(again.phi, run.model.phi)
    again.step()  # resumes with the same dictionary
    assert again.iteration == 5


def test_cli_multilingual(tmp_path, capsys, kernels_ready):
    from engine.cli import main

    planted_table(n_docs=80, parallel=True)[0].to_csv(tmp_path / "pairs.csv", index=False)
    planted_dictionary().to_csv(tmp_path / "dict.csv", index=False)
    pd.DataFrame({"english": ["a"], "ru": ["б"]}).to_csv(tmp_path / "bad.csv", index=False)
    ws = ["--workspace", str(tmp_path / "ws")]
    assert main(["multilingual", "import", str(tmp_path / "pairs.csv"), "--name", "ml", "--part", "@en=text_en:en",
                 "--part", "@ru=text_ru:ru", "--id", "id", "--min-df", "1", "--no-lemmatize"] + ws) == 0
    capsys.readouterr()
    assert main(["multilingual", "train", "--corpus", "ml", "--dictionary", str(tmp_path / "bad.csv"),
                 "--topics", "4"] + ws) == 2
    assert "bad.csv: no column 'en'" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "runs").exists() or not any((tmp_path / "ws" / "runs").iterdir())
    assert main(["multilingual", "train", "--corpus", "ml", "--dictionary", str(tmp_path / "dict.csv"),
                 "--topics", "4", "--iterations", "15", "--name", "mlrun"] + ws) == 0
    capsys.readouterr()
    assert main(["multilingual", "topics", "mlrun", "--top", "5", "--json"] + ws) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["translation_hits"] > 0.9 and len(out["topics"]) == 4
    assert main(["multilingual", "find", "mlrun", "--doc", "p0", "--from", "@en", "--to", "@ru", "--top", "3"] + ws) == 0
    near = json.loads(capsys.readouterr().out)
    assert len(near) == 3 and near[0]["similarity"] >= near[-1]["similarity"]
    assert main(["multilingual", "topics", "mlrun", "--top", "3"] + ws) == 0
    assert "translation hits" in capsys.readouterr().out
    assert main(["multilingual", "find", "mlrun", "--doc", "nope"] + ws) == 2
    assert "no document 'nope'" in capsys.readouterr().err
    assert main(["multilingual", "measure", "mlrun"] + ws) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["retrieval"]["documents"] == 80 and 0 < m["retrieval"]["@en->@ru"]["mrr"] <= 1
