"""One model's page: everything the seed page shows, as data (schema exports/schema/v2/).

    page = build_model_page(con, repo_id)        # = assemble_page(read_page_rows(con, repo_id))

`read_page_rows` (rows.py) is the I/O: every row the page is computed from, read on the export's
connection. `assemble_page` is pure, so the exporter runs it in worker processes (render.py):
the rows become Facts (facts.py), then one builder per seed section (sections.py) and per FAQ
answer (faq.py). `fitcat show` renders the same dict.
"""

from __future__ import annotations

from typing import Any

import duckdb

from catalog.exports.page import sections as s
from catalog.exports.page.facts import Facts
from catalog.exports.page.faq import faq
from catalog.exports.page.rows import (
    PAGE_FIT_COLUMNS,
    ModelNotFound,
    PageIncomplete,
    PageRows,
    read_page_rows,
    read_pages_rows,
)
from catalog.exports.slug import page_paths

SCHEMA_VERSION = "2.1.0"

__all__ = ["PAGE_FIT_COLUMNS", "SCHEMA_VERSION", "ModelNotFound", "PageIncomplete", "PageRows",
           "assemble_page", "build_model_page", "read_page_rows", "read_pages_rows"]


def build_model_page(con: duckdb.DuckDBPyConnection, repo_id: str, *,
                     context_tokens: int | None = None) -> dict[str, Any]:
    """The model page as a dict; `generated_at` is None until the publisher stamps it."""
    return assemble_page(read_page_rows(con, repo_id, context_tokens=context_tokens))


def assemble_page(rows: PageRows) -> dict[str, Any]:
    """The page from its rows, section by section, in the seed page's order."""
    f = Facts.of(rows)
    gpus, devices, speed = s.gpus(f), s.devices(f), s.speed(f)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": None,
        "id": f.repo_id,
        "name": f.name,
        "page_path": page_paths([f.repo_id])[f.repo_id],
        "profile": f.profile["profile"],
        "summary": s.summary(f),
        "specifications": s.specifications(f),
        "get_started": s.get_started(f),
        "quantizations": s.quantizations(f),
        "vram_formula": s.vram_formula(f),
        "memory_by_context": s.memory_by_context(f),
        "gpus": gpus,
        "devices": devices,
        "fit": s.fit(f),
        "speed": speed,
        "related": s.related(f),
        "faq": faq(f, gpus, devices, speed),
        "provenance": s.provenance(f),
    }
