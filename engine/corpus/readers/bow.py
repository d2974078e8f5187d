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


def _bow_source(ids, doc, key_mod, key_tok, term, count, n_terms, fmt, digest, notes) -> BagOfWordsSource:
    n_dw = sp.coo_matrix((np.asarray(count, np.float64), (np.asarray(doc, np.int64), np.asarray(term, np.int64))),
                         shape=(len(ids), n_terms)).tocsr()
    n_dw.sum_duplicates()
    if n_dw.nnz and not np.isfinite(n_dw.data.astype(np.float32)).all():
        raise InputError("summed counts of one token in one document exceed the float32 range")
    n_dw.data = n_dw.data.astype(np.float32)
    n_dw.sort_indices()
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": key_tok, "modality": key_mod})
    return BagOfWordsSource(list(ids), vocab, n_dw, fmt, digest, notes)


def read_vw(text: str, path: Path, digest: str, limit=None) -> BagOfWordsSource:
    """Vowpal Wabbit as BigARTM reads it: ``doc_id tok tok:3 |@labels x |@authors y z``.

    Tokens before the first ``|name`` belong to ``@default_class``; a namespace without ``@``
    (``|labels``) is the modality ``@labels``, as BigARTM's class ids and ``--modality-weight
    labels=5`` name it; ``tok:c`` adds ``c`` (a positive number ≤ 1e9) to the count.
    """
    ids: list = []
    seen: set = set()
    term_of: dict = {}
    mods: list = []
    toks: list = []
    doc, term, count = [], [], []
    for lineno, line in enumerate(iter_lines(text), 1):
        parts = line.split()
        if not parts:
            continue
        if parts[0].startswith("|"):
            raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit line: it must start with "
                             f"a document id, not {parts[0]!r}")
        if parts[0] in seen:
            raise InputError(f"{path}: line {lineno}: document id {parts[0]!r} appears on more than one line")
        seen.add(parts[0])
        d = len(ids)
        ids.append(parts[0])
        modality = DEFAULT_MODALITY
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
                t = term_of[key] = len(toks)
                mods.append(modality)
                toks.append(tok)
            doc.append(d)
            term.append(t)
            count.append(c)
        if limit and len(ids) >= limit:
            break
    return _bow_source(ids, doc, mods, toks, term, count, len(toks), "vw", digest, [])


def _uci_paths(path: Path) -> tuple[Path, Path, str]:
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


def _uci_body(body: bytes, docword: Path) -> np.ndarray:
    """(n, 3) float64 of the count lines; InputError naming the first line without 3 numbers."""
    if not body.strip():
        return np.zeros((0, 3))
    try:
        frame = pd.read_csv(io.BytesIO(body), sep=r"\s+", header=None, names=[0, 1, 2, 3], dtype=str,
                            skip_blank_lines=True, engine="c", keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, ValueError) as e:
        _uci_bad_line(docword, body, str(e))
    bad = frame[2].isna() | (frame[2] == "") | (frame[3].notna() & (frame[3] != ""))
    if bad.any():
        _uci_bad_line(docword, body)
    try:
        return frame[[0, 1, 2]].astype(np.float64).to_numpy()
    except ValueError:
        _uci_bad_line(docword, body)


def read_uci(path: Path, limits: ReadLimits, limit=None) -> BagOfWordsSource:
    """UCI bag-of-words: ``docword.NAME.txt`` (header D, W, NNZ; then ``docID wordID count``,
    1-based) and ``vocab.NAME.txt`` (line w = token, optionally followed by its modality).
    Document ids come from ``docids.NAME.txt`` when present, else ``"1"``..``"D"``.
    """
    docword, vocab_path, name = _uci_paths(Path(path))
    raw, h1 = read_input(docword, limits)
    check_not_empty(raw, docword)
    check_not_binary(raw, docword)
    (n_docs, n_words, nnz), start = _uci_header(raw, docword)
    body = raw[start:]
    if nnz > max(len(body), 1) / 6 + 1:  # a count line "d w c\n" takes at least 6 bytes
        raise InputError(f"{docword}: UCI header says NNZ={nnz:,} but the file holds at most "
                         f"{len(body) // 6:,} count lines; the header is wrong")
    if n_docs > 1000 * max(nnz, 1) or n_docs >= 2 ** 31:
        raise InputError(f"{docword}: UCI header says D={n_docs:,} documents for NNZ={nnz:,} counts; "
                         "the header is wrong")
    vraw, h2 = read_input(vocab_path, limits)
    if n_words > len(vraw) // 2 + 1:  # a vocabulary line "t\n" takes at least 2 bytes
        raise InputError(f"{docword}: UCI header says W={n_words:,} but {vocab_path.name} holds at most "
                         f"{len(vraw) // 2:,} tokens; the header is wrong")
    digest = f"{h1}:{h2}"
    arr = _uci_body(body, docword)
    if len(arr) != nnz:
        raise InputError(f"{docword}: UCI header says NNZ={nnz} but the file has {len(arr)} count lines")
    d, w, c = arr[:, 0], arr[:, 1], arr[:, 2]
    bad = ((d < 1) | (d > n_docs) | (w < 1) | (w > n_words) | (d != np.floor(d)) | (w != np.floor(w))
           | ~((c > 0) & (c <= MAX_COUNT)))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"{docword}: line {_line_no(body, k) + 3}: docID/wordID out of range "
                         f"1..{n_docs}/1..{n_words} or not an integer, or the count not in (0, {MAX_COUNT:g}]: "
                         f"{' '.join(f'{x:g}' for x in arr[k])!r}")
    d = d.astype(np.int64) - 1
    w = w.astype(np.int64) - 1
    vtext, _ = decode(vraw, vocab_path)
    vlines = [ln for ln in vtext.split("\n") if ln.strip()]
    if len(vlines) != n_words:
        raise InputError(f"{vocab_path}: has {len(vlines)} tokens but the UCI header of {docword.name} "
                         f"says W={n_words}")
    toks, mods = [], []
    for ln in vlines:
        parts = ln.split()
        toks.append(parts[0])
        mods.append(("" if parts[1].startswith("@") else "@") + parts[1] if len(parts) > 1 else DEFAULT_MODALITY)
    ids_path = docword.parent / f"docids.{name}.txt"
    if ids_path.exists():
        ids = [ln.strip() for ln in decode(read_input(ids_path, limits)[0], ids_path)[0].split("\n") if ln.strip()]
        if len(ids) != n_docs or len(set(ids)) != n_docs:
            raise InputError(f"{ids_path}: expected {n_docs} distinct document ids, one per line")
    else:
        # documents after the last one with counts would be dropped as empty: never made
        n_used = int(d.max()) + 1 if len(d) else 0
        ids = [str(i + 1) for i in range(n_used)]
    if limit and limit < len(ids):
        keep = d < limit
        d, w, c, ids = d[keep], w[keep], c[keep], ids[:limit]
    # merge (token, modality) pairs that occur twice in the vocabulary
    key = pd.MultiIndex.from_arrays([mods, toks])
    codes, uniq = pd.factorize(key)
    notes = []
    if len(uniq) < n_words:
        notes.append(f"{vocab_path.name}: {n_words - len(uniq)} duplicate tokens merged")
    term = codes[w]
    return _bow_source(ids, d, [m for m, _ in uniq], [t for _, t in uniq], term, c, len(uniq), "uci", digest, notes)


def _line_no(body: bytes, k: int) -> int:
    """1-based line of the k-th non-blank line of ``body``."""
    seen = -1
    for i, ln in enumerate(body.split(b"\n"), 1):
        if ln.strip():
            seen += 1
            if seen == k:
                return i
    return k + 1


def _uci_bad_line(docword: Path, body: bytes, detail: str = ""):
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
            raise InputError(f"{docword}: line {k + 4}: malformed UCI line {ln.strip()[:60]!r} "
                             f"(expected 3 numbers 'docID wordID count', found {len(parts)} field(s))")
    raise InputError(f"{docword}: malformed UCI body{': ' + detail.splitlines()[0] if detail else ''}")
