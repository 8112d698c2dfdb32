"""The `fitcat` command: one sub-command per module in catalog/commands."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from catalog.commands import COMMANDS, arguments
from catalog.commands.errors import ENVIRONMENT, OK, UNHEALTHY
from catalog.failures import environment_error, one_line
from catalog.orchestration import prefect_env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fitcat", description=__doc__)
    parser.add_argument("--db", type=arguments.database,
                        help="catalogue file (default: FITCAT_DB or data/catalog.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"catalog.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; whatever goes wrong ends as one line on stderr and an exit code
    (README, "Exit codes"). FITCAT_DEBUG=1 lets an unexpected error show its traceback."""
    prefect_env.configure()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print(f"fitcat {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped (`fitcat show x | head`): what it read is all it wanted. Point stdout
        # at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except Exception as exc:
        if os.environ.get("FITCAT_DEBUG"):
            raise
        told = environment_error(exc)
        hint = "" if told else " (a bug? FITCAT_DEBUG=1 shows the traceback)"
        print(f"fitcat {args.command}: {told or one_line(exc)}{hint}", file=sys.stderr)
        return ENVIRONMENT if told else UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
