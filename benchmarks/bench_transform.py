"""Transform + export benchmark: synthetic catalogue → real views → real exports, vs plain Python.

    .venv/bin/python benchmarks/bench_transform.py [--models 10000] [--devices 300] [--changed 0.01]
        [--workdir DIR] [--page-sample N] [--baseline-sample 20] [--real-limit 1000] [--full-pages]
        [--memory-limit 3GB]

1. Not timed: a fresh `catalog.db.connect` database in --workdir, filled in bulk by
   benchmarks/synthetic.py (INSERT ... SELECT over range(): models with full / sliding / mla /
   compressed / recurrent attention, 20–30 real GGUF builds each, devices incl. multi-GPU systems).
2. Timed, "transform": re-create macros and views (`catalog.db.apply_objects`) and compute
   quantizations, context_memory and device_fit once (aggregates over every row, nothing kept).
3. Timed, "exports", two releases: a cold one (no previous release: every model's page and
   device-fit file is built) and a nightly one after a new commit of --changed of the models
   (only those are rebuilt; the rest is carried over from the cold release).
   Up to --real-limit models (or with --full-pages) the real `publish_exports` runs end to end
   for both. Above it a cold release would take hours, so: the analyst CSVs and the page_inputs
   hash pass are run for real on the whole catalogue, the per-model cost is measured by
   rebuilding --page-sample models (default: as many as the nightly changes) through
   `publish.rebuild_models`, worker processes included, and the two releases are ESTIMATED as
   tables + page_inputs + models × per model (the output says so; carrying files over is
   measured only in the real runs).
4. Baseline: benchmarks/baseline.py (plain Python, same process) on --baseline-sample models,
   scaled to all models; checked against device_fit on those models (max differences printed).

seconds = transform + the nightly export. speedup = baseline_seconds / transform: the same
arithmetic, each side producing every fit row (Python keeps tuples, SQL aggregates them).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import shutil
import statistics
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
from catalog.exports.slug import page_paths


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


@contextlib.contextmanager
def timed_stages(stages: dict[str, float]):
    """Add the time spent in publish's parts to stages (the functions themselves run unchanged)."""
    targets = [(publish, "write_tables"), (publish, "rebuild_models"), (publish, "write_manifest"),
               (publish.reuse, "model_inputs"), (publish.validate, "validate_release"),
               (publish.changes_mod, "changes_document")]
    originals = [(mod, name, getattr(mod, name)) for mod, name in targets]

    def timed(name, fn):
        def inner(*a, **k):
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - s
        return inner
    for mod, name, fn in originals:
        setattr(mod, name, timed(name, fn))
    try:
        yield
    finally:
        for mod, name, fn in originals:
            setattr(mod, name, fn)


def change_models(con, fraction: float) -> list[str]:
    """A new commit for a fraction of the models (new sha, licence): changes confined to each model."""
    ids = [r[0] for r in con.execute("SELECT repo_id FROM hub_models ORDER BY repo_id").fetchall()]
    picked = sorted(random.Random(2).sample(ids, max(1, round(len(ids) * fraction))))
    con.execute("""UPDATE hub_models SET sha = md5(sha), license = 'mit',
                   last_modified = last_modified + INTERVAL 1 DAY WHERE list_contains($ids, repo_id)""",
                {"ids": picked})
    return picked


def real_exports(con, out: Path, fraction: float) -> dict:
    """publish_exports end to end: a cold release, then a nightly one after changing a fraction."""
    result: dict = {}
    for run in ("cold", "nightly"):
        if run == "nightly":
            result["changed_models"] = len(change_models(con, fraction))
        stages: dict[str, float] = {}
        t = time.perf_counter()
        with timed_stages(stages):
            published = publish.publish_exports(con, out, f"bench-{run}")
        pages = sum(1 for k in published.rows if k.startswith("models/"))
        result[run] = {"seconds": time.perf_counter() - t, "stages": stages,
                       "rebuilt": pages - published.carried, "carried": published.carried}
        say(f"publish_exports {run:7} {result[run]['seconds']:8.2f} s  rebuilt {result[run]['rebuilt']:,} "
            f"models, carried {published.carried:,}; " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    result["sizes"] = release_sizes(out / "latest")
    say("release                " + ", ".join(f"{k} {v}" for k, v in result["sizes"].items()))
    return result


def release_sizes(release: Path) -> dict[str, float]:
    """Page sizes (KB) and the whole release on disk (MB, each file once)."""
    release = release.resolve()
    pages = sorted(p.stat().st_size for p in (release / "models").rglob("*.json"))
    fits = sum(p.stat().st_size for p in (release / "device_fit").rglob("*.parquet"))
    total = sum(p.stat().st_size for p in release.rglob("*") if p.is_file())
    return {"page_kb_median": round(statistics.median(pages) / 1e3, 1),
            "page_kb_max": round(pages[-1] / 1e3, 1),
            "pages_mb": round(sum(pages) / 1e6, 1), "device_fit_mb": round(fits / 1e6, 1),
            "release_mb": round(total / 1e6, 1)}


def sampled_rebuild(con, out: Path, sample: list[str]) -> tuple[float, float]:
    """Seconds per rebuilt model through publish's own rebuild path (device_fit batches, pages
    assembled, written and checked in worker processes as publish_exports would for this many),
    and bytes per page, on a sample."""
    staging = out / "sample"
    paths = page_paths(sample)
    t = time.perf_counter()
    with publish.materialized(con):
        results, _, skipped = publish.rebuild_models(con, sample, paths, staging, None,
                                                     "2026-01-01T00:00:00Z")
    seconds = time.perf_counter() - t
    assert not skipped and not [p for r in results for p in r.problems]
    size = sum((staging / paths[rid]).stat().st_size for rid in sample)
    return seconds / len(sample), size / len(sample)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=10_000)
    ap.add_argument("--devices", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder, removed")
    ap.add_argument("--page-sample", type=int, default=0,
                    help="models rebuilt to measure the per-model cost (default: as many as --changed)")
    ap.add_argument("--baseline-sample", type=int, default=20)
    ap.add_argument("--full-pages", action="store_true", help="run publish_exports end to end at any size")
    ap.add_argument("--real-limit", type=int, default=1000,
                    help="up to this many models, publish_exports runs end to end (cold, then nightly)")
    ap.add_argument("--changed", type=float, default=0.01,
                    help="fraction of models changed before the nightly export")
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
    db.apply_objects(con, force=True)
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

    # 3 + 4. exports: a cold release (no previous one) and a nightly one (--changed models changed)
    out = work / "exports"
    real = args.full_pages or args.models <= args.real_limit
    if real:
        runs = real_exports(con, out, args.changed)
        cold_s, nightly_s = runs["cold"]["seconds"], runs["nightly"]["seconds"]
        tables_s = runs["nightly"]["stages"].get("write_tables", 0.0)
        csv_secs: dict[str, float] = {}
        rebuilt, changed = runs["nightly"]["rebuilt"], runs["changed_models"]
        per_model = page_bytes = None
        sizes = runs["sizes"]
    else:
        folder = out / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        csv_rows, csv_secs = timed_write_tables(con, folder)
        tables_s = sum(csv_secs.values())
        say(f"tables (write_tables)  {tables_s:8.2f} s  " + ", ".join(
            f"{k} {csv_secs[k]:.2f} s [{csv_rows[k]:,} rows, {(folder / k).stat().st_size / 1e9:.2f} GB]"
            for k in csv_secs) + f"  peak RSS {peak_rss_mb():,.0f} MB")
        t = time.perf_counter()
        with publish.materialized(con):
            n_inputs = len(publish.reuse.model_inputs(con))
        inputs_s = time.perf_counter() - t
        say(f"materialize + page_inputs {inputs_s:5.2f} s  ({n_inputs:,} models hashed)")
        ids = [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]
        changed = rebuilt = max(1, round(len(ids) * args.changed))
        sample = sorted(random.Random(0).sample(ids, min(args.page_sample or rebuilt, len(ids))))
        per_model, page_bytes = sampled_rebuild(con, out, sample)
        sizes = {}
        cold_s = tables_s + inputs_s + per_model * len(ids)
        nightly_s = tables_s + inputs_s + per_model * rebuilt
        say(f"per rebuilt model (SAMPLED) {per_model * 1000:.0f} ms on {len(sample)} models through "
            f"publish.rebuild_models ({publish.default_workers(len(sample))} worker processes: device_fit "
            f"batch, page, device-fit CSV, JSON, schema + consistency check), "
            f"{page_bytes / 1e6:.2f} MB per page")
        say(f"export cold (ESTIMATE) {cold_s:8.2f} s  tables + page_inputs + {len(ids):,} models × per model")
        say(f"export nightly (ESTIMATE) {nightly_s:5.2f} s  tables + page_inputs + {rebuilt:,} changed "
            f"models × per model (carrying the other models' files over: see the real runs at ≤ "
            f"{args.real_limit:,} models)")
    seconds = transform + nightly_s
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

    speedup = baseline_seconds / transform if transform else None
    say(f"speedup                {speedup:8.1f} ×  baseline {baseline_seconds:.1f} s / "
        f"transform {transform:.1f} s (every fit row computed by both)")
    say(f"total                  {seconds:8.2f} s  transform {transform:.1f} + nightly export {nightly_s:.1f}"
        f"{'' if real else ' (estimate)'}; cold export {cold_s:.1f} s{'' if real else ' (estimate)'}; "
        f"peak RSS {rss_sql:,.0f} MB (baseline run after: {peak_rss_mb():,.0f} MB; page worker "
        f"processes not included)")
    con.close()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "models": args.models, "devices": args.devices, "fit_rows": fit_rows,
        "quantization_rows": n_quant, "context_memory_rows": n_ctx,
        "seconds": round(seconds, 2), "transform_seconds": round(transform, 2),
        "export_nightly_seconds": round(nightly_s, 2), "export_cold_seconds": round(cold_s, 2),
        "exports_estimated": not real, "changed_models": changed, "rebuilt_models": rebuilt,
        "tables_seconds": round(tables_s, 2), "table_seconds": {k: round(v, 2) for k, v in csv_secs.items()},
        "per_model_seconds": round(per_model, 3) if per_model else None,
        "page_mb": round(page_bytes / 1e6, 2) if page_bytes else None,
        "peak_rss_mb": round(rss_sql, 1), "baseline_seconds": round(baseline_seconds, 2), **sizes,
        "baseline_scaled_from_models": len(sample), "speedup": round(speedup, 1) if speedup else None,
        "baseline_max_diff": diffs, "memory_limit": args.memory_limit, "cores": os.cpu_count(),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
