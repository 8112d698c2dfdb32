"""Shared plumbing of the read-only `fitcat` commands: opening the catalogue, errors, output.

Exit codes (the same for every command):
  0  done
  1  done, but the answer is "unhealthy" (`fitcat doctor`) or a write failed
  2  the catalogue is missing / not a catalogue, or the arguments are wrong
  3  the catalogue is locked by a writer (a refresh is running)
  4  the model / device asked for is not in the catalogue (suggestions are printed)
  5  the SQL given to `fitcat sql` failed
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import difflib
import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import duckdb

from catalog import db, paths

# Exit codes, one meaning each (README "Exit codes"): 0 done; 1 a run failed / the catalogue is
# unhealthy / an export was refused; 2 bad arguments or no catalogue; 3 the Hub is not
# reachable; 4 model or device not found; 5 the SQL failed; 6 the catalogue is busy (another
# refresh holds it); 7 the machine refused (disk full, read-only, permission).
OK, UNHEALTHY, USAGE, UNREACHABLE, NOT_FOUND, QUERY_FAILED, LOCKED, ENVIRONMENT = 0, 1, 2, 3, 4, 5, 6, 7
# Views a catalogue built by `fitcat refresh` / `make demo` always has.
REQUIRED_VIEWS = ("models", "quantizations", "devices", "device_fit")


class CliError(Exception):
    """An error the user can act on: the message names the problem and the fix."""

    def __init__(self, message: str, code: int = USAGE):
        super().__init__(message)
        self.code = code


def db_file(args: argparse.Namespace) -> Path:
    return paths.db_path(getattr(args, "db", None))


def open_db(args: argparse.Namespace) -> duckdb.DuckDBPyConnection:
    """The catalogue, read-only (never migrated). Raises CliError with the fix."""
    path = db_file(args)
    if not path.exists():
        raise CliError(
            f"no catalogue at {path}: run `fitcat refresh` or `make demo` (or point --db / FITCAT_DB at one)",
            USAGE,
        )
    try:
        con = db.connect(path, read_only=True)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = re.search(r"held in (.+?)(?:\. See also|$)", text)
            who = f" by {holder.group(1).strip()}" if holder else ""
            raise CliError(
                f"the catalogue {path} is locked{who}: a writer (probably `fitcat refresh`) "
                "has it open. Wait for it to finish and retry.",
                LOCKED,
            ) from exc
        raise CliError(f"cannot open {path} ({text}): point --db at a catalogue, or run `fitcat refresh` "
                       "or `make demo` to build one", USAGE) from exc
    except duckdb.Error as exc:
        raise CliError(
            f"{path} is not a DuckDB catalogue ({exc}): run `fitcat refresh` or `make demo` to build one",
            USAGE,
        ) from exc
    names = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'"
        ).fetchall()
    }
    missing = [v for v in REQUIRED_VIEWS if v not in names]
    if missing:
        con.close()
        raise CliError(
            f"{path} is not a fitcat catalogue (no {', '.join(missing)} view): "
            "run `fitcat refresh` or `make demo` to build it",
            USAGE,
        )
    return con


def command(name: str, body: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command body: CliError -> message on stderr and its exit code (anything else is
    told in one line by catalog.cli.main)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return body(args)
        except CliError as exc:
            print(f"fitcat {name}: {exc}", file=sys.stderr)
            return exc.code

    return run


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def print_json(data: Any) -> None:
    print(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))


def console(width: int | None = None):
    from rich.console import Console

    # Piped output is not cut to 80 columns: wide tables stay readable in files and pagers.
    if width is None and not sys.stdout.isatty():
        width = 160
    return Console(width=width, highlight=False, soft_wrap=False)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params) if params is not None else con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def query(args: argparse.Namespace, sql: str, params: Any = None) -> list[dict[str, Any]]:
    """Open the catalogue read-only, run one query, close: the listing commands' whole I/O."""
    con = open_db(args)
    try:
        return rows(con, sql, params)
    finally:
        con.close()


def matches(words: list[str] | None, *fields: Any) -> bool:
    """Every search word appears (case-insensitively) in the given fields."""
    text = " ".join(str(f or "") for f in fields).lower()
    return all(w in text for w in " ".join(words or []).lower().split())


def suggestions(query: str, choices: Iterable[str], n: int = 5) -> list[str]:
    """Close names: difflib on the whole name and on the part after the publisher, plus substrings."""
    choices = list(choices)
    q = query.lower()
    by_lower: dict[str, str] = {}
    for c in choices:
        by_lower.setdefault(c.lower(), c)
        by_lower.setdefault(c.lower().rsplit("/", 1)[-1], c)
    found = [by_lower[m] for m in difflib.get_close_matches(q, list(by_lower), n=n, cutoff=0.5)]
    found += [c for c in choices if q and q in c.lower()]
    out: list[str] = []
    for c in found:
        if c not in out:
            out.append(c)
    return out[:n]


def resolve(query: str, choices: Iterable[str] | dict[str, str], what: str) -> str:
    """The id `query` names: an exact (case-insensitive) label, a unique name after the '/', or a unique
    substring. `choices` is a list of ids or a {label: id} map (several labels may name one id).
    Otherwise CliError (exit 4) with the closest labels as suggestions."""
    labels = dict(choices) if isinstance(choices, dict) else {ch: ch for ch in choices}
    q = query.strip().lower()
    for label, value in labels.items():
        if label.lower() == q:
            return value
    for test in (lambda lab: lab.lower().rsplit("/", 1)[-1] == q, lambda lab: q in lab.lower()):
        hits = {value for label, value in labels.items() if test(label)}
        if len(hits) == 1:
            return hits.pop()
        if len(hits) > 1:
            near = [lab for lab in labels if test(lab) and labels[lab] != lab] or [
                lab for lab in labels if test(lab)
            ]
            shown = sorted(dict.fromkeys(near))[:8]
            raise CliError(
                f"{what} {query!r} matches {len(hits)}: {', '.join(shown)}"
                f"{' ...' if len(near) > 8 else ''}; be more specific",
                NOT_FOUND,
            )
    near = suggestions(query, labels)
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise CliError(f"{what} {query!r} is not in the catalogue{hint}", NOT_FOUND)


def table(*columns: str | tuple[str, str], title: str | None = None, **options: Any):
    """A rich table in the CLI's one style; a column is a name or (name, justify)."""
    from rich import box
    from rich.table import Table

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
    for col in columns:
        name, justify = (col, "left") if isinstance(col, str) else col
        t.add_column(name, justify=justify, **options)
    return t


def memory_label(device: dict[str, Any]) -> str:
    """Marketed memory as vendors say it: "24 GB", or "8× 80 GB" for a multi-GPU box."""
    per_gpu = f"{device['memory_gb']:g} GB"
    return f"{device['gpu_count']}× {per_gpu}" if device["gpu_count"] > 1 else per_gpu


def gb(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f} GB"


def params_b(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1e9:,.1f}B" if value >= 1e9 else f"{value / 1e6:,.0f}M"


def tokens(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


# Model × quant × device at any context, under the default runtime profile: the fit_estimate table
# macro (sql/macros/fit_estimate.sql), the same definition the device_fit views select from.
_FIT_SQL = """
SELECT * FROM fit_estimate($devices, repo_name := $repo, ctx_tokens := $ctx, cache_type := $kv, fa := $fa)
WHERE is_default AND ($device IS NULL OR device_id = $device)
"""
_CUSTOM_DEVICE = """
CREATE OR REPLACE TEMP TABLE fit_custom_device AS
SELECT 'custom' AS device_id, CAST($gpus AS INTEGER) AS gpu_count, CAST($bw AS DOUBLE) AS bandwidth_gbps,
       CAST($backend AS VARCHAR) AS backend, CAST($usable AS BIGINT) AS usable_memory_bytes,
       CAST(NULL AS DOUBLE) AS fp16_tflops_dense"""


def fit_rows(
    con: duckdb.DuckDBPyConnection,
    *,
    context: int | None = None,
    repo_id: str | None = None,
    device_id: str | None = None,
    custom: dict[str, Any] | None = None,
    kv_type: str | None = None,
    flash_attention: bool | None = None,
) -> list[dict[str, Any]]:
    """Every (model, quant, device) at `context` tokens (None: 2,048 or the model's maximum if smaller).

    `custom` = {usable_memory_bytes, gpu_count, bandwidth_gbps, backend} replaces the catalogue's
    devices by one device of that shape (a temporary table of this connection). kv_type and
    flash_attention override the default profile's (None: the profile's).
    """
    devices = "devices"
    if custom is not None:
        con.execute(_CUSTOM_DEVICE, {"gpus": custom["gpu_count"], "bw": custom["bandwidth_gbps"],
                                     "backend": custom["backend"], "usable": custom["usable_memory_bytes"]})
        devices, device_id = "fit_custom_device", None
    return rows(con, _FIT_SQL, {"devices": devices, "repo": repo_id, "ctx": context or 2048, "kv": kv_type,
                                "fa": flash_attention, "device": device_id})
