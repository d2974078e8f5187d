"""The plan record of a multi-run training (a hierarchy's levels, a sweep's runs): a small JSON
file written before the first pass and updated as the runs finish, under its inter-process lock
(so the workspace recovery never removes the temporary file of a write in progress), and the
state of each planned run read from its folder."""
from __future__ import annotations

from pathlib import Path

from engine.errors import WorkspaceError
from engine.store import checkpoints as ckpt
from engine.store.locks import entry_lock
from engine.store.runs import run_path
from engine.store.workspace import Workspace, now_iso, read_json, write_json_atomic

__all__ = ["PlanRecord"]


class PlanRecord:
    """``record`` (a dict with ``name`` and ``status``) stored at :meth:`path`; subclasses name
    the file and the entry whose lock guards it (:meth:`lock_target`)."""

    def __init__(self, ws: Workspace, record: dict):
        self.ws = ws
        self.record = record

    @classmethod
    def open(cls, ws: Workspace, path: Path, what: str):
        """The plan stored at ``path``; WorkspaceError "no <what> in <workspace>" if absent."""
        if not path.exists():
            raise WorkspaceError(f"no {what} in {ws.root}")
        return cls(ws, read_json(path))

    name = property(lambda self: self.record["name"])
    status = property(lambda self: self.record["status"])

    def path(self) -> Path:  # pragma: no cover - abstract
        raise NotImplementedError

    def lock_target(self) -> Path:
        return self.path()

    def _save(self, **changes) -> None:
        self.record.update(changes, updated_at=now_iso())
        with entry_lock(self.lock_target(), f"the plan {self.name!r}", timeout=30):
            write_json_atomic(self.path(), self.record)

    def run_state(self, run_id: str, needs: tuple[str, ...] = ()) -> str:
        """"finished" (saved as finished, with the files ``needs`` names), "resumable" (has
        checkpoints) or "new"."""
        folder = run_path(self.ws, run_id)
        try:
            man = read_json(folder / "manifest.json")
        except (WorkspaceError, OSError):
            man = {}
        if man.get("status") == "finished" and all((folder / n).exists() for n in needs):
            return "finished"
        return "resumable" if ckpt.list_checkpoints(folder) else "new"
