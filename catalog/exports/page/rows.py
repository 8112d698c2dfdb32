"""The I/O half of a page: every row one model's page is computed from, read on the export's own
connection (so its materialized temp tables are used), fully fetched into plain tuples that pickle
cheaply to a worker process (catalog/exports/render.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

RTX_5090 = "nvidia-rtx-5090"      # the seed's FAQ asks about this card by name
RECOMMENDED_QUANT = "Q4_K_M"      # the seed's "most popular sweet spot"

Table = tuple[list[str], list[tuple]]   # column names, rows


class ModelNotFound(LookupError):
    """The repo id is not a live model of the catalogue."""


class PageIncomplete(ModelNotFound):
    """The model is catalogued, but too little is known for a page (e.g. its config was gated,
    or its parameter count is unknown)."""


def table(con: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None) -> Table:
    result = con.execute(sql, params or [])
    return [d[0] for d in result.description], result.fetchall()


def dicts(t: Table) -> list[dict[str, Any]]:
    cols, rows = t
    return [dict(zip(cols, row, strict=True)) for row in rows]


def recommended(quants: list[dict[str, Any]]) -> str:
    """Q4_K_M, or the middle of the size ladder (quants smallest first) when the model has none."""
    names = [q["quant"] for q in quants]
    return RECOMMENDED_QUANT if RECOMMENDED_QUANT in names else names[len(names) // 2]


@dataclass(frozen=True)
class PageRows:
    repo_id: str
    ctx: int            # the context the device-fit lists are at
    default_ctx: int    # 2,048 or the model's maximum if smaller
    full_ctx: int
    tables: dict[str, Table]


# Device attributes a page needs to place a device (its class) and order lists (popularity).
DEVICE_COLUMNS = ("device_id, name, device_class, backend, gpu_count, bandwidth_gbps, memory_gb, "
                  "usable_memory_gb")
DEVICE_ORDER = "popularity_rank, device_id"
MATRIX_ORDER = "d.popularity_rank, d.device_id"


def read_page_rows(con: duckdb.DuckDBPyConnection, repo_id: str, *,
                   context_tokens: int | None = None) -> PageRows:
    """Every row a page needs; raises ModelNotFound, PageIncomplete, or ValueError for a
    context the device_fit view does not hold (2,048 and the model's full context)."""
    models = table(con, "SELECT * FROM models WHERE repo_id = ?", [repo_id])
    if not models[1]:
        raise ModelNotFound(repo_id)
    m = dicts(models)[0]
    if not m["params_total"]:
        raise PageIncomplete(f"{repo_id}: parameter count unknown (no config, safetensors or GGUF count)")
    quants = table(con, """
        SELECT q.*, coalesce(qt.sort_order, 1000) AS sort_order
        FROM quantizations q LEFT JOIN quant_types qt USING (quant)
        WHERE q.repo_id = ? ORDER BY q.vram_bytes, q.quant""", [repo_id])
    if not quants[1]:
        raise PageIncomplete(f"{repo_id}: no quantizations")
    if m["context_length"] is None or any(q["vram_full_context_gb"] is None for q in dicts(quants)):
        raise PageIncomplete(f"{repo_id}: context length or attention layout unknown "
                             "(config.json missing or not readable)")
    default_ctx = min(2048, int(m["context_length"]))
    ctx = default_ctx if context_tokens is None else int(context_tokens)
    full_ctx = int(m["context_length"])
    available = sorted({default_ctx, full_ctx})
    if ctx not in available:
        raise ValueError(f"context_tokens {ctx}: device_fit holds {available} for {repo_id}")
    profile = table(con, "SELECT * FROM runtime_profiles WHERE is_default")
    tables = {
        "models": models, "profile": profile, "quants": quants,
        "devices": table(con, f"SELECT {DEVICE_COLUMNS} FROM devices ORDER BY {DEVICE_ORDER}"),
        # Every device × quant, aggregated by DuckDB: one fit_code character per device and the
        # speeds of the devices that fit, both in device order (catalog/exports/page/sections.fit).
        "matrix": table(con, f"""
            SELECT q.quant,
                   string_agg(fit_code(f.verdict, f.gpus_needed), '' ORDER BY {MATRIX_ORDER}) AS codes,
                   coalesce(list(sig3(f.decode_tok_s) ORDER BY {MATRIX_ORDER})
                            FILTER (WHERE f.verdict <> 'too_small'), []) AS speeds
            FROM (SELECT DISTINCT quant FROM quantizations WHERE repo_id = $repo) q
            CROSS JOIN devices d
            LEFT JOIN device_fit f ON f.repo_id = $repo AND f.quant = q.quant AND f.device_id = d.device_id
                                  AND f.context_tokens = $ctx
            GROUP BY q.quant""", {"repo": repo_id, "ctx": ctx}),
        # The rows behind the named lists, at the page's context and at the full context.
        "fits": table(con, """
            SELECT quant, device_id, context_tokens, verdict, gpus_needed, gpu_count, needed_gb, usable_gb,
                   headroom_gb, decode_tok_s, max_context_tokens
            FROM device_fit WHERE repo_id = $repo AND context_tokens IN ($ctx, $full)
              AND (quant = $rec OR device_id = $rtx)""",
                      {"repo": repo_id, "ctx": ctx, "full": full_ctx, "rec": recommended(dicts(quants)),
                       "rtx": RTX_5090}),
        "files": table(con, """
            SELECT gguf_repo_id, build_path, quant, path, shard, shard_count, download_url, repo_sha
            FROM gguf_files WHERE base_repo_id = ? AND shard = 1
            ORDER BY gguf_repo_id, build_path""", [repo_id]),
        "memory": table(con, """
            SELECT quant, context_tokens, kv_cache_gb, vram_gb FROM context_memory
            WHERE repo_id = ? ORDER BY quant, context_tokens""", [repo_id]),
        "candidates": table(con, """
            SELECT source, params_total, params_active, chosen, rejected_reason
            FROM param_candidates WHERE repo_id = ? ORDER BY chosen DESC, source""", [repo_id]),
        "speed": table(con, "SELECT * FROM speed_constants WHERE profile = "
                            "?", [dicts(profile)[0]["profile"]]),
    }
    return PageRows(repo_id, ctx, default_ctx, full_ctx, tables)
