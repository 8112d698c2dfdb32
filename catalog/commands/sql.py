"""`fitcat sql "SELECT ..."`: run a query on the catalogue, read-only (the file is opened read-only)."""

from __future__ import annotations

import argparse
import csv
import sys

import duckdb

from catalog.commands import _common as c


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sql", help="run a read-only SQL query (see docs/analysts.md)")
    p.add_argument("query", help='SQL, e.g. "SELECT * FROM models"; "-" reads it from stdin')
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="rows as a JSON array of objects")
    fmt.add_argument("--csv", action="store_true", help="rows as CSV with a header")
    p.add_argument("--max-rows", type=int, default=1000, help="table output: rows shown (default 1000)")
    p.set_defaults(run=c.command("sql", _run))


def _run(args: argparse.Namespace) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    if not query.strip():
        raise c.CliError("empty query")
    con = c.open_db(args)
    try:
        try:
            cur = con.execute(query)
            if cur.description is None:
                columns, data = [], []
            else:
                columns = [d[0] for d in cur.description]
                data = cur.fetchall()
        except duckdb.Error as exc:
            text = str(exc).strip()
            if "read-only" in text.lower() or "read only" in text.lower():
                raise c.CliError(
                    f"{text}\nthe catalogue is opened read-only: `fitcat sql` runs queries, "
                    "it never writes (the nightly refresh is the only writer)",
                    c.QUERY_FAILED,
                ) from exc
            raise c.CliError(f"query failed: {text}", c.QUERY_FAILED) from exc
    finally:
        con.close()
    if args.json:
        c.print_json([dict(zip(columns, r, strict=True)) for r in data])
    elif args.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        w.writerows([[c.to_jsonable(v) for v in r] for r in data])
    else:
        t = c.table(*columns)
        for r in data[: args.max_rows]:
            t.add_row(*["NULL" if v is None else str(v) for v in r])
        out = c.console()
        out.print(t)
        more = f" ({args.max_rows} shown; --csv or --json for all)" if len(data) > args.max_rows else ""
        out.print(f"{len(data)} rows{more}")
    return c.OK
