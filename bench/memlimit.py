"""Run a command under a memory limit and measure its memory: a cgroup of its own.

This container has no systemd (``systemd-run --scope -p MemoryMax=…`` fails) and ``prlimit
--as`` limits *virtual* address space, which a run that memory-maps its D × T Θ file (4 GB at
10⁷ documents) and numba's thread arenas exceed long before they use that much RAM. So the
command runs in a child cgroup of this process's memory cgroup, created here:

- cgroup v2 (``0::/path`` in /proc/self/cgroup, ``memory.max`` present): ``memory.max``;
- cgroup v1 (a ``memory`` controller line): ``memory.limit_in_bytes`` (swap is off here, so
  ``memsw`` needs no limit).

The kernel then reclaims page cache and OOM-kills the command if its memory cannot fit. While it
runs, every process of the cgroup is sampled (``/proc/PID/status``: VmRSS, RssAnon, RssFile) every
``every`` seconds; returned: the exit code, wall seconds, peak sums, and the cgroup's own peak
(v1 ``memory.max_usage_in_bytes`` / v2 ``memory.peak``: RAM incl. page cache) and OOM count.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


def parse_size(text: str) -> int:
    """'2G', '1536M', '2000000000' → bytes (binary units)."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "KMG" else text) * mult)


def make_cgroup(limit: int) -> tuple[Path, str]:
    """A fresh child cgroup of this process's memory cgroup with ``limit`` bytes: (folder, "v1"|"v2")."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    name = f"artm-bench-{os.getpid()}"
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        if "memory" in ctrls.split(","):
            cg = ROOT / "memory" / path.lstrip("/") / name
            cg.mkdir()
            (cg / "memory.limit_in_bytes").write_text(str(limit))
            return cg, "v1"
    for line in lines:
        if line.startswith("0::"):
            base = ROOT / line[3:].lstrip("/")
            if (base / "memory.max").exists() or (ROOT / "cgroup.controllers").exists():
                cg = base / name
                cg.mkdir()
                (cg / "memory.max").write_text(str(limit))
                return cg, "v2"
    raise RuntimeError("no writable memory cgroup found (neither v1 nor v2)")


def _status(pid: str) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, val = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile"):
                out[key] = int(val.split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return out


def _field(path: Path, key: str) -> int:
    """The value of ``key`` in a cgroup "key value" file (0 when absent)."""
    for line in path.read_text().splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    return 0


def run_limited(cmd: list[str], limit: int, every: float = 0.25, **popen) -> dict:
    """Run ``cmd`` inside a new cgroup limited to ``limit`` bytes; see the module docstring."""
    cg, kind = make_cgroup(limit)
    procs = cg / "cgroup.procs"
    peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    t0 = time.perf_counter()
    try:
        p = subprocess.Popen(cmd, preexec_fn=lambda: procs.write_text(str(os.getpid())), **popen)
        while p.poll() is None:
            now = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
            for pid in procs.read_text().split():
                for k, v in _status(pid).items():
                    now[k] += v
            for k in peak:
                peak[k] = max(peak[k], now[k])
            try:
                p.wait(timeout=every)
            except subprocess.TimeoutExpired:
                pass
        wall = time.perf_counter() - t0
        stdout = p.stdout.read() if p.stdout is not None else None
        if kind == "v1":
            cg_peak = int((cg / "memory.max_usage_in_bytes").read_text())
            ooms = _field(cg / "memory.oom_control", "oom_kill")
        else:
            cg_peak = int((cg / "memory.peak").read_text()) if (cg / "memory.peak").exists() else -1
            ooms = _field(cg / "memory.events", "oom_kill")
        return {"returncode": p.returncode, "wall_s": wall, "limit": limit, "cgroup": kind,
                "peak_rss": peak["VmRSS"], "peak_rss_anon": peak["RssAnon"], "peak_rss_file": peak["RssFile"],
                "cgroup_peak": cg_peak, "oom_kills": ooms, "stdout": stdout}
    finally:
        for _ in range(50):  # the cgroup can be removed once its processes are gone
            try:
                cg.rmdir()
                break
            except OSError:
                time.sleep(0.1)
