"""What commands print: JSON for machines, tables for people.

User data is never read as Rich markup or emoji codes: the console has markup and emoji off and a
cell is a `Text`, so `[red]hi[/red]` and `:x:` print as written (style comes from a `Text`'s
style). Tables fit the terminal (80 columns included): a long name is cut with an ellipsis rather
than wrapped into tall rows, numbers never are, and a caller drops secondary columns when narrow.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import os
import sys
from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


def to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.hex()
    return value


def print_json(data: Any) -> None:
    print(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))


def console(width: int | None = None) -> Console:
    """Rich console for people; piped output is 160 columns wide (or $COLUMNS), so files and pagers
    stay readable."""
    if width is None and not sys.stdout.isatty() and not os.environ.get("COLUMNS", "").isdigit():
        width = 160
    return Console(width=width, highlight=False, soft_wrap=False, emoji=False, markup=False)


def narrow(out: Console) -> bool:
    """Under 100 columns: callers drop their secondary columns."""
    return out.width < 100


def table(*columns: str | tuple[str, str], title: str | None = None, **options: Any) -> Table:
    """A rich table in the CLI's one style; a column is a name or (name, justify). Cells are cut
    with an ellipsis, never wrapped."""
    from rich import box

    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
    for col in columns:
        name, justify = (col, "left") if isinstance(col, str) else col
        style = {"overflow": "ellipsis", "no_wrap": True} | options
        t.add_column(Text(name), justify=justify, **style)
    return t


def natural_width(out: Console, t: Table) -> int:
    """The width `t` takes with no cell cut."""
    from rich.measure import Measurement

    return Measurement.get(out, out.options.update(max_width=10_000), t).maximum


def fits(out: Console, t: Table) -> bool:
    return natural_width(out, t) <= out.width


def show(out: Console, t: Table, flex: int = 0) -> None:
    """Print `t` within the terminal: only column `flex` (a name) gives up width, cut with an
    ellipsis, so numbers are never truncated while a long name can be."""
    natural = natural_width(out, t)
    if natural > out.width:
        column = t.columns[flex]
        own = max(cell_len(str(c)) for c in (column.header, *column.cells))
        column.width = max(8, own - (natural - out.width))
    out.print(t)


def row(t: Table, *values: Any, **options: Any) -> None:
    """Add a row of literal values (data is never markup)."""
    t.add_row(*(v if isinstance(v, Text) else Text("" if v is None else str(v)) for v in values), **options)


def note(out: Console, text: str) -> None:
    """A line under a table: what the rows mean, or why there are none (literal, dimmed)."""
    out.print(Text(text, style="dim"))


def print_matches(found: list[dict[str, Any]], render: Callable[[list[dict[str, Any]], Console], None], *,
                  as_json: bool, noun: str, search: list[str], rule: str,
                  close: Callable[[], tuple[str, list[str]]]) -> None:
    """A list command's answer: JSON, or the table, a note when only some search words matched,
    and when nothing matched, what is close (`close`: a filter hint and near names, asked only then)."""
    if as_json:
        print_json(found)
        return
    out = console()
    if found:
        render(found, out)
    if rule == "any":
        note(out, f"no {noun} has every word of {' '.join(search)!r}; these have at least one")
    if not found:
        hint, near = close()
        note(out, f"no {noun} matches{hint}" + (f"; did you mean: {', '.join(near)}?" if near else ""))
