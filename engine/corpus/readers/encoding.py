"""Text encodings: UTF-8 first, then a detected 8-bit code page; mixed encodings are refused.

Detection of 8-bit text: when high bytes come in runs (whole words of them, as Cyrillic text in
any 8-bit code page) the candidates are the Cyrillic code pages (cp1251, KOI8-R, cp866,
ISO-8859-5, Mac Cyrillic) plus charset-normalizer's best guess, and the one whose decoding looks
most like Russian/Ukrainian text wins: score = Σ log p(letter) over Cyrillic letters with
p the letter frequencies of Russian, minus a penalty for each upper-case letter that follows a
lower-case one inside a word (KOI8-R read as cp1251 is "нПУЛЧБ" for "Москва") and for letters
outside the Russian/Ukrainian alphabet. charset-normalizer alone confuses KOI8-R with cp1251 on
short texts, hence the check. Otherwise the text is Western: charset-normalizer among
cp1252 / Latin-1 / ISO-8859-15.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from engine.errors import InputError

try:
    import charset_normalizer
except ImportError:  # optional at run time: the Cyrillic scorer and cp1252 fallback still work
    charset_normalizer = None

CYRILLIC_PAGES = ("cp1251", "koi8_r", "cp866", "iso8859_5", "mac_cyrillic")
WESTERN_PAGES = ("cp1252", "latin_1", "iso8859_15")
# Russian letter frequencies (per cent), National Corpus of Russian
_FREQ = dict(zip("оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
                 (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81,
                  2.62, 2.01, 1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48,
                  0.36, 0.32, 0.26, 0.04, 0.04)))
_FREQ.update({"і": 2.0, "ї": 0.5, "є": 0.5, "ґ": 0.1, "ў": 0.1})
_LOGP = {ch: math.log(p / 100) for ch, p in _FREQ.items()}
_FOREIGN = math.log(1e-5)


def line_of(raw: bytes, pos: int) -> int:
    """1-based line number of byte offset ``pos``."""
    return raw.count(b"\n", 0, pos) + 1


def looks_cyrillic(raw: bytes) -> bool:
    """High bytes (≥ 0x80) mostly next to other high bytes: words made of them, as in 8-bit
    Cyrillic text; Western text has isolated accented letters inside ASCII words."""
    a = np.frombuffer(raw[:1_000_000], dtype=np.uint8)
    high = a >= 0x80
    n = int(high.sum())
    if not n:
        return False
    neighbour = np.zeros_like(high)
    neighbour[1:] |= high[:-1]
    neighbour[:-1] |= high[1:]
    return (high & neighbour).sum() / n > 0.5


def cyrillic_score(text: str) -> float:
    """Mean log-likelihood per Cyrillic letter of ``text`` as Russian/Ukrainian (higher = likelier)."""
    total, n, prev_lower = 0.0, 0, False
    for ch in text:
        if "\u0400" <= ch <= "\u04ff":
            low = ch.lower()
            total += _LOGP.get(low, _FOREIGN)
            if ch != low and prev_lower:
                total += _FOREIGN  # upper case inside a word
            prev_lower = ch == low
            n += 1
        else:
            prev_lower = False
            if ch.isalpha() and ord(ch) > 127:
                total += _FOREIGN  # accented Latin / box drawing letters among Cyrillic ones
                n += 1
    return total / n if n else -1e9


def guess_8bit_encoding(raw: bytes) -> str:
    """The code page of non-UTF-8 text (see the module docstring)."""
    sample = raw[:200_000]
    detected = None
    if charset_normalizer is not None:
        best = charset_normalizer.from_bytes(sample, cp_isolation=list(CYRILLIC_PAGES + WESTERN_PAGES)).best()
        detected = best.encoding if best is not None else None
    if looks_cyrillic(sample):
        candidates = dict.fromkeys(CYRILLIC_PAGES + ((detected,) if detected else ()))
        scored = []
        for enc in candidates:
            try:
                scored.append((cyrillic_score(sample.decode(enc)), enc))
            except (UnicodeDecodeError, LookupError):
                continue
        if scored:
            return max(scored)[1]
    if detected in WESTERN_PAGES:
        return detected
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def decode(raw: bytes, path: Path, encoding: str | None = None, notes: list | None = None) -> tuple[str, str]:
    """Decode ``raw``: the given encoding, or UTF-8 (with/without BOM), UTF-16 with BOM, else a
    detected 8-bit code page (noted in ``notes``).

    A file that is partly valid UTF-8 (with non-ASCII letters) and partly not is refused, naming
    the line where the encoding changes; a handful of broken bytes in UTF-8 text are replaced
    (and noted). Returns (text, encoding used).
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (try utf-8, cp1251, koi8-r, cp866, latin-1)") from None
        except UnicodeDecodeError as e:
            guess = "utf-8"
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                guess = guess_8bit_encoding(raw)
            raise InputError(f"{path}: line {line_of(raw, e.start)}: not valid {encoding} "
                             f"(byte 0x{raw[e.start]:02x}); try --encoding {guess}") from None
    if raw[:3] == b"\xef\xbb\xbf":
        raw = raw[3:]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as e:
            raise InputError(f"{path}: broken UTF-16 text at byte {e.start}") from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as e:
        first_bad = e.start
    loose = raw.decode("utf-8", errors="replace")
    n_bad = loose.count("\ufffd")
    n_good = sum(1 for ch in loose if ord(ch) > 127) - n_bad
    if n_bad <= 3 and n_good >= 50 * n_bad:  # UTF-8 with a few broken bytes, not another code page
        if notes is not None:
            notes.append(f"{path.name}: {n_bad} invalid UTF-8 byte(s) replaced by '\ufffd' "
                         f"(first at line {line_of(raw, first_bad)})")
        return loose, "utf-8"
    good_line = _first_utf8_line(raw)
    if good_line:
        raise InputError(f"{path}: mixed encodings: line {good_line} is UTF-8 but line "
                         f"{line_of(raw, first_bad)} is not (byte 0x{raw[first_bad]:02x}); convert the file "
                         "to one encoding (e.g. iconv -f cp1251 -t utf-8) or pass --encoding")
    guess = guess_8bit_encoding(raw)
    if notes is not None:
        notes.append(f"{path.name}: not UTF-8 (line {line_of(raw, first_bad)}); decoded as {guess} "
                     "- pass --encoding to choose another")
    return raw.decode(guess, errors="replace"), guess


def _first_utf8_line(raw: bytes) -> int:
    """Line number of the first line that is valid UTF-8 with at least two multi-byte letters
    (0 when there is none: 8-bit text makes such lines only by chance, and rarely whole)."""
    for i, line in enumerate(raw.split(b"\n"), 1):
        if sum(1 for b in line if b >= 0xC2 and b <= 0xF4) >= 2:
            try:
                line.decode("utf-8")
                return i
            except UnicodeDecodeError:
                continue
    return 0


def check_not_binary(raw: bytes, path: Path) -> None:
    """Reject data that is not text: NUL bytes or many control characters in the first 64 KiB."""
    head = raw[:65536]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return  # UTF-16 with BOM
    controls = sum(head.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13, 27))
    if b"\x00" in head or controls > 0.05 * max(len(head), 1):
        raise InputError(f"{path}: looks like a binary file, not text (expected text, CSV, JSON Lines, "
                         "Parquet, Vowpal Wabbit, UCI, .zip of .txt)")


def check_not_empty(raw: bytes, path: Path) -> None:
    if not raw or raw.isspace():  # no copy of a large input
        raise InputError(f"{path}: the file is empty")
