"""How a command ends: an exit code with one meaning each, and errors the user can act on.

The table (README, "Exit codes"): 0 done; 1 a run failed, the catalogue is unhealthy or an export
was refused; 2 bad arguments or no catalogue; 3 the Hub is not reachable; 4 the model or device
is not in the catalogue (suggestions printed); 5 the SQL failed; 6 the catalogue is busy (another
refresh holds it); 7 the machine refused (disk full, read-only, permission).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

OK, UNHEALTHY, USAGE, UNREACHABLE, NOT_FOUND, QUERY_FAILED, LOCKED, ENVIRONMENT = 0, 1, 2, 3, 4, 5, 6, 7
CODES = {OK: "done", UNHEALTHY: "failed / unhealthy / refused", USAGE: "bad arguments or no catalogue",
         UNREACHABLE: "the Hub is not reachable", NOT_FOUND: "not in the catalogue",
         QUERY_FAILED: "the SQL failed", LOCKED: "the catalogue is busy", ENVIRONMENT: "the machine refused"}


class CliError(Exception):
    """An error the user can act on: the message names the input, the problem and the fix."""

    def __init__(self, message: str, code: int = USAGE):
        super().__init__(message)
        self.code = code


def command(name: str, body: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a command body: CliError -> its message on stderr and its exit code (anything else
    is told in one line by catalog.cli.main)."""

    def run(args: argparse.Namespace) -> int:
        try:
            return body(args)
        except CliError as exc:
            print(f"fitcat {name}: {exc}", file=sys.stderr)
            return exc.code

    return run
