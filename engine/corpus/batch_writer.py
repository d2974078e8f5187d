"""Writing a corpus stored as batches (the layout and the reader are in :mod:`engine.corpus.batches`):
:class:`BatchWriter` appends documents and cuts them into batch files, publishing the folder only
when complete; :func:`write_batches` stores an in-memory corpus that way; :func:`upgrade_batches`
rewrites Parquet batches of older corpora in the current format."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

from engine.corpus.batches import (_SUFFIX, BATCH_DIR, BATCH_DOCS, BATCH_FORMAT, STORAGE, BatchedCorpus,
                                   batch_format, write_batch)
from engine.corpus.corpus import Corpus
from engine.errors import InputError
from engine.store.workspace import (DOCUMENTS, MANIFEST, SCHEMA_VERSION, VOCAB, atomic_dir, engine_version,
                                    now_iso, write_json_atomic, write_table)


class BatchWriter:
    """Writes a batched corpus incrementally into a temporary folder; :meth:`finish` publishes it.

    ``add(n_dw_block, documents)`` appends documents (any number: they are cut into batches of
    ``batch_docs``); the vocabulary is given at :meth:`finish`. Nothing is visible at ``target``
    until ``finish`` returns (``atomic_dir``); an exception leaves no half-written corpus.
    """

    def __init__(self, target: Path, n_tokens: int, batch_docs: int = BATCH_DOCS, replace: bool = False):
        if batch_docs < 1:
            raise InputError(f"batch size must be ≥ 1 document, got {batch_docs}")
        self.target = Path(target)
        self.n_tokens = int(n_tokens)
        self.batch_docs = int(batch_docs)
        self._ctx = atomic_dir(self.target, replace=replace)
        self.tmp = Path(self._ctx.__enter__())
        (self.tmp / BATCH_DIR).mkdir()
        self.batches: list[dict] = []
        self._pending: list[sp.csr_matrix] = []
        self._pending_docs = 0
        self._docs_writer: pq.ParquetWriter | None = None
        self._hash = hashlib.sha256()
        self.n_docs = 0
        self.tf = np.zeros(self.n_tokens, np.float64)
        self.df = np.zeros(self.n_tokens, np.int64)
        self._dates: tuple | None = None  # (first, last) date seen in the documents' "date" column

    def add(self, n_dw: sp.csr_matrix, documents: pd.DataFrame) -> None:
        if n_dw.shape[0] != len(documents):
            raise ValueError("n_dw and documents differ in length")
        if n_dw.shape[0] == 0:
            return
        n_dw = sp.csr_matrix(n_dw)
        self.tf += np.bincount(n_dw.indices, weights=n_dw.data, minlength=self.n_tokens)
        self.df += np.bincount(n_dw.indices, minlength=self.n_tokens)
        table = pa.Table.from_pandas(documents.reset_index(drop=True), preserve_index=False)
        if self._docs_writer is None:
            self._docs_writer = pq.ParquetWriter(self.tmp / DOCUMENTS, table.schema, compression="zstd")
        self._docs_writer.write_table(table.cast(self._docs_writer.schema))
        if "date" in documents.columns:  # the date range of the whole corpus, chunk by chunk
            d = pd.to_datetime(documents["date"], errors="coerce").dropna()
            if len(d):
                lo, hi = d.min(), d.max()
                self._dates = (lo, hi) if self._dates is None else (min(self._dates[0], lo), max(self._dates[1], hi))
        self._pending.append(n_dw)
        self._pending_docs += n_dw.shape[0]
        self.n_docs += n_dw.shape[0]
        while self._pending_docs >= self.batch_docs:
            self._flush(self.batch_docs)

    def _flush(self, n: int) -> None:
        block = sp.vstack(self._pending, format="csr") if len(self._pending) > 1 else self._pending[0]
        head, rest = block[:n], block[n:]
        name = f"{len(self.batches):05d}{_SUFFIX[BATCH_FORMAT]}"
        write_batch(head, self.tmp / BATCH_DIR / name)
        for arr in (head.indptr.astype(np.int64), head.indices.astype(np.int32), head.data.astype(np.float32)):
            self._hash.update(arr.tobytes())
        self.batches.append({"file": name, "docs": int(head.shape[0]), "nnz": int(head.nnz)})
        self._pending = [rest] if rest.shape[0] else []
        self._pending_docs = rest.shape[0]

    def finish(self, vocab: pd.DataFrame, name: str, manifest: dict | None = None) -> dict:
        """Write the last batch, the vocabulary and the manifest; publish the folder."""
        try:
            if self._pending_docs:
                self._flush(self._pending_docs)
            if self._docs_writer is not None:
                self._docs_writer.close()
            else:
                write_table(pd.DataFrame({"id": pd.Series([], dtype=object)}), self.tmp / DOCUMENTS)
            if len(vocab) != self.n_tokens:
                raise ValueError("vocabulary size differs from the batches' token count")
            vocab = vocab.reset_index(drop=True).copy()
            vocab["tf"] = self.tf
            vocab["df"] = self.df
            write_table(vocab, self.tmp / VOCAB)
            self._hash.update("\x00".join(vocab["modality"] + "\x01" + vocab["token"]).encode())
            per_mod = {}
            for m in pd.unique(vocab["modality"]):
                mask = (vocab["modality"] == m).to_numpy()
                per_mod[str(m)] = {"vocabulary": int(mask.sum()), "tokens": float(self.tf[mask].sum())}
            out = dict(manifest or {})
            out.update({
                "schema_version": SCHEMA_VERSION, "kind": "corpus", "storage": STORAGE, "name": name,
                "engine_version": engine_version(), "created_at": out.get("created_at") or now_iso(),
                "documents": int(self.n_docs), "tokens": float(self.tf.sum()),
                "vocabulary": int(self.n_tokens), "modalities": per_mod, "has_sequences": False,
                "batch_docs": self.batch_docs, "batch_format": BATCH_FORMAT, "batches": self.batches,
                "fingerprint": self._hash.hexdigest()[:16],
            })
            if out.get("date_range") is None and self._dates is not None:  # as an in-memory import records it
                out["date_range"] = [str(pd.Timestamp(x).date()) for x in self._dates]
            out.setdefault("date_range", None)
            write_json_atomic(self.tmp / MANIFEST, out)
        except BaseException as exc:
            self.abort(exc)
            raise
        self._ctx.__exit__(None, None, None)
        return out

    def abort(self, exc: BaseException | None = None) -> None:
        """Drop everything written so far."""
        if self._docs_writer is not None:
            try:
                self._docs_writer.close()
            except Exception:  # noqa: BLE001 - already failing; the folder is removed anyway
                pass
            self._docs_writer = None
        exc = exc or RuntimeError("aborted")
        self._ctx.__exit__(type(exc), exc, exc.__traceback__)


def write_batches(corpus: Corpus, target, name: str | None = None, batch_docs: int = BATCH_DOCS,
                  replace: bool = False) -> BatchedCorpus:
    """Store an in-memory corpus as a batched one at ``target`` (texts are not kept)."""
    n_dw = sp.csr_matrix(corpus.n_dw)
    writer = BatchWriter(Path(target), corpus.n_tokens, batch_docs, replace=replace)
    try:
        docs = corpus.documents.drop(columns=[c for c in ("text",) if c in corpus.documents.columns])
        for lo in range(0, corpus.n_docs, batch_docs):
            hi = min(lo + batch_docs, corpus.n_docs)
            writer.add(n_dw[lo:hi], docs.iloc[lo:hi])
    except BaseException as exc:
        writer.abort(exc)
        raise
    keep = {k: v for k, v in corpus.manifest.items()
            if k in ("source", "preprocessing", "columns", "notes", "date_range", "metadata_columns")}
    writer.finish(corpus.vocab[["token", "modality"]], name or corpus.name or Path(target).name, keep)
    return BatchedCorpus(target, name)


def upgrade_batches(path, target=None) -> BatchedCorpus:
    """Rewrite a batched corpus whose batches are Parquet files in the current format
    (:data:`BATCH_FORMAT`): into ``target``, or in place when ``target`` is None (the new folder
    replaces the old one only once complete). Counts, vocabulary, documents and fingerprint stay
    the same; an up-to-date corpus is returned as it is."""
    src = BatchedCorpus(path)
    if batch_format(src.manifest) == BATCH_FORMAT:
        return src
    out = Path(target) if target is not None else src.path
    with atomic_dir(out, replace=target is None) as tmp:
        tmp = Path(tmp)
        (tmp / BATCH_DIR).mkdir()
        batches = []
        for b in range(src.n_batches):
            name = f"{b:05d}{_SUFFIX[BATCH_FORMAT]}"
            write_batch(src.read(b).n_dw, tmp / BATCH_DIR / name)
            batches.append({**src.batches[b], "file": name})
        for f in (VOCAB, DOCUMENTS):
            shutil.copyfile(src.path / f, tmp / f)
        write_json_atomic(tmp / MANIFEST, {**src.manifest, "batch_format": BATCH_FORMAT, "batches": batches})
    return BatchedCorpus(out, src.name)


__all__ = ["BatchWriter", "upgrade_batches", "write_batches"]
