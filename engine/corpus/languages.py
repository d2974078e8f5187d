"""Languages: stop lists, Russian lemmas, Snowball stems, language detection, Chinese words.

- Stop lists ship as package data in ``engine/corpus/stopwords/<code>.txt``: curated lists for
  en, ru, de, es, nl, and the stopwords-iso lists (MIT, see ``LICENSE-stopwords-iso``) for the
  other languages the Snowball stemmers cover. They are files, not a dependency, so a saved
  corpus re-reads exactly the list it was imported with.
- :func:`detect_language` asks lingua (a maintained n-gram detector that works offline) about a
  sample of the documents, restricted to the languages this module can preprocess.
- :func:`segment_chinese` cuts runs of Chinese characters into words with jieba (the optional
  ``zh`` extra), keeping character offsets.
"""
from __future__ import annotations

import functools
import importlib.util
import re
from collections import Counter
from pathlib import Path

import numpy as np
from engine.errors import InputError

STOPWORDS_DIR = Path(__file__).resolve().parent / "stopwords"

#: Snowball stemmer names (PyStemmer) by ISO 639-1 code.
STEMMER_LANGUAGES = {
    "en": "english", "ru": "russian", "de": "german", "es": "spanish", "nl": "dutch",
    "fr": "french", "it": "italian", "pt": "portuguese", "sv": "swedish", "no": "norwegian",
    "da": "danish", "fi": "finnish", "hu": "hungarian", "ro": "romanian", "tr": "turkish",
    "pl": "polish", "cs": "czech", "el": "greek", "ca": "catalan", "uk": "russian",
    "ar": "arabic", "hy": "armenian", "eu": "basque", "eo": "esperanto", "et": "estonian",
    "hi": "hindi", "id": "indonesian", "ga": "irish", "lt": "lithuanian", "ne": "nepali",
    "fa": "persian", "sr": "serbian", "ta": "tamil", "yi": "yiddish",
}

#: Languages :func:`detect_language` can answer (those with a stemmer or a stop list, and Chinese).
DETECTABLE = sorted((set(STEMMER_LANGUAGES) | {"zh"}) - {"ne", "yi"})  # lingua has no ne / yi model
_LINGUA_CODE = {"no": ("NB", "NN")}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


# --------------------------------------------------------------------------- stop lists

def available_stopword_languages() -> list[str]:
    return sorted(p.stem for p in STOPWORDS_DIR.glob("*.txt"))


@functools.lru_cache(maxsize=64)
def load_stopwords(lang: str) -> frozenset:
    """The shipped stop-word list of ``lang`` (``engine/corpus/stopwords/<lang>.txt``); empty if none."""
    path = STOPWORDS_DIR / f"{lang}.txt"
    if not re.fullmatch(r"[a-z]{2,3}", lang or "") or not path.exists():
        return frozenset()
    return frozenset(parse_stopwords(path.read_text(encoding="utf-8")))


def parse_stopwords(text: str) -> list[str]:
    """Words of a stop-word text: one or more per line, ``#`` starts a comment, lower-cased."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lower().replace("\u2019", "'")
        if line:
            out.extend(line.split())
    return out


def read_stopwords_file(path) -> list[str]:
    """A user stop-word file: one or more words per line, ``#`` starts a comment, UTF-8."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise InputError(f"{p}: cannot read stop-word file ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: stop-word file is not UTF-8 (byte {e.start}); save it as UTF-8") from None
    return parse_stopwords(text)


# --------------------------------------------------------------------------- lemmas and stems

@functools.lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy3  # loaded only for Russian corpora (its dictionaries take ~1 s)
    except ImportError:  # pragma: no cover - a declared dependency
        raise InputError("Russian lemmatization needs pymorphy3: pip install pymorphy3 pymorphy3-dicts-ru") from None
    return pymorphy3.MorphAnalyzer(lang="ru")


_LEMMAS: dict = {}  # word form -> lemma, shared by imports and vectorize_texts in this process


def _has_cyrillic(w: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in w)


def lemmatize_ru(forms: list[str]) -> list[str]:
    """Normal forms (lemmas) of Russian word forms with pymorphy3; non-Cyrillic forms unchanged.

    Called once per distinct form, so the cost grows with the vocabulary, not the corpus; the
    lemmas are also cached for the process, so a re-import or new text reuses them.
    """
    morph = _morph()
    cache = _LEMMAS
    if len(cache) > 2_000_000:  # bound the process-wide cache
        cache.clear()
    out = []
    for w in forms:
        lemma = cache.get(w)
        if lemma is None:
            lemma = morph.parse(w)[0].normal_form if _has_cyrillic(w) else w
            cache[w] = lemma
        out.append(lemma)
    return out


@functools.lru_cache(maxsize=16)
def stemmer(lang: str):
    import Stemmer  # PyStemmer: loaded only when stemming is asked for

    name = STEMMER_LANGUAGES.get(lang)
    if name is None:
        raise InputError(f"no Snowball stemmer for language {lang!r}; "
                         f"available: {', '.join(sorted(STEMMER_LANGUAGES))}")
    return Stemmer.Stemmer(name)


def stem(forms: list[str], lang: str) -> list[str]:
    """Snowball stems (PyStemmer) of ``forms`` in language ``lang``."""
    return stemmer(lang).stemWords(forms)


# --------------------------------------------------------------------------- detection

@functools.lru_cache(maxsize=1)
def _detector():
    # lingua is imported on first detection only: importing the engine stays light (the bench venv
    # and `--lang xx` imports never load its 96 MB of models)
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder  # lazy: see the comment above

    langs = []
    for code in DETECTABLE:
        for iso in _LINGUA_CODE.get(code, (code.upper(),)):
            langs.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, iso)))
    # low-accuracy mode (trigram models only): ~2 s and ~200 MB instead of ~1 GB for all n-gram
    # models; a corpus is decided by a vote over many documents, which makes up for it
    return LanguageDetectorBuilder.from_languages(*langs).with_low_accuracy_mode().build()


def _code(language) -> str:
    iso = language.iso_code_639_1.name.lower()
    return "no" if iso in ("nb", "nn") else iso


#: a document votes on the corpus's language only with at least this many letters: lingua's answer
#: on a word or two is noise ("hello" → Norwegian, "hello world this" → Esperanto)
VOTE_LETTERS = 20
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def detect_language(texts, sample: int = 200, chars: int = 1000) -> str:
    """Language of a corpus (see :func:`detect_language_note`)."""
    return detect_language_note(texts, sample, chars)[0]


def detect_language_note(texts, sample: int = 200, chars: int = 1000) -> tuple[str, str]:
    """``(code, note)``: the language of a corpus and how it was decided, for the import's notes.

    lingua (character n-gram statistics of 75 languages; its models ship in the wheel, no network)
    answers for up to ``sample`` documents (their first ``chars`` characters each), among
    :data:`DETECTABLE`, and the most frequent answer wins. Only documents with at least
    :data:`VOTE_LETTERS` letters vote; when none has that many, lingua reads all of them joined
    into one text; with fewer letters than that in total, the language is not guessed from
    n-grams but from the script (Cyrillic → ``ru``, Chinese → ``zh``, else ``en``) and the note
    says so and how to choose (``--lang``).
    """
    picked = [t[:chars] for t in list(texts)[:sample * 4] if isinstance(t, str) and any(c.isalpha() for c in t[:chars])]
    picked = picked[:sample]
    if not picked:
        return "en", "language: the text has no letters; assumed en (pass --lang to choose)"
    letters = [sum(c.isalpha() for c in t) for t in picked]
    voters = [t for t, n in zip(picked, letters) if n >= VOTE_LETTERS]
    joined = " ".join(picked)
    if not voters and sum(letters) >= VOTE_LETTERS:
        voters = [joined]
    votes = Counter(_code(lang) for lang in _detector().detect_languages_in_parallel_of(voters) if lang is not None)
    if votes:
        lang, n = votes.most_common(1)[0]
        share = f"{n} of {len(voters)} documents" if len(voters) > 1 else "one text"
        return lang, f"language detected: {lang} ({share}); pass --lang to choose another"
    guess = "zh" if _CJK.search(joined) else "ru" if len(_CYRILLIC.findall(joined)) * 2 > sum(letters) else "en"
    return guess, (f"language: too little text to detect it ({sum(letters)} letters); assumed {guess} from "
                   "the script; pass --lang to choose")


# --------------------------------------------------------------------------- Chinese words

def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


@functools.lru_cache(maxsize=1)
def _jieba():
    try:
        import jieba  # the optional `zh` extra: only Chinese corpora need it
    except ImportError:
        raise InputError("Chinese word segmentation needs jieba: pip install 'artm-studio[zh]'") from None
    jieba.setLogLevel(60)  # no "Building prefix dict..." chatter on stderr
    return jieba


def segmentation_note(lang: str, forms: list[str]) -> str | None:
    """Refuse a Chinese corpus (``lang == "zh"``) when jieba is missing, with the fix; for other
    corpora holding some Chinese characters, a note that they stay unsegmented (``None`` if
    jieba is installed or there are none)."""
    if importlib.util.find_spec("jieba") is not None:
        return None
    if lang == "zh":
        raise InputError("this corpus is Chinese and needs word segmentation: pip install 'artm-studio[zh]' "
                         "(jieba), then import again")
    if any(has_cjk(f) for f in forms):
        return ("Chinese characters found but jieba is not installed: each run of them stays one token "
                "(pip install 'artm-studio[zh]' to cut them into words)")
    return None


def segment_chinese(forms: list[str]) -> list[list[tuple[int, int]]]:
    """Word spans inside each form with Chinese characters (jieba's default model), as
    ``(start, end)`` character offsets relative to the form; ``[]`` for a form without any."""
    jieba = None
    out = []
    for f in forms:
        if not has_cjk(f):
            out.append([])
            continue
        jieba = jieba or _jieba()
        out.append([(s, e) for w, s, e in jieba.tokenize(f) if w.strip()])
    return out


def split_spans(doc: np.ndarray, start: np.ndarray, end: np.ndarray, form: np.ndarray,
                spans: list[list[tuple[int, int]]]):
    """Replace every token whose form has sub-spans by one token per sub-span, vectorized.

    Parameters
    ----------
    doc, start, end, form : ndarray of shape (N,)
        Tokens (see :class:`engine.corpus.text.RawTokens`).
    spans : list of length F
        For each distinct form, its sub-spans relative to the form (``[]`` = keep whole).

    Returns
    -------
    (doc, start, end, piece) : ndarrays of shape (N',); ``piece`` is ``-1`` for a kept token,
    else the index of the sub-span into the flat list of all forms' sub-spans (form-major).
    """
    n_pieces = np.array([len(s) for s in spans], dtype=np.int64)
    first = np.concatenate([[0], np.cumsum(n_pieces)[:-1]]) if len(spans) else np.zeros(0, np.int64)
    flat = [p for s in spans for p in s]
    rel_s = np.array([p[0] for p in flat], dtype=np.int64)
    rel_e = np.array([p[1] for p in flat], dtype=np.int64)
    k = np.maximum(n_pieces[form], 1)
    rep = np.repeat(np.arange(len(form)), k)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    split = n_pieces[form][rep] > 0
    piece = np.where(split, first[form][rep] + offset, -1)
    new_start = start[rep].astype(np.int64)
    new_end = end[rep].astype(np.int64)
    if split.any():
        new_start[split] = start[rep][split] + rel_s[piece[split]]
        new_end[split] = start[rep][split] + rel_e[piece[split]]
    return doc[rep], new_start, new_end, piece
