"""What the catalogue content changed against the previously published release.

Compares the analyst CSVs of two release folders (models, quantizations, devices), so the answer
depends only on what was published, not on database history. Models added or removed are listed
once (their quants are not repeated); sizes are compared for models present in both.

The CSVs are read and joined by an in-memory DuckDB, every field as text, so a value counts as
changed exactly when its printed form changed (Python's csv module took 4.8 s of a 10,000-model
nightly release for the 2 × 250,000 quantization rows; docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from catalog.exports.page import SCHEMA_VERSION

PARAM_FIELDS = ("params_total", "params_active")
DEVICE_FIELDS = ("name", "kind", "segment", "backend", "gpu_count", "memory_bytes", "usable_memory_bytes",
                 "bandwidth_gbps", "unified", "gpu_share", "reserve_bytes", "fp16_tflops_dense",
                 "memory_type", "interconnect")
# The columns each comparison reads; a column an older release's CSV lacks reads as empty.
_COLUMNS = {"models.csv": ("repo_id", *PARAM_FIELDS),
            "quantizations.csv": ("repo_id", "quant", "file_size_bytes", "size_source"),
            "devices.csv": ("device_id", *DEVICE_FIELDS)}


def _num(value: str | None) -> int | float | str | None:
    if value is None or value == "":
        return None
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _load(con: duckdb.DuckDBPyConnection, folder: Path | None, name: str, alias: str) -> None:
    """The file's columns of interest as text (empty fields as ''), or an empty table without it."""
    wanted = _COLUMNS[name]
    path = folder / name if folder is not None else None
    if path is None or not path.exists():
        cols = ", ".join(f"NULL::VARCHAR AS {c}" for c in wanted)
        con.execute(f"CREATE TEMP TABLE {alias} AS SELECT {cols} WHERE false")
        return
    source = "read_csv($path, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"')"
    have = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}", {"path": str(path)}).fetchall()}
    cols = ", ".join(f"coalesce({c}, '') AS {c}" if c in have else f"'' AS {c}" for c in wanted)
    con.execute(f"CREATE TEMP TABLE {alias} AS SELECT {cols} FROM {source}", {"path": str(path)})


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def diff(previous: Path | None, current: Path) -> dict[str, Any]:
    """The change lists (without schema_version / generated_at / content ids)."""
    con = duckdb.connect()
    try:
        for folder, when in ((previous, "0"), (current, "1")):
            for name, alias in (("models.csv", "m"), ("quantizations.csv", "q"), ("devices.csv", "d")):
                _load(con, folder, name, alias + when)
        return _lists(con)
    finally:
        con.close()


def _lists(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    params = [{"repo_id": rid, "params_total_before": _num(t0), "params_total_after": _num(t1),
               "params_active_before": _num(a0), "params_active_after": _num(a1)}
              for rid, t0, t1, a0, a1 in _rows(con, """
        SELECT repo_id, m0.params_total, m1.params_total, m0.params_active, m1.params_active
        FROM m0 JOIN m1 USING (repo_id)
        WHERE m0.params_total <> m1.params_total OR m0.params_active <> m1.params_active
        ORDER BY repo_id""")]
    # Quant rows of the models in both releases; `side` says which release has the row.
    quants = _rows(con, """
        WITH both_models AS (SELECT repo_id FROM m0 JOIN m1 USING (repo_id))
        SELECT repo_id, quant, q0.repo_id IS NOT NULL, q1.repo_id IS NOT NULL,
               q0.file_size_bytes, q1.file_size_bytes, q0.size_source, q1.size_source
        FROM q0 FULL JOIN q1 USING (repo_id, quant)
        SEMI JOIN both_models USING (repo_id)
        WHERE q0.repo_id IS NULL OR q1.repo_id IS NULL
           OR q0.file_size_bytes <> q1.file_size_bytes OR q0.size_source <> q1.size_source
        ORDER BY repo_id, quant""")
    added, removed, sizes, estimates = [], [], [], []
    for rid, quant, in0, in1, size0, size1, source0, source1 in quants:
        if not in0:
            added.append({"repo_id": rid, "quant": quant, "size_source": source1,
                          "file_size_bytes": _num(size1)})
        elif not in1:
            removed.append({"repo_id": rid, "quant": quant, "size_source": source0,
                            "file_size_bytes": _num(size0)})
        else:
            entry = {"repo_id": rid, "quant": quant, "file_size_bytes_before": _num(size0),
                     "file_size_bytes_after": _num(size1), "size_source_before": source0,
                     "size_source_after": source1}
            (sizes if "gguf" in (source0, source1) else estimates).append(entry)
    fields = ", ".join(f"('{f}', {i}, d0.{f}, d1.{f})" for i, f in enumerate(DEVICE_FIELDS))
    devices = [{"device_id": did, "field": f, "before": _num(v0), "after": _num(v1)}
               for did, f, v0, v1 in _rows(con, f"""
        SELECT device_id, c.field, c.before, c.after
        FROM d0 JOIN d1 USING (device_id),
             (VALUES {fields}) AS c(field, ordinal, before, after)
        WHERE c.before <> c.after
        ORDER BY device_id, c.ordinal""")]

    def keys(sql: str) -> list[str]:
        return [r[0] for r in _rows(con, sql)]
    return {
        "models_added": keys("SELECT repo_id FROM m1 ANTI JOIN m0 USING (repo_id) ORDER BY repo_id"),
        "models_removed": keys("SELECT repo_id FROM m0 ANTI JOIN m1 USING (repo_id) ORDER BY repo_id"),
        "params_changed": params,
        "quants_added": added,
        "quants_removed": removed,
        "sizes_changed": sizes,
        "estimates_changed": estimates,
        "devices_added": keys("SELECT device_id FROM d1 ANTI JOIN d0 USING (device_id) ORDER BY device_id"),
        "devices_removed": keys("SELECT device_id FROM d0 ANTI JOIN d1 USING (device_id) ORDER BY device_id"),
        "devices_changed": devices,
    }


def changes_document(previous: Path | None, current: Path, *, generated_at: str,
                     from_content: str | None, to_content: str) -> dict[str, Any]:
    lists = diff(previous, current)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "from_content": from_content,
        "to_content": to_content,
        "counts": {k: len(v) for k, v in lists.items()},
    } | lists


def count(document: dict[str, Any]) -> int:
    return sum(document["counts"].values())
