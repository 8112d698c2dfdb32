"""Check a release folder before it is published: JSON Schemas, CSV columns, cross-file sanity.

Returns a list of problems (empty: publishable). Schemas: exports/schema/v2/*.schema.json
(Draft 2020-12, additionalProperties false everywhere), copied into every release.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
from jsonschema import Draft202012Validator, ValidationError, validators

from catalog import paths
from catalog.exports.slug import UnsafePath, safe_join
from catalog.exports.tables import CSV_TABLES, DEVICE_FIT_COLUMNS, FIT_DIR, fit_path

SCHEMA_DIR = paths.SCHEMA_DIR
SCHEMA_MAJOR = "v2"
METHODOLOGY = "methodology.md"     # docs/methodology.md, shipped with every release
SCHEMAS = {  # file (or pattern) -> schema file
    "models.json": "models.schema.json",
    "models/*.json": "model_page.schema.json",
    "devices.json": "devices.schema.json",
    "changes.json": "changes.schema.json",
    "manifest.json": "manifest.schema.json",
}


_ITEMS = Draft202012Validator.VALIDATORS["items"]
_PROPERTIES = Draft202012Validator.VALIDATORS["properties"]
_PLAIN_KEYS = {"type", "pattern", "description"}
Check = Callable[[Any], bool]
_checks: dict[int, tuple[Any, Check | None]] = {}   # by id of a (cached, never freed) subschema


def _plain_check(validator: Draft202012Validator, sub: Any) -> Check | None:
    """For a subschema of only `type` (and `pattern`, for strings), the same test as a function
    of one value; None for any other subschema."""
    known = _checks.get(id(sub))
    if known is not None and known[0] is sub:
        return known[1]
    check: Check | None = None
    if isinstance(sub, dict) and sub.keys() <= _PLAIN_KEYS and "type" in sub:
        types = [sub["type"]] if isinstance(sub["type"], str) else list(sub["type"])
        pattern = re.compile(sub["pattern"]) if "pattern" in sub else None

        def check(v: Any) -> bool:
            if isinstance(v, str):
                return "string" in types and (pattern is None or pattern.search(v) is not None)
            return any(validator.is_type(v, t) for t in types)
    _checks[id(sub)] = (sub, check)
    return check


def _items(validator: Draft202012Validator, items: Any, instance: Any,
           schema: dict[str, Any]) -> Iterator[ValidationError]:
    """Draft 2020-12 `items`; an array of plain values (a page's 300 device ids, its per-quant
    fit strings) is checked in one loop instead of one validator descent per value (~20 µs
    each). Any failure is reported by jsonschema's own `items`."""
    check = _plain_check(validator, items) if "prefixItems" not in schema else None
    if check is not None and isinstance(instance, list) and all(map(check, instance)):
        return
    yield from _ITEMS(validator, items, instance, schema)


def _properties(validator: Draft202012Validator, properties: dict[str, Any], instance: Any,
                schema: dict[str, Any]) -> Iterator[ValidationError]:
    """Draft 2020-12 `properties`; plain values that pass are not descended into, the others
    (objects, arrays, failures) go to jsonschema's own `properties`."""
    if not isinstance(instance, dict):
        return
    rest = {name: sub for name, sub in properties.items() if name in instance
            and not ((check := _plain_check(validator, sub)) is not None and check(instance[name]))}
    if rest:
        yield from _PROPERTIES(validator, rest, instance, schema)


_Validator = validators.extend(Draft202012Validator, {"items": _items, "properties": _properties})


@cache
def validator(schema_file: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / SCHEMA_MAJOR / schema_file).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return _Validator(schema)


def schema_errors(document: Any, schema_file: str, label: str) -> list[str]:
    errors = sorted(validator(schema_file).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{label}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
            for e in errors[:5]]


def page_consistency(page: dict[str, Any], label: str) -> list[str]:
    """What a page must never say: the seed page's contradictions ("no single GPU fits" beside a
    single-GPU speed), and a fit matrix whose parts do not line up."""
    out = []
    gpus, devices, faq, speed, fit = page["gpus"], page["devices"], page["faq"], page["speed"], page["fit"]
    ids, quants = fit["device_ids"], fit["quants"]
    if len(set(ids)) != len(ids):
        out.append(f"{label}: fit.device_ids repeats a device")
    if quants != [q["quant"] for q in page["quantizations"]] or not (
            len(fit["verdicts"]) == len(fit["decode_tok_s"]) == len(quants)):
        out.append(f"{label}: fit.quants / verdicts / decode_tok_s do not line up with quantizations")
        return out
    for quant, codes, speeds in zip(quants, fit["verdicts"], fit["decode_tok_s"], strict=True):
        if len(codes) != len(ids):
            out.append(f"{label}: {quant}: {len(codes)} verdicts for {len(ids)} devices")
        elif len(speeds.split()) != sum(c in "GD" for c in codes):
            out.append(f"{label}: {quant}: {len(speeds.split())} speeds for "
                       f"{sum(c in 'GD' for c in codes)} fitting devices")
    rec = page["summary"]["recommended_quant"]
    if rec not in quants:
        return [*out, f"{label}: recommended quant {rec} is not among the quants"]
    code = dict(zip(ids, fit["verdicts"][quants.index(rec)], strict=False))
    runs = {i for i, c in code.items() if c in "GD"}
    single = gpus["single_gpu"]
    if gpus["single_gpu_count"] != len(single) or faq["which_gpus"]["count"] != len(single):
        out.append(f"{label}: single-GPU counts disagree with gpus.single_gpu")
    if faq["which_gpus"]["no_single_gpu"] != (not single):
        out.append(f"{label}: which_gpus.no_single_gpu disagrees with gpus.single_gpu")
    if [e["device_id"] for e in gpus["top"]] != single[:len(gpus["top"])]:
        out.append(f"{label}: gpus.top is not the head of gpus.single_gpu")
    if set(single) - runs:
        out.append(f"{label}: GPUs listed as fitting that the fit matrix says do not: "
                   f"{sorted(set(single) - runs)[:3]}")
    if any(code.get(i) != "G" for i in devices["runs_great"]) \
            or any(code.get(i) != "D" for i in devices["decent"]):
        out.append(f"{label}: devices.runs_great / decent disagree with the fit matrix")
    if devices["count"] != len(devices["runs_great"]) + len(devices["decent"]) \
            or faq["which_devices"]["count"] != devices["count"]:
        out.append(f"{label}: device counts disagree")
    listed = {d["device_id"] for d in speed["devices"]}
    if listed - runs or any(d["decode_tok_s"] is None for d in speed["devices"]):
        out.append(f"{label}: a speed is listed for a device that does not run {rec}")
    example = speed["example"]
    if example and example["device_id"] not in runs:
        out.append(f"{label}: the speed example's device does not run {rec}")
    if example and not single and example["gpus"] == 1 and any(
            d["device_id"] == example["device_id"] and d["class"].endswith("_gpu") for d in speed["devices"]):
        out.append(f"{label}: speed example is a single GPU although none fits")
    return out


def parquet_columns(path: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[str] | None:
    """The column names of a Parquet file, or None when it cannot be read as one. Pass `con` when
    reading many: a connection costs ~30 ms, a schema read on an open one ~0.6 ms."""
    if con is None:
        with duckdb.connect() as own:
            return parquet_columns(path, own)
    try:
        return [r[0] for r in con.execute("SELECT name FROM parquet_schema(?) WHERE num_children IS NULL",
                                          [str(path)]).fetchall()]
    except duckdb.Error:
        return None


def parquet_columns_of(paths: list[Path], con: duckdb.DuckDBPyConnection) -> dict[Path, list[str] | None]:
    """parquet_columns of many files: one query reads every footer (DuckDB, on all threads; one
    query per file cost a 10,000-model release ~10 s), or, when some file cannot be read, one
    query per file to name it."""
    if not paths:
        return {}
    try:
        rows = con.execute("""
            SELECT file_name, list(name ORDER BY i) FROM (
                SELECT file_name, name, num_children, row_number() OVER () AS i FROM parquet_schema(?))
            WHERE num_children IS NULL GROUP BY file_name""", [[str(p) for p in paths]]).fetchall()
    except duckdb.Error:
        return {p: parquet_columns(p, con) for p in paths}
    found = dict(rows)
    return {p: found.get(str(p)) for p in paths}


def _header(path: Path) -> list[str] | None:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), None)


def validate_release(folder: Path, *, with_manifest: bool = False,
                     trusted: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every problem found in a release folder (staging or published).

    trusted: per-model files carried over (hard-linked) from the published release, which were
    validated when it was built; they are checked to exist, not parsed again.
    """
    with duckdb.connect() as con:     # one connection reads every device-fit file's schema
        return _problems(folder, with_manifest, trusted, con)


def _problems(folder: Path, with_manifest: bool, trusted: set[str] | frozenset[str],
              con: duckdb.DuckDBPyConnection) -> list[str]:
    problems: list[str] = []

    def load(rel: str) -> Any:
        try:
            return json.loads((folder / rel).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{rel}: unreadable JSON ({exc})")
            return None

    names = ("models.json", "devices.json", "changes.json") + (("manifest.json",) if with_manifest else ())
    for name in names:
        doc = load(name)
        if doc is not None:
            problems += schema_errors(doc, SCHEMAS[name], name)
    index = load("models.json") or {}
    listed = set()
    fits_to_check: list[str] = []
    for entry in index.get("models", []) if isinstance(index, dict) else []:
        rel = entry.get("page_path", "")
        try:
            safe_join(folder, rel)
        except UnsafePath as exc:
            problems.append(f"models.json: {exc}")
            continue
        listed.add(rel)
        fit = fit_path(rel)
        if not (folder / fit).is_file():
            problems.append(f"{rel}: its device-fit file {fit} is missing")
        elif fit not in trusted:
            fits_to_check.append(fit)
        if rel in trusted:
            continue
        page = load(rel)
        if page is None:
            continue
        errors = schema_errors(page, SCHEMAS["models/*.json"], rel)
        problems += errors
        if not errors:
            problems += page_consistency(page, rel)
            if page["id"] != entry["id"] or page["page_path"] != rel:
                problems.append(f"{rel}: id/page_path disagree with models.json")
    columns = parquet_columns_of([folder / fit for fit in fits_to_check], con)
    problems += [f"{fit}: columns {columns[folder / fit]} != contract {DEVICE_FIT_COLUMNS}"
                 for fit in fits_to_check if columns[folder / fit] != DEVICE_FIT_COLUMNS]
    pages = {p.relative_to(folder).as_posix() for p in (folder / "models").rglob("*") if p.is_file()}
    if pages - listed:
        problems.append(f"pages not in models.json: {sorted(pages - listed)[:5]}")
    fits = {p.relative_to(folder).as_posix() for p in (folder / FIT_DIR).rglob("*") if p.is_file()}
    orphans = sorted(fits - {fit_path(rel) for rel in listed})
    if orphans:
        problems.append(f"device-fit files without a page: {orphans[:5]}")
    if not (folder / METHODOLOGY).is_file():
        problems.append(f"{METHODOLOGY} is missing (the methodology the pages cite)")
    for name, (_, columns, _) in CSV_TABLES.items():
        try:
            header = _header(folder / name)
        except OSError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if header != columns:
            problems.append(f"{name}: columns {header} != contract {columns}")
    return problems
