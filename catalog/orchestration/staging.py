"""Never write the published catalogue in place: work on a copy, then swap it in atomically.

Analysts may hold the published file open read-only; DuckDB would block a writer on the same
file, and a crash mid-write would leave it half-updated. So a refresh copies it to
`<name>.next-<run_id>.duckdb`, writes there, checkpoints, and `os.replace`s it over the original
(readers keep their snapshot; POSIX). The caller holds the run lock (catalog.orchestration.lock),
so any other `<name>.next-*` file is a dead run's leftover and is removed; on any failure the
run's own copy is removed at once (a full disk is not left full).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path


class PublishBlocked(RuntimeError):
    """The staged catalogue failed its checks; it is kept aside for inspection, not published."""


def rejected_path(published: Path) -> Path:
    return published.with_name(published.stem + ".rejected" + published.suffix)


def next_path(published: Path, run_id: str) -> Path:
    return published.with_name(f"{published.stem}.next-{run_id}{published.suffix}")


def _remove(db_file: Path) -> None:
    for path in (db_file, Path(str(db_file) + ".wal")):
        path.unlink(missing_ok=True)


def clean_leftovers(published: Path) -> list[Path]:
    """Working copies of runs that are gone (only call while holding the run lock)."""
    found = sorted(published.parent.glob(f"{published.stem}.next*{published.suffix}"))
    for leftover in found:
        _remove(leftover)
    return found


@contextlib.contextmanager
def staged_database(published: Path, run_id: str) -> Iterator[Path]:
    """Yield this run's working copy; on normal exit it replaces the published file, on
    PublishBlocked it is kept as `<name>.rejected.duckdb`, on any other error it is removed."""
    published.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(published)
    work = next_path(published, run_id)
    try:
        if published.exists():
            shutil.copy2(published, work)
        yield work
        with open(work, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(work, published)
    except PublishBlocked:
        os.replace(work, rejected_path(published))
        Path(str(work) + ".wal").unlink(missing_ok=True)
        raise
    except BaseException:
        _remove(work)
        raise
