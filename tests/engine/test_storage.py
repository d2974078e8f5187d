import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from engine import Corpus, TokenSequences, Workspace, WorkspaceError
from engine.store.workspace import atomic_dir, validate_name


def _corpus():
    docs = pd.DataFrame({"id": ["a", "b", "c"], "text": ["x y", "y z z", "w"],
                         "date": pd.to_datetime(["2020-01-01", None, "2021-05-03"])})
    vocab = pd.DataFrame({"token": ["x", "y", "z", "w", "lab"],
                          "modality": ["@default_class"] * 4 + ["@labels"],
                          "tf": [1.0, 2.0, 2.0, 1.0, 3.0], "df": [1, 2, 1, 1, 3]})
    n_dw = sp.csr_matrix(np.array([[1, 1, 0, 0, 1], [0, 1, 2, 0, 1], [0, 0, 0, 1, 1]], dtype=np.float32))
    seq = TokenSequences(ptr=np.array([0, 2, 5, 6]), token=np.array([0, 1, 1, 2, 2, 3], np.int32),
                         start=np.array([0, 2, 0, 2, 4, 0], np.int32), end=np.array([1, 3, 1, 3, 5, 1], np.int32))
    return Corpus("", docs, vocab, n_dw, seq)


def test_corpus_round_trip_is_exact(workspace):
    c = _corpus()
    workspace.save_corpus(c, "tiny")
    back = workspace.load_corpus("tiny")
    assert (back.n_dw != c.n_dw).nnz == 0
    assert back.n_dw.dtype == np.float32 and back.n_dw.indices.dtype == np.int32
    pd.testing.assert_frame_equal(back.vocab, c.vocab)
    pd.testing.assert_frame_equal(back.documents, c.documents)
    for a, b in zip((back.sequences.ptr, back.sequences.token, back.sequences.start, back.sequences.end),
                    (c.sequences.ptr, c.sequences.token, c.sequences.start, c.sequences.end)):
        np.testing.assert_array_equal(a, b)
    assert back.fingerprint() == c.fingerprint()
    info = workspace.list_corpora()[0]
    assert info["documents"] == 3 and info["modalities"]["@labels"]["vocabulary"] == 1
    assert info["date_range"] == ["2020-01-01", "2021-05-03"]


def test_no_clobber_without_replace(workspace):
    workspace.save_corpus(_corpus(), "tiny")
    with pytest.raises(WorkspaceError, match="already exists"):
        workspace.save_corpus(_corpus(), "tiny")
    workspace.save_corpus(_corpus(), "tiny", replace=True)
    assert [m["name"] for m in workspace.list_corpora()] == ["tiny"]


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden", "x" * 101, "a..b"])
def test_names_are_validated(bad):
    with pytest.raises(WorkspaceError, match="invalid"):
        validate_name(bad)


def test_failed_write_leaves_previous_content(tmp_path):
    target = tmp_path / "thing"
    with atomic_dir(target) as d:
        (d / "f.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(target, replace=True) as d:
            (d / "f.txt").write_text("new")
            raise RuntimeError("boom")
    assert (target / "f.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["thing"]


def test_unknown_corpus_names_known_ones(workspace):
    workspace.save_corpus(_corpus(), "tiny")
    with pytest.raises(WorkspaceError, match="tiny"):
        workspace.load_corpus("nope")


def test_replace_keeps_named_subfolders(tmp_path):
    target = tmp_path / "run"
    with atomic_dir(target) as d:
        (d / "a.txt").write_text("v1")
    (target / "checkpoints").mkdir()
    (target / "checkpoints" / "c.npy").write_text("ck")
    with atomic_dir(target, replace=True, keep=("checkpoints",)) as d:
        (d / "a.txt").write_text("v2")
    assert (target / "a.txt").read_text() == "v2"
    assert (target / "checkpoints" / "c.npy").read_text() == "ck"
    with atomic_dir(target, replace=True) as d:  # without keep the folder is replaced whole
        (d / "a.txt").write_text("v3")
    assert not (target / "checkpoints").exists()


@pytest.mark.parametrize("bad", [None, 3, {"name": "x"}])
def test_a_name_that_is_not_text_says_so(bad):
    with pytest.raises(WorkspaceError, match=r"expected text \(str\), got " + type(bad).__name__):
        validate_name(bad)
