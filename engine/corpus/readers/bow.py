"""Bag-of-words readers: Vowpal Wabbit lines as BigARTM reads them and UCI ``docword``/``vocab``.

Counts must be positive, finite and at most ``MAX_COUNT`` (a count above it is a broken file, and
float32 storage would turn 1e39 into ∞). UCI lines are parsed one by one: a line with 2 or 4
fields is refused with its number, never re-aligned into other triples; document and word ids
must be integers. The UCI header is checked against the file sizes before anything of the
header's size is allocated.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.corpus.limits import ReadLimits
from engine.corpus.readers.detect import UCI_DOCWORD, UCI_VOCAB
from engine.corpus.readers.encoding import check_not_binary, check_not_empty, decode
from engine.corpus.readers.raw import iter_lines, read_input
from engine.errors import InputError

MAX_COUNT = 1e9


@dataclass
class BagOfWordsSource:
    """Counts already made (VW, UCI).

    ``n_dw`` has shape (D, W) with the columns described by ``vocab`` (token, modality).
    """

    ids: list
    vocab: pd.DataFrame
    n_dw: sp.csr_matrix
    format: str
    sha256: str
    notes: list = field(default_factory=list)


def counts_csr(doc, term, count, n_rows: int, n_terms: int) -> sp.csr_matrix:
    """The (n_rows, n_terms) count matrix of (doc, term, count) triples: duplicates summed in
    float64, then stored as float32 with sorted int32 indices; InputError when a sum leaves the
    float32 range. A document's triples must all be in one call (pieces are concatenated)."""
    n_dw = sp.coo_matrix((np.asarray(count, np.float64), (np.asarray(doc, np.int64), np.asarray(term, np.int64))),
                         shape=(n_rows, n_terms)).tocsr()
    n_dw.sum_duplicates()
    if n_dw.nnz and not np.isfinite(n_dw.data.astype(np.float32)).all():
        raise InputError("summed counts of one token in one document exceed the float32 range")
    n_dw.data = n_dw.data.astype(np.float32)
    n_dw.sort_indices()
    n_dw.indices = n_dw.indices.astype(np.int32)
    return n_dw


def _bow_source(ids, doc, key_mod, key_tok, term, count, n_terms, fmt, digest, notes) -> BagOfWordsSource:
    n_dw = counts_csr(doc, term, count, len(ids), n_terms)
    vocab = pd.DataFrame({"token": key_tok, "modality": key_mod})
    return BagOfWordsSource(list(ids), vocab, n_dw, fmt, digest, notes)


class VWLines:
    """Vowpal Wabbit lines parsed one at a time into (doc, term, count) triples; the vocabulary
    (``mods``, ``toks``: term id → modality, token) grows in order of first appearance."""

    def __init__(self, path: Path):
        self.path = path
        self.ids: list = []  # the ids of documents since the caller last emptied it
        self.n_docs = 0
        self.seen: set = set()
        self.term_of: dict = {}
        self.mods: list = []
        self.toks: list = []

    def add(self, line: str, lineno: int, doc: list, term: list, count: list) -> bool:
        """Parse ``line`` (number ``lineno``) as document ``self.n_docs``, appending its
        triples; False for a blank line. InputError naming the line when malformed."""
        path = self.path
        parts = line.split()
        if not parts:
            return False
        if parts[0].startswith("|"):
            raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit line: it must start with "
                             f"a document id, not {parts[0]!r}")
        if parts[0] in self.seen:
            raise InputError(f"{path}: line {lineno}: document id {parts[0]!r} appears on more than one line")
        self.seen.add(parts[0])
        d = self.n_docs
        self.n_docs += 1
        self.ids.append(parts[0])
        modality = DEFAULT_MODALITY
        term_of = self.term_of
        for tok in parts[1:]:
            if tok[0] == "|":
                modality = tok[1:]
                if not modality:
                    raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit line: '|' without "
                                     "a modality name")
                modality = modality if modality.startswith("@") else "@" + modality  # |labels = @labels
                continue
            c = 1.0
            if ":" in tok:
                word, _, value = tok.rpartition(":")
                try:
                    c = float(value)
                except ValueError:
                    c = float("nan")
                if not word or not (0 < c <= MAX_COUNT):
                    raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit token {tok[:60]!r} "
                                     f"(expected token or token:count with a count in (0, {MAX_COUNT:g}])")
                tok = word
            key = (modality, tok)
            t = term_of.get(key)
            if t is None:
                t = term_of[key] = len(self.toks)
                self.mods.append(modality)
                self.toks.append(tok)
            doc.append(d)
            term.append(t)
            count.append(c)
        return True


def read_vw(text: str, path: Path, digest: str, limit=None) -> BagOfWordsSource:
    """Vowpal Wabbit as BigARTM reads it: ``doc_id tok tok:3 |@labels x |@authors y z``.

    Tokens before the first ``|name`` belong to ``@default_class``; a namespace without ``@``
    (``|labels``) is the modality ``@labels``, as BigARTM's class ids and ``--modality-weight
    labels=5`` name it; ``tok:c`` adds ``c`` (a positive number ≤ 1e9) to the count.
    """
    vw = VWLines(path)
    doc, term, count = [], [], []
    for lineno, line in enumerate(iter_lines(text), 1):
        if vw.add(line, lineno, doc, term, count) and limit and len(vw.ids) >= limit:
            break
    return _bow_source(vw.ids, doc, vw.mods, vw.toks, term, count, len(vw.toks), "vw", digest, [])


def uci_paths(path: Path) -> tuple[Path, Path, str]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if UCI_DOCWORD.match(p.name))
        if not found:
            raise InputError(f"{path}: no docword.NAME.txt file in this folder")
        path = found[0]
    m = UCI_DOCWORD.match(path.name) or UCI_VOCAB.match(path.name)
    name = m.group(1)
    folder = path.parent

    def find(prefix):
        for cand in (folder / f"{prefix}.{name}.txt", folder / f"{prefix}.{name}.txt.gz"):
            if cand.exists():
                return cand
        return None

    docword, vocab = find("docword"), find("vocab")
    if docword is None:
        raise InputError(f"{path}: UCI bag-of-words needs docword.{name}.txt next to it")
    if vocab is None:
        raise InputError(f"{docword}: UCI bag-of-words needs vocab.{name}.txt next to it")
    return docword, vocab, name


def _uci_header(raw: bytes, docword: Path) -> tuple[list, int]:
    """(D, W, NNZ) and the byte offset of the body."""
    header, pos = [], 0
    for i in range(3):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        line = raw[pos:end].decode("ascii", errors="replace").strip()
        if not re.fullmatch(r"\d{1,18}", line):
            what = ("D (documents)", "W (vocabulary size)", "NNZ (non-zero counts)")[i]
            raise InputError(f"{docword}: line {i + 1}: malformed UCI header: expected {what} as a "
                             f"non-negative integer, got {line[:40]!r}")
        header.append(int(line))
        pos = end + 1
    return header, min(pos, len(raw))


def _uci_body(body: bytes, docword: Path, first_line: int = 4) -> np.ndarray:
    """(n, 3) float64 of the count lines; InputError naming the first line without 3 numbers
    (``first_line``: the file's line number of the first line of ``body``)."""
    if not body.strip():
        return np.zeros((0, 3))
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=r"\s+", header=None, names=[0, 1, 2, 3], dtype=str,
                            skip_blank_lines=True, engine="c", keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, ValueError) as e:
        _uci_bad_line(docword, body, str(e), first_line)
    bad = frame[2].isna() | (frame[2] == "") | (frame[3].notna() & (frame[3] != ""))
    if bad.any():
        _uci_bad_line(docword, body, first_line=first_line)
    try:
        return frame[[0, 1, 2]].astype(np.float64).to_numpy()
    except ValueError:
        _uci_bad_line(docword, body, first_line=first_line)


@dataclass
class UciMeta:
    """What a UCI import knows before the counts: the header, the vocabulary (``codes[w]`` = term
    of word id w after merging duplicate (token, modality) pairs), the document ids of
    ``docids.NAME.txt`` (None without it) and the digest of the vocabulary (and ids) file."""

    docword: Path
    n_docs: int
    n_words: int
    nnz: int
    codes: np.ndarray
    toks: list
    mods: list
    ids: list | None
    vocab_sha256: str
    notes: list


def uci_meta(docword: Path, vocab_path: Path, name: str, head: bytes, body_size: int,
             limits: ReadLimits) -> tuple[UciMeta, int]:
    """The header (from ``head``, the docword file's first bytes), checked against the body's
    size (``body_size`` = decompressed bytes after the header), the vocabulary and the ids;
    returns (meta, byte offset of the body). InputError for a header that cannot be right."""
    (n_docs, n_words, nnz), start = _uci_header(head, docword)
    body_size -= start
    if nnz > max(body_size, 1) / 6 + 1:  # a count line "d w c\n" takes at least 6 bytes
        raise InputError(f"{docword}: UCI header says NNZ={nnz:,} but the file holds at most "
                         f"{body_size // 6:,} count lines; the header is wrong")
    if n_docs > 1000 * max(nnz, 1) or n_docs >= 2 ** 31:
        raise InputError(f"{docword}: UCI header says D={n_docs:,} documents for NNZ={nnz:,} counts; "
                         "the header is wrong")
    vraw, h2 = read_input(vocab_path, limits)
    if n_words > len(vraw) // 2 + 1:  # a vocabulary line "t\n" takes at least 2 bytes
        raise InputError(f"{docword}: UCI header says W={n_words:,} but {vocab_path.name} holds at most "
                         f"{len(vraw) // 2:,} tokens; the header is wrong")
    vtext, _ = decode(vraw, vocab_path)
    del vraw
    vlines = [ln for ln in vtext.split("\n") if ln.strip()]
    if len(vlines) != n_words:
        raise InputError(f"{vocab_path}: has {len(vlines)} tokens but the UCI header of {docword.name} "
                         f"says W={n_words}")
    toks, mods = [], []
    for ln in vlines:
        parts = ln.split()
        toks.append(parts[0])
        mods.append(("" if parts[1].startswith("@") else "@") + parts[1] if len(parts) > 1 else DEFAULT_MODALITY)
    ids = None
    ids_path = docword.parent / f"docids.{name}.txt"
    if ids_path.exists():
        ids = [ln.strip() for ln in decode(read_input(ids_path, limits)[0], ids_path)[0].split("\n") if ln.strip()]
        if len(ids) != n_docs or len(set(ids)) != n_docs:
            raise InputError(f"{ids_path}: expected {n_docs} distinct document ids, one per line")
    # merge (token, modality) pairs that occur twice in the vocabulary
    codes, uniq = pd.factorize(pd.MultiIndex.from_arrays([mods, toks]))
    notes = [f"{vocab_path.name}: {n_words - len(uniq)} duplicate tokens merged"] if len(uniq) < n_words else []
    meta = UciMeta(docword, n_docs, n_words, nnz, np.asarray(codes, np.int64), [t for _, t in uniq],
                   [m for m, _ in uniq], ids, h2, notes)
    return meta, start


def uci_rows(arr: np.ndarray, meta: UciMeta, body: bytes, first_line: int = 4) -> tuple[np.ndarray, ...]:
    """(doc, word) 0-based int64 and counts of the (n, 3) count lines ``arr`` parsed from
    ``body``; InputError naming the first line out of range (file line numbers from ``first_line``)."""
    d, w, c = arr[:, 0], arr[:, 1], arr[:, 2]
    bad = ((d < 1) | (d > meta.n_docs) | (w < 1) | (w > meta.n_words) | (d != np.floor(d)) | (w != np.floor(w))
           | ~((c > 0) & (c <= MAX_COUNT)))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"{meta.docword}: line {_line_no(body, k) + first_line - 1}: docID/wordID out of range "
                         f"1..{meta.n_docs}/1..{meta.n_words} or not an integer, or the count not in "
                         f"(0, {MAX_COUNT:g}]: {' '.join(f'{x:g}' for x in arr[k])!r}")
    return d.astype(np.int64) - 1, w.astype(np.int64) - 1, c


def read_uci(path: Path, limits: ReadLimits, limit=None) -> BagOfWordsSource:
    """UCI bag-of-words read whole: ``docword.NAME.txt`` (header D, W, NNZ; then ``docID wordID
    count``, 1-based) and ``vocab.NAME.txt`` (line w = token, optionally followed by its modality).
    Document ids come from ``docids.NAME.txt`` when present, else ``"1"``..``"D"``. The import
    reads it in chunks (:mod:`engine.corpus.readers.bow_chunks`); this is the reference.
    """
    docword, vocab_path, name = uci_paths(Path(path))
    raw, h1 = read_input(docword, limits)
    check_not_empty(raw, docword)
    check_not_binary(raw, docword)
    meta, start = uci_meta(docword, vocab_path, name, raw, len(raw), limits)
    body = raw[start:]
    arr = _uci_body(body, docword)
    if len(arr) != meta.nnz:
        raise InputError(f"{docword}: UCI header says NNZ={meta.nnz} but the file has {len(arr)} count lines")
    d, w, c = uci_rows(arr, meta, body)
    if meta.ids is not None:
        ids = meta.ids
    else:
        # documents after the last one with counts would be dropped as empty: never made
        n_used = int(d.max()) + 1 if len(d) else 0
        ids = [str(i + 1) for i in range(n_used)]
    if limit and limit < len(ids):
        keep = d < limit
        d, w, c, ids = d[keep], w[keep], c[keep], ids[:limit]
    return _bow_source(ids, d, meta.mods, meta.toks, meta.codes[w], c, len(meta.toks), "uci",
                       f"{h1}:{meta.vocab_sha256}", list(meta.notes))


def _line_no(body: bytes, k: int) -> int:
    """1-based line of the k-th non-blank line of ``body``."""
    seen = -1
    for i, ln in enumerate(body.split(b"\n"), 1):
        if ln.strip():
            seen += 1
            if seen == k:
                return i
    return k + 1


def _uci_bad_line(docword: Path, body: bytes, detail: str = "", first_line: int = 4):
    for k, ln in enumerate(body.decode("ascii", errors="replace").split("\n")):
        parts = ln.split()
        if not parts:
            continue
        ok = len(parts) == 3
        if ok:
            try:
                ok = all(math.isfinite(float(p)) or True for p in parts)
            except ValueError:
                ok = False
        if not ok:
            raise InputError(f"{docword}: line {k + first_line}: malformed UCI line {ln.strip()[:60]!r} "
                             f"(expected 3 numbers 'docID wordID count', found {len(parts)} field(s))")
    raise InputError(f"{docword}: malformed UCI body{': ' + detail.splitlines()[0] if detail else ''}")
