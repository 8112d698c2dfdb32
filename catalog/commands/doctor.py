"""`fitcat doctor`: is the catalogue healthy? Schema version, last run, stale and failed sources,
conflicts awaiting review. Exit 0 when healthy (warnings allowed), 1 when something needs fixing."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

import duckdb
from rich.text import Text

from catalog import db
from catalog.commands import arguments, catalogue, errors, output
from catalog.orchestration import runs

STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "doctor", help="check the catalogue: schema, last run, stale/failed sources, conflicts"
    )
    p.add_argument(
        "--stale-days",
        type=arguments.positive_number,
        default=2.0,
        help="a source not refreshed for this many days is stale (default 2: nightly + slack)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=errors.command("doctor", _run))


def _run(args: argparse.Namespace) -> int:
    con = catalogue.open_db(args)
    try:
        journal = runs.Journal(runs.journal_path(catalogue.db_file(args)))
        report = diagnose(con, stale_days=args.stale_days, now=dt.datetime.now(dt.UTC),
                          unrecorded=runs.unrecorded(con, journal))
    finally:
        con.close()
    report["database"] = str(catalogue.db_file(args))
    if args.json:
        output.print_json(report)
    else:
        _render(report)
    return errors.OK if report["healthy"] else errors.UNHEALTHY


def _age_days(ts: dt.datetime | None, now: dt.datetime) -> float | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=dt.UTC)
    return round((now - ts).total_seconds() / 86400, 2)


def _newest_unrecorded(unrecorded: list[dict[str, Any]],
                       last: dict[str, Any] | None) -> dict[str, Any] | None:
    """A journal run the ledger does not have yet (it crashed, or was never published) that is
    newer than the ledger's last run: that one is the last run."""
    def started(row: dict[str, Any]) -> dt.datetime:
        value = row.get("started_at")
        stamp = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return stamp if isinstance(stamp, dt.datetime) else dt.datetime.min.replace(tzinfo=dt.UTC)

    newest = max(unrecorded, key=started, default=None)
    if newest is None or (last and started(newest) <= started(last)):
        return None
    return {"run_id": newest["run_id"], "flow": newest.get("flow"), "started_at": newest.get("started_at"),
            "ended_at": newest.get("ended_at"), "status": newest.get("status"),
            "counts": newest.get("counts") or {}, "errors": newest.get("errors") or []}


def diagnose(con: duckdb.DuckDBPyConnection, *, stale_days: float, now: dt.datetime,
             unrecorded: list[dict[str, Any]] = ()) -> dict[str, Any]:
    checks: list[dict[str, Any]] = []

    def check(name: str, status: str, detail: str) -> None:
        checks.append({"check": name, "status": status, "detail": detail})

    # Schema
    have = db.schema_version(con)
    code = max((v for v, _ in db.migrations()), default=0)
    schema = {"version": have, "code_version": code}
    if have < code:
        check(
            "schema",
            "fail",
            f"schema version {have}, the code expects {code}: run `fitcat refresh` "
            "(or `make demo`) to migrate",
        )
    elif have > code:
        check("schema", "warn", f"schema version {have} is newer than this code ({code}): update fitcat")
    else:
        check("schema", "ok", f"schema version {have}")

    # Last run
    runs = catalogue.rows(
        con,
        """SELECT run_id, flow, started_at, ended_at, status, counts, errors FROM runs
                          ORDER BY started_at DESC LIMIT 1""",
    )
    last = runs[0] if runs else None
    if last:
        for k in ("counts", "errors"):
            last[k] = json.loads(last[k]) if isinstance(last[k], str) else last[k]
    last = _newest_unrecorded(list(unrecorded), last) or last
    if last is None:
        check("last_run", "fail", "no refresh has run: run `fitcat refresh` or `make demo`")
    elif last["status"] in ("failed", "crashed"):
        why = "; ".join(e.get("error", "") for e in (last.get("errors") or [])[:2])
        check("last_run", "fail", f"run {last['run_id']} {last['status']} at {last['ended_at'] or '?'}"
                                  + (f": {why}" if why else "; see failed sources"))
    elif last["status"] == "running":
        check(
            "last_run",
            "warn",
            f"run {last['run_id']} started {last['started_at']} has not finished "
            "(running now, or it crashed)",
        )
    else:
        check("last_run", "ok", f"run {last['run_id']} {last['status']} at {last['ended_at']}")

    # Stale sources: when each source last delivered.
    sources = catalogue.rows(
        con,
        """
        SELECT 'hub discovery' AS source, max(scanned_at) AS last_seen FROM hub_scans WHERE complete
        UNION ALL SELECT 'hub models', max(checked_at) FROM hub_watermarks WHERE kind = 'model'
        UNION ALL SELECT 'hub gguf repos', max(checked_at) FROM hub_watermarks WHERE kind = 'gguf'
        UNION ALL SELECT 'device pages', max(fetched_at) FROM raw_device_observations""",
    )
    stale = []
    for s in sources:
        s["age_days"] = _age_days(s["last_seen"], now)
        s["stale"] = s["age_days"] is not None and s["age_days"] > stale_days
        if s["stale"]:
            stale.append(s)
    never = [s["source"] for s in sources if s["last_seen"] is None]
    if stale:
        check(
            "stale_sources",
            "fail",
            "; ".join(f"{s['source']} last refreshed {s['age_days']:.1f} days ago" for s in stale)
            + ": run `fitcat refresh`",
        )
    else:
        check(
            "stale_sources",
            "ok",
            f"every source refreshed within {stale_days:g} days"
            + (f" (never fetched: {', '.join(never)})" if never else ""),
        )

    # Failed sources of the last run
    failed = catalogue.rows(
        con,
        """SELECT source, subject, error_type, message, occurred_at FROM source_errors
                            WHERE run_id = ? ORDER BY source, subject""",
        [last["run_id"] if last else ""],
    )
    if failed:
        check(
            "failed_sources",
            "fail",
            f"{len(failed)} source errors in the last run: "
            + "; ".join(f"{f['source']} {f['subject']}: {f['error_type']}" for f in failed[:5]),
        )
    else:
        check("failed_sources", "ok", "no source failed in the last run")

    # Conflicts awaiting review
    device_conflicts = catalogue.rows(
        con,
        """SELECT device_id, field, resolved_value, observed_value, diff_pct, source_url
           FROM device_conflicts WHERE status = 'open' ORDER BY device_id, field""",
    )
    param_conflicts = catalogue.rows(
        con,
        """SELECT repo_id, params_total, params_source FROM models
                                     WHERE params_disagreement ORDER BY repo_id""",
    )
    attention_conflicts = catalogue.rows(
        con,
        """SELECT repo_id, gguf_repo_id, resolution, reason
                                         FROM attention_profile_conflicts ORDER BY repo_id, gguf_repo_id""",
    )
    n = len(device_conflicts) + len(param_conflicts) + len(attention_conflicts)
    if n:
        check(
            "conflicts",
            "warn",
            f"{len(device_conflicts)} device spec conflicts, {len(param_conflicts)} "
            f"parameter count disagreements, {len(attention_conflicts)} attention layout conflicts "
            "await review",
        )
    else:
        check("conflicts", "ok", "no conflicts await review")

    return {
        "healthy": not any(ch["status"] == "fail" for ch in checks),
        "checks": checks,
        "schema": schema,
        "last_run": last,
        "sources": sources,
        "failed_sources": failed,
        "conflicts": {
            "devices": device_conflicts,
            "params": param_conflicts,
            "attention": attention_conflicts,
        },
    }


def _render(report: dict[str, Any]) -> None:

    out = output.console()
    out.print(Text.assemble((str(report["database"]), "bold"), ": ",
                            ("healthy", "green") if report["healthy"] else ("needs attention", "bold red")))
    t = output.table("Check", "Status", "Detail", overflow="fold", no_wrap=False)
    for ch in report["checks"]:
        output.row(t, ch["check"], Text(ch["status"], style=STATUS_STYLE[ch["status"]]), ch["detail"])
    out.print(t)
    for f in report["failed_sources"]:
        out.print(f"  failed {f['source']} {f['subject']}: {f['message']}")
    for d in report["conflicts"]["devices"]:
        out.print(
            f"  device {d['device_id']} {d['field']}: catalogue {d['resolved_value']}, "
            f"page {d['observed_value']} ({d['source_url']})"
        )
    for p in report["conflicts"]["params"]:
        out.print(f"  parameters of {p['repo_id']}: sources disagree (chosen {p['params_source']})")
