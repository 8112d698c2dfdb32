"""Exports for websites and analysts, written by DuckDB COPY with deterministic ordering.

Each file is written with USE_TMP_FILE, so a failed write leaves the previous file intact.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

# file name -> query; ORDER BY makes an unchanged catalogue export byte-identical files.
EXPORTS: dict[str, str] = {
    "quantizations.csv": """
        SELECT repo_id, quant, gguf_repo_id, bits_per_weight, file_size_bytes,
               round(file_size_gb, 2) AS file_size_gb, size_source,
               round(kv_cache_gb, 3) AS kv_cache_gb, round(vram_gb, 2) AS vram_gb
        FROM quantizations ORDER BY repo_id, file_size_bytes, quant, gguf_repo_id""",
    "models.json": """
        SELECT repo_id, author AS publisher, architecture, params_total, params_source,
               context_length, vocab_size, license, gated, sha
        FROM hub_models WHERE removed_at IS NULL ORDER BY repo_id""",
}


def export_all(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, int]:
    """Write every export under root; returns rows per file."""
    root.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, query in EXPORTS.items():
        target = root / name
        options = "FORMAT json, ARRAY true" if name.endswith(".json") else "FORMAT csv, HEADER true"
        quoted = str(target).replace("'", "''")
        con.execute(f"COPY ({query}) TO '{quoted}' ({options}, USE_TMP_FILE true)")
        rows[name] = con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0]
    return rows
