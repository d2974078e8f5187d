"""Uploads (issue 16): sanitized names stay inside the session's folder; folders go when used or abandoned."""
import os
import time

import pytest

from engine.errors import InputError
from engine.store.uploads import clean_abandoned, remove_upload, safe_upload_name, save_uploads, session_folder


@pytest.mark.parametrize("name,want", [
    ("..", "upload"), (".", "upload"), ("", "upload"), ("../../etc/passwd", "passwd"),
    ("..\\..\\win.ini", "win.ini"), ("/abs/path/data.csv", "data.csv"), (".hidden.csv", "hidden.csv"),
    ("CON", "upload"), ("nul.txt", "upload.txt"), ("a\x00b\nc.txt", "a_b_c.txt"), ("ok file.jsonl", "ok file.jsonl"),
    ("x" * 300 + ".csv", "x" * 146 + ".csv"),
])
def test_names_are_sanitized(name, want):
    assert safe_upload_name(name) == want


def test_each_session_has_its_own_folder_and_dotdot_stays_inside(tmp_path):
    a = save_uploads(tmp_path, "session-aaaa", [("..", b"one"), ("data.csv", b"a,b\n1,2\n")])
    b = save_uploads(tmp_path, "session-bbbb", [("..", b"two")])
    assert a.parent.parent == session_folder(tmp_path, "session-aaaa") and a.name == "upload"
    assert b.parent.parent == session_folder(tmp_path, "session-bbbb")
    assert a.read_bytes() == b"one" and b.read_bytes() == b"two"
    for p in (a, b):
        assert p.is_file() and p.resolve().is_relative_to(tmp_path.resolve() / "uploads")
    with pytest.raises(InputError):
        session_folder(tmp_path, "../other")


def test_folders_are_removed_when_imported_or_abandoned(tmp_path):
    a = save_uploads(tmp_path, "session-aaaa", [("d.csv", b"x")])
    assert remove_upload(tmp_path, a) and not session_folder(tmp_path, "session-aaaa").exists()
    assert not remove_upload(tmp_path, tmp_path / "elsewhere" / "f.csv")
    b = save_uploads(tmp_path, "session-bbbb", [("d.csv", b"x")])
    c = save_uploads(tmp_path, "session-cccc", [("d.csv", b"y")])
    old = time.time() - 3 * 86400
    os.utime(b.parent.parent, (old, old))
    assert clean_abandoned(tmp_path, max_age_hours=24) == 1
    assert not b.exists() and c.exists()
