"""Check a release folder before it is published: JSON Schemas, CSV columns, cross-file sanity.

Returns a list of problems (empty: publishable). Schemas: exports/schema/v1/*.schema.json
(Draft 2020-12, additionalProperties false everywhere), copied into every release.
"""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from catalog import paths
from catalog.exports.slug import UnsafePath, safe_join
from catalog.exports.tables import CSV_TABLES, DEVICE_FIT_COLUMNS, FIT_DIR, fit_path

SCHEMA_DIR = paths.SCHEMA_DIR
SCHEMA_MAJOR = "v1"
SCHEMAS = {  # file (or pattern) -> schema file
    "models.json": "models.schema.json",
    "models/*.json": "model_page.schema.json",
    "devices.json": "devices.schema.json",
    "changes.json": "changes.schema.json",
    "manifest.json": "manifest.schema.json",
}


@cache
def validator(schema_file: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / SCHEMA_MAJOR / schema_file).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(document: Any, schema_file: str, label: str) -> list[str]:
    errors = sorted(validator(schema_file).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{label}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
            for e in errors[:5]]


def page_consistency(page: dict[str, Any], label: str) -> list[str]:
    """What a page must never say (the seed page's contradictions)."""
    out = []
    gpus, faq, speed = page["gpus"], page["faq"], page["speed"]
    single = set(gpus["single_gpu"])
    if faq["which_gpus"]["no_single_gpu"] != (not single):
        out.append(f"{label}: which_gpus.no_single_gpu disagrees with gpus.single_gpu")
    if gpus["single_gpu_count"] != len(single):
        out.append(f"{label}: single_gpu_count != len(single_gpu)")
    listed_single = {d["device_id"] for d in speed["devices"] if d["class"].endswith("_gpu")}
    if listed_single != single:
        out.append(f"{label}: single-GPU speeds {sorted(listed_single)} != GPUs that fit {sorted(single)}")
    example = speed["example"]
    if example and not single and example["gpus"] == 1 and example["device_id"] in listed_single:
        out.append(f"{label}: speed example is a single GPU although none fits")
    if any(d["decode_tok_s"] is None for d in speed["devices"]):
        out.append(f"{label}: a device listed with a speed has none")
    rec = page["summary"]["recommended_quant"]
    by_quant = {h["quant"]: h for h in page["hardware_by_quant"]["quants"]}
    if rec not in by_quant or {e["device_id"] for e in by_quant[rec]["single_gpu"]} != single:
        out.append(f"{label}: hardware_by_quant[{rec}] disagrees with gpus")
    for h in page["hardware_by_quant"]["quants"]:
        fit = {e["device_id"] for e in h["single_gpu"]}
        if fit & {e["device_id"] for e in h["multi_gpu"]}:
            out.append(f"{label}: {h['quant']}: a GPU is listed as fitting and as needing several GPUs")
        if any(e["gpus_needed"] is not None and e["gpus_needed"] < 2 for e in h["multi_gpu"]):
            out.append(f"{label}: {h['quant']}: multi_gpu entry with gpus_needed < 2")
    return out


def _header(path: Path) -> list[str] | None:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh), None)


def validate_release(folder: Path, *, with_manifest: bool = False,
                     trusted: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Every problem found in a release folder (staging or published).

    trusted: per-model files carried over (hard-linked) from the published release, which were
    validated when it was built; they are checked to exist, not parsed again.
    """
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
        elif fit not in trusted and _header(folder / fit) != DEVICE_FIT_COLUMNS:
            problems.append(f"{fit}: columns {_header(folder / fit)} != contract {DEVICE_FIT_COLUMNS}")
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
    pages = {p.relative_to(folder).as_posix() for p in (folder / "models").rglob("*") if p.is_file()}
    if pages - listed:
        problems.append(f"pages not in models.json: {sorted(pages - listed)[:5]}")
    fits = {p.relative_to(folder).as_posix() for p in (folder / FIT_DIR).rglob("*") if p.is_file()}
    orphans = sorted(fits - {fit_path(rel) for rel in listed})
    if orphans:
        problems.append(f"device-fit files without a page: {orphans[:5]}")
    for name, (_, columns, _) in CSV_TABLES.items():
        try:
            header = _header(folder / name)
        except OSError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if header != columns:
            problems.append(f"{name}: columns {header} != contract {columns}")
    return problems
