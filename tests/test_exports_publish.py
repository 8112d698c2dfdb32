"""The export set: schemas, determinism, changes.json, refusal, atomic swap, hostile ids on disk."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb
import pytest
from jsonschema import Draft202012Validator

from catalog import paths
from catalog.exports import ExportRefused, publish, publish_exports
from catalog.exports.tables import CSV_TABLES, DEVICE_FIT_COLUMNS, fit_path
from catalog.exports.validate import SCHEMA_DIR, SCHEMAS, parquet_columns, validate_release
from catalog.paths import SQL_DIR

# A model with a real split GGUF build in the sample: unsloth's BF16 is 49.9 + 11.2 GB.
QWEN3 = "Qwen/Qwen3-30B-A3B"
QWEN3_PAGE = "models/qwen/qwen3-30b-a3b.json"
QWEN3_FIT = "device_fit/qwen/qwen3-30b-a3b.parquet"
QWEN3_GGUF = "unsloth/Qwen3-30B-A3B-GGUF"


@pytest.fixture
def db(demo_db, tmp_path) -> Path:
    """A private read-write copy of the session's demo catalogue."""
    path = tmp_path / "catalog.duckdb"
    shutil.copyfile(demo_db, path)
    return path


def _publish(db: Path, root: Path, run_id: str, **kw):
    con = duckdb.connect(str(db))
    try:
        return publish_exports(con, root, run_id, **kw)
    finally:
        con.close()


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _parquet_rows(data: bytes) -> set[tuple]:
    with tempfile.NamedTemporaryFile(suffix=".parquet") as fh:
        fh.write(data)
        fh.flush()
        return set(duckdb.connect().execute("SELECT * FROM read_parquet(?)", [fh.name]).fetchall())


def _schema(name: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads((SCHEMA_DIR / "v2" / name).read_text()))


@pytest.mark.slow  # publishes a whole release
def test_every_exported_file_validates_against_its_schema(db, tmp_path):
    result = _publish(db, tmp_path / "exports", "run-a")
    latest = tmp_path / "exports" / "latest"
    assert latest.is_symlink() and latest.resolve() == result.release.resolve()
    files = _files(latest)
    manifest = json.loads(files["manifest.json"])
    _schema("manifest.schema.json").validate(manifest)
    # Every file is in the manifest (except the manifest itself), with its hash, size and rows.
    assert sorted(f["path"] for f in manifest["files"]) == sorted(set(files) - {"manifest.json"})
    for f in manifest["files"]:
        data = files[f["path"]]
        assert f["bytes"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    checked = 0
    for rel, data in files.items():
        if rel.endswith(".json") and not rel.startswith("schema/"):
            name = SCHEMAS["models/*.json"] if rel.startswith("models/") else SCHEMAS[rel]
            doc = json.loads(data)
            errors = list(_schema(name).iter_errors(doc))
            assert not errors, (rel, errors[0].message, list(errors[0].absolute_path))
            checked += 1
            if rel == "devices.json":  # DuckDB COPY: a JSON array, one device per line
                assert data.decode().splitlines()[1:-1] == [
                    "\t" + json.dumps(d, ensure_ascii=False, separators=(",", ":"))
                    + ("," if i < len(doc) - 1 else "") for i, d in enumerate(doc)]
            elif rel.startswith("models/"):  # pages: compact, deterministic, UTF-8, trailing newline
                assert data.decode() == json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
            else:  # pretty, deterministic: 2-space indent, UTF-8, trailing newline
                assert data.decode() == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    models = json.loads(files["models.json"])["models"]
    assert checked == len(models) + 4 and len(models) >= 7
    # CSVs: the contract's columns, and as many rows as the manifest says.
    rows = {f["path"]: f["rows"] for f in manifest["files"]}
    for name, (_, columns, _) in CSV_TABLES.items():
        table = list(csv.reader(io.StringIO(files[name].decode())))
        assert table[0] == columns and len(table) - 1 == rows[name] > 0
    # device_fit: one Parquet file per model with a page, every row of that model and no other.
    con = duckdb.connect(str(db), read_only=True)
    for model in models:
        fit = fit_path(model["page_path"])
        assert parquet_columns(latest / fit) == DEVICE_FIT_COLUMNS
        table = _parquet_rows(files[fit])
        expected = con.execute("SELECT count(*) FROM device_fit WHERE repo_id = ?",
                               [model["id"]]).fetchone()[0]
        assert len(table) == rows[fit] == expected > 0
        assert {r[0] for r in table} == {model["id"]}
        keys = duckdb.connect().execute("SELECT quant, device_id, context_tokens FROM read_parquet(?)",
                                        [str(latest / fit)]).fetchall()
        assert keys == sorted(keys)   # the contract's row order (quant, device_id, context_tokens)
    con.close()
    # The schemas are shipped with the release, unchanged.
    shipped = files["schema/v2/model_page.schema.json"]
    assert shipped == (SCHEMA_DIR / "v2" / "model_page.schema.json").read_bytes()
    assert validate_release(latest, with_manifest=True) == []
    # A device-fit file with the contract's columns in another order and one missing a column are
    # each named (every file's schema read in one query); so is a file that is not Parquet (then
    # the files are read one by one).
    broken = tmp_path / "broken"
    shutil.copytree(latest, broken)
    fits = [fit_path(m["page_path"]) for m in models[:3]]
    reordered = ", ".join([DEVICE_FIT_COLUMNS[1], DEVICE_FIT_COLUMNS[0], *DEVICE_FIT_COLUMNS[2:]])
    for fit, columns in ((fits[1], reordered), (fits[2], ", ".join(DEVICE_FIT_COLUMNS[:-1]))):
        duckdb.connect().execute(f"COPY (SELECT {columns} FROM read_parquet('{latest / fit}')) "
                                 f"TO '{broken / fit}' (FORMAT parquet)")
    problems = validate_release(broken)
    assert [p.split(":")[0] for p in problems] == fits[1:] and all("!= contract" in p for p in problems)
    assert f"columns {DEVICE_FIT_COLUMNS[:-1]}" in problems[1]
    (broken / fits[0]).write_bytes(b"not parquet")
    problems = validate_release(broken)
    assert [p.split(":")[0] for p in problems] == fits and "columns None" in problems[0]


def test_schemas_are_draft_2020_12_and_closed():
    for path in sorted((SCHEMA_DIR / "v2").glob("*.schema.json")):
        schema = json.loads(path.read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)

        def walk(node, where, name=path.name):
            if isinstance(node, dict):
                if node.get("type") == "object":
                    assert node.get("additionalProperties") is False, (name, where)
                for k, v in node.items():
                    walk(v, f"{where}/{k}")
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, f"{where}/{i}")
        walk(schema, "")


@pytest.mark.slow  # publishes whole releases
def test_exporting_twice_without_changes_is_byte_identical(db, tmp_path):
    root = tmp_path / "exports"
    first = _publish(db, root, "run-a")
    second = _publish(db, root, "run-b")
    a, b = _files(first.release), _files(second.release)
    assert set(a) == set(b)
    assert [k for k in a if a[k] != b[k]] == ["manifest.json"]
    ma, mb = json.loads(a["manifest.json"]), json.loads(b["manifest.json"])
    assert (ma["run_id"], mb["run_id"]) == ("run-a", "run-b")
    assert ma["content_sha256"] == mb["content_sha256"] and ma["changed"] and not mb["changed"]
    assert ma["files"] == mb["files"]


@pytest.mark.slow  # publishes whole releases
def test_one_changed_gguf_size_shows_up_in_changes_and_nowhere_else(db, tmp_path):
    root = tmp_path / "exports"
    before = _files(_publish(db, root, "run-a").release)
    con = duckdb.connect(str(db))
    changed = con.execute("""UPDATE hub_gguf_files SET size_bytes = size_bytes + 1000000000
                             WHERE gguf_repo_id = ? AND quant = 'BF16' AND shard = 1
                             RETURNING base_repo_id, path""", [QWEN3_GGUF]).fetchall()
    con.close()
    assert changed == [(QWEN3, "BF16/Qwen3-30B-A3B-BF16-00001-of-00002.gguf")]
    after = _files(_publish(db, root, "run-b").release)

    doc = json.loads(after["changes.json"])
    assert doc["sizes_changed"] == [{
        "repo_id": QWEN3, "quant": "BF16", "file_size_bytes_before": 61_100_000_000,
        "file_size_bytes_after": 62_100_000_000, "size_source_before": "gguf", "size_source_after": "gguf"}]
    assert {k: v for k, v in doc["counts"].items() if v} == {"sizes_changed": 1}
    assert doc["from_content"] == json.loads(before["manifest.json"])["content_sha256"]
    assert doc["to_content"] == json.loads(after["manifest.json"])["content_sha256"]

    differing = {k for k in before if before[k] != after[k]}
    # Only the model's own page and the analyst rows of that model and quant change.
    assert differing == {"changes.json", "manifest.json", QWEN3_PAGE, "quantizations.csv",
                         "context_memory.csv", QWEN3_FIT}
    for name in ("quantizations.csv", "context_memory.csv"):
        old = set(before[name].decode().splitlines())
        new = set(after[name].decode().splitlines())
        assert old ^ new and all(line.startswith(f"{QWEN3},BF16,") for line in old ^ new), name
    changed = _parquet_rows(after[QWEN3_FIT]) ^ _parquet_rows(before[QWEN3_FIT])
    assert changed and {(r[0], r[1]) for r in changed} == {(QWEN3, "BF16")}
    page0, page1 = json.loads(before[QWEN3_PAGE]), json.loads(after[QWEN3_PAGE])
    bf16 = {q["quant"]: q for q in page1["quantizations"]}["BF16"]
    assert bf16["file_size_bytes"] == 62_100_000_000 and bf16["file_size_gb"] == 62.1
    assert bf16["real_file"] and bf16["shard_count"] == 2
    assert page1["generated_at"] > page0["generated_at"]
    # A third run without changes republishes the same changes.json (the last change set).
    third = _files(_publish(db, root, "run-c").release)
    assert {k for k in third if third[k] != after[k]} == {"manifest.json"}


def _intact(release: Path) -> bool:
    """Every file of a published release still has the checksum its manifest gives."""
    manifest = json.loads((release / "manifest.json").read_text())
    return all(hashlib.sha256((release / f["path"]).read_bytes()).hexdigest() == f["sha256"]
               for f in manifest["files"])


@pytest.mark.slow  # publishes whole releases
def test_a_nightly_export_rebuilds_only_what_changed_and_equals_a_full_rebuild(db, tmp_path, monkeypatch):
    incremental, full = tmp_path / "incremental", tmp_path / "full"
    first = _publish(db, incremental, "run-a")
    assert first.carried == 0
    shutil.copytree(incremental, full, symlinks=True)
    pages = sorted(m["id"] for m in json.loads((first.release / "models.json").read_text())["models"])
    built: list[str] = []
    real_read = publish.read_pages_rows
    monkeypatch.setattr(publish, "read_pages_rows",
                        lambda con, rids, **kw: built.extend(rids) or real_read(con, rids, **kw))

    # Nothing changed: every model's files are the previous release's (hard links), none is built.
    same = _publish(db, incremental, "run-b")
    assert built == [] and same.carried == len(pages) >= 7
    assert (same.release / QWEN3_PAGE).stat().st_ino == (first.release / QWEN3_PAGE).stat().st_ino
    assert (same.release / QWEN3_FIT).stat().st_ino == (first.release / QWEN3_FIT).stat().st_ino

    # One model's licence changes: that model alone is rebuilt ...
    con = duckdb.connect(str(db))
    assert con.execute("UPDATE hub_models SET license = 'mit' WHERE repo_id = ? RETURNING license",
                       [QWEN3]).fetchall() == [("mit",)]
    con.close()
    monkeypatch.setattr(publish, "utc_now", lambda: "2026-12-01T03:00:00.000000Z")
    nightly = _publish(db, incremental, "run-c")
    assert built == [QWEN3] and nightly.carried == len(pages) - 1
    # ... and the release is byte for byte the one a full rebuild makes from the same catalogue.
    built.clear()
    with monkeypatch.context() as m:
        m.setattr(publish.reuse.PreviousRelease, "carry", lambda *a, **k: None)
        rebuilt = _publish(db, full, "run-c")
    assert sorted(built) == pages and rebuilt.carried == 0
    assert _files(nightly.release) == _files(rebuilt.release)
    assert json.loads((nightly.release / QWEN3_PAGE).read_text())["specifications"]["license"] == "mit"
    # Rebuilding never wrote through a link into an earlier release.
    assert _intact(first.release) and _intact(same.release) and _intact(nightly.release)
    assert validate_release(incremental / "latest", with_manifest=True) == []

    # A device changes: every page lists it, so every model is rebuilt.
    built.clear()
    con = duckdb.connect(str(db))
    assert con.execute("""UPDATE devices_curated SET bandwidth_gbps = bandwidth_gbps * 1.1
                          WHERE device_id = 'nvidia-h100-sxm-80gb' RETURNING device_id""").fetchall()
    con.close()
    device = _publish(db, incremental, "run-d")
    assert sorted(built) == pages and device.carried == 0


@pytest.mark.slow  # publishes whole releases
def test_pages_built_by_worker_processes_are_the_pages_built_here(db, tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "utc_now", lambda: "2026-12-01T03:00:00.000000Z")
    here = _publish(db, tmp_path / "here", "run-a", workers=0)
    pooled = _publish(db, tmp_path / "pooled", "run-a", workers=2)
    assert _files(here.release) == _files(pooled.release)


@pytest.mark.slow  # publishes whole releases
def test_a_page_that_fails_its_check_as_it_is_written_is_not_published(db, tmp_path, monkeypatch):
    """Rebuilt pages are checked where they are written (not again by validate_release)."""
    root = tmp_path / "exports"
    first = _publish(db, root, "run-a")
    monkeypatch.setattr(publish.reuse, "code_hash", lambda: "changed exporter")   # rebuild every page
    monkeypatch.setattr("catalog.exports.render.page_consistency",
                        lambda page, label: [f"{label}: contradicts itself"] if page["id"] == QWEN3 else [])
    with pytest.raises(ExportRefused, match=r"qwen3-30b-a3b\.json: contradicts itself"):
        _publish(db, root, "run-b", workers=0)
    assert (root / "latest").resolve() == first.release.resolve()


def test_the_code_hash_covers_every_module_a_page_is_built_with():
    """A module missing from reuse.CODE could change pages without rebuilding them: follow the page
    builders' imports (within catalog.exports, and catalog.units / slug) and check each is hashed."""
    covered = {p.resolve() for folder, pattern in publish.reuse.CODE for p in folder.glob(pattern)}

    def source_of(module: str) -> Path:
        base = paths.PACKAGE.joinpath(*module.split(".")[1:])
        return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")

    builders, seen = ["catalog.exports.render"], set()
    while builders:
        module = builders.pop()
        if module in seen:
            continue
        seen.add(module)
        assert source_of(module).resolve() in covered, module
        builders += re.findall(r"^from (catalog\.(?:exports\.[\w.]+|units|slug)) import",
                               source_of(module).read_text(), re.M)
    assert {"catalog.exports.page", "catalog.exports.page.sections", "catalog.exports.page.faq",
            "catalog.exports.validate", "catalog.units", "catalog.slug"} <= seen
    assert (paths.SCHEMA_DIR / "v2" / "model_page.schema.json").resolve() in covered


def test_columns_left_out_of_page_inputs_are_not_read_by_the_page_builder():
    """page_inputs leaves volatile columns out of its hash; a page reading one would go stale."""
    sql = (SQL_DIR / "views" / "page_inputs.sql").read_text()
    excluded = {c.strip() for group in re.findall(r"EXCLUDE \(([^)]*)\)", sql) for c in group.split(",")}
    assert {"downloads", "verified_at", "run_id"} <= excluded
    excluded.discard("fetched_at")   # shown in provenance, but a page differing only there is kept
    builders = SQL_DIR.parent / "catalog" / "exports"
    files = [*sorted((builders / "page").glob("*.py")), builders / "fmt.py", builders / "tables.py"]
    source = "".join(f.read_text() for f in files)
    assert [c for c in sorted(excluded) if f'"{c}"' in source or f"'{c}'" in source] == []


@pytest.mark.slow  # publishes whole releases
def test_a_model_count_drop_over_20_percent_is_refused_unless_forced(db, tmp_path):
    root = tmp_path / "exports"
    first = _publish(db, root, "run-a")
    con = duckdb.connect(str(db))
    con.execute("""UPDATE hub_models SET removed_at = now() WHERE repo_id IN
                   (SELECT repo_id FROM hub_models WHERE removed_at IS NULL ORDER BY repo_id LIMIT 2)""")
    con.close()
    with pytest.raises(ExportRefused, match="model count dropped from 8 to 6"):
        _publish(db, root, "run-b")
    assert (root / "latest").resolve() == first.release.resolve()
    assert validate_release(root / "latest", with_manifest=True) == []
    assert (root / "releases" / ".rejected-run-b").is_dir()
    assert not list((root / "releases").glob(".staging-*"))
    forced = _publish(db, root, "run-c", force=True)
    assert (root / "latest").resolve() == forced.release.resolve()
    assert len(json.loads((root / "latest" / "models.json").read_text())["models"]) == 6
    assert json.loads((root / "latest" / "changes.json").read_text())["counts"]["models_removed"] == 2


@pytest.mark.slow  # publishes whole releases
def test_only_the_last_three_releases_are_kept(db, tmp_path):
    root = tmp_path / "exports"
    for i in range(5):
        last = _publish(db, root, f"run-{i}")
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["run-2", "run-3", "run-4"]
    assert (root / "latest").resolve() == last.release.resolve()


# A child process that exports and SIGKILLs itself at a chosen point: a real hard kill at a
# deterministic place (no sleeps, no timing races).
_CHILD = r"""
import os, signal, sys
from pathlib import Path
import duckdb
from catalog.exports import publish

db, root, run_id, point = sys.argv[1:5]
def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "pages":                      # mid-way through the pages in the staging folder
    from catalog.exports import render
    publish.reuse.code_hash = lambda: "another exporter"   # every page is rebuilt
    real, count = render.render, [0]
    def render_then_die(*a, **k):
        done = real(*a, **k)
        count[0] += 1
        if count[0] == 3:
            die()
        return done
    render.render = render_then_die
elif point == "manifest":                 # staging complete, manifest written, not yet renamed
    real_m = publish.write_manifest
    def write_manifest(*a, **k):
        real_m(*a, **k)
        die()
    publish.write_manifest = write_manifest
elif point == "swap":                     # release renamed into place, symlink not yet swapped
    def swap(root, release, run_id):
        os.symlink(os.path.relpath(release, root), root / f".latest-{run_id}")
        die()
    publish._swap = swap
con = duckdb.connect(db, read_only=True)
publish.publish_exports(con, Path(root), run_id)
"""


@pytest.mark.slow  # publishes whole releases
@pytest.mark.parametrize("point", ["pages", "manifest", "swap"])
def test_a_killed_export_leaves_the_published_set_intact_and_the_next_run_publishes(db, tmp_path, point):
    import subprocess
    import sys

    root = tmp_path / "exports"
    first = _publish(db, root, "run-a")
    before = _files(root / "latest")
    con = duckdb.connect(str(db))
    con.execute("UPDATE hub_gguf_files SET size_bytes = size_bytes + 1 WHERE base_repo_id = ? AND shard = 1",
                [QWEN3])
    con.close()
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    proc = subprocess.run([sys.executable, str(script), str(db), str(root), "run-b", point],
                          cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -9, proc.stderr[-2000:]
    leftovers = {p.name for p in (root / "releases").iterdir()} | {p.name for p in root.glob(".latest-*")}
    assert leftovers - {"run-a"}, "the kill should have left something behind"
    # Readers still see the previous set, complete and valid.
    assert (root / "latest").resolve() == first.release.resolve()
    assert _files(root / "latest") == before
    assert validate_release(root / "latest", with_manifest=True) == []

    result = _publish(db, root, "run-c")
    assert (root / "latest").resolve() == result.release.resolve()
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["run-a", "run-c"]
    assert not list(root.glob(".latest-*"))
    assert validate_release(root / "latest", with_manifest=True) == []
    assert json.loads((root / "latest" / "changes.json").read_text())["counts"]["sizes_changed"] > 0


@pytest.mark.slow  # publishes whole releases
def test_hostile_repo_ids_stay_inside_the_exports_root(db, tmp_path):
    hostile = ["../../../escape/evil", "/abs/olute", "evil/../../../x", "ünïcödé/模型",
               "a" * 300 + "/" + "b" * 300, "org/Model", "ORG/model"]
    con = duckdb.connect(str(db))
    for rid in hostile:
        for table in ("hub_models", "attention_components"):
            con.execute(f"INSERT INTO {table} SELECT * REPLACE (? AS repo_id) FROM {table} WHERE repo_id = ?",
                        [rid, "Qwen/Qwen2-0.5B-Instruct"])
    con.close()
    outside = tmp_path / "escape"
    root = tmp_path / "deep" / "exports"
    _publish(db, root, "run-a")
    assert not outside.exists() and not Path("/abs").exists()
    base = root.resolve()
    for p in tmp_path.rglob("*"):
        if p.is_file() and p.suffix == ".json" and "exports" not in p.parts:
            pytest.fail(f"file outside exports: {p}")
    for p in root.rglob("*"):
        assert p.resolve() == base or base in p.resolve().parents
    index = json.loads((root / "latest" / "models.json").read_text())["models"]
    paths = {m["id"]: m["page_path"] for m in index}
    assert set(hostile) <= set(paths) and len(set(paths.values())) == len(paths)
    for rid in hostile:
        page = json.loads((root / "latest" / paths[rid]).read_text())
        assert page["id"] == rid
    assert validate_release(root / "latest", with_manifest=True) == []
    assert os.path.islink(root / "latest")
