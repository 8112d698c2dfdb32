"""`fitcat serve`: register the `nightly-refresh` deployment with its cron schedule and serve it.

A schedule never fires on Prefect's temporary server, so when no PREFECT_API_URL is
configured this starts a local Prefect server (`prefect server start` on 127.0.0.1, its
database in PREFECT_HOME) for as long as `fitcat serve` runs. The runner executes each
scheduled (or manually triggered) run in a subprocess, one at a time: the nightly refresh is
the catalogue's single writer.

`register()` creates or updates the deployment (schedule, parameters) and returns; `serve()`
registers the same deployment and blocks, polling for runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

from catalog import paths
from catalog.commands import arguments, catalogue, errors
from catalog.orchestration import task_runners

DEPLOYMENT = "nightly-refresh"
FLOW = "nightly-refresh"
FULL_NAME = f"{FLOW}/{DEPLOYMENT}"
DEFAULT_CRON = "0 3 * * *"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_SERVER_PORT = 4200


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the nightly refresh on a cron schedule (Prefect deployment)")
    p.add_argument("--cron", default=DEFAULT_CRON, help=f"cron schedule (default: {DEFAULT_CRON!r})")
    p.add_argument("--timezone", default=DEFAULT_TIMEZONE,
                   help=f"IANA time zone of the cron schedule (default: {DEFAULT_TIMEZONE})")
    arguments.add_endpoint(p)
    arguments.add_out(p)
    arguments.add_settings(p)
    p.add_argument("--skip-vendor-pages", action="store_true",
                   help="do not fetch vendor device pages; keep the curated device registry")
    p.add_argument("--server-port", type=arguments.port, default=DEFAULT_SERVER_PORT,
                   help="port of the local Prefect server started when PREFECT_API_URL is not set "
                        f"(default: {DEFAULT_SERVER_PORT})")
    task_runners.add_arguments(p)
    p.set_defaults(run=run)


def flow_parameters(db: str | os.PathLike[str] | None = None, out: str | os.PathLike[str] | None = None,
                    endpoint: str | None = None, settings: str | os.PathLike[str] | None = None,
                    vendor_pages: bool = True) -> dict[str, Any]:
    """The deployment's default parameters: absolute paths, so a run does not depend on its cwd.

    The token is deliberately not a parameter (parameters are shown in the UI and stored in the
    server's database): runs read HF_TOKEN from the environment of the process that runs them.
    """
    return {
        "db_path": str(paths.db_path(db).resolve()),
        "exports_dir": str(paths.exports_root(out).resolve()),
        "endpoint": endpoint or os.environ.get("HF_ENDPOINT") or None,
        "settings_path": str(Path(settings).resolve()) if settings else None,
        "vendor_pages": vendor_pages,
    }


def validate_schedule(cron: str, timezone: str) -> None:
    """Fail before anything starts on a cron expression or time zone Prefect would reject."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"--timezone {timezone!r} is not an IANA time zone (e.g. UTC, "
                         "Europe/Berlin)") from exc
    try:
        CronSchedule(cron=cron, timezone=timezone)
    except ValueError as exc:           # pydantic's many-line report: one line instead
        raise ValueError(f"--cron {cron!r} is not a cron expression (five fields: minute hour "
                         "day-of-month month day-of-week, e.g. '0 3 * * *')") from exc


def deployment_options(cron: str, timezone: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """What `register` and `serve` both send: one definition of the deployment."""
    from prefect.schedules import Cron

    return {
        "name": DEPLOYMENT,
        "schedules": [Cron(cron, timezone=timezone)],
        "parameters": parameters,
        "description": "Nightly refresh of the fitcat catalogue from the HuggingFace Hub.",
        "tags": ["fitcat"],
    }


def nightly_flow(task_runner=None):
    from flows.nightly import nightly_refresh

    return task_runners.with_runner(nightly_refresh, task_runner)


def register(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE,
             parameters: dict[str, Any] | None = None, task_runner=None):
    """Create or update the deployment on the configured Prefect server; return its id.

    Does not serve it: runs wait (scheduled, then late) until `serve` or a runner picks them up.
    """
    validate_schedule(cron, timezone)
    deployment = nightly_flow(task_runner).to_deployment(
        **deployment_options(cron, timezone, parameters or flow_parameters()))
    return deployment.apply()


def serve(cron: str = DEFAULT_CRON, timezone: str = DEFAULT_TIMEZONE,
          parameters: dict[str, Any] | None = None, task_runner=None) -> None:
    """Register the deployment and serve it until interrupted (SIGINT/SIGTERM).

    On shutdown Prefect pauses the schedule (no runs pile up with nobody to run them); the
    next `fitcat serve` re-activates it.
    """
    validate_schedule(cron, timezone)
    opts = deployment_options(cron, timezone, parameters or flow_parameters())
    nightly_flow(task_runner).serve(
        name=opts["name"], schedules=opts["schedules"], parameters=opts["parameters"],
        description=opts["description"], tags=opts["tags"],
        limit=1,  # one run at a time: the refresh is the catalogue's single writer
        print_starting_message=False,
    )


def _configured_api_url() -> str | None:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


_stop_requested = threading.Event()


def _interrupt(signum: int, frame: Any) -> None:
    _stop_requested.set()
    raise KeyboardInterrupt(f"signal {signum}")


def _ctrl_c(signum: int, frame: Any) -> None:
    """Ctrl-C is SIGTERM: before the runner starts, _interrupt; once it has, the runner's own
    graceful stop (cancel runs, pause the schedule). Left to asyncio, a first SIGINT only cancels
    the runner's main task, and Prefect's runner sometimes absorbed that: `fitcat serve` went on
    serving (seen in 3 full test runs on 2026-12-07)."""
    _stop_requested.set()
    os.kill(os.getpid(), signal.SIGTERM)


def _stopped(exc: BaseException) -> bool:
    """Whether `exc` is our stop: Ctrl-C, or SIGTERM's interrupt (possibly wrapped by a library)."""
    return isinstance(exc, KeyboardInterrupt) or _stop_requested.is_set()


def _until_stopped(body: Callable[[], None]) -> int:
    """Run `body`; a stop (Ctrl-C, or SIGTERM before the runner takes over) ends it with 0."""
    try:
        body()
    except BaseException as exc:
        if not _stopped(exc):
            raise
        print("stopped", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    # Until Prefect's runner installs its own (graceful) SIGTERM handler, SIGTERM is Ctrl-C:
    # a stop during start-up still reaches the `finally` that stops the local server.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _ctrl_c)
    try:
        validate_schedule(args.cron, args.timezone)
        catalogue.check_target(paths.db_path(args.db))
    except ValueError as exc:
        print(f"fitcat serve: {exc}", file=sys.stderr)
        return errors.USAGE
    except errors.CliError as exc:
        print(f"fitcat serve: {exc}", file=sys.stderr)
        return exc.code
    task_runner = task_runners.from_args(args)
    parameters = flow_parameters(args.db, args.out, args.endpoint, args.settings,
                                 vendor_pages=not args.skip_vendor_pages)

    def announce(api_url: str) -> None:
        print(f"serving deployment {FULL_NAME!r} on {api_url}: cron {args.cron!r} ({args.timezone}), "
              f"tasks on {task_runners.describe(task_runner)}")
        print(f"parameters: {parameters}")
        print(f"trigger a run now: PREFECT_API_URL={api_url} prefect deployment run {FULL_NAME!r}")
        sys.stdout.flush()

    api_url = _configured_api_url()
    if api_url:
        def serve_there() -> None:
            announce(api_url)
            serve(args.cron, args.timezone, parameters, task_runner)

        return _until_stopped(serve_there)

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from catalog.orchestration import prefect_server

    home = Path(os.environ.get("PREFECT_HOME") or paths.PREFECT_HOME)
    servers: list[prefect_server.LocalServer] = []

    def serve_on_a_local_server() -> None:
        servers.append(prefect_server.start(home, port=args.server_port))  # stops itself if interrupted
        server = servers[0]
        print(f"local Prefect server (pid {server.process.pid}) on {server.api_url}; "
              f"UI http://{server.host}:{server.port}; log {server.log_path}")
        os.environ["PREFECT_API_URL"] = server.api_url  # for the runs' subprocesses
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            announce(server.api_url)
            serve(args.cron, args.timezone, parameters, task_runner)

    try:
        return _until_stopped(serve_on_a_local_server)
    except prefect_server.ServerStartError as exc:
        print(f"fitcat serve: could not start a local Prefect server: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            server.stop()
