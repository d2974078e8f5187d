"""The workspace on disk: corpora and runs as folders of Parquet files plus ``manifest.json``.

Layout::

    <root>/corpora/<name>/manifest.json, documents.parquet, vocab.parquet, n_dw.parquet,
                          sequences.parquet (text inputs only)
    <root>/runs/<run_id>/  (see engine.store.runs)

Every folder is written under a temporary name inside the same parent and renamed into place,
so a crash never leaves a half-written corpus or run, and a failed write leaves what was there.
No pickle anywhere: tables are Parquet, settings are JSON.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine.corpus.corpus import Corpus, TokenSequences
from engine.errors import WorkspaceError
from engine.store.locks import entry_lock
from engine.store.sparse_io import csr_to_table, table_to_csr, write_csr  # noqa: F401 - re-exported

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
DOCUMENTS = "documents.parquet"
VOCAB = "vocab.parquet"
N_DW = "n_dw.parquet"
SEQUENCES = "sequences.parquet"

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$")
# names Windows reserves for devices, with or without an extension ("CON", "nul.txt", "COM1")
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$)(\..*)?$", re.I)
#: Test hook: ``"<name>:<seconds>"`` (``"<prefix>*:<seconds>"`` too) makes :func:`atomic_dir` print ``swap-sleep <name>`` and sleep
#: between moving the old ``<name>`` aside and renaming the new one into place (kill tests).
TEST_SWAP_SLEEP_ENV = "ARTM_STUDIO_TEST_SWAP_SLEEP"


def engine_version() -> str:
    from engine import __version__  # a cycle: the facade `engine` imports this module

    return __version__


def default_root() -> Path:
    """``$ARTM_STUDIO_HOME`` or ``~/.artm-studio``."""
    env = os.environ.get("ARTM_STUDIO_HOME")
    return Path(env).expanduser() if env else Path.home() / ".artm-studio"


def validate_name(name: str, what: str = "name") -> str:
    """Return ``name`` if it is a safe folder name, else raise :class:`WorkspaceError`.

    Letters, digits, ``.``, ``_`` and ``-``; starts with a letter or digit; at most 100
    characters; not ending with ``.``; not a name Windows reserves (``CON``, ``NUL``,
    ``COM1``...). This rules out path traversal (``..``, ``/``), hidden files and names that
    cannot be copied to Windows.
    """
    if not isinstance(name, str):
        raise WorkspaceError(f"invalid {what}: expected text (str), got {type(name).__name__}")
    if not name:
        raise WorkspaceError(f"invalid {what} {name!r}: it is empty; use letters, digits, '.', '_' or '-'")
    if not _NAME_RE.match(name) or ".." in name or name.endswith("."):
        raise WorkspaceError(
            f"invalid {what} {name!r}: use letters, digits, '.', '_' or '-' "
            "(starting with a letter or digit, not ending with '.', at most 100 characters)"
        )
    if _WINDOWS_RESERVED.match(name):
        raise WorkspaceError(f"invalid {what} {name!r}: {name.split('.')[0].upper()} is a device name "
                             "reserved by Windows; choose another name")
    return name


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def atomic_dir(target: Path, replace: bool = False, keep: tuple[str, ...] = ()):
    """Yield a fresh temporary folder; on success rename it to ``target``.

    If the block raises, the temporary folder is removed and ``target`` is untouched. With
    ``replace=True`` an existing ``target`` is swapped out only after the new one is complete;
    its subfolders named in ``keep`` (a run's ``checkpoints/``) move into the new folder at the
    swap and move back if the swap fails. The entry's inter-process lock
    (:func:`engine.store.locks.entry_lock`) is held throughout, and "already exists" is checked
    again at the swap.

    A process killed at any point leaves ``target`` (old or new), or a ``.tmp-<name>-*`` /
    ``.old-<name>-*`` pair that :func:`engine.store.recovery.recover` completes (new complete →
    keep it) or rolls back (else restore the old).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with entry_lock(target):
        if target.exists() and not replace:
            raise WorkspaceError(f"{target.name!r} already exists in {target.parent} (pass --replace to overwrite)")
        tmp = target.parent / f".tmp-{target.name}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        try:
            yield tmp
            _fsync_dir(tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if target.exists() and not replace:
            shutil.rmtree(tmp, ignore_errors=True)
            raise WorkspaceError(f"{target.name!r} was created by another process meanwhile in {target.parent}")
        moved = []
        try:
            for name in keep:
                if (target / name).is_dir():
                    os.rename(target / name, tmp / name)
                    moved.append(name)
            if target.exists():
                old = target.parent / f".old-{target.name}-{uuid.uuid4().hex[:8]}"
                os.rename(target, old)
                _test_swap_sleep(target.name)
                os.rename(tmp, target)
                _fsync_dir(target.parent)
                shutil.rmtree(old, ignore_errors=True)
            else:
                _test_swap_sleep(target.name)
                os.rename(tmp, target)
            _fsync_dir(target.parent)
        except BaseException:
            for name in moved:
                if (tmp / name).exists() and target.exists() and not (target / name).exists():
                    os.rename(tmp / name, target / name)
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _test_swap_sleep(name: str) -> None:
    spec = os.environ.get(TEST_SWAP_SLEEP_ENV)
    if spec:
        at, _, seconds = spec.rpartition(":")
        if at == name or (at.endswith("*") and name.startswith(at[:-1])):
            sys.stdout.write(f"swap-sleep {name}\n")  # one write: another thread's line cannot split it
            sys.stdout.flush()
            time.sleep(float(seconds or 60))


def _fsync_dir(path: Path) -> None:
    for f in Path(path).iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def delete_entry(path: Path, what: str, missing: str) -> None:
    """Delete the entry folder ``path`` (a corpus, a run) under its entry lock: renamed to
    ``.del-<name>-<hex>`` first, so it disappears at once (recovery finishes a killed removal),
    then removed. WorkspaceError ``missing`` when there is no such folder."""
    with entry_lock(path, what):
        if not path.exists():
            raise WorkspaceError(missing)
        trash = path.parent / f".del-{path.name}-{uuid.uuid4().hex[:8]}"
        os.rename(path, trash)
        shutil.rmtree(trash, ignore_errors=True)


def write_json_atomic(path: Path, obj) -> None:
    """Write JSON to ``path`` via a temporary file and ``os.replace``."""
    with atomic_file(path) as fh:
        json.dump(obj, fh, ensure_ascii=False, indent=2, default=_json_default)


def read_json(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise WorkspaceError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise WorkspaceError(f"{path} is not valid JSON (line {e.lineno}): {e.msg}") from None


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (pd.Timestamp, datetime)):
        return o.isoformat()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def write_table(df: pd.DataFrame, path: Path) -> None:
    """``df`` as a zstd Parquet file at ``path``, written through :func:`atomic_file`."""
    with atomic_file(path, "wb") as fh:
        pq.write_table(pa.Table.from_pandas(df, preserve_index=False), fh, compression="zstd")


_TMP_FILE = re.compile(r"^\.(.+)\.[0-9a-f]{8}\.tmp$")
STALE_TMP_SECONDS = 600


@contextlib.contextmanager
def atomic_file(path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a temporary sibling of ``path`` (``.<name>.<hex>.tmp``) for writing; on success it is
    flushed, fsync'ed and renamed over ``path`` (``os.replace``); if the block raises it is removed.

    A process killed while writing leaves ``path`` as it was (old content or absent) plus at most
    the hidden temporary file, which :func:`engine.store.recovery.recover` removes inside the
    workspace and the next write of the same file removes elsewhere (an export folder) once it is
    older than ``STALE_TMP_SECONDS``.
    """
    path = Path(path)
    _remove_stale_tmp(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    binary = "b" in mode
    fh = open(tmp, mode, **({} if binary else {"encoding": encoding, "newline": newline}))
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _remove_stale_tmp(path: Path) -> None:
    """Remove ``.<path.name>.<hex>.tmp`` siblings a killed writer left (older than STALE_TMP_SECONDS)."""
    try:
        siblings = list(path.parent.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return
    now = time.time()
    for p in siblings:
        with contextlib.suppress(OSError):
            if _TMP_FILE.match(p.name) and now - p.lstat().st_mtime > STALE_TMP_SECONDS:
                p.unlink()


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[\]])", r"[\1]", name)


def write_text_atomic(path, text: str) -> None:
    """``path.write_text(text)`` through :func:`atomic_file` (UTF-8)."""
    with atomic_file(path) as fh:
        fh.write(text)


def read_table(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


# --------------------------------------------------------------------------- workspace

class Workspace:
    """A folder holding corpora and runs. Cheap to construct; every call reads the disk."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root).expanduser() if root is not None else default_root()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    @property
    def corpora_dir(self) -> Path:
        return self.root / "corpora"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    # corpora ---------------------------------------------------------------------------
    def corpus_path(self, name: str) -> Path:
        return self.corpora_dir / validate_name(name, "corpus name")

    def has_corpus(self, name: str) -> bool:
        return (self.corpus_path(name) / MANIFEST).exists()

    def list_corpora(self) -> list[dict]:
        """Manifests of all stored corpora, sorted by name."""
        out = []
        if self.corpora_dir.exists():
            for p in sorted(self.corpora_dir.iterdir()):
                if p.is_dir() and not p.name.startswith(".") and (p / MANIFEST).exists():
                    try:
                        out.append(read_json(p / MANIFEST))
                    except WorkspaceError:
                        continue
        return out

    def save_corpus(self, corpus: Corpus, name: str, replace: bool = False, extra_manifest: dict | None = None) -> dict:
        """Store ``corpus`` as ``name``; returns the manifest written."""
        target = self.corpus_path(name)
        if target.exists() and not replace:
            raise WorkspaceError(f"a corpus named {name!r} already exists in {self.root} (use --replace to overwrite it)")
        manifest = corpus_manifest(corpus, name, extra_manifest, corpus.sequences is not None)
        with atomic_dir(target, replace=replace) as tmp:
            write_corpus_files(corpus, tmp, manifest)
        return manifest

    def load_corpus(self, name: str) -> Corpus:
        path = self.corpus_path(name)
        if not (path / MANIFEST).exists():
            known = ", ".join(m["name"] for m in self.list_corpora()) or "none"
            raise WorkspaceError(f"no corpus named {name!r} in {self.root} (stored corpora: {known})")
        manifest = read_json(path / MANIFEST)
        if manifest.get("storage") == "batches":  # engine.corpus.batches.STORAGE: read batch by batch
            raise WorkspaceError(
                f"corpus {name!r} is stored as batches on disk (imported with --batches, "
                f"{manifest.get('documents', '?')} documents): it is read batch by batch, never loaded whole. "
                f"Train it with `artm-studio train --corpus {name}` (add --dask local:2 to use Dask workers) "
                "or on the dashboard's Model & training page (Live training, Topics and Trends show its runs); "
                "the pages that read every document's tokens do not open corpora stored as batches yet")
        try:
            documents = read_table(path / DOCUMENTS)
            vocab = read_table(path / VOCAB)
            n_dw = table_to_csr(pq.read_table(path / N_DW), (len(documents), len(vocab)))
            sequences = None
            if (path / SEQUENCES).exists():
                t = pq.read_table(path / SEQUENCES)
                doc = t.column("doc").to_numpy()
                if len(doc) and (doc.min() < 0 or doc.max() >= len(documents)):
                    raise ValueError("document index out of range in sequences.parquet")
                ptr = np.zeros(len(documents) + 1, dtype=np.int64)
                np.add.at(ptr, doc.astype(np.int64) + 1, 1)
                np.cumsum(ptr, out=ptr)
                sequences = TokenSequences(ptr=ptr, token=t.column("token").to_numpy().astype(np.int32),
                                           start=t.column("start").to_numpy().astype(np.int32),
                                           end=t.column("end").to_numpy().astype(np.int32))
        except (OSError, ValueError, KeyError, IndexError, pa.ArrowException) as e:
            detail = str(e).splitlines()[0] if str(e) else type(e).__name__
            raise WorkspaceError(f"corpus {name!r} in {self.root} is damaged ({detail[:200]}); import it again "
                                 "with --replace (or delete it)") from None
        return Corpus(name=name, documents=documents, vocab=vocab, n_dw=n_dw,
                      sequences=sequences, manifest=manifest)

    def delete_corpus(self, name: str) -> None:
        delete_entry(self.corpus_path(name), f"corpus {name!r}", f"no corpus named {name!r} in {self.root}")

    def recover(self) -> list[str]:
        """Complete or roll back half-done writes left by killed processes; returns what was done
        (see :func:`engine.store.recovery.recover`)."""
        from engine.store.recovery import recover  # recovery imports this module

        return recover(self)


def corpus_manifest(corpus: Corpus, name: str, extra_manifest: dict | None, has_sequences: bool) -> dict:
    """The ``manifest.json`` of ``corpus`` stored as ``name``: its own manifest, ``extra_manifest``,
    the counts, schema version, engine version and fingerprint."""
    manifest = dict(corpus.manifest)
    manifest.update(extra_manifest or {})
    manifest.update(corpus_counts(corpus))
    manifest.update({
        "schema_version": SCHEMA_VERSION,
        "kind": "corpus",
        "name": name,
        "engine_version": engine_version(),
        "created_at": manifest.get("created_at") or now_iso(),
        "fingerprint": corpus.fingerprint(),
        "has_sequences": has_sequences,
    })
    return manifest


def write_corpus_files(corpus: Corpus, folder: Path, manifest: dict, documents: bool = True) -> None:
    """The corpus's files in ``folder`` (documents only when ``documents``; sequences when the
    corpus holds them), ``manifest.json`` last."""
    if documents:
        write_table(corpus.documents, folder / DOCUMENTS)
    write_table(corpus.vocab, folder / VOCAB)
    write_csr(corpus.n_dw, folder / N_DW)
    if corpus.sequences is not None:
        s = corpus.sequences
        doc = np.repeat(np.arange(len(s.ptr) - 1, dtype=np.int32), np.diff(s.ptr))
        pq.write_table(pa.table({"doc": doc, "token": s.token, "start": s.start, "end": s.end}),
                       folder / SEQUENCES, compression="zstd")
    write_json_atomic(folder / MANIFEST, manifest)


def corpus_counts(corpus: Corpus) -> dict:
    """Counts reported by ``inspect-corpus`` and stored in the manifest."""
    vocab = corpus.vocab
    per_mod = {}
    for m in corpus.modalities:
        mask = (vocab["modality"] == m).to_numpy()
        per_mod[m] = {"vocabulary": int(mask.sum()), "tokens": float(vocab["tf"].to_numpy()[mask].sum())}
    out = {
        "documents": int(corpus.n_docs),
        "tokens": float(corpus.n_dw.sum()),
        "vocabulary": int(corpus.n_tokens),
        "modalities": per_mod,
        "metadata_columns": [c for c in corpus.documents.columns if c not in ("id", "text")],
    }
    if corpus.has_dates:
        d = corpus.documents["date"].dropna()
        out["date_range"] = [str(pd.Timestamp(d.min()).date()), str(pd.Timestamp(d.max()).date())]
    else:
        out["date_range"] = None
    return out
