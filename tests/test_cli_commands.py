"""`fitcat models | devices | doctor | sql | export | estimate` on the demo catalogue, and the error
paths every read-only command shares (missing, not a catalogue, locked by a writer)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from catalog.cli import main

READ_ONLY_COMMANDS = [
    ["show", "deepseek-ai/DeepSeek-V4-Flash"],
    ["fit", "--device", "nvidia-rtx-4090"],
    ["models"],
    ["devices"],
    ["doctor"],
    ["sql", "SELECT 1"],
    ["export"],
]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _json(capsys, *argv: str):
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_models_search_and_filters(demo_db, capsys):
    db = ["--db", str(demo_db), "models"]
    every = _json(capsys, *db)
    assert len(every) == 8 and every[0]["params_total"] >= every[-1]["params_total"]   # gemma-3 by name
    v4 = next(m for m in every if m["repo_id"] == "deepseek-ai/DeepSeek-V4-Flash")
    assert v4["params_total"] == 283_811_148_288 and v4["moe"] and v4["q4_k_m_vram_gb"] > 90
    assert {m["repo_id"] for m in _json(capsys, *db, "qwen", "instruct", "--max-params", "10")} == {
        "Qwen/Qwen2.5-7B-Instruct",
        "Qwen/Qwen2-0.5B-Instruct",
    }
    assert all(m["moe"] for m in _json(capsys, *db, "--moe"))
    assert {m["publisher"] for m in _json(capsys, *db, "--publisher", "deepseek-ai")} == {"deepseek-ai"}
    assert all(m["context_length"] >= 1_000_000 for m in _json(capsys, *db, "--min-context", "1000000"))
    code, out, _ = _run(capsys, *db, "llama")
    assert code == 0 and "meta-llama/Llama-3.1-8B-Instruct" in out and "1 models" in out


def test_devices_search_and_filters(demo_db, capsys):
    db = ["--db", str(demo_db), "devices"]
    macs = _json(capsys, *db, "mac studio", "--min-memory-gb", "192")
    assert macs and all(d["unified"] and d["memory_gb"] >= 192 and "Mac Studio" in d["name"] for d in macs)
    assert all(d["kind"] == "system" for d in _json(capsys, *db, "--kind", "system"))
    assert {d["vendor"].lower() for d in _json(capsys, *db, "--vendor", "amd")} == {"amd"}
    code, out, _ = _run(capsys, *db, "h200")
    assert code == 0 and "NVIDIA H200 SXM" in out


def test_doctor_healthy_on_the_demo(demo_db, capsys):
    r = _json(capsys, "--db", str(demo_db), "doctor")
    assert r["healthy"] is True
    assert {c["check"] for c in r["checks"]} == {
        "schema",
        "last_run",
        "stale_sources",
        "failed_sources",
        "conflicts",
    }
    assert r["schema"]["version"] == r["schema"]["code_version"] > 0
    assert r["last_run"]["status"] == "completed" and r["failed_sources"] == []


def test_doctor_reports_failed_run_sources_stale_data_and_conflicts(demo_db, tmp_path, capsys):
    db = tmp_path / "sick.duckdb"
    shutil.copy(demo_db, db)
    con = duckdb.connect(str(db))
    con.execute("""INSERT INTO runs (run_id, flow, started_at, ended_at, status)
                   VALUES ('r-bad', 'nightly-refresh', now() + INTERVAL 1 HOUR, now() + INTERVAL 2 HOUR,
                           'failed')""")
    con.execute("""INSERT INTO source_errors VALUES ('r-bad', 'hub', 'Qwen/Qwen2.5-7B-Instruct', 'HubError',
                   'config.json is not valid JSON', now())""")
    con.execute("UPDATE hub_scans SET scanned_at = scanned_at - INTERVAL 10 DAY")
    con.execute("""INSERT INTO device_conflicts (device_id, field, resolved_value, observed_value, diff_pct,
                   source_url, content_sha256, first_seen_at, last_seen_at, run_id)
                   VALUES ('nvidia-rtx-4090', 'bandwidth_gbps', 1008, 1100, 9.1, 'https://example.test/4090',
                           'abc', now(), now(), 'r-bad')""")
    con.close()
    code, out, _ = _run(capsys, "--db", str(db), "doctor", "--json")
    assert code == 1  # unhealthy
    r = json.loads(out)
    status = {c["check"]: c["status"] for c in r["checks"]}
    assert status == {
        "schema": "ok",
        "last_run": "fail",
        "stale_sources": "fail",
        "failed_sources": "fail",
        "conflicts": "warn",
    }
    assert r["failed_sources"][0]["subject"] == "Qwen/Qwen2.5-7B-Instruct"
    assert any(d["device_id"] == "nvidia-rtx-4090" and d["observed_value"] == 1100
               for d in r["conflicts"]["devices"])
    assert any(s["source"] == "hub discovery" and s["stale"] for s in r["sources"])
    code, out, _ = _run(capsys, "--db", str(db), "doctor")
    assert code == 1 and "needs attention" in out and "config.json is not valid JSON" in out


def test_export_publishes_a_release_from_a_read_only_catalogue(demo_db, tmp_path, capsys):
    out_dir = tmp_path / "exports"
    first = _json(capsys, "--db", str(demo_db), "export", "--out", str(out_dir))
    assert first["published"] and Path(first["release"]).is_dir()
    assert first["rows"]["models.json"] == 8
    page = json.loads((out_dir / "latest" / "models" / "deepseek-ai" / "deepseek-v4-flash.json").read_text())
    assert page["id"] == "deepseek-ai/DeepSeek-V4-Flash"
    second = _json(capsys, "--db", str(demo_db), "export", "--out", str(out_dir))
    assert second["run_id"] == first["run_id"] + "-1" and second["changed"] is False
    assert (first["carried_models"], second["carried_models"]) == (0, 8)   # nothing changed: all carried


def test_estimate_is_registered(capsys):
    code, out, err = _run(capsys, "estimate", "--params", "8.03e9", "--file-size", "4920000000", "--json")
    # No config: the estimate names what is missing (the attention layout) rather than guessing.
    assert code == 2 and "give --config" in err and "KV cache" in err
    config = (
        Path(__file__).parent.parent
        / "catalog/fakehub/sample/repos/meta-llama/Llama-3.1-8B-Instruct/config.json"
    )
    code, out, err = _run(capsys, "estimate", "--config", str(config), "--params", "8.03e9", "--json")
    assert code == 0, out + err
    assert json.loads(out)["quant"] == "Q4_K_M"


@pytest.mark.parametrize("argv", READ_ONLY_COMMANDS, ids=lambda a: a[0])
def test_missing_catalogue(tmp_path, capsys, argv):
    code, _, err = _run(capsys, "--db", str(tmp_path / "nope.duckdb"), *argv)
    assert code == 2
    assert "no catalogue at" in err and "run `fitcat refresh` or `make demo`" in err
    assert not (tmp_path / "nope.duckdb").exists()  # a reader never creates the file


@pytest.mark.parametrize("argv", READ_ONLY_COMMANDS, ids=lambda a: a[0])
def test_not_a_catalogue(tmp_path, capsys, argv):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    code, _, err = _run(capsys, "--db", str(empty), *argv)
    assert code == 2 and "not a fitcat catalogue" in err and "`fitcat refresh` or `make demo`" in err
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    code, _, err = _run(capsys, "--db", str(junk), *argv)
    assert code == 2 and "fitcat refresh" in err


def test_locked_by_a_writer(demo_db, tmp_path, capsys):
    db = tmp_path / "locked.duckdb"
    shutil.copy(demo_db, db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            con = duckdb.connect({str(db)!r})
            print("ready", flush=True)
            sys.stdin.readline()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        for argv in READ_ONLY_COMMANDS:
            code, _, err = _run(capsys, "--db", str(db), *argv)
            assert code == 6, (argv, err)
            assert "is locked" in err and f"PID {holder.pid}" in err and "Wait for it to finish" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert _run(capsys, "--db", str(db), "sql", "SELECT 1")[0] == 0  # and works once the writer is gone
