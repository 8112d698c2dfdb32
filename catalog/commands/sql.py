"""`fitcat sql "SELECT ..."`: an analyst's query on the catalogue, and nothing else.

Sealed: the catalogue is opened read-only and then DuckDB's external access is switched off and
the configuration locked, so a query cannot write a file (COPY TO, EXPORT), read one (read_csv,
glob), attach another database or install/load an extension. Exact output (`--csv`, `--json`,
`--parquet FILE`) is DuckDB's COPY of the query into a private, empty temporary folder, the one
path the sealed connection may touch (allowed_directories); fitcat then moves or prints the file.
"""

from __future__ import annotations

import argparse
import decimal
import json
import math
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.text import Text

from catalog import files
from catalog.commands import arguments, catalogue, errors, output

SEALED = ("`fitcat sql` only reads the catalogue: no files, other databases or extensions "
          "(see docs/analysts.md)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="run a read-only SQL query (see docs/analysts.md)")
    p.add_argument("query", help='SQL, e.g. "SELECT * FROM models"; "-" reads it from stdin')
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="exact rows as a JSON array of objects")
    fmt.add_argument("--csv", action="store_true", help="exact rows as CSV with a header")
    fmt.add_argument("--parquet", type=arguments.parquet_file, metavar="FILE",
                     help="exact rows into a Parquet file")
    p.add_argument("--max-rows", type=arguments.rows, default=1000,
                   help="table output: rows shown (default 1000)")
    p.set_defaults(run=errors.command("sql", _run))


FORMATS = {"csv": "FORMAT csv, HEADER true", "json": "FORMAT json, ARRAY true",
           "parquet": "FORMAT parquet, COMPRESSION zstd"}


def _run(args: argparse.Namespace) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    if not query.strip():
        raise errors.CliError('an empty query: give SQL, e.g. "SELECT * FROM models LIMIT 5"')
    fmt = "json" if args.json else "csv" if args.csv else "parquet" if args.parquet else None
    with tempfile.TemporaryDirectory(prefix="fitcat-sql-") as tmp:
        con = catalogue.open_db(args, sealed=True, writable_folder=Path(tmp))
        try:
            if fmt is None:
                _render(*_fetch(con, query, args.max_rows), output.console(), args.max_rows)
                return errors.OK
            written = _copy(con, query, fmt, Path(tmp) / f"result.{fmt}")
        finally:
            con.close()
        if args.parquet:
            files.atomic_move(written, args.parquet)
            print(f"rows written to {args.parquet}", file=sys.stderr)
        else:
            sys.stdout.write(written.read_text(encoding="utf-8"))
    return errors.OK


def _execute(con: duckdb.DuckDBPyConnection, query: str) -> duckdb.DuckDBPyConnection:
    try:
        return con.execute(query)
    except duckdb.PermissionException as exc:
        raise errors.CliError(f"refused: {_first_line(exc)}; {SEALED}", errors.QUERY_FAILED) from exc
    except duckdb.Error as exc:
        text = _first_line(exc)
        if "read-only" in text.lower() or "configuration has been locked" in text:
            raise errors.CliError(f"refused: {text}; {SEALED}", errors.QUERY_FAILED) from exc
        raise errors.CliError(f"query failed: {text}", errors.QUERY_FAILED) from exc


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]


def _fetch(con: duckdb.DuckDBPyConnection, query: str, limit: int
           ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]], int]:
    """(column name, DuckDB type) pairs, the first `limit` rows, and how many rows there are."""
    cur = _execute(con, query)
    if cur.description is None:
        return [], [], 0
    columns = [(d[0], str(d[1])) for d in cur.description]
    shown = cur.fetchmany(limit)
    total = len(shown)
    while chunk := cur.fetchmany(10_000):
        total += len(chunk)
    return columns, shown, total


def _copy(con: duckdb.DuckDBPyConnection, query: str, fmt: str, target: Path) -> Path:
    """DuckDB's COPY of the one statement `query` into `target` (in the allowed folder)."""
    statements = _statements(con, query)
    if len(statements) != 1:
        raise errors.CliError(f"--{fmt} takes one query, got {len(statements)} statements")
    inner = statements[0].rstrip().rstrip(";")
    _execute(con, f"COPY (FROM ({inner})) TO '{_quoted(target)}' ({FORMATS[fmt]})")
    return target


def _statements(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    try:
        return [s.query for s in con.extract_statements(query)]
    except duckdb.Error as exc:
        raise errors.CliError(f"query failed: {_first_line(exc)}", errors.QUERY_FAILED) from exc


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def display(value: Any) -> str:
    """A value as a person reads it: numbers rounded to 4 significant digits (exact output has
    them all), NULL spelled out, lists and structs as JSON."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float | decimal.Decimal):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        return f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.4g}"
    if isinstance(value, list | dict):
        return json.dumps(_rounded(output.to_jsonable(value)), ensure_ascii=False)
    return str(output.to_jsonable(value))


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.4g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


NUMERIC = re.compile(r"^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|FLOAT|DOUBLE|REAL|DECIMAL.*)$")


def _render(columns: list[tuple[str, str]], data: list[tuple[Any, ...]], total: int, out: Console,
            max_rows: int) -> None:
    """A table when it fits the terminal, else one block per row (column │ value), like psql's \\x."""
    if columns:
        t = output.table(*[(name, "right" if NUMERIC.match(kind) else "left") for name, kind in columns])
        for r in data:
            output.row(t, *(display(v) for v in r))
        if output.fits(out, t):
            out.print(t)
        else:
            _vertical(out, [name for name, _ in columns], data)
    more = f" ({max_rows:,} shown; --csv, --json or --parquet FILE for all)" if total > max_rows else ""
    output.note(out, f"{total:,} row{'' if total == 1 else 's'}{more}")


def _vertical(out: Console, columns: list[str], data: list[tuple[Any, ...]]) -> None:
    width = max(len(c) for c in columns)
    for i, r in enumerate(data, 1):
        out.print(Text(f"-[ row {i} ]" + "-" * max(0, min(out.width, 60) - 12), style="dim"))
        for c, v in zip(columns, r, strict=True):
            out.print(Text(f"{c.ljust(width)} │ {display(v)}"), overflow="ellipsis", no_wrap=True)
