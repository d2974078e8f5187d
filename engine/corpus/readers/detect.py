"""Format detection: by content first (gzip, zip and Parquet magic bytes, JSON, Vowpal Wabbit
lines), by the file name where content is ambiguous."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from engine.corpus.limits import default_limits
from engine.corpus.readers.raw import read_input
from engine.errors import InputError

TEXT_FORMATS = ("text", "text-lines", "text-folder", "zip", "csv", "tsv", "jsonl", "json", "parquet")
BOW_FORMATS = ("vw", "uci")

UCI_DOCWORD = re.compile(r"^docword\.(.+?)\.txt(\.gz)?$")
UCI_VOCAB = re.compile(r"^vocab\.(.+?)\.txt(\.gz)?$")
_VW_LINE = re.compile(r"^\S+\s.*\|\S")


def _base_name(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def is_uci_name(path: Path) -> bool:
    return bool(UCI_DOCWORD.match(path.name) or UCI_VOCAB.match(path.name))


def detect_format(path, raw: bytes | None = None) -> str:
    """The format name of ``path``: one of TEXT_FORMATS + BOW_FORMATS (``"text"`` is one document;
    ``"text-lines"`` is chosen by the caller's ``one_per_line``)."""
    path = Path(path)
    if path.is_dir():
        try:
            if any(UCI_DOCWORD.match(p.name) for p in path.iterdir()):
                return "uci"
        except OSError as e:
            raise InputError(f"{path}: cannot list the folder ({e.strerror or e})") from None
        return "text-folder"
    name = _base_name(path)
    if is_uci_name(path):
        return "uci"
    if raw is None:
        raw, _ = read_input(path, default_limits())
    if raw[:4] == b"PAR1":
        return "parquet"
    if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    ext = name.rsplit(".", 1)[-1] if "." in name else ""
    if ext == "parquet":
        raise InputError(f"{path}: named .parquet but is not a Parquet file")
    if ext == "zip":
        raise InputError(f"{path}: named .zip but is not a zip archive")
    head = raw[:65536].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = next((ln.strip() for ln in head.splitlines() if ln.strip()), "")
    if ext == "csv":
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
    except (ValueError, RecursionError):
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
