"""Crash consistency, inter-process locks and memory bounds of imports (issue 16).

- kill -9 of ``import --replace`` at many moments, including inside the final swap: afterwards the
  corpus is always listed and loadable (old or new version, never gone), and recovery leaves no
  hidden folders behind;
- two processes: one holding a corpus's lock makes the other's import fail with a clear message;
  two simultaneous imports of one name: exactly one wins;
- decompression bombs, a 200 MB one-line text, a lying UCI header and ``/dev/zero`` imported under
  an address-space limit (``RLIMIT_AS``) are refused cleanly, with peak memory measured.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import badinputs as B
from engine.cli import main
from engine.corpus.ingest import ImportOptions, import_corpus
from engine.store.recovery import orphans
from engine.store.workspace import TEST_SWAP_SLEEP_ENV, Workspace

REPO = Path(__file__).resolve().parents[2]
OPTS = ImportOptions(min_df=1, lang="en")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


# --------------------------------------------------------------------------- kill -9 of import --replace

def _context():
    """A forkserver whose server imported the engine but started no threads: children start in
    milliseconds and, unlike plain fork of this (threaded) test process, cannot inherit a held lock."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["engine.corpus.ingest", "badinputs"])
    return ctx


def _child_import(src, root, swap_sleep, ready):
    if swap_sleep:
        os.environ[TEST_SWAP_SLEEP_ENV] = "keep:60"
    ready.set()
    import_corpus(src, "keep", OPTS, Workspace(root), replace=True)
    os._exit(0)


def _kill_import_at(ctx, src, root, delay: float | None) -> str:
    """Start ``import --replace`` in a forked child, SIGKILL it after ``delay`` s (None: inside the
    swap, once the old copy is moved aside); returns how the child ended."""
    ready = ctx.Event()
    proc = ctx.Process(target=_child_import, args=(src, root, delay is None, ready))
    proc.start()
    ready.wait(10)
    if delay is None:
        lock_dir = Path(root) / "corpora"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(p.name.startswith(".old-keep") for p in lock_dir.iterdir()):
            time.sleep(0.002)
        assert any(p.name.startswith(".old-keep") for p in lock_dir.iterdir()), "never reached the swap"
    else:
        time.sleep(delay)
    try:
        os.kill(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished first
        pass
    proc.join()
    return "finished" if proc.exitcode == 0 else "killed"


def test_killed_import_replace_never_loses_the_corpus(tmp_path):
    ctx = _context()
    root = tmp_path / "ws"
    old = B.jsonl(tmp_path / "old.jsonl", B.good_rows(6))
    new = B.jsonl(tmp_path / "new.jsonl", B.good_rows(9))
    ws = Workspace(root)
    import_corpus(old, "keep", OPTS, ws)
    ready = ctx.Event()
    proc = ctx.Process(target=_child_import, args=(new, root, False, ready))
    proc.start()
    ready.wait(60)
    t0 = time.perf_counter()  # one unkilled child: how long an import takes from its start to exit
    proc.join()
    one = time.perf_counter() - t0
    assert proc.exitcode == 0 and ws.load_corpus("keep").n_docs == 9
    import_corpus(old, "keep", OPTS, ws, replace=True)
    delays = [None] * 4 + [one * k / 12 for k in range(1, 17)]  # 4 mid-swap kills, 16 spread over 1.3 imports
    outcomes = {"killed": 0, "finished": 0}
    versions = set()
    for delay in delays:
        outcomes[_kill_import_at(ctx, new if len(versions) % 2 == 0 else old, root, delay)] += 1
        actions = ws.recover()
        listed = [m["name"] for m in ws.list_corpora()]
        assert listed == ["keep"], (delay, actions, sorted(p.name for p in (root / "corpora").iterdir()))
        c = ws.load_corpus("keep")
        assert c.n_docs in (6, 9)
        versions.add(c.n_docs)
        assert orphans(ws) == [], delay
    assert outcomes["killed"] >= 8
    assert versions == {6, 9}  # kills landed both before and after the swap
    print(f"\nkill trials: {len(delays)} ({outcomes}), one import {one * 1000:.0f} ms")


def test_recovery_after_a_kill_mid_swap_is_reported_by_the_cli(tmp_path, capsys):
    ctx = _context()
    root = tmp_path / "ws"
    ws = Workspace(root)
    import_corpus(B.jsonl(tmp_path / "old.jsonl", B.good_rows(6)), "keep", OPTS, ws)
    assert _kill_import_at(ctx, B.jsonl(tmp_path / "new.jsonl", B.good_rows(9)), root, None) == "killed"
    assert not (root / "corpora" / "keep").exists()  # the kill left the swap half-done
    assert main(["check", "--workspace", str(root)]) == 1  # lists the leftovers, repairs nothing
    out, _ = capsys.readouterr()
    assert "completed an interrupted swap" in out and not (root / "corpora" / "keep").exists()
    assert main(["corpora", "--workspace", str(root)]) == 0
    out, err = capsys.readouterr()
    assert "recovered: corpora/keep: completed an interrupted swap" in err
    assert '"documents": 9' in out
    assert main(["check", "--workspace", str(root)]) == 0


def test_check_repair_removes_invisible_folders(tmp_path, capsys):
    root = tmp_path / "ws"
    ws = Workspace(root)
    import_corpus(B.jsonl(tmp_path / "a.jsonl", B.good_rows(6)), "keep", OPTS, ws)
    (root / "corpora" / ".tmp-other-0123abcd").mkdir()
    (root / "corpora" / ".tmp-other-0123abcd" / "documents.parquet").write_bytes(b"x" * 100)
    (root / "runs" / "20260101-000000-abcdef" / "checkpoints").mkdir(parents=True)
    assert main(["check", "--workspace", str(root)]) == 1
    out, _ = capsys.readouterr()
    assert ".tmp-other-0123abcd" in out and "20260101-000000-abcdef" in out
    assert main(["check", "--repair", "--workspace", str(root)]) == 0
    capsys.readouterr()
    assert orphans(ws) == [] and [m["name"] for m in ws.list_corpora()] == ["keep"]


# --------------------------------------------------------------------------- two processes

HOLDER = """
import sys
from pathlib import Path
from engine.store.locks import entry_lock
with entry_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def test_a_held_lock_refuses_a_second_process(tmp_path):
    root = tmp_path / "ws"
    src = B.jsonl(tmp_path / "a.jsonl", B.good_rows(6))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root / "corpora" / "news")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = subprocess.run([sys.executable, "-m", "engine", "import", str(src), "--name", "news",
                            "--workspace", str(root), "--min-df", "1"], capture_output=True, text=True, env=_env())
        assert r.returncode == 2
        assert r.stderr.strip().splitlines() == [
            "artm-studio import: error: corpus 'news' is being written by another process (import, training or "
            "delete); wait for it to finish and try again"]
        assert Workspace(root).list_corpora() == []
    finally:
        holder.communicate("\n", timeout=30)
    r = subprocess.run([sys.executable, "-m", "engine", "import", str(src), "--name", "news",
                        "--workspace", str(root), "--min-df", "1"], capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr


def test_two_simultaneous_imports_of_one_name_one_wins(tmp_path):
    root = tmp_path / "ws"
    a = B.jsonl(tmp_path / "a.jsonl", B.good_rows(6))
    b = B.jsonl(tmp_path / "b.jsonl", B.good_rows(9))
    procs = [subprocess.Popen([sys.executable, "-m", "engine", "import", str(p), "--name", "same",
                               "--workspace", str(root), "--min-df", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()) for p in (a, b)]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    codes = sorted(c for c, _ in results)
    assert codes == [0, 2], results
    loser = next(err for c, err in results if c)
    assert ("already exists" in loser or "being written by another process" in loser) and len(loser.strip().splitlines()) == 1
    assert Workspace(root).load_corpus("same").n_docs in (6, 9)


# --------------------------------------------------------------------------- memory bounds

LIMITED = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from engine.cli import main
try:
    code = main(sys.argv[2:])
finally:
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")][0].split()[1]
    print(f"peak-rss-kib {hwm}", flush=True)
sys.exit(code)
"""
AS_LIMIT = 1536 << 20  # the interpreter with numpy/pandas/numba/pyarrow maps ~600 MiB before reading


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bombs")
    B.gzip_bomb(d, 2048)  # 2 MiB of gzip → 2 GiB
    B.zip_bomb(d, 300)  # 0.3 MiB of zip → 300 MiB (the 1 MB → 300 MB)
    B.write(d / "line.txt", b"word " * (40 << 20))  # 200 MiB on one line
    B.uci(d, header=(999_999_999_999, 3, 3))
    return d


@pytest.mark.parametrize("name,pattern", [
    ("bomb.jsonl.gz", r"bomb\.jsonl\.gz \(gzip\) is more than .* uncompressed"),
    ("bomb.zip", r"big\.txt expands .*zip bomb"),
    ("line.txt", r"line\.txt \(one document\) is 200\.0 MiB, more than"),
    ("docword.t.txt", r"UCI header says D=999,999,999,999"),
    ("/dev/zero", r"/dev/zero: is a device"),
])
def test_bombs_are_refused_under_a_memory_limit(tmp_path, bombs, name, pattern):
    import re

    path = name if name.startswith("/") else str(bombs / name)
    r = subprocess.run([sys.executable, "-c", LIMITED, str(AS_LIMIT), "import", path,
                        "--workspace", str(tmp_path / "ws")], capture_output=True, text=True, env=_env())
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and re.search(pattern, lines[0]), r.stderr
    peak_mib = int(r.stdout.split("peak-rss-kib")[1].split()[0]) / 1024  # VmHWM: this process only
    print(f"\n{name}: refused, peak RSS {peak_mib:.0f} MiB under RLIMIT_AS {AS_LIMIT >> 20} MiB")
    assert peak_mib < 600
    assert not (tmp_path / "ws" / "corpora").exists() or not any((tmp_path / "ws" / "corpora").iterdir())


def test_limits_follow_the_address_space_limit():
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20));"
            "from engine.corpus.limits import default_limits; print(default_limits().max_total_bytes)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env())
    assert r.returncode == 0, r.stderr
    assert 64 << 20 <= int(r.stdout) <= (1536 << 20) // 16


def test_train_with_too_many_topics_is_refused_with_the_numbers(tmp_path, capsys):
    """``train --topics 5000`` where Φ alone would not fit: refused before anything is allocated."""
    import random

    rng = random.Random(0)
    words = [f"w{i:05d}x" for i in range(8000)]
    rows = [{"id": str(d), "text": " ".join(rng.choice(words) for _ in range(120))} for d in range(300)]
    root = tmp_path / "ws"
    assert main(["import", str(B.jsonl(tmp_path / "big.jsonl", rows)), "--workspace", str(root), "--name", "big",
                 "--min-df", "1", "--stopwords", "none"]) == 0
    capsys.readouterr()
    r = subprocess.run([sys.executable, "-c", LIMITED, str(AS_LIMIT), "train", "--corpus", "big", "--topics", "5000",
                        "--iterations", "2", "--workspace", str(root)], capture_output=True, text=True, env=_env())
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "training 5000 topics on 300 documents × " in lines[0] and "available; use fewer topics" in lines[0]
    assert not (root / "runs").exists() or not any(p for p in (root / "runs").iterdir() if not p.name.startswith("."))


def test_recovery_leaves_the_checkpoints_of_a_held_run_alone(tmp_path):
    """A checkpoint has no lock of its own: the trainer holding its run writes it. Another
    process's recovery (any CLI command starts with one) must not remove its unfinished copy."""
    root = tmp_path / "ws"
    ws = Workspace(root)
    run = ws.runs_dir / "r1"
    ckpts = run / "checkpoints"
    (ckpts / "iter_0010").mkdir(parents=True)
    (ckpts / "iter_0010" / "checkpoint.json").write_text("{}")
    inflight = ckpts / ".tmp-iter_0020-0123abcd"
    inflight.mkdir()
    stray = ckpts / "iter_0010" / ".checkpoint.json.0123abcd.tmp"
    stray.write_text("{")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert ws.recover() == []
        assert inflight.is_dir() and stray.is_file()
        assert orphans(ws) == []
    finally:
        holder.communicate("\n", timeout=30)
    done = ws.recover()
    assert any("iter_0020" in a and "unfinished copy" in a for a in done), done
    assert not inflight.exists() and not stray.exists()
