"""Which Prefect task runner runs the nightly flow's tasks: its own threads, or Dask.

`--dask` / `--dask-address ADDR` on `fitcat refresh`, `demo` and `serve`, or the environment:
FITCAT_TASK_RUNNER=thread|dask and FITCAT_DASK_ADDRESS=tcp://host:8786. Dask needs the extra:
`pip install -e '.[dask]'` (prefect-dask).
"""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dask", action="store_true",
                   help="run the tasks on a local Dask cluster (or FITCAT_TASK_RUNNER=dask)")
    from catalog.commands.arguments import address

    p.add_argument("--dask-address", metavar="ADDR", type=address,
                   help="run the tasks on the Dask scheduler at ADDR, e.g. tcp://10.0.0.5:8786 "
                        "(or FITCAT_DASK_ADDRESS)")


def choose(dask: bool = False, address: str | None = None) -> Any | None:
    """A DaskTaskRunner when asked for (flags beat the environment); None: the flow's own threads."""
    address = address or os.environ.get("FITCAT_DASK_ADDRESS") or None
    choice = os.environ.get("FITCAT_TASK_RUNNER", "").strip().lower() or "thread"
    if dask or address:
        choice = "dask"
    if choice in ("thread", "threads"):
        return None
    if choice != "dask":
        raise SystemExit(f"fitcat: FITCAT_TASK_RUNNER must be 'thread' or 'dask', not {choice!r}")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise SystemExit("fitcat: the Dask task runner needs the dask extra: "
                         "pip install -e '.[dask]'") from exc
    if address:
        return DaskTaskRunner(address=address)
    # A local, in-process cluster: the Dask code path without a cluster to run. (Local worker
    # *processes* would each start a temporary Prefect server unless PREFECT_API_URL is set.)
    return DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 4, "processes": False,
                                          "dashboard_address": ":0"})


def from_args(args: argparse.Namespace) -> Any | None:
    return choose(getattr(args, "dask", False), getattr(args, "dask_address", None))


def with_runner(flow: Any, task_runner: Any | None) -> Any:
    """The flow itself, or a copy whose tasks run on `task_runner`."""
    return flow if task_runner is None else flow.with_options(task_runner=task_runner)


def describe(task_runner: Any | None) -> str:
    if task_runner is None:
        return "the flow's thread pool"
    address = getattr(task_runner, "address", None)
    return f"Dask ({address})" if address else "Dask (local cluster)"
