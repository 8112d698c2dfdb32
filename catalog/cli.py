"""The `fitcat` command: one sub-command per module in catalog/commands."""

from __future__ import annotations

import argparse
import importlib
import sys

from catalog.commands import COMMANDS
from catalog.orchestration import prefect_env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fitcat", description=__doc__)
    parser.add_argument("--db", help="catalogue file (default: FITCAT_DB or data/catalog.duckdb)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"catalog.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    prefect_env.configure()
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
