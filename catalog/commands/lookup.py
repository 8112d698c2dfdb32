"""Finding a model or a device from what a person types: one resolver for every command.

A query names an entry by its id, a name or an alias (any case), or by words (`rtx 4090`, `4090`,
`llama 3.1 8b`, `v4-flash`). When several entries carry every word, the one whose name has no
other word wins (`rtx 4090` is the RTX 4090, not the RTX 4090 Laptop GPU or a 2× 4090 box),
brand words aside (NVIDIA, GeForce, RTX, ..., a model's publisher); otherwise the candidates'
ids are listed, closest first. Nothing found: the closest names, typos forgiven ("did you mean ...?").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from catalog.commands.catalogue import rows
from catalog.commands.errors import NOT_FOUND, CliError

# Words that name a brand or a product line, not a product: they never count against a candidate.
BRAND_WORDS = frozenset({"nvidia", "geforce", "rtx", "gtx", "quadro", "tesla", "amd", "radeon", "rx",
                         "instinct", "apple", "intel", "arc", "qualcomm", "snapdragon", "gpu", "graphics"})
SHOWN = 10
NAME_CHARS = re.compile(r"[\w\s\-./:()+,×@]+")


def words(text: str) -> list[str]:
    """Lower-case runs of letters and of digits: "RTX4090" → rtx, 4090; "Qwen2.5-7B" → qwen, 2.5, 7, b."""
    return re.findall(r"[a-z]+|\d+(?:\.\d+)?", text.lower())


@dataclass(frozen=True)
class Entry:
    id: str
    labels: tuple[str, ...]            # name, aliases: what it answers to besides its id
    brand: frozenset[str] = BRAND_WORDS

    def haystack(self) -> str:
        return " ".join((self.id, *self.labels)).lower()

    def extra(self, query: list[str]) -> int:
        """Words of its closest label beyond the query's (brand words aside)."""
        return min(len(set(words(label)) - set(query) - self.brand) for label in (self.id, *self.labels))


def model_entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    return [Entry(m["repo_id"], (m["repo_id"].split("/", 1)[-1],),
                  BRAND_WORDS | set(words(m["repo_id"].split("/", 1)[0])))
            for m in rows(con, "SELECT repo_id FROM models ORDER BY repo_id")]


def device_entries(con: duckdb.DuckDBPyConnection) -> list[Entry]:
    aliases = {r["device_id"]: r["match_keys"]
               for r in rows(con, "SELECT device_id, match_keys FROM devices_curated")}
    return [Entry(d["device_id"], (d["name"], *aliases.get(d["device_id"], ())))
            for d in rows(con, "SELECT device_id, name FROM devices ORDER BY popularity_rank, device_id")]


def _listing(entries: list[Entry], what: str, query: str) -> str:
    shown = ", ".join(f"{e.id} ({e.labels[0]})" if e.labels[0].lower() not in e.id.lower() else e.id
                      for e in entries[:SHOWN])
    more = f" and {len(entries) - SHOWN} more" if len(entries) > SHOWN else ""
    return f"{what} {query!r} matches {len(entries)}: {shown}{more}; give one of these ids"


def resolve(query: str, entries: list[Entry], what: str) -> str:
    """The id `query` names (see the module docstring); CliError (exit 4) when it names none or
    several equally well."""
    q = query.strip().lower()
    if not q:
        raise CliError(f"an empty {what} name: give an id or a name", NOT_FOUND)
    exact = [e for e in entries if q == e.id.lower() or q in (label.lower() for label in e.labels)]
    if len(exact) == 1:
        return exact[0].id
    # Words only from what a name can hold: "§V" is not the word "v" (it names nothing).
    wanted = words(q) if NAME_CHARS.fullmatch(q) else []
    hits = exact or [e for e in entries if wanted and all(w in words(e.haystack()) for w in wanted)] \
        or [e for e in entries if q in e.haystack()]
    if len(hits) == 1:
        return hits[0].id
    if hits:
        hits.sort(key=lambda e: e.extra(wanted))
        complete = [e for e in hits if e.extra(wanted) == 0]
        if len(complete) == 1:      # the one the query names in full: `rtx 4090`, not its Laptop
            return complete[0].id
        raise CliError(_listing(hits, what, query), NOT_FOUND)
    near = suggestions(query, entries)
    hint = f"; did you mean: {', '.join(near)}?" if near else ""
    raise CliError(f"{what} {query!r} is not in the catalogue{hint}", NOT_FOUND)


def suggestions(query: str, entries: Iterable[Entry], n: int = 5) -> list[str]:
    """Close ids: difflib on whole labels and on their words (typos forgiven), best first."""
    by_key: dict[str, list[str]] = {}
    for e in entries:
        keys = {label.lower() for label in (e.id, *e.labels)}
        keys |= {k.rsplit("/", 1)[-1] for k in keys} | {w for k in keys for w in words(k) if len(w) > 2}
        for key in keys:
            by_key.setdefault(key, []).append(e.id)
    found: list[str] = []
    for key in difflib.get_close_matches(query.strip().lower(), list(by_key), n=n * 3, cutoff=0.6):
        found += [i for i in by_key[key] if i not in found]
    return found[:n]


def search(terms: list[str] | None, entries: list[Entry]) -> tuple[list[str], str]:
    """Ids matching the search words: every word if some entry has them all, else any of them
    (`devices h100 h200`). Returns the ids and the rule used ("all" / "any" / "none")."""
    terms = [t.lower() for t in " ".join(terms or []).split()]
    if not terms:
        return [e.id for e in entries], "all"
    everything = [e.id for e in entries if all(t in e.haystack() for t in terms)]
    if everything:
        return everything, "all"
    anyof = [e.id for e in entries if any(t in e.haystack() for t in terms)]
    return anyof, "any" if anyof else "none"


def close_to(value: str, choices: Iterable[str]) -> str:
    """A hint for an unknown filter value (`--vendor nvdia`): '; did you mean nvidia?' or ''."""
    known = sorted({c.lower() for c in choices if c})
    near = difflib.get_close_matches(value.lower(), known, n=3, cutoff=0.6)
    return f"; did you mean: {', '.join(near)}?" if near else ""
