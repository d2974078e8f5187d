"""Memory bounds for reading user input: how many bytes a whole import and one document may take.

The limits are sized from the memory the machine (or the process's address-space limit) has
free when the import starts, and can be set explicitly:

- ``ARTM_STUDIO_MAX_INPUT_MB``: decompressed bytes of one import (default: free RAM /
  ``STREAM_MEMORY_FACTOR``, and at most the address-space headroom / ``AS_MEMORY_FACTOR``);
  inputs that must be read whole (a JSON array, 8-bit or UTF-16 text, a gzipped Parquet or zip,
  a UCI file not sorted by document) get free memory / ``IMPORT_MEMORY_FACTOR`` (between 64 MiB
  and 1 GiB);
- ``ARTM_STUDIO_MAX_DOC_MB``: bytes of one document (default: min(total, 32 MiB));
- ``ARTM_STUDIO_MAX_ZIP_RATIO``: largest uncompressed / compressed ratio of a zip entry above
  1 MiB (default 200; text compresses 3-10×, a zip bomb ~1000×).

The ordinary import reads chunk by chunk (:mod:`engine.corpus.stream_corpus`): its peak RSS is
one chunk plus the output (8 bytes per nonzero of n_dw, the vocabulary, the non-text columns),
measured at 2.0-3.0× the text above the process's ~0.4 GiB baseline (200 MB of JSON Lines, CSV,
10⁶ short documents: bench/bench_import_memory.py, bench/README.md §15), hence
``STREAM_MEMORY_FACTOR`` = 4. The in-memory readers hold the text,
its tokens and the count matrix at once, up to ~20× the text: ``IMPORT_MEMORY_FACTOR`` = 24.
An address-space limit (``prlimit --as``) also counts what the allocators reserve but never
touch, so its headroom is divided by ``AS_MEMORY_FACTOR`` = 16.
"""
from __future__ import annotations

import dataclasses
import os
import resource
from dataclasses import dataclass

from engine.errors import InputError

MiB = 1 << 20
GiB = 1 << 30
_ENV_TOTAL = "ARTM_STUDIO_MAX_INPUT_MB"
_ENV_DOC = "ARTM_STUDIO_MAX_DOC_MB"
_ENV_RATIO = "ARTM_STUDIO_MAX_ZIP_RATIO"
#: peak memory of an import read whole, per byte of input text, upper side (module docstring)
IMPORT_MEMORY_FACTOR = 24
#: peak memory of the chunked import per byte of input text, upper side (module docstring)
STREAM_MEMORY_FACTOR = 4
#: address-space headroom per byte of input (virtual reservations count there)
AS_MEMORY_FACTOR = 16


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _own_vm_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _free_ram() -> int:
    avail = _meminfo_available()
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            avail = 4 * GiB
    return int(avail)


def _address_space_left() -> int | None:
    """Bytes left under ``RLIMIT_AS`` (None without one)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(soft - _own_vm_bytes(), 0)


def available_memory() -> int:
    """Bytes this process can still allocate: free RAM (``MemAvailable``), lowered by an
    address-space limit (``RLIMIT_AS``, e.g. ``prlimit --as``) minus what is mapped already."""
    left = _address_space_left()
    return _free_ram() if left is None else min(_free_ram(), left)


def _env_mb(name: str) -> int | None:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    try:
        mb = float(value)
    except ValueError:
        raise InputError(f"{name}={value!r}: expected a size in MB, e.g. 500") from None
    if not (mb > 0) or mb > 1 << 40:
        raise InputError(f"{name}={value!r}: expected a positive size in MB")
    return int(mb * MiB)


def fmt_bytes(n: float) -> str:
    """``1536`` → ``"1.5 KiB"``; binary units."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


@dataclass(frozen=True)
class ReadLimits:
    """Bounds of one import.

    Attributes
    ----------
    max_total_bytes : int
        Decompressed bytes of the whole input (all files, all zip entries).
    max_doc_bytes : int
        Bytes of one document (a line, a cell, a file of a folder or zip).
    max_zip_ratio : float
        Largest uncompressed/compressed size ratio of a zip entry larger than 1 MiB.
    max_whole_bytes : int
        Decompressed bytes of an input that has to be read whole (a JSON array, 8-bit text; see
        :mod:`engine.corpus.readers.chunks`); 0 = ``max_total_bytes``.
    """

    max_total_bytes: int
    max_doc_bytes: int
    max_zip_ratio: float = 200.0
    max_whole_bytes: int = 0

    def whole(self) -> "ReadLimits":
        """These limits for an input read whole into memory: ``max_total_bytes`` lowered to
        ``max_whole_bytes`` (when set)."""
        if not self.max_whole_bytes or self.max_whole_bytes >= self.max_total_bytes:
            return self
        return dataclasses.replace(self, max_total_bytes=self.max_whole_bytes,
                                   max_doc_bytes=min(self.max_doc_bytes, self.max_whole_bytes))

    def too_big(self, what: str, size: float = 0, per_doc: bool = False) -> InputError:
        """The error for ``what`` of ``size`` bytes exceeding a limit (message says how to raise it)."""
        if per_doc:
            return InputError(f"{what} is {fmt_bytes(size)}, more than the {fmt_bytes(self.max_doc_bytes)} "
                              f"allowed per document; split it, or raise the limit with --max-doc-mb or {_ENV_DOC}")
        return InputError(f"{what} is more than {fmt_bytes(self.max_total_bytes)} uncompressed, the input "
                          f"limit (default sized from free memory); split it, or raise it with "
                          f"--max-input-mb or {_ENV_TOTAL}")


def default_limits() -> ReadLimits:
    """Limits from the environment variables, else sized from :func:`available_memory`."""
    total = _env_mb(_ENV_TOTAL)
    whole = 0
    if total is None:
        ram, left = _free_ram(), _address_space_left()
        budget = ram // STREAM_MEMORY_FACTOR if left is None else min(ram // STREAM_MEMORY_FACTOR,
                                                                         left // AS_MEMORY_FACTOR)
        total = int(max(budget, 64 * MiB))
        whole = int(min(max(available_memory() // IMPORT_MEMORY_FACTOR, 64 * MiB), GiB, total))
    doc = _env_mb(_ENV_DOC)
    if doc is None:
        doc = min(total, 32 * MiB)
    ratio = os.environ.get(_ENV_RATIO)
    try:
        r = float(ratio) if ratio else 200.0
    except ValueError:
        raise InputError(f"{_ENV_RATIO}={ratio!r}: expected a number, e.g. 200") from None
    return ReadLimits(max_total_bytes=total, max_doc_bytes=min(doc, total), max_zip_ratio=r, max_whole_bytes=whole)


__all__ = ["ReadLimits", "default_limits", "available_memory", "fmt_bytes", "MiB", "GiB"]
