"""The bundled sample corpus (UK House of Commons speeches, ParlSpeech V2): where it ships and
its one-time import into a workspace."""
from __future__ import annotations

from pathlib import Path

from engine.corpus.ingest import import_corpus
from engine.corpus.options import ImportOptions
from engine.errors import InputError, WorkspaceError
from engine.store.workspace import Workspace

SAMPLE_CORPUS_NAME = "uk-commons"
SAMPLE_FILE = "uk_commons_speeches.jsonl.gz"

def sample_corpus_path() -> Path:
    """The bundled sample corpus (UK House of Commons speeches, ParlSpeech V2): package data
    ``engine/sample_data/`` in an installed wheel, ``sample_data/`` in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "sample_data", package.parent / "sample_data"):
        if (folder / SAMPLE_FILE).is_file():
            return folder / SAMPLE_FILE
    return package / "sample_data" / SAMPLE_FILE


def sample_import_options() -> ImportOptions:
    """English stop words plus the procedural words of Commons debates (sample_data/stopwords_commons.txt)."""
    extra = sample_corpus_path().with_name("stopwords_commons.txt")
    return ImportOptions(lang="en", modalities={"label": "@party"},
                         stopwords=str(extra) if extra.exists() else "default")


def ensure_sample_corpus(workspace: Workspace | None = None) -> str:
    """Import the sample corpus as ``"uk-commons"`` unless the workspace has it; returns the name."""
    workspace = workspace if workspace is not None else Workspace()
    if not workspace.has_corpus(SAMPLE_CORPUS_NAME):
        path = sample_corpus_path()
        if not path.exists():
            raise InputError(f"the sample corpus {path} is missing from this installation")
        try:
            import_corpus(path, SAMPLE_CORPUS_NAME, sample_import_options(), workspace)
        except WorkspaceError:
            if not workspace.has_corpus(SAMPLE_CORPUS_NAME):  # lost a race with another session: fine
                raise
    return SAMPLE_CORPUS_NAME


__all__ = ["SAMPLE_CORPUS_NAME", "sample_corpus_path", "sample_import_options", "ensure_sample_corpus"]
