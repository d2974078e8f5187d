"""Memory bounds for reading user input: how many bytes a whole import and one document may take.

The limits are sized from the memory the machine (or the process's address-space limit) has
free when the import starts, and can be set explicitly:

- ``ARTM_STUDIO_MAX_INPUT_MB``: decompressed bytes of one import (default: available /
  ``IMPORT_MEMORY_FACTOR``, between 64 MiB and 1 GiB);
- ``ARTM_STUDIO_MAX_DOC_MB``: bytes of one document (default: min(total, 32 MiB));
- ``ARTM_STUDIO_MAX_ZIP_RATIO``: largest uncompressed / compressed ratio of a zip entry above
  1 MiB (default 200; text compresses 3-10×, a zip bomb ~1000×).

Importing holds the decompressed text, its tokens and the count matrix: the peak RSS of importing
is up to ~20× the size of the text (measured: bench/bench_import_memory.py, bench/README.md), so the
default input budget is the free memory divided by ``IMPORT_MEMORY_FACTOR`` = 24.
"""
from __future__ import annotations

import os
import resource
from dataclasses import dataclass

from engine.errors import InputError

MiB = 1 << 20
GiB = 1 << 30
_ENV_TOTAL = "ARTM_STUDIO_MAX_INPUT_MB"
_ENV_DOC = "ARTM_STUDIO_MAX_DOC_MB"
_ENV_RATIO = "ARTM_STUDIO_MAX_ZIP_RATIO"
#: peak import memory per byte of input text, upper side (see the module docstring)
IMPORT_MEMORY_FACTOR = 24


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


def available_memory() -> int:
    """Bytes this process can still allocate: free RAM (``MemAvailable``), lowered by an
    address-space limit (``RLIMIT_AS``, e.g. ``prlimit --as``) minus what is mapped already."""
    avail = _meminfo_available()
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            avail = 4 * GiB
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        avail = min(avail, max(soft - _own_vm_bytes(), 0))
    return int(avail)


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
    """

    max_total_bytes: int
    max_doc_bytes: int
    max_zip_ratio: float = 200.0

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
    if total is None:
        total = int(min(max(available_memory() // IMPORT_MEMORY_FACTOR, 64 * MiB), GiB))
    doc = _env_mb(_ENV_DOC)
    if doc is None:
        doc = min(total, 32 * MiB)
    ratio = os.environ.get(_ENV_RATIO)
    try:
        r = float(ratio) if ratio else 200.0
    except ValueError:
        raise InputError(f"{_ENV_RATIO}={ratio!r}: expected a number, e.g. 200") from None
    return ReadLimits(max_total_bytes=total, max_doc_bytes=min(doc, total), max_zip_ratio=r)


__all__ = ["ReadLimits", "default_limits", "available_memory", "fmt_bytes", "MiB", "GiB"]
