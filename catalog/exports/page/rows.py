"""The I/O half of a page: every row one model's page is computed from, read on the export's own
connection (so its materialized temp tables are used), fully fetched into plain tuples that pickle
cheaply to a worker process (catalog/exports/render.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
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
# The device_fit columns the page queries read (an export batch keeps only these and the file's).
PAGE_FIT_COLUMNS = ("repo_id", "quant", "device_id", "context_tokens", "verdict", "gpus_needed", "gpu_count",
                    "needed_gb", "usable_gb", "headroom_gb", "decode_tok_s", "decode_tok_s_low",
                    "decode_tok_s_high", "decode_terms", "max_context_tokens")


def read_page_rows(con: duckdb.DuckDBPyConnection, repo_id: str, *,
                   context_tokens: int | None = None) -> PageRows:
    """Every row one page needs, at any context up to the model's (the device_fit view holds 2,048
    and the full context; another one is computed by the same fit_estimate macro for this model);
    raises ModelNotFound, PageIncomplete, or ValueError for a context the model does not have."""
    with fits_at(con, repo_id, context_tokens):
        found = read_pages_rows(con, [repo_id], context_tokens=context_tokens)
    if repo_id not in found:
        raise ModelNotFound(repo_id)
    result = found[repo_id]
    if isinstance(result, Exception):
        raise result
    return result


@contextlib.contextmanager
def fits_at(con: duckdb.DuckDBPyConnection, repo_id: str, context_tokens: int | None) -> Iterator[None]:
    """device_fit of one model at a context the view does not hold, as a temp table shadowing it
    (with the view's full-context rows, which a page also reads)."""
    stored = con.execute("SELECT least(2048, context_length), context_length FROM models WHERE repo_id = ?",
                         [repo_id]).fetchone()
    if context_tokens is None or stored is None or None in stored or context_tokens in stored \
            or not 0 < context_tokens <= stored[1]:
        yield
        return
    try:
        con.execute("""CREATE OR REPLACE TEMP TABLE device_fit AS
            SELECT * FROM main.device_fit WHERE repo_id = $repo AND context_tokens = $full
            UNION ALL BY NAME
            SELECT * FROM fit_estimate('devices', repo_name := $repo, ctx_tokens := $ctx) WHERE is_default""",
                    {"repo": repo_id, "full": stored[1], "ctx": context_tokens})
        yield
    finally:
        con.execute("DROP TABLE IF EXISTS temp.device_fit")


def _by_repo(t: Table, key: str = "repo_id") -> dict[str, Table]:
    """One table split per model (the key column dropped)."""
    cols, rows = t
    i = cols.index(key)
    out: dict[str, list[tuple]] = {}
    for row in rows:
        out.setdefault(row[i], []).append(row[:i] + row[i + 1:])
    keep = cols[:i] + cols[i + 1:]
    return {k: (keep, v) for k, v in out.items()}


def _contexts(m: dict[str, Any], quants: Table, context_tokens: int | None) -> tuple[int, int, int]:
    repo_id = m["repo_id"]
    if not m["params_total"]:
        raise PageIncomplete(f"{repo_id}: parameter count unknown (no config, safetensors or GGUF count)")
    if not quants[1]:
        raise PageIncomplete(f"{repo_id}: no quantizations")
    if m["context_length"] is None or any(q["vram_full_context_gb"] is None for q in dicts(quants)):
        raise PageIncomplete(f"{repo_id}: context length or attention layout unknown "
                             "(config.json missing or not readable)")
    default_ctx, full_ctx = min(2048, int(m["context_length"])), int(m["context_length"])
    ctx = default_ctx if context_tokens is None else int(context_tokens)
    if not 0 < ctx <= full_ctx:
        raise ValueError(f"context_tokens {ctx}: {repo_id} takes 1 to {full_ctx:,} tokens")
    return ctx, default_ctx, full_ctx


def read_pages_rows(con: duckdb.DuckDBPyConnection, repo_ids: list[str], *,
                    context_tokens: int | None = None) -> dict[str, PageRows | Exception]:
    """The rows of many pages, each query run once for all of them (a query costs DuckDB a few
    milliseconds whatever it reads: per page, ten of them were most of a page's cost). Models
    not in the catalogue are absent; a model too little is known about maps to its
    PageIncomplete (or ValueError) instead of rows."""
    ids = {"ids": repo_ids}
    models = _by_repo(table(con, "SELECT * FROM models WHERE list_contains($ids, repo_id)", ids))
    quants = _by_repo(table(con, """
        SELECT q.*, coalesce(qt.sort_order, 1000) AS sort_order
        FROM quantizations q LEFT JOIN quant_types qt USING (quant)
        WHERE list_contains($ids, q.repo_id) ORDER BY q.repo_id, q.vram_bytes, q.quant""", ids))
    out: dict[str, PageRows | Exception] = {}
    plan: dict[str, tuple[int, int, int]] = {}
    for repo_id, model in models.items():
        m = dict(zip(model[0], model[1][0], strict=True)) | {"repo_id": repo_id}
        try:
            plan[repo_id] = _contexts(m, quants.get(repo_id, (model[0], [])), context_tokens)
        except (PageIncomplete, ValueError) as problem:
            out[repo_id] = problem
    if not plan:
        return out
    ready = list(plan)
    spec = {"ids": ready, "ctx": [plan[r][0] for r in ready], "full": [plan[r][2] for r in ready],
            "rec": [recommended(dicts(quants[r])) for r in ready], "rtx": RTX_5090}
    shared = {
        "profile": table(con, "SELECT * FROM runtime_profiles WHERE is_default"),
        "devices": table(con, f"SELECT {DEVICE_COLUMNS} FROM devices ORDER BY {DEVICE_ORDER}"),
    }
    shared["speed"] = table(con, "SELECT * FROM speed_constants WHERE profile = ?",
                            [dicts(shared["profile"])[0]["profile"]])
    per_repo = {
        # Every device × quant, aggregated by DuckDB: one fit_code character per device and the
        # speeds of the devices that fit, both in device order (catalog/exports/page/sections.fit).
        # device_fit holds every device for each model × quant it holds (fit_estimate crosses them);
        # a quant it lacks gets '-' for every device. Joining device_fit to the small tables (and
        # not the model × quant × device grid to device_fit) keeps its rows on the probe side.
        "matrix": table(con, f"""
            WITH page AS (SELECT unnest($ids) AS repo_id, unnest($ctx) AS ctx),
            agg AS (
                SELECT f.repo_id, f.quant,
                       string_agg(fit_code(f.verdict, f.gpus_needed), '' ORDER BY {MATRIX_ORDER}) AS codes,
                       coalesce(list(sig3(f.decode_tok_s) ORDER BY {MATRIX_ORDER})
                                FILTER (WHERE f.verdict <> 'too_small'), []) AS speeds
                FROM device_fit f
                JOIN page ON page.repo_id = f.repo_id AND f.context_tokens = page.ctx
                JOIN devices d ON d.device_id = f.device_id
                GROUP BY f.repo_id, f.quant)
            SELECT q.repo_id, q.quant,
                   coalesce(agg.codes, repeat('-', (SELECT count(*) FROM devices))) AS codes,
                   coalesce(agg.speeds, []) AS speeds
            FROM (SELECT DISTINCT repo_id, quant FROM quantizations WHERE list_contains($ids, repo_id)) q
            LEFT JOIN agg USING (repo_id, quant)
            ORDER BY q.repo_id, q.quant""", {"ids": ready, "ctx": spec["ctx"]}),
        # The rows behind the named lists: at the page's context the devices that run the
        # recommended quant and the quants the RTX 5090 runs (Facts.fitting and the FAQ read no
        # others), at the full context every device for the recommended quant (its speeds there).
        "fits": table(con, f"""
            WITH page AS (SELECT unnest($ids) AS repo_id, unnest($ctx) AS ctx, unnest($full) AS full,
                                 unnest($rec) AS rec)
            SELECT {", ".join("f." + c for c in PAGE_FIT_COLUMNS)}
            FROM device_fit f JOIN page p ON p.repo_id = f.repo_id
                AND ((f.context_tokens = p.ctx AND f.verdict <> 'too_small'
                      AND (f.quant = p.rec OR f.device_id = $rtx))
                     OR (f.context_tokens = p.full AND f.quant = p.rec))""", spec),
        "files": table(con, """
            SELECT base_repo_id AS repo_id, gguf_repo_id, build_path, quant, path, shard, shard_count,
                   download_url, repo_sha
            FROM gguf_files WHERE list_contains($ids, base_repo_id) AND shard = 1
            ORDER BY gguf_repo_id, build_path""", {"ids": ready}),
        "memory": table(con, """
            SELECT repo_id, quant, context_tokens, kv_cache_gb, vram_gb FROM context_memory
            WHERE list_contains($ids, repo_id) ORDER BY quant, context_tokens""", {"ids": ready}),
        # The speed estimate's band per backend, for the model's kind (dense | moe).
        "bands": table(con, """
            SELECT m.repo_id, b.backend, b.ratio_p10, b.ratio_p90
            FROM models m LEFT JOIN model_shapes s USING (repo_id)
            JOIN estimate_bands b ON b.kind = model_kind(s.moe_layers, m.params_active, m.params_total)
                                  AND b.figure = 'decode_tok_s' AND b.profile = $profile
            WHERE list_contains($ids, m.repo_id) ORDER BY b.backend""",
                       {"ids": ready, "profile": dicts(shared["profile"])[0]["profile"]}),
        "candidates": table(con, """
            SELECT repo_id, source, params_total, params_active, chosen, rejected_reason
            FROM param_candidates WHERE list_contains($ids, repo_id) ORDER BY chosen DESC, source""",
                            {"ids": ready}),
    }
    split = {name: _by_repo(t) for name, t in per_repo.items()}
    for repo_id in ready:
        ctx, default_ctx, full_ctx = plan[repo_id]
        model_cols, model_rows = models[repo_id]
        tables = {"models": (["repo_id", *model_cols], [(repo_id, *model_rows[0])]),
                  "quants": quants[repo_id], **shared}
        for name, t in per_repo.items():
            tables[name] = split[name].get(repo_id, ([c for c in t[0] if c != "repo_id"], []))
        out[repo_id] = PageRows(repo_id, ctx, default_ctx, full_ctx, tables)
    return out
