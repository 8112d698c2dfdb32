"""One refresh per catalogue: an exclusive lock held for the whole run.

Two refreshes at once used to share `catalog.next.duckdb` and each other's export staging, and
corrupt both (issue #14). The lock is an `flock` on `<catalogue>.lock` (and one on the export
folder's `.lock`), so the kernel releases it when its holder dies however it dies: a stale lock
from a killed run is simply free again. What the file says (pid, run id, start time) is for
messages only; finding it filled in on acquiring means the previous holder never released it,
i.e. it was killed, and the caller records that run as crashed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO


class AlreadyRunning(RuntimeError):
    """Another refresh holds the lock; this one changed nothing and exits at once."""


@dataclass(frozen=True)
class Held:
    """A lock we hold, and what its file said about a holder that died without releasing it."""

    path: Path
    stale: dict[str, Any] | None


def db_lock(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def exports_lock(root: Path) -> Path:
    return root / ".lock"


def _read(handle: TextIO) -> dict[str, Any] | None:
    handle.seek(0)
    text = handle.read().strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"note": "unreadable lock file"}


@contextlib.contextmanager
def _one(path: Path, run_id: str) -> Iterator[Held]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(_held_message(path, _read(handle) or {})) from None
        stale = _read(handle)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"run_id": run_id, "pid": os.getpid(),
                                 "started_at": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        try:
            yield Held(path, stale)
        finally:
            handle.seek(0)
            handle.truncate()          # released cleanly: an empty file is a free lock
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)


def probe(*lock_files: Path) -> None:
    """Raise AlreadyRunning now if a lock is held (the CLI asks before starting Prefect, so a
    second refresh exits in a blink; the run itself still takes the lock for real)."""
    for path in lock_files:
        if not path.exists():
            continue
        with open(path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(handle) or {}
                raise AlreadyRunning(_held_message(path, holder)) from None
            fcntl.flock(handle, fcntl.LOCK_UN)


def _held_message(path: Path, holder: dict[str, Any]) -> str:
    return (f"another refresh holds {path} (run {holder.get('run_id', '?')}, pid {holder.get('pid', '?')}, "
            f"started {holder.get('started_at', '?')}); this one changed nothing")


@contextlib.contextmanager
def run_lock(run_id: str, *lock_files: Path) -> Iterator[list[Held]]:
    """Hold every lock (the catalogue's, the export folder's) or raise AlreadyRunning having
    changed nothing but the lock files."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(_one(path, run_id)) for path in lock_files]
