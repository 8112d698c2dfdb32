"""Writing a file so that readers see the old bytes or the new ones, never half of either."""

from __future__ import annotations

import os
from pathlib import Path


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write through a temporary sibling and rename it over `path` (POSIX rename is atomic).

    Also right when `path` is a hard link shared with an earlier export release: the rename
    replaces the link, the other release keeps its bytes. The temporary name carries the pid, so
    two processes never write one temporary file; a failed write removes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    try:
        if isinstance(data, str):
            tmp.write_text(data, encoding="utf-8")
        else:
            tmp.write_bytes(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
