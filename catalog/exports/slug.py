"""Repo ids become paths only through here, and a slug can never leave the exports root.

A Hub id is `publisher/name`. Each part is folded to `[a-z0-9._-]` (NFKC, lower case, anything
else → `-`, runs collapsed, no leading dot or dash, at most 80 characters). When that folding lost
anything (case aside: the Hub treats ids case-insensitively) or the part is empty or a reserved
device name, `-` + the first 10 hex digits of sha256(the whole id) is appended, so two ids that
fold to the same text still get different paths and the path of an id never depends on which
other ids exist. The result is checked again with `safe_join`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from catalog.slug import fold

MAX_PART = 80
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class UnsafePath(ValueError):
    """A path would leave the exports root."""


def _digest(repo_id: str) -> str:
    return hashlib.sha256(repo_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def slug_part(part: str) -> tuple[str, bool]:
    """(slug, lossless): lossless when the slug is the part itself up to case."""
    slug = fold(part, keep="._").lstrip(".-")[:MAX_PART].rstrip(".-")
    lossless = slug == part.lower() and slug != "" and slug not in _RESERVED
    return slug, lossless


def model_slug(repo_id: str) -> str:
    """`publisher/name` as a relative path of two safe segments (no suffix)."""
    publisher, _, name = repo_id.partition("/")
    if not name:  # an id without a slash still gets two segments (the first one hashed)
        publisher, name = "", publisher
    parts = []
    for part in (publisher, name):
        slug, lossless = slug_part(part)
        if not lossless:
            slug = f"{slug}-{_digest(repo_id)}" if slug else f"x-{_digest(repo_id)}"
        parts.append(slug)
    return "/".join(parts)


def page_paths(repo_ids: list[str]) -> dict[str, str]:
    """repo id → `models/<publisher>/<name>.json`, unique over the ids (collisions get the hash)."""
    paths = {rid: f"models/{model_slug(rid)}.json" for rid in repo_ids}
    seen: dict[str, list[str]] = {}
    for rid, path in paths.items():
        seen.setdefault(path, []).append(rid)
    for path, ids in seen.items():
        if len(ids) > 1:  # ids equal up to case: every one of them gets its own hash
            for rid in ids:
                paths[rid] = f"{path[: -len('.json')]}-{_digest(rid)}.json"
    return paths


def safe_join(root: Path, relative: str) -> Path:
    """root / relative, refusing absolute paths, `..`, and anything resolving outside root."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts or "\\" in relative or "\x00" in relative or not rel.parts:
        raise UnsafePath(f"refusing export path {relative!r}")
    target = (root / Path(*rel.parts)).resolve()
    base = root.resolve()
    if target != base and base not in target.parents:
        raise UnsafePath(f"{relative!r} resolves outside {root}")
    return target
