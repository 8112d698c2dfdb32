"""Never write the published catalogue in place: work on a copy, then swap it in atomically.

Analysts may hold the published file open read-only; DuckDB would block a writer on the same
file, and a crash mid-write would leave it half-updated. So a refresh copies it to
`<name>.next.duckdb`, writes there, checkpoints, and `os.replace`s it over the original
(readers keep their snapshot; POSIX). Leftovers of a killed run are simply overwritten.
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


def next_path(published: Path) -> Path:
    return published.with_name(published.stem + ".next" + published.suffix)


@contextlib.contextmanager
def staged_database(published: Path) -> Iterator[Path]:
    """Yield a working copy; on normal exit it replaces the published file, on error it is dropped."""
    published.parent.mkdir(parents=True, exist_ok=True)
    work = next_path(published)
    for leftover in (work, Path(str(work) + ".wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        shutil.copy2(published, work)
    try:
        yield work
    except PublishBlocked:
        os.replace(work, rejected_path(published))
        raise
    except BaseException:
        work.unlink(missing_ok=True)
        Path(str(work) + ".wal").unlink(missing_ok=True)
        raise
    with open(work, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(work, published)
