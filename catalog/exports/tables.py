"""Analyst tables as CSV, devices.json, and each model's device fit as Parquet, written by DuckDB
COPY in a fixed order.

device_fit is not one file but one Parquet file per model (`device_fit/<publisher>/<name>.parquet`,
next to the model's page): at 10,000 models × 25 quants × 300 devices it is 150M rows, 16.5 GB as
one CSV, and a nightly run could not rewrite it in time (docs/performance.md). Per model, a file is
rewritten only when that model's inputs change, like its page; Parquet (zstd) is a fraction of the
CSV's size and keeps column types.

Columns are listed (a `SELECT *` would change the contract when a view gains a column) and
volatile columns (fetch times) are left out, so an unchanged catalogue writes identical bytes.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

MODELS_COLUMNS = [
    "repo_id", "publisher", "family", "name", "architecture", "model_type", "params_total", "params_active",
    "params_source", "params_disagreement", "context_length", "vocab_size", "hidden_size", "n_layers",
    "n_experts", "n_experts_used", "n_shared_experts", "moe_intermediate_size", "release_date", "license",
    "gated", "base_model", "derivatives", "canonical_gguf_repo_id", "hf_url", "sha", "last_modified",
]
QUANTIZATIONS_COLUMNS = [
    "repo_id", "quant", "profile", "bits_per_weight", "file_size_bytes", "file_size_gb", "size_source",
    "gguf_repo_id", "kv_cache_bytes", "kv_cache_gb", "vram_bytes", "vram_gb", "context_length",
    "kv_cache_full_gb", "vram_full_context_gb", "recommended_gb", "quality", "overhead_gb", "kv_type",
    "kv_method", "params_total", "params_active",
]
CONTEXT_MEMORY_COLUMNS = [
    "repo_id", "quant", "context_tokens", "profile", "kv_cache_bytes", "kv_cache_gb", "vram_gb",
    "size_source", "kv_type", "kv_method",
]
DEVICE_FIT_COLUMNS = [
    "repo_id", "quant", "device_id", "context_tokens", "profile", "verdict", "gpus_needed", "headroom_gb",
    "max_context_tokens", "decode_tok_s", "needed_gb", "usable_gb", "gpu_count", "size_source", "kv_method",
]
DEVICES_COLUMNS = [
    "device_id", "vendor", "name", "kind", "segment", "device_class", "backend", "gpu_count", "memory_gb",
    "memory_bytes",
    "memory_decimal_gb", "memory_type", "unified", "gpu_share", "reserve_bytes", "usable_memory_bytes",
    "usable_memory_gb", "total_memory_bytes", "bandwidth_gbps", "interconnect", "fp16_tflops_dense",
    "launch_date", "source_url", "confidence", "origin", "reviewed", "open_conflicts", "popularity",
    "popularity_rank", "popularity_source",
]
# Rounded GB / tok/s columns: the views keep full precision, exports use the contract's format.
_ROUND = {"file_size_gb": 2, "kv_cache_gb": 3, "vram_gb": 2, "kv_cache_full_gb": 3,
          "vram_full_context_gb": 2, "recommended_gb": 2, "overhead_gb": 3, "headroom_gb": 2,
          "decode_tok_s": 1, "needed_gb": 2, "usable_gb": 2}

# file -> (view, columns, order by)
CSV_TABLES: dict[str, tuple[str, list[str], str]] = {
    "models.csv": ("models", MODELS_COLUMNS, "repo_id"),
    "quantizations.csv": ("quantizations", QUANTIZATIONS_COLUMNS, "repo_id, quant"),
    "context_memory.csv": ("context_memory", CONTEXT_MEMORY_COLUMNS, "repo_id, quant, context_tokens"),
    "devices.csv": ("devices", DEVICES_COLUMNS, "device_id"),
}


_UTC = {"last_modified"}  # TIMESTAMPTZ: printed in UTC whatever the session's time zone


def _column(c: str) -> str:
    if c in _ROUND:
        return f"round({c}, {_ROUND[c]}) AS {c}"
    if c in _UTC:
        return f"strftime(timezone('UTC', {c}), '%Y-%m-%dT%H:%M:%SZ') AS {c}"
    return c


def _select(view: str, columns: list[str], order: str | None = None, where: str = "true") -> str:
    cols = ", ".join(_column(c) for c in columns)
    return f"SELECT {cols} FROM {view} WHERE {where}" + (f" ORDER BY {order}" if order else "")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


FIT_DIR = "device_fit"
FIT_ORDER = "quant, device_id, context_tokens"


def fit_path(page_path: str) -> str:
    """`models/<p>/<n>.json` → `device_fit/<p>/<n>.parquet` (page paths are already safe and unique)."""
    return f"{FIT_DIR}/{page_path.removeprefix('models/').removesuffix('.json')}.parquet"


def write_model_fit(con: duckdb.DuckDBPyConnection, repo_id: str, batch_pos: int, path: Path) -> int:
    """One model's device_fit rows as Parquet (the contract's columns and order), from the batch
    publish.fit_batch computed (batch_pos: the model's position in it; the batch is stored in
    FIT_ORDER, which a filtered scan keeps); returns the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    query = _select("device_fit", DEVICE_FIT_COLUMNS, where="batch_pos = $pos AND repo_id = $repo_id")
    return int(con.execute(f"COPY ({query}) TO {_quote(path)} (FORMAT parquet, COMPRESSION zstd)",
                           {"pos": batch_pos, "repo_id": repo_id}).fetchone()[0])


def write_tables(con: duckdb.DuckDBPyConnection, folder: Path) -> dict[str, int]:
    """Write every CSV and devices.json into folder; returns rows per file.

    On `con` itself: during an export its temp tables hold the materialized views, and a cursor
    (a new DuckDB connection) does not see another connection's temp tables, so it recomputed
    quantizations and context_memory (6 s of a 10,000-model release; docs/performance.md)."""
    rows: dict[str, int] = {}
    for name, (view, columns, order) in CSV_TABLES.items():
        query = _select(view, columns, order)
        # COPY answers with the rows it wrote: no second pass over the view to count them
        # (device_fit at 150M rows took as long to count as to compute, docs/performance.md).
        rows[name] = int(con.execute(
            f"COPY ({query}) TO {_quote(folder / name)} (FORMAT csv, HEADER true)").fetchone()[0])
    # One device per line (a JSON array): diffs between releases stay readable.
    devices = _select("devices", DEVICES_COLUMNS, "device_id")
    con.execute(f"COPY ({devices}) TO {_quote(folder / 'devices.json')} (FORMAT json, ARRAY true)")
    rows["devices.json"] = rows["devices.csv"]
    return rows
