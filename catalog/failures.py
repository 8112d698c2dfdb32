"""How a failure is told: one line, never a traceback, never a header (tokens live there).

Errors of the machine (disk full, read-only folder, permission) name the path, so an operator
knows what to fix; everything else is `Type: first line of the message`.
"""

from __future__ import annotations

import errno

ENVIRONMENT_ERRNOS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
                      errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
                      errno.EPERM: "not permitted", errno.EFBIG: "file too large"}
# The same failures as DuckDB words them (IOException / PermissionException messages).
DUCKDB_ENVIRONMENT = {"No space left": "disk full", "Read-only file system": "read-only file system",
                      "Permission denied": "permission denied", "File too large": "file too large"}


def one_line(exc: BaseException) -> str:
    """`Type: first line of the message`, at most 300 characters of it."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def environment_error(exc: BaseException) -> str | None:
    """'disk full: cannot write /path (...)' for errors of the machine, else None.

    An OSError carries its errno and path; DuckDB reports the same failures as IOException /
    PermissionException whose message names the file."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno in ENVIRONMENT_ERRNOS:
            where = cause.filename or "?"
            return f"{ENVIRONMENT_ERRNOS[cause.errno]}: cannot write {where} ({cause.strerror})"
        if type(cause).__name__ in ("IOException", "PermissionException"):
            text = str(cause)
            for needle, label in DUCKDB_ENVIRONMENT.items():
                if needle in text:
                    return f"{label}: {text.splitlines()[0][:300]}"
        cause = cause.__cause__ or cause.__context__
    return None
