"""A corpus stored as batches on disk: files of ~10⁴ documents, CSR per batch.

Layout of a batched corpus folder (in the workspace: ``corpora/<name>/``)::

    manifest.json      kind="corpus", storage="batches", batch_format, batches=[{file, docs, nnz}], counts...
    vocab.parquet      token, modality, tf, df (row w = token id w), as for an in-memory corpus
    documents.parquet  id (+ date and metadata columns); no texts
    batches/NNNNN.arrow     one row per document: tokens list<int32>, counts list<float32>

A batch file *is* a CSR matrix: the Arrow list offsets are ``indptr`` and the flattened lists
are ``indices`` / ``data`` (sorted token ids within a document). Document ``d`` of batch ``b``
is document ``doc0_b + d`` of the corpus. Only the vocabulary and the batch being read sit in
memory; :meth:`BatchedCorpus.iter_batches` reads the next batch in a background thread while
the caller computes on the current one.

Batch formats (``manifest["batch_format"]``; the reader tells them apart by the file's magic bytes):

- ``"arrow"`` (written now): an Arrow IPC file, LZ4-compressed buffers. Reading is a buffer
  decompression (~1 ms per 10⁶ nonzeros) and the CSR arrays are the Arrow buffers themselves —
  no Parquet decoding, no pandas, no copies.
- ``"parquet"`` (corpora written before): the same two list columns in a zstd Parquet file;
  still read (about 10× the CPU per batch). :func:`~engine.corpus.batch_writer.upgrade_batches` rewrites such a corpus in
  the current format (same counts, same fingerprint).
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import scipy.sparse as sp

from engine.corpus.corpus import DEFAULT_MODALITY, Corpus
from engine.errors import WorkspaceError
from engine.store.workspace import DOCUMENTS, MANIFEST, VOCAB, read_json, read_table

#: documents per batch file (BigARTM's default batch size is 1,000; larger files read faster)
BATCH_DOCS = 10_000
BATCH_DIR = "batches"
STORAGE = "batches"
#: the format new batch files are written in (see the module docstring)
BATCH_FORMAT = "arrow"
_SUFFIX = {"arrow": ".arrow", "parquet": ".parquet"}
_IPC_OPTIONS = ipc.IpcWriteOptions(compression="lz4")


# --------------------------------------------------------------------------- one batch


@dataclass(frozen=True, eq=False)
class Batch:
    """One batch in memory.

    Attributes
    ----------
    index : int
        Position of the batch in the corpus.
    doc0 : int
        Corpus index of the batch's first document.
    n_dw : csr_matrix (D_b, W), float32 data, int32 sorted indices
    """

    index: int
    doc0: int
    n_dw: sp.csr_matrix

    @property
    def n_docs(self) -> int:
        return self.n_dw.shape[0]


def batch_table(n_dw: sp.csr_matrix) -> pa.Table:
    """The Arrow table of a CSR block: one row per document, list columns ``tokens``/``counts``."""
    m = sp.csr_matrix(n_dw)
    m.sort_indices()
    large = m.nnz >= 2**31
    cls = pa.LargeListArray if large else pa.ListArray
    offsets = pa.array(m.indptr.astype(np.int64 if large else np.int32))
    tokens = cls.from_arrays(offsets, pa.array(m.indices.astype(np.int32)))
    counts = cls.from_arrays(offsets, pa.array(m.data.astype(np.float32)))
    return pa.table({"tokens": tokens, "counts": counts})


def write_batch(n_dw: sp.csr_matrix, path: Path) -> None:
    """Store a CSR block as one batch file: Arrow IPC with LZ4 buffers (``.arrow``), or zstd
    Parquet for a ``.parquet`` path (the earlier format)."""
    table = batch_table(n_dw)
    if Path(path).suffix == ".parquet":
        pq.write_table(table, path, compression="zstd", row_group_size=1 << 30)
        return
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema, options=_IPC_OPTIONS) as w:
        w.write_table(table)


def _read_table(source) -> pa.Table:
    """The table of a batch file (a path or an open binary file), Arrow IPC or Parquet by magic."""
    if isinstance(source, (str, Path)):
        with open(source, "rb") as f:
            magic = f.read(6)
        if magic == b"ARROW1":
            with pa.OSFile(str(source), "rb") as f:
                return ipc.open_file(f).read_all()
        return pq.read_table(source, columns=["tokens", "counts"])
    data = source.read()
    if data[:6] == b"ARROW1":
        return ipc.open_file(pa.BufferReader(data)).read_all()
    return pq.read_table(pa.BufferReader(data), columns=["tokens", "counts"])


def _flat(column, what: str, dtype) -> tuple[np.ndarray, np.ndarray]:
    """(offsets int64 from 0, values of ``dtype``) of a list column, zero-copy when possible."""
    arr = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if arr.null_count:
        raise ValueError(f"null {what} lists")
    off = arr.offsets.to_numpy()
    vals = arr.values.to_numpy(zero_copy_only=False)[off[0]:off[-1]]
    return (off - off[0]).astype(np.int64), np.ascontiguousarray(vals, dtype)


def read_batch(source, n_tokens: int) -> sp.csr_matrix:
    """The CSR block of a batch file (a path or an open binary file): shape (D_b, ``n_tokens``),
    float32 data, int32 sorted indices, int64 indptr — built from the Arrow buffers without
    scipy's format checks or index conversions."""
    try:
        t = _read_table(source)
        indptr, indices = _flat(t.column("tokens"), "token", np.int32)
        off2, data = _flat(t.column("counts"), "count", np.float32)
    except (OSError, KeyError, ValueError, pa.ArrowException) as exc:
        raise WorkspaceError(f"cannot read batch {source}: {exc}") from None
    if not np.array_equal(indptr, off2):
        raise WorkspaceError(f"batch {source}: tokens and counts lists differ in length")
    if len(indices) and (indices.max() >= n_tokens or indices.min() < 0):
        raise WorkspaceError(f"batch {source} holds token ids outside the vocabulary of {n_tokens}")
    m = sp.csr_matrix((len(indptr) - 1, n_tokens), dtype=np.float32)
    m.data, m.indices, m.indptr = data, indices, indptr  # no check_format / index upcasting
    return m


# --------------------------------------------------------------------------- the corpus


class BatchedCorpus:
    """A corpus whose n_dw stays on disk as batches (see the module docstring).

    Offers what trainers and runs read from an in-memory :class:`~engine.corpus.Corpus`
    (``name``, ``vocab``, ``documents``, ``modalities``, ``token_modality``, ``n_docs``,
    ``n_tokens``, ``fingerprint()``, ``manifest``), but no ``n_dw``: iterate the batches with
    :meth:`iter_batches` or load everything with :meth:`to_corpus` (small corpora only).
    """

    sequences = None

    def __init__(self, path, name: str | None = None):
        self.path = Path(path)
        if not (self.path / MANIFEST).exists():
            raise WorkspaceError(f"{self.path} is not a batched corpus (no {MANIFEST})")
        self.manifest = read_json(self.path / MANIFEST)
        if self.manifest.get("storage") != STORAGE:
            raise WorkspaceError(f"{self.path} is an in-memory corpus, not a batched one")
        self.name = name if name is not None else self.manifest.get("name", "")
        self.vocab = read_table(self.path / VOCAB)
        self.batches = list(self.manifest["batches"])
        self._doc0 = np.concatenate([[0], np.cumsum([b["docs"] for b in self.batches])]).astype(np.int64)
        self._documents: pd.DataFrame | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BatchedCorpus({str(self.path)!r}, docs={self.n_docs}, batches={self.n_batches})"

    @property
    def is_batched(self) -> bool:
        return True

    @property
    def n_docs(self) -> int:
        return int(self._doc0[-1])

    @property
    def n_tokens(self) -> int:
        return len(self.vocab)

    @property
    def n_batches(self) -> int:
        return len(self.batches)

    @property
    def nnz(self) -> int:
        return int(sum(b["nnz"] for b in self.batches))

    def resident(self, batches: int = 2) -> tuple[int, int]:
        """(documents, nonzeros) of the ``batches`` largest batches: what training holds in RAM
        (the batch being computed and the prefetched one) — for memory estimates."""
        docs = sorted((b["docs"] for b in self.batches), reverse=True)[:batches]
        nnz = sorted((b["nnz"] for b in self.batches), reverse=True)[:batches]
        return int(sum(docs)), int(sum(nnz))

    def doc_range(self, b: int) -> tuple[int, int]:
        """Corpus document indices [d0, d1) of batch ``b``."""
        return int(self._doc0[b]), int(self._doc0[b + 1])

    modalities = Corpus.modalities
    token_modality = Corpus.token_modality
    modality_mask = Corpus.modality_mask
    token_ids = Corpus.token_ids

    @property
    def documents(self) -> pd.DataFrame:
        """The documents table (id, date, metadata; no texts), read on first use."""
        with self._lock:
            if self._documents is None:
                self._documents = read_table(self.path / DOCUMENTS)
            return self._documents

    @property
    def has_dates(self) -> bool:
        return bool(self.manifest.get("date_range"))

    def fingerprint(self) -> str:
        return str(self.manifest["fingerprint"])

    def batch_path(self, b: int) -> Path:
        return self.path / BATCH_DIR / self.batches[b]["file"]

    def read(self, b: int) -> Batch:
        """Batch ``b`` from disk."""
        return Batch(index=b, doc0=int(self._doc0[b]), n_dw=read_batch(self.batch_path(b), self.n_tokens))

    def iter_batches(self, order=None, prefetch: int = 1, load=None):
        """Yield ``load(batch)`` (default: the :class:`Batch`) for every batch in ``order``.

        With ``prefetch`` ≥ 1 the next batches are read (and passed through ``load``) by a
        background thread while the caller works on the current one, so disk and CPU overlap.
        At most ``prefetch + 1`` batches are in memory.
        """
        order = range(self.n_batches) if order is None else list(order)
        fn = (lambda b: self.read(b)) if load is None else (lambda b: load(self.read(b)))
        if prefetch <= 0:
            for b in order:
                yield fn(b)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="artm-prefetch") as pool:
            pending = []
            it = iter(order)
            for b in it:
                pending.append(pool.submit(fn, b))
                if len(pending) > prefetch:
                    break
            while pending:
                fut = pending.pop(0)
                nxt = next(it, None)
                if nxt is not None:
                    pending.append(pool.submit(fn, nxt))
                yield fut.result()

    def doc_lengths(self) -> np.ndarray:
        """n_d = Σ_w n_dw of every document, (D,) float64, read batch by batch (two in memory)."""
        out = np.zeros(self.n_docs, np.float64)
        for b in self.iter_batches():
            out[b.doc0:b.doc0 + b.n_docs] = np.asarray(b.n_dw.sum(axis=1), np.float64).ravel()
        return out

    def to_corpus(self) -> Corpus:
        """Everything in memory as a :class:`Corpus` (n_dw stacked from all batches)."""
        n_dw = sp.vstack([b.n_dw for b in self.iter_batches(prefetch=0)], format="csr") \
            if self.n_batches else sp.csr_matrix((0, self.n_tokens), dtype=np.float32)
        n_dw = sp.csr_matrix((n_dw.data.astype(np.float32), n_dw.indices.astype(np.int32),
                              n_dw.indptr.astype(np.int64)), shape=(self.n_docs, self.n_tokens))
        docs = self.documents.copy()
        if "text" not in docs.columns:
            docs.insert(1, "text", "")
        return Corpus(name=self.name, documents=docs, vocab=self.vocab, n_dw=n_dw,
                      manifest=dict(self.manifest))


def batch_format(manifest: dict) -> str:
    """The batch file format of a batched corpus's manifest (corpora written before the
    ``batch_format`` key hold Parquet batches)."""
    return str(manifest.get("batch_format", "parquet"))


def is_batched(ws, name: str) -> bool:
    """True when the workspace corpus ``name`` is stored as batches."""
    path = ws.corpus_path(name) / MANIFEST
    return path.exists() and json.loads(path.read_text(encoding="utf-8")).get("storage") == STORAGE


def open_corpus(ws, name: str):
    """The workspace corpus ``name``: a :class:`BatchedCorpus` when stored as batches, else
    the in-memory :class:`~engine.corpus.Corpus` (``Workspace.load_corpus``)."""
    if is_batched(ws, name):
        return BatchedCorpus(ws.corpus_path(name), name)
    return ws.load_corpus(name)


__all__ = ["BATCH_DOCS", "BATCH_FORMAT", "Batch", "batch_format", "BatchedCorpus", "DEFAULT_MODALITY", "batch_table",
           "is_batched", "open_corpus", "read_batch", "write_batch"]
