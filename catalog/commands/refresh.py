"""`fitcat refresh`: run the nightly flow once, now, against the real Hub (or --endpoint)."""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

from catalog import paths
from catalog.commands import arguments, catalogue, errors, output
from catalog.hub.client import DEFAULT_ENDPOINT
from catalog.orchestration import lock, task_runners


class Offline(RuntimeError):
    """The Hub endpoint cannot be reached at all."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("refresh", help="run the nightly refresh once, now")
    arguments.add_endpoint(p)
    arguments.add_out(p)
    arguments.add_settings(p)
    p.add_argument("--skip-vendor-pages", action="store_true",
                   help="do not fetch vendor spec pages; the curated device registry stands")
    task_runners.add_arguments(p)
    p.set_defaults(run=errors.command("refresh", run))


def check_reachable(endpoint: str, timeout: float = 3.0) -> None:
    """Fail in seconds, before any state is touched, when the Hub host does not answer."""
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise Offline(f"cannot reach {parts.hostname}:{port} ({exc})") from exc


def run_flow(db: str, out: str, endpoint: str, settings: str | None, vendor_pages: bool = True,
             task_runner=None) -> int:
    """Run the nightly flow once; the exit code says how it ended (README, "Exit codes")."""
    catalogue.check_target(Path(db))
    try:
        lock.probe(lock.db_lock(Path(db)), lock.exports_lock(Path(out)))
    except lock.AlreadyRunning as exc:
        print(f"fitcat: {exc}", file=sys.stderr)
        return errors.LOCKED
    from flows.nightly import nightly_refresh, run_nightly  # imports Prefect: only when we run

    flow = task_runners.with_runner(nightly_refresh, task_runner)
    summary = run_nightly(flow, db_path=db, exports_dir=out, endpoint=endpoint, settings_path=settings,
                          vendor_pages=vendor_pages)
    if summary.status == "locked":
        print(f"fitcat: {summary.errors[0]['error']}", file=sys.stderr)
        return errors.LOCKED

    from catalog.orchestration.report import summary_table

    output.console().print(summary_table(summary))
    for err in summary.errors:
        print(f"  failed {err['source']} {err['subject']}: {err['error']}", file=sys.stderr)
    if summary.environment:
        return errors.ENVIRONMENT
    return errors.OK if summary.status == "completed" else errors.UNHEALTHY


def run(args: argparse.Namespace) -> int:
    import os

    endpoint = args.endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    try:
        check_reachable(endpoint)
    except Offline as exc:
        print(f"fitcat refresh: the Hub is not reachable: {exc}. Nothing was changed. Offline? "
              "`make demo` refreshes from the bundled sample Hub.", file=sys.stderr)
        return errors.UNREACHABLE
    return run_flow(str(paths.db_path(args.db)), str(paths.exports_root(args.out)), endpoint,
                    args.settings, vendor_pages=not args.skip_vendor_pages,
                    task_runner=task_runners.from_args(args))
