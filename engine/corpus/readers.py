"""File readers: from a user's file (or folder) to a table of documents or a bag of words.

Every reader names the file (and the line, where there is one) in the :class:`InputError` it
raises. Formats are recognised by content first (gzip, zip and Parquet magic bytes, JSON,
Vowpal Wabbit lines) and by the file name where content is ambiguous.

- plain text: ``.txt`` (one document, or one per line), ``.zip`` or a folder of ``.txt`` files
  (file name = document id);
- tables: CSV/TSV, JSON Lines (or a JSON array of objects), Parquet; gzip-compressed too;
- bag of words: Vowpal Wabbit as BigARTM reads it and UCI ``docword.X.txt`` + ``vocab.X.txt``.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY
from engine.errors import InputError

MAX_BYTES = 4 << 30  # refuse to decompress more than 4 GiB

TEXT_FORMATS = ("text", "text-lines", "text-folder", "zip", "csv", "tsv", "jsonl", "json", "parquet")
BOW_FORMATS = ("vw", "uci")


@dataclass
class TableSource:
    """One row per document (text formats)."""

    frame: pd.DataFrame
    format: str
    sha256: str
    encoding: str | None = None
    notes: list = field(default_factory=list)


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


# --------------------------------------------------------------------------- bytes and encodings

def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped if it is gzip-compressed."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    return gunzip(raw, path)


def gunzip(raw: bytes, path: Path) -> bytes:
    """``raw`` decompressed if it starts with the gzip magic bytes, else ``raw``."""
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
                raw = fh.read(MAX_BYTES + 1)
        except (OSError, EOFError) as e:
            raise InputError(f"{path}: broken gzip file ({e})") from None
        if len(raw) > MAX_BYTES:
            raise InputError(f"{path}: more than 4 GiB uncompressed; split it first")
    return raw


def check_not_empty(raw: bytes, path: Path) -> None:
    if not raw.strip():
        raise InputError(f"{path}: the file is empty")


def check_not_binary(raw: bytes, path: Path) -> None:
    """Reject data that is not text: NUL bytes or many control characters in the first 64 KiB."""
    head = raw[:65536]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return  # UTF-16 with BOM
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13, 27))
    if b"\x00" in head or controls > 0.05 * max(len(head), 1):
        raise InputError(f"{path}: looks like a binary file, not text (expected text, CSV, JSON Lines, "
                         "Parquet, Vowpal Wabbit, UCI, .zip of .txt)")


def guess_8bit_encoding(raw: bytes) -> str:
    """``"cp1251"`` for Cyrillic text, else ``"cp1252"`` (Windows Latin-1) or ``"latin-1"``.

    In cp1251 Russian text nearly every byte ≥ 0xC0 sits next to another such byte (whole words
    are high bytes); in Latin-1 text accented letters are isolated inside ASCII words.
    """
    a = np.frombuffer(raw[:1_000_000], dtype=np.uint8)
    high = a >= 0xC0
    n = int(high.sum())
    if n:
        neighbour = np.zeros_like(high)
        neighbour[1:] |= high[:-1]
        neighbour[:-1] |= high[1:]
        if (high & neighbour).sum() / n > 0.5:
            return "cp1251"
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _line_of(raw: bytes, pos: int) -> int:
    return raw.count(b"\n", 0, pos) + 1


def decode(raw: bytes, path: Path, encoding: str | None = None, notes: list | None = None) -> tuple[str, str]:
    """Decode ``raw``: the given encoding, or UTF-8 (with/without BOM), UTF-16 with BOM, else a
    guessed 8-bit code page (cp1251 or Windows Latin-1), noted in ``notes``.

    Returns (text, encoding used).
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (try utf-8, cp1251, latin-1)") from None
        except UnicodeDecodeError as e:
            guess = "utf-8"
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                guess = guess_8bit_encoding(raw)
            raise InputError(f"{path}: line {_line_of(raw, e.start)}: not valid {encoding} "
                             f"(byte 0x{raw[e.start]:02x}); try --encoding {guess}") from None
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), "utf-16"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        loose = raw.decode("utf-8", errors="replace")
        n_bad = loose.count("\ufffd")
        n_good = sum(1 for ch in loose if ord(ch) > 127) - n_bad
        if n_good > 4 * n_bad:  # UTF-8 with a few broken bytes, not another code page
            if notes is not None:
                notes.append(f"{path.name}: {n_bad} invalid UTF-8 byte(s) replaced by '\ufffd' "
                             f"(first at line {_line_of(raw, e.start)})")
            return loose, "utf-8"
        guess = guess_8bit_encoding(raw)
        if notes is not None:
            notes.append(f"{path.name}: not UTF-8 (line {_line_of(raw, e.start)}); decoded as {guess} "
                         "- pass --encoding to choose another")
        return raw.decode(guess, errors="replace"), guess


def sha256_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


# --------------------------------------------------------------------------- format detection

_UCI_DOCWORD = re.compile(r"^docword\.(.+?)\.txt(\.gz)?$")
_UCI_VOCAB = re.compile(r"^vocab\.(.+?)\.txt(\.gz)?$")
_VW_LINE = re.compile(r"^\S+\s.*\|\S")


def _base_name(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def detect_format(path: Path, raw: bytes | None = None) -> str:
    """The format name of ``path``: one of TEXT_FORMATS + BOW_FORMATS (``"text"`` is one document;
    ``"text-lines"`` is chosen by the caller's ``one_per_line``)."""
    path = Path(path)
    if path.is_dir():
        if any(_UCI_DOCWORD.match(p.name) for p in path.iterdir()):
            return "uci"
        return "text-folder"
    name = _base_name(path)
    if _UCI_DOCWORD.match(path.name) or _UCI_VOCAB.match(path.name):
        return "uci"
    if raw is None:
        raw = read_bytes(path)
    if raw[:4] == b"PAR1":
        return "parquet"
    if raw[:4] == b"PK\x03\x04" or raw[:4] == b"PK\x05\x06":
        return "zip"
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext == "parquet":
        raise InputError(f"{path}: named .parquet but is not a Parquet file")
    head = raw[:65536].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((ln.strip() for ln in head.splitlines() if ln.strip()), "")
    if ext in ("csv",):
        return "csv"
    if ext in ("tsv", "tab"):
        return "tsv"
    if ext in ("jsonl", "ndjson") or (first.startswith("{") and _json_ok(first)):
        return "jsonl"
    if ext == "json" or first.startswith("["):
        return "json"
    if ext == "vw" or name.startswith("vw.") or _looks_like_vw(head):
        return "vw"
    if ext == "txt" or not ext:
        return "text"
    if _looks_like_csv(head):
        return "csv"
    return "text"


def _json_ok(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _looks_like_vw(head: str) -> bool:
    lines = [ln for ln in head.splitlines()[:-1] if ln.strip()][:20]
    return bool(lines) and sum(bool(_VW_LINE.match(ln)) for ln in lines) >= 0.8 * len(lines)


def _looks_like_csv(head: str) -> bool:
    try:
        csv.Sniffer().sniff(head[:8192], delimiters=",;\t")
        return True
    except csv.Error:
        return False


# --------------------------------------------------------------------------- readers

def read_source(path, encoding: str | None = None, one_per_line: bool = False,
                limit: int | None = None) -> TableSource | BagOfWordsSource:
    """Read ``path`` in whatever supported format it is in.

    Parameters
    ----------
    limit : int, optional
        Read at most this many documents (previews).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        fmt = detect_format(path)
        if fmt == "uci":
            return read_uci(path, limit=limit)
        return read_text_folder(path, encoding, limit)
    if _UCI_DOCWORD.match(path.name) or _UCI_VOCAB.match(path.name):
        return read_uci(path, limit=limit)
    try:
        file_bytes = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror or e})") from None
    digest = sha256_of(file_bytes)
    raw = gunzip(file_bytes, path)
    del file_bytes
    check_not_empty(raw, path)
    fmt = detect_format(path, raw)
    if fmt == "parquet":
        return read_parquet(path, raw, digest, limit)
    if fmt == "zip":
        return read_zip(path, raw, digest, encoding, limit)
    check_not_binary(raw, path)
    notes: list = []
    text, used = decode(raw, path, encoding, notes)
    if not text.strip():
        raise InputError(f"{path}: the file is empty")
    if fmt == "vw":
        src = read_vw(text, path, digest, limit)
    elif fmt in ("csv", "tsv"):
        src = read_csv(text, path, digest, "\t" if fmt == "tsv" else None, limit)
    elif fmt == "jsonl":
        src = read_jsonl(text, path, digest, limit)
    elif fmt == "json":
        src = read_json_array(text, path, digest, limit)
    elif one_per_line:
        src = read_text_lines(text, path, digest, limit)
    else:
        src = TableSource(pd.DataFrame({"id": [_stem(path)], "text": [text]}), "text", digest)
    if isinstance(src, TableSource):
        src.encoding = used
    src.notes[:0] = notes
    return src


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".txt", ".text"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name


def read_text_lines(text: str, path: Path, digest: str, limit=None) -> TableSource:
    """One document per non-blank line; id = line number."""
    ids, texts = [], []
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip():
            ids.append(str(i))
            texts.append(line)
            if limit and len(ids) >= limit:
                break
    return TableSource(pd.DataFrame({"id": ids, "text": texts}), "text-lines", digest)


def _text_entries_frame(entries, path: Path, encoding, notes) -> pd.DataFrame:
    ids, texts = [], []
    for name, raw in entries:
        if b"\x00" in raw[:65536] and raw[:2] not in (b"\xff\xfe", b"\xfe\xff"):
            raise InputError(f"{path}: {name} looks like a binary file, not text")
        t, _ = decode(raw, Path(name), encoding, notes)
        ids.append(name[:-4] if name.lower().endswith(".txt") else name)
        texts.append(t)
    if not ids:
        raise InputError(f"{path}: contains no .txt files (spreadsheets: save them as CSV)")
    if len(notes) > 5:
        notes[:] = notes[:3] + [f"... and {len(notes) - 3} more files not in UTF-8"]
    return pd.DataFrame({"id": ids, "text": texts})


def read_zip(path: Path, raw: bytes, digest: str, encoding=None, limit=None) -> TableSource:
    """A .zip of .txt files (any folders inside); id = path inside the archive without .txt."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as e:
        raise InputError(f"{path}: broken zip file ({e})") from None
    infos = sorted((i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".txt")
                    and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")),
                   key=lambda i: i.filename)
    if limit:
        infos = infos[:limit]
    if sum(i.file_size for i in infos) > MAX_BYTES:
        raise InputError(f"{path}: more than 4 GiB uncompressed")
    notes: list = []
    frame = _text_entries_frame(((i.filename, zf.read(i)) for i in infos), path, encoding, notes)
    return TableSource(frame, "zip", digest, encoding, notes)


def read_text_folder(path: Path, encoding=None, limit=None) -> TableSource:
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".txt"
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    if limit:
        files = files[:limit]
    h = hashlib.sha256()
    entries = []
    for p in files:
        raw = p.read_bytes()
        rel = p.relative_to(path).as_posix()
        h.update(rel.encode() + b"\x00" + raw)
        entries.append((rel, raw))
    notes: list = []
    frame = _text_entries_frame(entries, path, encoding, notes)
    return TableSource(frame, "text-folder", h.hexdigest(), encoding, notes)


def read_jsonl(text: str, path: Path, digest: str, limit=None) -> TableSource:
    rows = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{path}: line {i}: not valid JSON ({e.msg})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{path}: line {i}: expected a JSON object per line, got {type(obj).__name__}")
        rows.append(obj)
        if limit and len(rows) >= limit:
            break
    return TableSource(pd.DataFrame.from_records(rows), "jsonl", digest)


def read_json_array(text: str, path: Path, digest: str, limit=None) -> TableSource:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: line {e.lineno}: not valid JSON ({e.msg})") from None
    if isinstance(obj, dict):
        obj = [obj]
    if not isinstance(obj, list) or not all(isinstance(o, dict) for o in obj):
        raise InputError(f"{path}: expected a JSON array of objects (one per document)")
    return TableSource(pd.DataFrame.from_records(obj[:limit] if limit else obj), "json", digest)


def read_csv(text: str, path: Path, digest: str, sep: str | None = None, limit=None) -> TableSource:
    if sep is None:  # the header line decides: prose in the rows fools csv.Sniffer
        header = text.lstrip("\ufeff").split("\n", 1)[0]
        counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
        sep = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, nrows=limit)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, ValueError) as e:
        msg = str(e).strip().splitlines()[-1]
        raise InputError(f"{path}: not a valid {'TSV' if sep == chr(9) else 'CSV'} file: {msg}") from None
    frame.columns = [str(c) for c in frame.columns]
    return TableSource(frame, "tsv" if sep == "\t" else "csv", digest)


def read_parquet(path: Path, raw: bytes, digest: str, limit=None) -> TableSource:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(raw))
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for broken files
        raise InputError(f"{path}: not a readable Parquet file ({e})") from None
    if limit:
        table = table.slice(0, limit)
    frame = table.to_pandas()
    frame.columns = [str(c) for c in frame.columns]
    return TableSource(frame, "parquet", digest)


# --------------------------------------------------------------------------- bag of words

def _bow_source(ids, doc, key_mod, key_tok, term, count, n_terms, fmt, digest, notes) -> BagOfWordsSource:
    n_dw = sp.coo_matrix((np.asarray(count, np.float32), (np.asarray(doc, np.int64), np.asarray(term, np.int64))),
                         shape=(len(ids), n_terms)).tocsr()
    n_dw.sum_duplicates()
    n_dw.sort_indices()
    n_dw.indices = n_dw.indices.astype(np.int32)
    vocab = pd.DataFrame({"token": key_tok, "modality": key_mod})
    return BagOfWordsSource(list(ids), vocab, n_dw, fmt, digest, notes)


def read_vw(text: str, path: Path, digest: str, limit=None) -> BagOfWordsSource:
    """Vowpal Wabbit as BigARTM reads it: ``doc_id tok tok:3 |@labels x |@authors y z``.

    Tokens before the first ``|name`` belong to ``@default_class``; ``tok:c`` adds ``c`` (a
    positive number) to the count.
    """
    ids: list = []
    term_of: dict = {}
    mods: list = []
    toks: list = []
    doc, term, count = [], [], []
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if parts[0].startswith("|"):
            raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit line: it must start with "
                             f"a document id, not {parts[0]!r}")
        d = len(ids)
        ids.append(parts[0])
        modality = DEFAULT_MODALITY
        for tok in parts[1:]:
            if tok[0] == "|":
                modality = tok[1:]
                if not modality:
                    raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit line: '|' without "
                                     "a modality name")
                continue
            c = 1.0
            if ":" in tok:
                word, _, value = tok.rpartition(":")
                try:
                    c = float(value)
                except ValueError:
                    c = float("nan")
                if not word or not (c > 0) or math.isinf(c):
                    raise InputError(f"{path}: line {lineno}: malformed Vowpal Wabbit token {tok!r} "
                                     "(expected token or token:count with a positive count)")
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
    if len(set(ids)) != len(ids):
        seen, dup = set(), None
        for i in ids:
            if i in seen:
                dup = i
                break
            seen.add(i)
        raise InputError(f"{path}: document id {dup!r} appears on more than one line")
    return _bow_source(ids, doc, mods, toks, term, count, len(toks), "vw", digest, [])


def _uci_paths(path: Path) -> tuple[Path, Path, str]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if _UCI_DOCWORD.match(p.name))
        if not found:
            raise InputError(f"{path}: no docword.NAME.txt file in this folder")
        path = found[0]
    m = _UCI_DOCWORD.match(path.name) or _UCI_VOCAB.match(path.name)
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


def read_uci(path: Path, limit=None) -> BagOfWordsSource:
    """UCI bag-of-words: ``docword.NAME.txt`` (header D, W, NNZ; then ``docID wordID count``,
    1-based) and ``vocab.NAME.txt`` (line w = token, optionally followed by its modality).
    Document ids come from ``docids.NAME.txt`` when present, else ``"1"``..``"D"``.
    """
    docword, vocab_path, name = _uci_paths(Path(path))
    raw = read_bytes(docword)
    check_not_empty(raw, docword)
    check_not_binary(raw, docword)
    digest = sha256_of(docword.read_bytes() + b"\x00" + vocab_path.read_bytes())
    text = raw.decode("ascii", errors="replace")
    lines = text.split("\n", 3)
    header = []
    for i in range(3):
        line = lines[i].strip() if i < len(lines) else ""
        if not re.fullmatch(r"\d+", line):
            what = ("D (documents)", "W (vocabulary size)", "NNZ (non-zero counts)")[i]
            raise InputError(f"{docword}: line {i + 1}: malformed UCI header: expected {what} as a "
                             f"non-negative integer, got {line[:40]!r}")
        header.append(int(line))
    n_docs, n_words, nnz = header
    body = lines[3] if len(lines) > 3 else ""
    vals = body.split()
    if len(vals) % 3:
        _uci_bad_line(docword, body)
    try:
        arr = np.array(vals, dtype=np.float64).reshape(-1, 3)
    except ValueError:
        _uci_bad_line(docword, body)
    if len(arr) != nnz:
        raise InputError(f"{docword}: UCI header says NNZ={nnz} but the file has {len(arr)} count lines")
    d = arr[:, 0].astype(np.int64) - 1
    w = arr[:, 1].astype(np.int64) - 1
    c = arr[:, 2]
    bad = (d < 0) | (d >= n_docs) | (w < 0) | (w >= n_words) | ~(c > 0) | (arr[:, 0] != np.floor(arr[:, 0]))
    if bad.any():
        k = int(np.argmax(bad))
        raise InputError(f"{docword}: line {k + 4}: docID/wordID out of range 1..{n_docs}/1..{n_words} "
                         f"or count not positive: {' '.join(vals[3 * k:3 * k + 3])!r}")
    vtext, _ = decode(read_bytes(vocab_path), vocab_path)
    vlines = [ln for ln in vtext.split("\n") if ln.strip()]
    if len(vlines) != n_words:
        raise InputError(f"{vocab_path}: has {len(vlines)} tokens but the UCI header of {docword.name} "
                         f"says W={n_words}")
    toks, mods = [], []
    for ln in vlines:
        parts = ln.split()
        toks.append(parts[0])
        mods.append(parts[1] if len(parts) > 1 else DEFAULT_MODALITY)
    ids_path = docword.parent / f"docids.{name}.txt"
    if ids_path.exists():
        ids = [ln.strip() for ln in decode(read_bytes(ids_path), ids_path)[0].split("\n") if ln.strip()]
        if len(ids) != n_docs or len(set(ids)) != n_docs:
            raise InputError(f"{ids_path}: expected {n_docs} distinct document ids, one per line")
    else:
        ids = [str(i + 1) for i in range(n_docs)]
    if limit and limit < n_docs:
        keep = d < limit
        d, w, c, ids = d[keep], w[keep], c[keep], ids[:limit]
    # merge (token, modality) pairs that occur twice in the vocabulary
    key = pd.MultiIndex.from_arrays([mods, toks])
    codes, uniq = pd.factorize(key)
    notes = []
    if len(uniq) < n_words:
        notes.append(f"{vocab_path.name}: {n_words - len(uniq)} duplicate tokens merged")
    term = codes[w]
    umods = [m for m, _ in uniq]
    utoks = [t for _, t in uniq]
    return _bow_source(ids, d, umods, utoks, term, c, len(uniq), "uci", digest, notes)


def _uci_bad_line(docword: Path, body: str):
    for k, ln in enumerate(body.split("\n")):
        parts = ln.split()
        if not parts:
            continue
        ok = len(parts) == 3
        if ok:
            try:
                [float(p) for p in parts]
            except ValueError:
                ok = False
        if not ok:
            raise InputError(f"{docword}: line {k + 4}: malformed UCI line {ln.strip()[:60]!r} "
                             "(expected 'docID wordID count')")
    raise InputError(f"{docword}: malformed UCI body")
