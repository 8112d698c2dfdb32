"""The nightly step: read the canonical GGUF build of each model, store facts, merge KV layout.

Why one function: the flow (flows/nightly.py) stays thin; it passes the builds it chose,
a budget for the `resolvers` bucket, and gets a report back. Builds already stored for
their commit sha cost no request (cached forever). A failing build is recorded in
`source_errors` and leaves no rows; the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from catalog.gguf import store
from catalog.gguf.errors import BudgetExhausted, GGUFError, InvalidValue
from catalog.gguf.facts import derive
from catalog.gguf.header import DEFAULT_MAX_BYTES
from catalog.gguf.remote import DEFAULT_CHUNK, RangeReader, RemoteHeader


@dataclass(frozen=True)
class GGUFBuild:
    """One GGUF build to read: its shards in order (a single path for unsplit files)."""

    gguf_repo_id: str
    repo_sha: str
    paths: tuple[str, ...]
    base_repo_id: str | None = None


@dataclass
class HeaderReport:
    """What one run did: counts for the run ledger, failures by subject."""

    read: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)   # budget spent before their turn
    attention: dict[str, str] = field(default_factory=dict)  # base repo -> outcome
    requests: int = 0
    bytes_read: int = 0


def read_build(reader: RangeReader, build: GGUFBuild) -> list[RemoteHeader]:
    """Every shard's header; checks the split keys agree with the shard list."""
    shards = [reader.read_header(build.gguf_repo_id, build.repo_sha, p) for p in build.paths]
    first = shards[0].header
    if len(shards) > 1 or first.split_count > 1:
        for i, s in enumerate(shards):
            h = s.header
            if h.split_count != len(shards) or h.split_no != i:
                raise InvalidValue(
                    h.name, f"split.no {h.split_no} / split.count {h.split_count} does not "
                    f"match shard {i + 1} of {len(shards)}",
                )
        declared = first.get("split.tensors.count")
        total = sum(len(s.header.tensors) for s in shards)
        if declared is not None and declared != total:
            raise InvalidValue(first.name, f"split.tensors.count {declared}, shards hold {total}")
    return shards


def read_canonical_headers(
    con: duckdb.DuckDBPyConnection,
    api_endpoint: str,
    token: str | bool | None,
    builds: Iterable[GGUFBuild],
    run_id: str,
    *,
    budget: Any = None,
    chunk: int = DEFAULT_CHUNK,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> HeaderReport:
    """Read, derive and store the header facts of each build; merge attention profiles."""
    reader = RangeReader(api_endpoint, token, chunk=chunk, max_bytes=max_bytes, budget=budget)
    report = HeaderReport()
    todo: Sequence[GGUFBuild] = list(builds)
    for build in todo:
        subject = f"{build.gguf_repo_id}@{build.repo_sha}:{build.paths[0]}"
        if store.is_cached(con, build.gguf_repo_id, build.repo_sha, build.paths[0]):
            report.cached.append(subject)
        else:
            try:
                shards = read_build(reader, build)
                facts = derive([s.header for s in shards])
                store.store_build(
                    con, gguf_repo_id=build.gguf_repo_id, sha=build.repo_sha,
                    base_repo_id=build.base_repo_id, facts=facts, shards=shards,
                    shard_paths=build.paths, run_id=run_id,
                )
                report.read.append(subject)
            except BudgetExhausted:
                report.deferred.append(subject)
                continue
            except GGUFError as exc:
                report.failed[subject] = str(exc)
                store.record_error(con, run_id, subject, exc)
                continue
        if build.base_repo_id:
            components, blocks = store.stored_attention(
                con, build.gguf_repo_id, build.repo_sha, build.paths[0])
            report.attention[build.base_repo_id] = store.apply_attention_profile(
                con, repo_id=build.base_repo_id, gguf_repo_id=build.gguf_repo_id,
                sha=build.repo_sha, path=build.paths[0], components=components,
                block_count=blocks, run_id=run_id,
            )
    report.requests, report.bytes_read = reader.requests, reader.bytes_read
    return report


# Which quant's header stands for a model: the most common build, then its neighbours.
HEADER_QUANT_PREFERENCE = ("Q4_K_M", "Q4_K_S", "Q4_0", "Q5_K_M", "Q8_0", "IQ4_XS", "Q6_K")


def canonical_builds(con: duckdb.DuckDBPyConnection) -> list[GGUFBuild]:
    """One complete build per base model, from its canonical GGUF repo (docs/gguf.md)."""
    preference = ", ".join(f"'{q}'" for q in HEADER_QUANT_PREFERENCE)
    rows = con.execute(f"""
        WITH builds AS (
            SELECT f.base_repo_id, f.gguf_repo_id, f.repo_sha, f.quant,
                   list(f.path ORDER BY f.shard) AS paths, count(*) AS files, max(f.shard_count) AS n,
                   sum(f.size_bytes) AS bytes
            FROM hub_gguf_files f
            JOIN hub_gguf_repos r ON r.gguf_repo_id = f.gguf_repo_id AND r.is_canonical
            WHERE f.quant IS NOT NULL
            GROUP BY f.base_repo_id, f.gguf_repo_id, f.repo_sha, f.quant,
                     gguf_build_path(f.path)
        )
        SELECT base_repo_id, gguf_repo_id, repo_sha, paths
        FROM builds
        WHERE files = n
        QUALIFY row_number() OVER (
            PARTITION BY base_repo_id
            ORDER BY coalesce(list_position([{preference}], quant), 99), bytes, paths[1]) = 1
        ORDER BY base_repo_id""").fetchall()
    return [GGUFBuild(gguf, sha, tuple(paths), base) for base, gguf, sha, paths in rows]
