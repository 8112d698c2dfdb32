"""Transform + export benchmark: synthetic catalogue → real views → real exports, vs plain Python.

    .venv/bin/python benchmarks/bench_transform.py [--models 10000] [--devices 300]
        [--workdir DIR] [--page-sample 50] [--baseline-sample 20] [--full-pages] [--memory-limit 3GB]

1. Not timed: a fresh `catalog.db.connect` database in --workdir, filled in bulk by
   benchmarks/synthetic.py (INSERT ... SELECT over range(): models with full / sliding / mla /
   compressed / recurrent attention, 20–30 real GGUF builds each, devices incl. multi-GPU systems).
2. Timed, "transform": re-create macros and views (`catalog.db.apply_objects`) and compute
   device_fit once (an aggregate over every row and column, nothing kept).
3. Timed, "tables": `catalog.exports.tables.write_tables` (the real COPY of every CSV and
   devices.json, ORDER BY as published), per file.
4. Timed, "pages": the per-model JSON pages (`build_model_page` + `dumps`), measured on
   --page-sample models and scaled to all models unless --full-pages (or models ≤ 500), in which
   case the real `publish_exports` runs end to end (pages, validation, changes, manifest, swap).
5. Baseline: benchmarks/baseline.py (plain Python, same process) on --baseline-sample models,
   scaled to all models; checked against device_fit on those models (max differences printed).

seconds = transform + tables + pages (pages scaled when sampled; the output says so).
speedup = baseline_seconds / transform: the same arithmetic, each side producing every fit row
(Python keeps tuples, SQL aggregates them); `speedup_with_device_fit_csv` adds writing
device_fit.csv to the SQL side, `speedup_end_to_end` divides by `seconds`.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import baseline
import synthetic

from catalog import db
from catalog.exports import publish, tables
from catalog.exports.fmt import dumps
from catalog.exports.page import build_model_page


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def say(msg: str) -> None:
    print(msg, flush=True)


def timed_write_tables(con, folder: Path) -> tuple[dict[str, int], dict[str, float]]:
    """tables.write_tables, one file at a time so each COPY is timed (same statements)."""
    rows, secs = {}, {}
    saved = dict(tables.CSV_TABLES)
    try:
        for name, spec in saved.items():
            tables.CSV_TABLES.clear()
            tables.CSV_TABLES[name] = spec
            if name != "devices.csv":
                tables.CSV_TABLES["devices.csv"] = saved["devices.csv"]   # write_tables needs it
            t = time.perf_counter()
            got = tables.write_tables(con, folder)
            secs[name] = time.perf_counter() - t
            rows[name] = got[name]
            rows["devices.json"] = got["devices.json"]
    finally:
        tables.CSV_TABLES.clear()
        tables.CSV_TABLES.update(saved)
    return rows, secs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--devices", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder, removed")
    ap.add_argument("--page-sample", type=int, default=50)
    ap.add_argument("--baseline-sample", type=int, default=20)
    ap.add_argument("--full-pages", action="store_true", help="run publish_exports end to end")
    ap.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit (the target is 4 GB RSS)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: cores)")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="fitcat-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    dbfile = work / "bench.duckdb"
    for p in (dbfile, dbfile.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    shutil.rmtree(work / "exports", ignore_errors=True)
    say(f"fitcat bench_transform  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  {platform.node()}  "
        f"{os.cpu_count()} cores  python {platform.python_version()}")
    say(f"models={args.models} devices={args.devices} workdir={work} memory_limit={args.memory_limit}")

    # 1. synthetic catalogue (not timed)
    t = time.perf_counter()
    con = db.connect(dbfile)
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET temp_directory = '{work / 'duckdb_tmp'}'")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    loaded = synthetic.load(con, models=args.models, devices=args.devices)
    con.execute("CHECKPOINT")
    say(f"generate (not timed)   {time.perf_counter() - t:8.2f} s  {loaded}")

    timings: dict[str, float] = {}
    # 2. transform: views + one full pass over device_fit
    t = time.perf_counter()
    db.apply_objects(con)
    timings["views_created"] = time.perf_counter() - t
    t = time.perf_counter()
    n_quant = con.execute("SELECT count(*) FROM quantizations").fetchone()[0]
    timings["quantizations"] = time.perf_counter() - t
    t = time.perf_counter()
    n_ctx = con.execute("SELECT count(*) FROM context_memory").fetchone()[0]
    timings["context_memory"] = time.perf_counter() - t
    t = time.perf_counter()
    fit = con.execute("""SELECT count(*), count(verdict), sum(gpus_needed), sum(headroom_gb),
                                sum(max_context_tokens), sum(decode_tok_s), sum(needed_gb)
                         FROM device_fit""").fetchone()
    timings["device_fit"] = time.perf_counter() - t
    fit_rows = fit[0]
    transform = sum(timings.values())
    say(f"transform              {transform:8.2f} s  (views {timings['views_created']:.2f}, "
        f"quantizations {timings['quantizations']:.2f} [{n_quant:,} rows], context_memory "
        f"{timings['context_memory']:.2f} [{n_ctx:,}], device_fit {timings['device_fit']:.2f} [{fit_rows:,}])"
        f"  peak RSS {peak_rss_mb():,.0f} MB")

    # 3 + 4. exports
    out = work / "exports"
    pages_scaled = not (args.full_pages or args.models <= 500)
    if not pages_scaled:
        t = time.perf_counter()
        stages: dict[str, float] = {}

        def wrap(mod, name):
            fn = getattr(mod, name)

            def inner(*a, **k):
                s = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    stages[name] = stages.get(name, 0.0) + time.perf_counter() - s
            setattr(mod, name, inner)
            return fn

        originals = [(publish, n, wrap(publish, n)) for n in ("write_tables", "build_model_page",
                                                                 "write_manifest")]
        originals.append((publish.validate, "validate_release", wrap(publish.validate, "validate_release")))
        originals.append((publish.changes_mod, "changes_document",
                          wrap(publish.changes_mod, "changes_document")))
        try:
            result = publish.publish_exports(con, out, "bench-1")
        finally:
            for mod, name, fn in originals:
                setattr(mod, name, fn)
        export_s = time.perf_counter() - t
        rows = result.rows
        say(f"publish_exports        {export_s:8.2f} s  (end to end, {len(rows)} files) " + ", ".join(
            f"{k} {v:.2f}" for k, v in stages.items()))
        tables_s, pages_s = stages.get("write_tables", 0.0), export_s - stages.get("write_tables", 0.0)
        csv_secs = {}
        csv_rows = {k: v for k, v in rows.items() if "/" not in k}
    else:
        folder = out / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        csv_rows, csv_secs = timed_write_tables(con, folder)
        tables_s = sum(csv_secs.values())
        say(f"tables (write_tables)  {tables_s:8.2f} s  " + ", ".join(
            f"{k} {csv_secs[k]:.2f} s [{csv_rows[k]:,} rows, {(folder / k).stat().st_size / 1e9:.2f} GB]"
            for k in csv_secs) + f"  peak RSS {peak_rss_mb():,.0f} MB")
        ids = [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]
        sample = random.Random(0).sample(ids, min(args.page_sample, len(ids)))
        t = time.perf_counter()
        with publish.materialized(con):   # as publish_exports does: the views computed once
            materialize_s = time.perf_counter() - t
            t = time.perf_counter()
            size = 0
            for rid in sample:
                page = build_model_page(con, rid)
                page["generated_at"] = "2026-01-01T00:00:00Z"
                size += len(dumps(page).encode())
            per_page = (time.perf_counter() - t) / len(sample)
        pages_s = materialize_s + per_page * len(ids)
        say(f"materialize views      {materialize_s:8.2f} s  (temp tables shadowing the exported views)")
        say(f"pages (SAMPLED)        {pages_s:8.2f} s  scaled from {len(sample)} pages: "
            f"{per_page * 1000:.1f} ms "
            f"per page (build_model_page + JSON), {size / len(sample) / 1e3:,.0f} kB per page → "
            f"{size / len(sample) * len(ids) / 1e9:.2f} GB for {len(ids):,} pages; not included: schema "
            f"validation, changes.json, manifest hashing")
    seconds = transform + tables_s + pages_s
    rss_sql = peak_rss_mb()

    # 5. baseline
    ids = [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]
    sample = sorted(random.Random(1).sample(ids, min(args.baseline_sample, len(ids))))
    inputs = baseline.load_inputs(con, sample)
    t = time.perf_counter()
    py_rows = baseline.run(inputs)
    base_sample_s = time.perf_counter() - t
    baseline_seconds = base_sample_s * len(ids) / len(sample)
    say(f"baseline (SAMPLED)     {baseline_seconds:8.2f} s  plain Python, {len(py_rows):,} rows for "
        f"{len(sample)} models in {base_sample_s:.2f} s, scaled ×{len(ids) / len(sample):.0f}")
    sql = {(r[0], r[1], r[2], r[3]): r for r in con.execute(
        """SELECT repo_id, quant, device_id, context_tokens, verdict, gpus_needed, headroom_gb,
                  max_context_tokens, decode_tok_s, needed_gb
           FROM device_fit WHERE repo_id IN (SELECT unnest(?))""", [sample]).fetchall()}
    diffs = {"headroom_gb": 0.0, "decode_tok_s": 0.0, "needed_gb": 0.0, "max_context_tokens": 0,
             "gpus_needed": 0, "verdict": 0, "missing": 0}
    for r in py_rows:
        s = sql.get(r[:4])
        if s is None:
            diffs["missing"] += 1
            continue
        diffs["verdict"] += r[4] != s[4]
        diffs["gpus_needed"] = max(diffs["gpus_needed"], abs((r[5] or 0) - (s[5] or 0)))
        diffs["max_context_tokens"] = max(diffs["max_context_tokens"], abs((r[7] or 0) - (s[7] or 0)))
        for i, k in ((6, "headroom_gb"), (8, "decode_tok_s"), (9, "needed_gb")):
            if (r[i] is None) != (s[i] is None):
                diffs["missing"] += 1
            elif r[i] is not None:
                diffs[k] = max(diffs[k], abs(r[i] - s[i]))
    say(f"baseline vs SQL on {len(py_rows):,} rows (SQL has {len(sql):,}): max |diff| " + ", ".join(
        f"{k} {v:.3g}" for k, v in diffs.items()))

    arithmetic_s = transform
    speedup = baseline_seconds / arithmetic_s if arithmetic_s else None
    with_csv = transform + csv_secs.get("device_fit.csv", 0.0)
    say(f"speedup                {speedup:8.1f} ×  baseline {baseline_seconds:.1f} s / "
        f"transform {arithmetic_s:.1f} s "
        f"(every fit row computed, nothing written); ×{baseline_seconds / with_csv:.2f} with device_fit.csv "
        f"written; end to end ×{baseline_seconds / seconds:.3f}")
    say(f"total                  {seconds:8.2f} s  (transform {transform:.1f} + tables {tables_s:.1f} "
        f"+ pages "
        f"{pages_s:.1f}{' scaled' if pages_scaled else ''})  peak RSS {rss_sql:,.0f} MB (baseline run after: "
        f"{peak_rss_mb():,.0f} MB)")
    con.close()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "models": args.models, "devices": args.devices, "fit_rows": fit_rows,
        "quantization_rows": n_quant, "context_memory_rows": n_ctx,
        "seconds": round(seconds, 2), "transform_seconds": round(transform, 2),
        "tables_seconds": round(tables_s, 2), "table_seconds": {k: round(v, 2) for k, v in csv_secs.items()},
        "pages_seconds": round(pages_s, 2), "pages_scaled_from_sample": pages_scaled,
        "peak_rss_mb": round(rss_sql, 1), "baseline_seconds": round(baseline_seconds, 2),
        "baseline_scaled_from_models": len(sample), "speedup": round(speedup, 1) if speedup else None,
        "speedup_with_device_fit_csv": round(baseline_seconds / with_csv, 2),
        "speedup_end_to_end": round(baseline_seconds / seconds, 3),
        "baseline_max_diff": diffs, "memory_limit": args.memory_limit, "cores": os.cpu_count(),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
