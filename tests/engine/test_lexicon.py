"""engine.families.seeds.lexicon: parsing typed text / CSV / TXT / JSON, corpus preprocessing of seeds, near matches."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from engine.errors import InputError
from engine.families.seeds.lexicon import Lexicon, check_lexicon
from engine.families.seeds.matching import NearMatcher, normalize_seeds


def test_parse_typed_text_groups_and_shared_words():
    lex = Lexicon.parse("японцы: японец, японский, япония\n# comment\n\nазия: япония; китай\nмигрант, беженец")
    assert lex.names == ["японцы", "азия", "seeds"]
    assert lex.groups["японцы"] == ("японец", "японский", "япония")
    assert lex.groups_of("япония") == ["японцы", "азия"]  # one word in several groups
    assert lex.groups["seeds"] == ("мигрант", "беженец")
    assert lex.n_seeds == 7 and len(lex.words) == 6


def test_parse_merges_repeated_group_and_drops_duplicates():
    lex = Lexicon.parse("a: x, y\na: y, z\nb:")
    assert lex.groups == {"a": ("x", "y", "z")}


def test_csv_group_word_rows_and_group_words_cells():
    rows = Lexicon.from_csv("group,word\nяпонцы,японец\nяпонцы,япония\nкитайцы,китай\n")
    assert rows.groups == {"японцы": ("японец", "япония"), "китайцы": ("китай",)}
    cells = Lexicon.from_csv('group,words\nяпонцы,"японец, японский"\nкитайцы,китай;китаец\n')
    assert cells.groups == {"японцы": ("японец", "японский"), "китайцы": ("китай", "китаец")}
    no_header = Lexicon.from_csv("a;x;y\nb;z\n")
    assert no_header.groups == {"a": ("x", "y"), "b": ("z",)}
    single = Lexicon.from_csv("word\nfoo\nbar\n", default_group="list")
    assert single.groups == {"list": ("foo", "bar")}


def test_read_files_by_extension_and_json_round_trip(tmp_path):
    (tmp_path / "eth.csv").write_text("group,word\nx,a\nx,b\n", encoding="utf-8")
    (tmp_path / "words.txt").write_text("alpha\nbeta\n", encoding="utf-8")
    assert Lexicon.read(tmp_path / "eth.csv").groups == {"x": ("a", "b")}
    assert Lexicon.read(tmp_path / "words.txt").groups == {"words": ("alpha", "beta")}
    lex = Lexicon.parse("японцы: японец, япония\nазия: япония")
    again = Lexicon.from_json(lex.to_json())
    assert again == lex and again.groups_of("япония") == ["японцы", "азия"]
    (tmp_path / "l.json").write_text(lex.to_json(), encoding="utf-8")
    assert Lexicon.read(tmp_path / "l.json") == lex
    assert Lexicon.parse(lex.to_text()) == lex
    assert Lexicon.from_csv(lex.to_csv()) == lex


def test_bad_inputs_raise_input_error(tmp_path):
    with pytest.raises(InputError):
        Lexicon.read(tmp_path / "missing.csv")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00a")
    with pytest.raises(InputError):
        Lexicon.read(tmp_path / "bad.txt")
    with pytest.raises(InputError):
        Lexicon.from_upload("# only a comment", "x.txt")
    with pytest.raises(InputError):
        Lexicon.from_json("{not json")


def _text_corpus(tmp_path, texts, **opts):
    from engine.corpus.ingest import ImportOptions, build_corpus

    path = tmp_path / "docs.csv"
    pd.DataFrame({"id": [f"d{i}" for i in range(len(texts))], "text": texts}).to_csv(path, index=False)
    return build_corpus(path, ImportOptions(min_df=1, **opts))


RU = ["Японцы и японский язык: в Японии японец читает.", "Китайцы приехали в Китай.",
      "Мигранты и мигрант работают.", "Японец купил машину. Японский автомобиль."] * 3


def test_russian_seeds_lemmatized_like_the_corpus(tmp_path):
    corpus = _text_corpus(tmp_path, RU, lang="ru", lemmatize=True)
    norm = normalize_seeds(["японцев", "Мигрантами", "и"], corpus)
    assert norm["японцев"] == ("японец",)
    assert norm["Мигрантами"] == ("мигрант",)
    assert norm["и"] == ()  # a stop word
    check = check_lexicon(Lexicon.parse("японцы: японцев, японский, японка\nмигранты: мигрантами"), corpus)
    t = check.table.set_index("seed")
    assert bool(t.loc["японцев", "found"]) and t.loc["японцев", "term"] == "японец"
    assert t.loc["японцев", "tf"] == corpus.vocab.loc[corpus.token_ids(["японец"])[0], "tf"] > 0
    assert t.loc["японцев", "df"] >= 1
    assert not bool(t.loc["японка", "found"])
    assert t.loc["японка", "note"]
    assert check.terms() == {"японцы": ["японец", "японский"], "мигранты": ["мигрант"]}
    assert check.missing == ["японка"]
    assert check.summary()["seeds_found"] == 3


def test_unknown_seed_gets_near_matches_and_phrases_are_flagged(tmp_path):
    corpus = _text_corpus(tmp_path, ["immigration policy and immigrants", "european union health service"] * 3,
                          lang="en")
    check = check_lexicon(Lexicon.parse("mig: immigrantz, european health"), corpus)
    t = check.table.set_index("seed")
    assert not t.loc["immigrantz", "found"]
    assert any(s.startswith("immigrants") for s in t.loc["immigrantz", "suggestions"])
    assert "several words" in t.loc["european health", "note"]


def test_near_matcher_finds_inflections_and_is_fast():
    words = [f"слово{i}" for i in range(30000)] + ["японец", "японский", "япония", "китаец"]
    m = NearMatcher(words, tf=[1] * len(words))
    got = [t for t, _ in m.match("японцы", 3)]
    assert "японец" in got
    t0 = time.perf_counter()
    for i in range(300):
        m.match(f"слова{i}", 3)
    assert time.perf_counter() - t0 < 10.0
