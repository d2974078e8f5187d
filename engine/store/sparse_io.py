"""Sparse count matrices (documents × tokens) as long Parquet/Arrow tables ``(doc, token, count)``
in CSR order, and back: how a corpus's ``n_dw.parquet`` is stored."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import scipy.sparse as sp

def csr_to_table(m: sp.csr_matrix, row: str = "doc", col: str = "token", val: str = "count") -> pa.Table:
    """A CSR matrix as a long (row, col, value) Arrow table in CSR order."""
    m = m.tocsr()
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int32), np.diff(m.indptr))
    return pa.table({row: rows, col: m.indices.astype(np.int32), val: m.data})


def write_csr(m: sp.csr_matrix, path: Path, block: int = 1 << 20) -> None:
    """``m`` as the Parquet file of :func:`csr_to_table`, written about ``block`` nonzeros (a row
    group) at a time: the temporaries are one block's, not the whole matrix's."""
    m = m.tocsr()
    schema = pa.schema([("doc", pa.int32()), ("token", pa.int32()), ("count", pa.from_numpy_dtype(m.data.dtype))])
    with pq.ParquetWriter(path, schema, compression="zstd") as w:
        n, lo = m.shape[0], 0
        if m.nnz == 0:
            w.write_table(schema.empty_table())
        while lo < n and m.nnz:
            hi = min(max(int(np.searchsorted(m.indptr, m.indptr[lo] + block, side="left")), lo + 1), n)
            a, b = int(m.indptr[lo]), int(m.indptr[hi])
            rows = np.repeat(np.arange(lo, hi, dtype=np.int32), np.diff(m.indptr[lo:hi + 1]))
            w.write_table(pa.table({"doc": rows, "token": m.indices[a:b].astype(np.int32, copy=False),
                                    "count": m.data[a:b]}, schema=schema))
            lo = hi


def table_to_csr(t: pa.Table, shape: tuple[int, int], row: str = "doc", col: str = "token",
                 val: str = "count", dtype=np.float32) -> sp.csr_matrix:
    rows = t.column(row).to_numpy()
    cols = t.column(col).to_numpy().astype(np.int32)
    data = t.column(val).to_numpy().astype(dtype)
    if len(rows) and (rows.min() < 0 or rows.max() >= shape[0] or cols.min() < 0 or cols.max() >= shape[1]):
        raise ValueError(f"{row}/{col} index out of range of the {shape[0]} × {shape[1]} matrix")
    if len(rows) and np.any(np.diff(rows.astype(np.int64)) < 0):
        raise ValueError(f"{row} indices are not sorted")
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.add.at(indptr, rows.astype(np.int64) + 1, 1)
    np.cumsum(indptr, out=indptr)
    m = sp.csr_matrix((data, cols, indptr), shape=shape)
    m.indices = m.indices.astype(np.int32)
    return m


__all__ = ["csr_to_table", "write_csr", "table_to_csr"]
