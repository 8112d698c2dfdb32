"""Turn a model's rows into its page file, in this process or in worker processes.

Assembling, writing and schema-checking a page is pure Python and CPU-bound: at 300 devices a
page lists every device for every quant, ~3 MB and ~115,000 JSON values, about 0.9 s of CPU
(docs/performance.md). With many pages to rebuild they are spread over worker processes,
spawned rather than forked because the exporter's process runs DuckDB and Prefect threads. Reading
the rows stays in the exporter's process, on its DuckDB connection (page.read_page_rows).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalog.exports.fmt import dumps_compact
from catalog.exports.page import SCHEMA_VERSION, PageRows, assemble_page
from catalog.exports.slug import safe_join
from catalog.exports.validate import SCHEMAS, page_consistency, schema_errors
from catalog.files import atomic_write

PARALLEL_FROM = 24   # pages to rebuild before worker processes pay for their start-up (~1 s each)


def load_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stable(page: dict[str, Any]) -> dict[str, Any]:
    """The page without the fields that move when nothing else does."""
    out = dict(page, generated_at=None)
    out["provenance"] = dict(page["provenance"], fetched_at=None)
    return out


def index_entry(page: dict[str, Any]) -> dict[str, Any]:
    """The model's line in models.json."""
    spec, faq = page["specifications"], page["faq"]
    return {
        "id": page["id"], "name": page["name"], "publisher": spec["publisher"], "family": spec["family"],
        "params_total": spec["params_total"], "params_active": spec["params_active"],
        "context_length": spec["context_length"], "license": spec["license"],
        "release_date": spec["release_date"],
        "min_memory_gb": faq["minimum_memory"]["vram_gb"],
        "min_memory_quant": faq["minimum_memory"]["quant"],
        "recommended_quant": page["summary"]["recommended_quant"],
        "recommended_vram_gb": page["summary"]["vram_gb"],
        "page_path": page["page_path"],
    }


@dataclass(frozen=True)
class Rendered:
    repo_id: str
    index_entry: dict[str, Any]
    quants: int
    problems: list[str]   # schema and consistency problems of the page as written


def render(rows: PageRows, rel: str, staging: Path, previous: Path | None, now: str) -> Rendered:
    """Assemble the page, write it (the previous file's bytes when only its timestamps would
    change), and check what was written against the schema and the consistency rules."""
    page = assemble_page(rows)
    page["page_path"] = rel
    target = safe_join(staging, rel)
    old = safe_join(previous, rel) if previous else None
    old_page = load_json(old) if old and old.is_file() else None
    if old_page is not None and old_page.get("schema_version") == SCHEMA_VERSION \
            and stable(old_page) == stable(page):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(old, target)  # unchanged: the very same bytes, its generated_at kept
        page = old_page
    else:
        page["generated_at"] = now
        atomic_write(target, dumps_compact(page))
    problems = schema_errors(page, SCHEMAS["models/*.json"], rel)
    if not problems:
        problems = page_consistency(page, rel)
    return Rendered(rows.repo_id, index_entry(page), len(page["quantizations"]), problems)


Submit = Callable[..., Any]   # submit(render, *args) -> a future with .result(), e.g. a Prefect task's


class Renderer:
    """Render pages here (workers ≤ 1), in worker processes, or wherever `submit` sends them
    (the flow's Dask cluster, through its Prefect task runner); results in submission order.

    At most 2 × workers pages are in flight, so the rows waiting for a worker stay bounded.
    """

    def __init__(self, workers: int, submit: Submit | None = None) -> None:
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) \
            if workers > 1 and submit is None else None
        self.send = submit or (self.pool.submit if self.pool else None)
        self.in_flight = 2 * max(workers, 2 if submit else 1)
        self.pending: deque[Any] = deque()
        self.done: list[Rendered] = []

    def submit(self, rows: PageRows, rel: str, staging: Path, previous: Path | None, now: str) -> None:
        if self.send is None:
            self.done.append(render(rows, rel, staging, previous, now))
            return
        self.pending.append(self.send(render, rows, rel, staging, previous, now))
        while len(self.pending) > self.in_flight:
            self.done.append(self.pending.popleft().result())

    def results(self) -> list[Rendered]:
        while self.pending:
            self.done.append(self.pending.popleft().result())
        return self.done

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def default_workers(pages: int) -> int:
    """One worker per core when there are enough pages to rebuild; none otherwise."""
    return (os.cpu_count() or 1) if pages >= PARALLEL_FROM else 0
