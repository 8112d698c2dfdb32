"""The real flow, under a Prefect test harness, against the fake Hub and a real DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from catalog.fakehub import FakeHub
from flows.nightly import run_nightly

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]  # each runs the flow


def _run(tmp_path: Path, hub: FakeHub, settings: Path, monkeypatch, token: str = "hf_granted"):
    monkeypatch.setenv("HF_TOKEN", token)
    return run_nightly(db_path=str(tmp_path / "data" / "catalog.duckdb"), exports_dir=str(tmp_path / "out"),
                           endpoint=hub.url, settings_path=str(settings), vendor_pages=False)


def _query(tmp_path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _rows(tmp_path: Path, sql: str) -> list[dict]:
    """Rows as dicts, so a failing comparison names the column that differs."""
    con = duckdb.connect(str(tmp_path / "data" / "catalog.duckdb"), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _published(tmp_path: Path) -> dict[str, bytes]:
    """The published export set, except manifest.json (the one file that names the run)."""
    latest = tmp_path / "out" / "latest"
    return {p.relative_to(latest).as_posix(): p.read_bytes() for p in latest.rglob("*")
            if p.is_file() and p.name != "manifest.json"}


def test_flow_discovers_stores_computes_and_exports(tmp_path, fake_hub, settings_file, monkeypatch):
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert summary.status == "completed", summary.errors
    models = {r[0] for r in _query(tmp_path, "SELECT repo_id FROM hub_models")}
    assert {"deepseek-ai/DeepSeek-V4-Flash", "meta-llama/Llama-3.1-8B-Instruct",
            "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2-0.5B-Instruct"} <= models
    # Provenance on every fact.
    no_provenance = "SELECT count(*) FROM hub_models WHERE source_url IS NULL OR run_id IS NULL"
    assert _query(tmp_path, no_provenance)[0][0] == 0
    # A split build's quant is the sum of its shards: unsloth's BF16 Qwen3-30B-A3B, 49.9 + 11.2 GB.
    bf16 = _query(tmp_path, """SELECT file_size_bytes, shard_files, size_source FROM quantizations
                               WHERE repo_id = 'Qwen/Qwen3-30B-A3B' AND quant = 'BF16'""")
    assert bf16 == [(61_100_000_000, 2, "gguf")]
    # No real GGUF build of DeepSeek-V4-Flash is known: its quants are estimates, not the seed's sizes.
    v4 = _query(tmp_path, """SELECT quant, size_source, gguf_repo_id FROM quantizations
                             WHERE repo_id = 'deepseek-ai/DeepSeek-V4-Flash'""")
    assert v4 and {(s, g) for _, s, g in v4} == {("estimate", None)}
    # The run is in the ledger.
    run = _query(tmp_path, f"SELECT status, counts FROM runs WHERE run_id = '{summary.run_id}'")
    assert run[0][0] == "completed" and json.loads(run[0][1])["models"] >= 4
    # Exports exist and agree with the view.
    out = tmp_path / "out" / "latest"
    csv_lines = (out / "quantizations.csv").read_text().splitlines()
    view_rows = _query(tmp_path, "SELECT count(*) FROM quantizations")[0][0]
    assert len(csv_lines) == view_rows + 1
    exported = json.loads((out / "models.json").read_text())
    assert {m["id"] for m in exported["models"]} == models


def test_second_run_is_idempotent(tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    first = _published(tmp_path)
    rows = _query(tmp_path, "SELECT * EXCLUDE (fetched_at, run_id) FROM hub_models ORDER BY repo_id")
    _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert _published(tmp_path) == first
    assert _query(tmp_path, "SELECT * EXCLUDE (fetched_at, run_id) FROM hub_models ORDER BY repo_id") == rows


def test_bad_config_and_gated_repo_are_reported_per_repo_and_old_data_stays(
    tmp_path, after_first_night, fake_hub, settings_file, monkeypatch
):
    before = _rows(tmp_path, "SELECT * FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'")
    live = "SELECT count(*) FROM hub_models WHERE removed_at IS NULL"
    n_models = _query(tmp_path, live)[0][0]

    qwen = fake_hub.snapshot.repos["Qwen/Qwen2.5-7B-Instruct"]
    qwen.files["config.json"].content = b"{not json"
    qwen.files["config.json"].size = 9
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct")
    fake_hub.snapshot.touch("meta-llama/Llama-3.1-8B-Instruct")  # new commit: its config is not cached
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch, token="hf_not_granted")

    assert summary.status == "failed"
    failed = {e["subject"]: e["error"] for e in summary.errors}
    assert "Qwen/Qwen2.5-7B-Instruct" in failed and "not valid JSON" in failed["Qwen/Qwen2.5-7B-Instruct"]
    assert "meta-llama/Llama-3.1-8B-Instruct" in failed  # gated: this token was not granted
    # The others were refreshed; what the bad config would have told stays as last known good
    # (the new commit's model_info itself was fine, so sha and fetch time move on).
    after = _rows(tmp_path, "SELECT * FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'")
    changed = {k: (before[0][k], v) for k, v in after[0].items() if before[0][k] != v}
    if "source_url" in changed:                        # the first night's fake Hub had another port
        assert len({urlsplit(url).path for url in changed.pop("source_url")}) == 1
    assert set(changed) <= {"sha", "fetched_at", "run_id"}, changed
    errors = _query(tmp_path, "SELECT subject, error_type FROM source_errors "
                              f"WHERE run_id = '{summary.run_id}'")
    assert ("Qwen/Qwen2.5-7B-Instruct", "bad_config") in errors
    assert ("meta-llama/Llama-3.1-8B-Instruct", "gated") in errors
    assert _query(tmp_path, live)[0][0] == n_models   # nobody was dropped for failing once


def test_config_of_a_commit_is_read_once_and_cached(
        tmp_path, after_first_night, fake_hub, settings_file, monkeypatch):
    fake_hub.reset_log()
    _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert not [r for r in fake_hub.requests if r.path.endswith("/config.json")]


def test_a_model_failing_a_data_check_is_quarantined_and_the_rest_is_published(
    tmp_path, after_first_night, fake_hub, settings_file, monkeypatch
):
    small = ("SELECT quant, file_size_bytes FROM quantizations "
             "WHERE repo_id = 'Qwen/Qwen2-0.5B-Instruct' ORDER BY 1")
    before = _query(tmp_path, small)

    gguf = fake_hub.snapshot.repos["bartowski/Qwen2-0.5B-Instruct-GGUF"]
    gguf.files["Qwen2-0.5B-Instruct-Q8_0.gguf"].size = 9 * 10**12   # 9 TB: no real file is that big
    fake_hub.snapshot.touch("bartowski/Qwen2-0.5B-Instruct-GGUF")
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)   # another model's news
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert summary.status == "failed" and summary.published, summary.errors
    assert summary.checks["value_ranges"] == 0 and summary.counts["quarantined"] == 1
    quarantined = [e for e in summary.errors if e["subject"] == "model:Qwen/Qwen2-0.5B-Instruct"]
    assert quarantined and "value_ranges" in quarantined[0]["error"]
    assert "9000000000000" in quarantined[0]["error"]
    assert _query(tmp_path, small) == before, "the quarantined model keeps its last good rows"
    likes = "SELECT likes FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'"
    assert _query(tmp_path, likes) == [(4242,)], "every other model is published"
    assert _query(tmp_path, "SELECT max(size_bytes) FROM hub_gguf_files")[0][0] < 10**12
    errors = _query(tmp_path, "SELECT subject, error_type FROM source_errors WHERE run_id = "
                              f"'{summary.run_id}'")
    assert ("model:Qwen/Qwen2-0.5B-Instruct", "quarantined") in errors
    assert "Qwen/Qwen2-0.5B-Instruct" in (tmp_path / "out" / "latest" / "models.json").read_text()


def test_catalogue_wide_breakage_blocks_publishing_and_keeps_the_published_catalogue(
    tmp_path, after_first_night, fake_hub, settings_file, monkeypatch
):
    from catalog import checks

    published = (tmp_path / "data" / "catalog.duckdb").read_bytes()
    exported = (tmp_path / "out" / "latest" / "quantizations.csv").read_bytes()
    folder = tmp_path / "checks"
    folder.mkdir()
    for check in checks.CHECKS_DIR.glob("*.sql"):
        (folder / check.name).write_text(check.read_text())
    (folder / "zz_catalogue.sql").write_text(      # a violation no single model owns
        "SELECT 'hub_models' AS table_name, 'hub' AS subject, 'too few models' AS detail, "
        "NULL::VARCHAR AS quarantine FROM hub_models HAVING count(*) < 100")
    monkeypatch.setattr(checks, "CHECKS_DIR", folder)
    fake_hub.snapshot.touch("Qwen/Qwen2.5-7B-Instruct", likes=4242)
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)

    assert summary.status == "failed" and not summary.published
    assert summary.checks["zz_catalogue"] == 1
    assert any("too few models" in e["error"] for e in summary.errors)
    assert (tmp_path / "data" / "catalog.duckdb").read_bytes() == published
    assert (tmp_path / "out" / "latest" / "quantizations.csv").read_bytes() == exported
    rejected = duckdb.connect(str(tmp_path / "data" / "catalog.rejected.duckdb"), read_only=True)
    assert rejected.execute("SELECT likes FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'"
                            ).fetchone()[0] == 4242
    rejected.close()


def test_flow_reads_the_canonical_gguf_header_once_per_commit(
    tmp_path, fake_hub, settings_file, monkeypatch
):
    from gguf import GGMLQuantizationType, GGUFValueType
    from test_gguf_support import write_gguf

    u32 = GGUFValueType.UINT32
    head = write_gguf(tmp_path / "q.gguf", [
        ("qwen2.block_count", 24, u32, None), ("qwen2.context_length", 32768, u32, None),
        ("qwen2.embedding_length", 896, u32, None), ("qwen2.attention.head_count", 14, u32, None),
        ("qwen2.attention.head_count_kv", 2, u32, None), ("general.file_type", 15, u32, None),
    ], [("token_embd.weight", GGMLQuantizationType.Q8_0, (151936, 896)),
        ("blk.0.attn_q.weight", GGMLQuantizationType.Q4_K, (896, 1024))], arch="qwen2").read_bytes()
    path = "Qwen2-0.5B-Instruct-Q4_K_M.gguf"
    gguf_repo = fake_hub.snapshot.repos["bartowski/Qwen2-0.5B-Instruct-GGUF"]
    gguf_repo.files[path].head = head[:65536]

    settings_file.write_text(settings_file.read_text().replace("read_headers = false", "read_headers = true"))
    summary = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    stored = _query(tmp_path, "SELECT gguf_repo_id, path, architecture, block_count FROM gguf_headers")
    assert ("bartowski/Qwen2-0.5B-Instruct-GGUF", path, "qwen2", 24) in stored
    # The sample's other builds carry sizes only: each is reported by name, none stored half.
    header_failures = [e for e in summary.errors if e["source"] == "gguf_header"]
    assert header_failures and all("@" in e["subject"] for e in header_failures)
    assert summary.counts["gguf_headers_read"] == 1

    fake_hub.reset_log()
    again = _run(tmp_path, fake_hub, settings_file, monkeypatch)
    assert again.counts["gguf_headers_cached"] == 1
    assert not [r for r in fake_hub.requests if r.path.endswith(path)]
