"""Parallel and comparable corpora as one document per pair with a modality per language.

Two layouts of the input (:func:`build_multilingual`):

- **one table, a text column per language** (``text_en``, ``text_ru``): every row is a document
  whose language parts are its modalities;
- **one table per language joined by an id column** (``en.csv`` and ``ru.csv``, both with
  ``pair_id``): rows with the same id form one document; an id present in one language only
  gives a document with that part alone (comparable corpora).

Each part is tokenized with its own language's pipeline (stop words, Russian lemmatization,
Snowball stemming) and its terms become tokens of modality ``@<lang>``. The document's ``text``
is its parts joined by a blank line, and the token sequences point into it, so the Documents
page highlights both languages. The per-language settings are kept in
``manifest["multilingual"]`` so that dictionaries and new texts go through the same pipeline
(:func:`normalizer_of`, :func:`vectorize_part`).
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus import text as T
from engine.corpus.corpus import Corpus, TokenSequences
from engine.corpus.ingest import AUTO_MIN_DF_DOCS, _as_stored
from engine.corpus.readers import TableSource, read_source
from engine.errors import InputError, WorkspaceError
from engine.store.locks import entry_lock
from engine.store.workspace import Workspace, now_iso, validate_name

__all__ = ["LanguagePart", "build_multilingual", "import_multilingual", "languages_of", "normalizer_of",
           "part_matrix", "vectorize_part", "parse_part"]

SEPARATOR = "\n\n"


@dataclass(frozen=True)
class LanguagePart:
    """One language of the corpus: its modality (``@en``), text column, language code
    (``en``; selects stop words and the stemmer) and, for the one-table-per-language layout,
    the file holding it ("" = the main file)."""

    modality: str
    column: str
    lang: str
    path: str = ""

    def validated(self) -> "LanguagePart":
        mod = self.modality if self.modality.startswith("@") else "@" + self.modality
        if not re.fullmatch(r"@[^\s|:@]+", mod) or mod == "@default_class":
            raise InputError(f"language modality {self.modality!r}: use a name such as @en (no spaces, ':' or '|')")
        if not self.column:
            raise InputError(f"language {mod}: the text column is empty")
        if not re.fullmatch(r"[a-z]{2,3}", self.lang or ""):
            raise InputError(f"language {mod}: language code {self.lang!r} must be two or three letters (en, ru, de…)")
        return LanguagePart(mod, str(self.column), self.lang, str(self.path or ""))


def parse_part(spec: str, files: dict | None = None) -> LanguagePart:
    """``@en=text_en:en`` → LanguagePart(@en, text_en, en); the language code defaults to the
    modality's name; ``files`` maps a modality to its own file."""
    m = re.fullmatch(r"\s*(@?[^=\s]+)\s*=\s*([^:]+?)\s*(?::\s*([a-z]{2,3}))?\s*", spec or "")
    if not m:
        raise InputError(f"language part {spec!r}: write MODALITY=COLUMN[:LANG], e.g. @en=text_en:en")
    mod = m.group(1) if m.group(1).startswith("@") else "@" + m.group(1)
    return LanguagePart(mod, m.group(2), m.group(3) or mod[1:], (files or {}).get(mod, "")).validated()


def _read_frame(path, limits=None) -> tuple[pd.DataFrame, str]:
    src = read_source(Path(path).expanduser(), limits=limits)
    if not isinstance(src, TableSource):
        raise InputError(f"{Path(path).name}: a multilingual corpus needs a table with text columns "
                         f"(CSV, JSONL, Parquet…), not {src.format}")
    frame = src.frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    return frame, src.sha256


def _need(frame: pd.DataFrame, column: str, file: str, what: str) -> None:
    if column not in frame.columns:
        raise InputError(f"{file}: no column {column!r} ({what}); its columns are {', '.join(frame.columns)}")


def _ids(frame: pd.DataFrame, id_column: str | None, file: str) -> pd.Series:
    if id_column is None:
        return pd.Series([str(i) for i in range(len(frame))])
    _need(frame, id_column, file, "the id joining the languages")
    ids = frame[id_column]
    if ids.isna().any():
        raise InputError(f"{file}: column {id_column!r} has {int(ids.isna().sum())} empty ids; every row needs one")
    ids = ids.astype(str).reset_index(drop=True)
    dup = ids[ids.duplicated()]
    if len(dup):
        raise InputError(f"{file}: column {id_column!r} repeats ids (e.g. {dup.iloc[0]!r}, {len(dup)} repeats); "
                         "one row per document and language")
    return ids


def _joined_frame(parts: list[LanguagePart], path, id_column, limits) -> tuple[pd.DataFrame, dict]:
    """(documents with columns id + one text column per part + metadata, source digests)."""
    digests = {}
    if all(p.path == "" for p in parts):
        if path is None:
            raise InputError("give the corpus file (one table with a text column per language)")
        frame, digests[Path(path).name] = _read_frame(path, limits)
        for p in parts:
            _need(frame, p.column, Path(path).name, f"the text of {p.modality}")
        if id_column is None and "id" in frame.columns:
            id_column = "id"
        ids = _ids(frame, id_column, Path(path).name)
        docs = frame.drop(columns=[id_column] if id_column else []).reset_index(drop=True)
        docs.insert(0, "id", ids)
        return docs.rename(columns={p.column: f"text{p.modality}" for p in parts}), digests
    if id_column is None:
        raise InputError("languages in separate files are joined by an id column: give it (--id COLUMN)")
    subs = []
    for p in parts:
        src = p.path or path
        if not src:
            raise InputError(f"language {p.modality}: give its file (the other languages have their own)")
        frame, digests[Path(src).name] = _read_frame(src, limits)
        _need(frame, p.column, Path(src).name, f"the text of {p.modality}")
        subs.append(pd.Series(frame[p.column].to_numpy(), index=_ids(frame, id_column, Path(src).name),
                              name=f"text{p.modality}"))
    order = pd.Index(pd.unique(np.concatenate([s.index.to_numpy() for s in subs])))  # first file's order first
    joined = pd.concat([s.reindex(order) for s in subs], axis=1)
    return joined.rename_axis("id").reset_index(), digests


def _part_terms(texts: list, part: LanguagePart, settings: dict):
    """Tokens of one language: (doc, term, start, end, terms) before vocabulary filtering."""
    norm = _normalizer(settings)
    raw = T.tokenize(texts)
    per_form = norm.terms(raw.forms)
    codes, uniques = pd.factorize(pd.Series(per_form, dtype=object), use_na_sentinel=True)
    term = np.asarray(codes, np.int64)[raw.form] if raw.n_tokens else np.zeros(0, np.int64)
    keep = term >= 0
    return raw.doc[keep], term[keep], raw.start[keep], raw.end[keep], list(uniques)


def _normalizer(settings: dict) -> T.Normalizer:
    sw = T.load_stopwords(settings["lang"]) if settings.get("stopwords", True) else frozenset()
    return T.Normalizer(lang=settings["lang"], stopwords=sw, lemmatize=settings["lemmatize"],
                        stem=settings["stem"], min_length=settings["min_length"])


def build_multilingual(parts, path=None, id_column: str | None = None, *, lemmatize: bool = True,
                       stem: bool = False, stopwords: bool = True, min_df=None, max_df=None,
                       max_vocab: int | None = None, min_length: int = 2, limits=None) -> Corpus:
    """An unsaved multilingual :class:`Corpus` with modality ``part.modality`` per language.

    ``lemmatize`` applies to Russian parts (pymorphy3), ``stem`` (Snowball) to the others;
    ``min_df``/``max_df``/``max_vocab`` filter each language's vocabulary separately
    (``min_df`` None: 2 for 20+ documents). Documents empty in every language are dropped.
    Errors (InputError) name the file and the column: a missing text or id column, repeated or
    empty ids, no words left.
    """
    t0 = time.perf_counter()
    parts = [LanguagePart(**p) if isinstance(p, dict) else p for p in parts]
    parts = [p.validated() for p in parts]
    if len(parts) < 2:
        raise InputError("a multilingual corpus needs at least two languages (e.g. @en=text_en:en @ru=text_ru:ru)")
    if len({p.modality for p in parts}) != len(parts):
        raise InputError("two language parts have the same modality")
    docs, digests = _joined_frame(parts, path, id_column, limits)
    D = len(docs)
    if D == 0:
        raise InputError("the corpus file has no rows")
    lo = min_df if min_df is not None else (2 if D >= AUTO_MIN_DF_DOCS else 1)
    texts = {p.modality: ["" if (t is None or (isinstance(t, float) and t != t)) else str(t)
                          for t in docs[f"text{p.modality}"]] for p in parts}
    # character offset of each part inside the joined document text
    offsets, cursor = {}, np.zeros(D, np.int64)
    for i, p in enumerate(parts):
        offsets[p.modality] = cursor.copy()
        cursor += np.fromiter(map(len, texts[p.modality]), np.int64, D) + (len(SEPARATOR) if i < len(parts) - 1 else 0)
    blocks, tokens, mods, seqs, settings_of, notes = [], [], [], [], {}, []
    base = 0
    for p in parts:
        settings = {"lang": p.lang, "lemmatize": bool(lemmatize and p.lang == "ru"),
                    "stem": bool(stem and p.lang != "ru"), "stopwords": bool(stopwords), "min_length": min_length,
                    "column": p.column, "file": Path(p.path or path or "").name, "min_df": lo, "max_df": max_df,
                    "max_vocab": max_vocab}
        doc, term, start, end, terms = _part_terms(texts[p.modality], p, settings)
        n = T.count_matrix(doc, term, D, len(terms))
        vkeep = T.filter_vocabulary(T.document_frequency(n), np.asarray(n.sum(0)).ravel(), D, lo, max_df, max_vocab)
        if not vkeep.any():
            raise InputError(f"{settings['file']}: column {p.column!r} ({p.modality}) has no words left after "
                             f"stop words and the vocabulary filters (min_df={lo}); check the column and language")
        new = np.full(len(terms), -1, np.int64)
        new[vkeep] = np.arange(int(vkeep.sum()))
        t2 = new[term]
        ok = t2 >= 0
        blocks.append(T.count_matrix(doc[ok], t2[ok], D, int(vkeep.sum())))
        kept_terms = [t for t, k in zip(terms, vkeep) if k]
        tokens += kept_terms
        mods += [p.modality] * len(kept_terms)
        seqs.append((doc[ok], t2[ok] + base, start[ok] + offsets[p.modality][doc[ok]], end[ok] + offsets[p.modality][doc[ok]]))
        base += len(kept_terms)
        settings_of[p.modality] = settings
    n_dw = sp.hstack(blocks, format="csr", dtype=np.float32)
    keep_docs = np.diff(n_dw.indptr) > 0
    if not keep_docs.any():
        raise InputError("every document is empty after tokenization in every language")
    new_doc = np.cumsum(keep_docs) - 1
    n_dw = n_dw[keep_docs].tocsr()
    n_dw.indices = n_dw.indices.astype(np.int32)
    n_dw.sort_indices()
    doc = np.concatenate([s[0] for s in seqs])
    order = np.lexsort((np.concatenate([s[2] for s in seqs]), doc))  # by document, then by offset
    doc_k = doc[order]
    keep_tok = keep_docs[doc_k]
    ptr = np.zeros(int(keep_docs.sum()) + 1, np.int64)
    np.cumsum(np.bincount(new_doc[doc_k[keep_tok]], minlength=len(ptr) - 1), out=ptr[1:])
    seq = TokenSequences(ptr=ptr,
                         token=np.concatenate([s[1] for s in seqs])[order][keep_tok].astype(np.int32),
                         start=np.concatenate([s[2] for s in seqs])[order][keep_tok].astype(np.int32),
                         end=np.concatenate([s[3] for s in seqs])[order][keep_tok].astype(np.int32))
    joined_text = [SEPARATOR.join(texts[p.modality][d] for p in parts) for d in range(D)]
    docs = docs.assign(text=joined_text)[keep_docs].reset_index(drop=True)
    if int((~keep_docs).sum()):
        notes.append(f"{int((~keep_docs).sum())} documents empty in every language were dropped")
    for p in parts:
        missing = int((docs[f"text{p.modality}"].fillna("").astype(str).str.strip() == "").sum())
        if missing:
            notes.append(f"{missing} documents have no {p.modality} part (comparable, not parallel)")
    vocab = pd.DataFrame({"token": pd.Series(tokens, dtype=object), "modality": pd.Series(mods, dtype=object),
                          "tf": np.asarray(n_dw.sum(axis=0)).ravel().astype(np.float64),
                          "df": T.document_frequency(n_dw)})
    manifest = {"multilingual": {"parts": [asdict(p) for p in parts], "id_column": id_column,
                                 "preprocessing": settings_of},
                "documents_in_source": D, "dropped_empty": int((~keep_docs).sum()),
                "source": {"files": digests, "format": "multilingual"}, "notes": notes,
                "import_seconds": round(time.perf_counter() - t0, 3)}
    return _as_stored(Corpus(name="", documents=docs, vocab=vocab, n_dw=n_dw, sequences=seq, manifest=manifest))


def import_multilingual(workspace: Workspace, name: str, parts, path=None, id_column=None, replace=False,
                        **options) -> Corpus:
    """Build (:func:`build_multilingual`) and store the corpus as ``name``; nothing is written
    unless the whole build succeeds."""
    name = validate_name(name, "corpus name")
    with entry_lock(workspace.corpus_path(name), f"corpus {name!r}"):
        if workspace.has_corpus(name) and not replace:
            raise WorkspaceError(f"a corpus named {name!r} already exists in {workspace.root} "
                                 "(use --replace to overwrite it)")
        corpus = build_multilingual(parts, path, id_column, **options)
        workspace.save_corpus(corpus, name, replace=replace, extra_manifest={"created_at": now_iso()})
    return workspace.load_corpus(name)


def languages_of(corpus) -> list[str]:
    """The language modalities of a multilingual corpus (its import parts), else every modality."""
    parts = (corpus.manifest.get("multilingual") or {}).get("parts")
    return [p["modality"] for p in parts] if parts else list(corpus.modalities)


def normalizer_of(corpus, modality: str) -> T.Normalizer | None:
    """The pipeline that made ``modality``'s tokens (None for corpora not built here)."""
    settings = ((corpus.manifest.get("multilingual") or {}).get("preprocessing") or {}).get(modality)
    return _normalizer(settings) if settings else None


def part_matrix(corpus, modality: str) -> sp.csr_matrix:
    """n_dw restricted to ``modality``'s tokens (the other columns zeroed): (D, W) CSR."""
    keep = corpus.modality_mask(modality).astype(np.float32)
    m = sp.csr_matrix(corpus.n_dw @ sp.diags(keep), dtype=np.float32)
    m.eliminate_zeros()
    return m


def vectorize_part(corpus, texts, modality: str) -> sp.csr_matrix:
    """Counts (len(texts), W) of new texts in ``modality``'s language, over the corpus's tokens."""
    norm = normalizer_of(corpus, modality)
    raw = T.tokenize(["" if t is None else str(t) for t in texts])
    terms = norm.terms(raw.forms) if norm is not None else list(raw.forms)
    ids = corpus.token_ids([t if t is not None else "\x00" for t in terms], modality) if terms else np.zeros(0, np.int64)
    w = np.append(ids, -1)[raw.form] if raw.n_tokens else np.zeros(0, np.int64)
    ok = w >= 0
    return T.count_matrix(raw.doc[ok], w[ok], len(texts), corpus.n_tokens)
