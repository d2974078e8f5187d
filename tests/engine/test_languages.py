"""Languages: stop lists for the Snowball languages, lingua detection, Chinese segmentation."""
from __future__ import annotations

import json
import os
import sys

import pytest

from engine.corpus import languages as L
from engine.corpus import text as T
from engine.corpus.ingest import ImportOptions, import_corpus
from engine.errors import InputError
from engine.store.workspace import Workspace

SAMPLES = {
    "fr": ["Le gouvernement a présenté hier son projet de loi sur les retraites devant l'Assemblée nationale.",
           "Les syndicats appellent à une nouvelle journée de grève dans les transports publics jeudi prochain.",
           "La ville de Lyon accueille cette semaine un festival de cinéma consacré aux jeunes réalisateurs.",
           "Selon les chercheurs, la température moyenne a augmenté de deux degrés dans les Alpes depuis cinquante ans."],
    "it": ["Il governo ha presentato ieri il disegno di legge sulle pensioni davanti al Parlamento.",
           "I sindacati hanno indetto un nuovo sciopero dei trasporti pubblici per giovedì prossimo.",
           "La città di Milano ospita questa settimana un festival del cinema dedicato ai giovani registi.",
           "Secondo i ricercatori, la temperatura media nelle Alpi è aumentata di due gradi in cinquant'anni."],
    "pl": ["Rząd przedstawił wczoraj w Sejmie projekt ustawy o emeryturach.",
           "Związki zawodowe zapowiedziały nowy strajk w transporcie publicznym na przyszły czwartek.",
           "Kraków gości w tym tygodniu festiwal filmowy poświęcony młodym reżyserom.",
           "Według naukowców średnia temperatura w Tatrach wzrosła o dwa stopnie w ciągu pięćdziesięciu lat."],
    "es": ["El gobierno presentó ayer en el Congreso su proyecto de ley sobre las pensiones.",
           "Los sindicatos convocan una nueva jornada de huelga en el transporte público el próximo jueves."],
}


@pytest.mark.parametrize("lang", ["fr", "it", "pl", "es"])
def test_detects_short_samples(lang):
    assert L.detect_language(SAMPLES[lang]) == lang
    for sentence in SAMPLES[lang]:   # one sentence alone is enough
        assert L.detect_language([sentence]) == lang, sentence


def test_french_is_not_spanish():
    """The old stop-word vote took French for Spanish on short texts."""
    assert L.detect_language(["Je ne sais pas si elle viendra demain avec nous au marché."]) == "fr"


@pytest.mark.parametrize("lang", ["fr", "it", "pl", "pt", "sv", "fi", "cs", "tr", "hu", "ro", "da", "no", "ca", "el"])
def test_stop_list_for_every_common_stemmer_language(lang):
    assert lang in L.STEMMER_LANGUAGES and len(L.load_stopwords(lang)) >= 100


def test_shipped_curated_lists_unchanged():
    """en/ru/de/es/nl keep their curated lists, so saved corpora re-read the same words."""
    assert "the" in L.load_stopwords("en") and "и" in L.load_stopwords("ru")
    assert L.load_stopwords("xx") == frozenset() and L.load_stopwords("../en") == frozenset()


@pytest.mark.parametrize("lang,stop,content", [("fr", "les", "retraites"), ("it", "della", "pensioni"),
                                               ("pl", "się", "emeryturach")])
def test_import_detects_language_and_applies_its_stop_list(tmp_path, lang, stop, content):
    docs = SAMPLES[lang] + ["Une phrase de plus." if lang == "fr" else SAMPLES[lang][0]]
    if lang == "it":
        docs.append("La relazione della commissione e la riforma delle pensioni.")
    if lang == "pl":
        docs.append("Rząd zajmie się emeryturach jeszcze raz, jak się wydaje.")
    path = tmp_path / f"{lang}.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(docs)),
                    encoding="utf-8")
    ws = Workspace(tmp_path / "ws")
    import_corpus(path, lang, ImportOptions(min_df=1), ws)
    corpus = ws.load_corpus(lang)
    assert corpus.manifest["preprocessing"]["lang"] == lang
    vocab = set(corpus.vocab["token"])
    assert stop not in vocab and content in vocab
    assert not (vocab & L.load_stopwords(lang))


def test_chinese_segmented_with_offsets():
    if not os.environ.get("CI"):  # CI installs the zh extra and must run this test
        pytest.importorskip("jieba", reason="the zh extra: pip install -e '.[zh]'")
    texts = ["我来到北京清华大学 and more", "北京欢迎你"]
    raw = T.tokenize(texts)
    pairs = [(raw.forms[f], texts[d][s:e]) for f, d, s, e in zip(raw.form, raw.doc, raw.start, raw.end)]
    assert all(form == surface for form, surface in pairs)
    assert ("北京", "北京") in pairs and ("清华大学", "清华大学") in pairs and ("来到", "来到") in pairs
    assert "我来到北京清华大学" not in raw.forms
    assert [p[0] for p in pairs if p[0].isascii()] == ["and", "more"]


def test_split_spans_keeps_order():
    import numpy as np

    doc = np.array([0, 0, 1]); start = np.array([0, 5, 0]); end = np.array([4, 9, 4]); form = np.array([0, 1, 0])
    d, s, e, piece = L.split_spans(doc, start, end, form, [[(0, 2), (2, 4)], []])
    assert d.tolist() == [0, 0, 0, 1, 1] and s.tolist() == [0, 2, 5, 0, 2] and e.tolist() == [2, 4, 9, 2, 4]
    assert piece.tolist() == [0, 1, -1, 0, 1]


def test_chinese_import_detected_segmented_and_stop_listed(tmp_path):
    """A Chinese corpus: lingua says zh, jieba cuts words, the stopwords-iso zh list drops 的/我们."""
    if not os.environ.get("CI"):  # CI installs the zh extra and must run this test
        pytest.importorskip("jieba", reason="the zh extra: pip install -e '.[zh]'")
    docs = ["我们的政府昨天在议会提出了养老金改革法案。", "工会宣布下周四公共交通将举行新的罢工。",
            "北京本周举办一个电影节，主题是年轻导演的作品。", "研究人员说，阿尔卑斯山的平均气温上升了两度。"]
    path = tmp_path / "zh.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(docs)),
                    encoding="utf-8")
    ws = Workspace(tmp_path / "ws")
    import_corpus(path, "zh", ImportOptions(min_df=1), ws)
    corpus = ws.load_corpus("zh")
    assert corpus.manifest["preprocessing"]["lang"] == "zh"
    vocab = set(corpus.vocab["token"])
    assert {"北京", "政府", "工会"} <= vocab
    assert not vocab & {"的", "我们", "了"} and not (vocab & L.load_stopwords("zh"))
    assert not any(len(w) > 6 for w in vocab), vocab  # words, not whole clauses


def test_chinese_without_jieba_says_what_to_install(tmp_path, monkeypatch):
    """Without the zh extra: a Chinese corpus is refused naming the fix (nothing saved); an
    English corpus with a few Chinese characters imports with a note."""
    monkeypatch.setitem(sys.modules, "jieba", None)  # find_spec("jieba") is None: not installed
    ws = Workspace(tmp_path / "ws")
    zh = tmp_path / "zh.jsonl"
    zh.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in
                            enumerate(["我们的政府昨天在议会提出了养老金改革法案。", "工会宣布下周四公共交通将举行新的罢工。"])),
                  encoding="utf-8")
    with pytest.raises(InputError, match=r"artm-studio\[zh\]"):
        import_corpus(zh, "zh", ImportOptions(min_df=1, lang="zh"), ws)
    assert not ws.has_corpus("zh")
    en = tmp_path / "en.jsonl"
    en.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in
                            enumerate(["The delegation visited 北京 and Shanghai last week.",
                                       "Trade talks with the delegation continue next week."])), encoding="utf-8")
    summary = import_corpus(en, "en", ImportOptions(min_df=1, lang="en"), ws)
    assert any("jieba is not installed" in n for n in summary["notes"])
    assert "北京" in set(ws.load_corpus("en").vocab["token"])


def test_tiny_corpora_are_not_given_a_confident_language():
    """A word or two is noise to an n-gram detector ("hello" → Norwegian): too little text gets
    the script's default and a note saying so; a few short documents are read as one text."""
    lang, note = L.detect_language_note(["hello world this", "hello again world"])
    assert lang == "en" and note.startswith("language detected: en")
    lang, note = L.detect_language_note(["hello"])
    assert lang == "en" and "too little text" in note and "--lang" in note
    lang, note = L.detect_language_note(["Привет мир"])
    assert lang == "ru" and "too little text" in note
    lang, note = L.detect_language_note(["Привет, это новости из Москвы и России", "hi"])
    assert lang == "ru" and "1 of 1" not in note and note.startswith("language detected: ru")


def test_import_notes_say_how_the_language_was_decided(tmp_path):
    from engine.corpus.ingest import ImportOptions, import_corpus
    from engine.store.workspace import Workspace

    src = tmp_path / "tiny.jsonl"
    src.write_text('{"text": "hi there"}\n{"text": "hi you"}\n', encoding="utf-8")
    ws = Workspace(tmp_path / "ws")
    info = import_corpus(src, "tiny", ImportOptions(min_df=1), ws)
    assert info["language"] == "en" and any("too little text" in n for n in info["notes"]), info["notes"]
