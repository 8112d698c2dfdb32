"""The nightly flow under faults: flaky Hub, a source that stays down, and a secret to keep."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest

from catalog.fakehub import FakeHub
from flows.nightly import nightly_refresh, run_nightly

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]  # each runs the flow
SENTINEL = "hf_SENTINEL_do_not_leak_4f1c"


def _settings(tmp_path: Path) -> Path:
    path = tmp_path / "fitcat.toml"
    path.write_text('[hub]\nauthors = ["deepseek-ai", "meta-llama", "Qwen"]\nper_author = 10\n'
                    "backoff_seconds = [0.0]\n[gguf]\nread_headers = false\n")
    return path


def _run(tmp_path: Path, hub: FakeHub, monkeypatch, token: str = "hf_granted"):
    monkeypatch.setenv("HF_TOKEN", token)
    return run_nightly(db_path=str(tmp_path / "catalog.duckdb"), exports_dir=str(tmp_path / "out"),
                           endpoint=hub.url, settings_path=str(_settings(tmp_path)), vendor_pages=False)


def _ledger(tmp_path: Path, run_id: str) -> tuple:
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"), read_only=True)
    try:
        return con.execute("SELECT status, counts, requests, errors FROM runs WHERE run_id = ?",
                           [run_id]).fetchone()
    finally:
        con.close()


def test_one_in_five_detail_requests_failing_is_retried_and_the_run_completes(
    tmp_path, fake_hub, monkeypatch
):
    fault = fake_hub.add_fault(r"^/api/models/[^/]+/[^/]+(/tree/.*)?$", status=503, times=None, every=5)
    summary = _run(tmp_path, fake_hub, monkeypatch)
    assert fault._seen >= 10, "the fault must have hit real traffic"
    failed = [r for r in fake_hub.requests if r.status == 503]
    assert len(failed) >= 2
    assert summary.status == "completed", summary.errors
    status, counts, requests, errors = _ledger(tmp_path, summary.run_id)
    assert status == "completed" and json.loads(errors) == []
    assert json.loads(counts)["models"] == 7
    # The ledger's request count is what the Hub saw, retries included.
    assert json.loads(requests)["api"] == fake_hub.counts()["api"]


def test_a_repo_that_stays_down_fails_the_run_but_not_the_others(tmp_path, fake_hub, monkeypatch):
    fake_hub.add_fault(r"^/api/models/Qwen/Qwen3-30B-A3B$", status=500, times=None)
    summary = _run(tmp_path, fake_hub, monkeypatch)
    assert summary.status == "failed" and summary.published
    assert [e["subject"] for e in summary.errors] == ["Qwen/Qwen3-30B-A3B"]
    status, counts, _, errors = _ledger(tmp_path, summary.run_id)
    assert status == "failed" and "Qwen/Qwen3-30B-A3B" in errors
    assert json.loads(counts)["models"] == 6
    exported = json.loads((tmp_path / "out" / "latest" / "models.json").read_text())
    ids = {m["id"] for m in (exported["models"] if isinstance(exported, dict) else exported)}
    assert "deepseek-ai/DeepSeek-V4-Flash" in ids and "Qwen/Qwen3-30B-A3B" not in ids
    assert "Qwen/Qwen3-30B-A3B" in summary.markdown()


def test_prefect_sees_a_partly_failed_run_as_failed_and_a_clean_one_as_completed(
    tmp_path, fake_hub, monkeypatch
):
    """Operators alert on Prefect's run state: a partial failure must not look like success."""
    monkeypatch.setenv("HF_TOKEN", "hf_granted")
    params = dict(db_path=str(tmp_path / "catalog.duckdb"), exports_dir=str(tmp_path / "out"),
                  endpoint=fake_hub.url, settings_path=str(_settings(tmp_path)), vendor_pages=False)
    clean = nightly_refresh(**params, return_state=True)
    assert clean.is_completed() and clean.result().status == "completed"
    fake_hub.snapshot.touch("Qwen/Qwen3-30B-A3B")
    fake_hub.add_fault(r"^/api/models/Qwen/Qwen3-30B-A3B$", status=500, times=None)
    partial = nightly_refresh(**params, return_state=True)
    assert partial.is_failed() and "1 failure(s) in hub" in partial.message
    assert partial.result(raise_on_failure=False).published


def test_the_token_is_sent_but_never_logged_stored_or_exported(tmp_path, fake_hub, monkeypatch, caplog):
    fake_hub.granted_tokens.add(SENTINEL)
    caplog.set_level(logging.DEBUG)
    summary = _run(tmp_path, fake_hub, monkeypatch, token=SENTINEL)
    assert summary.status == "completed"
    assert any(r.authorization == f"Bearer {SENTINEL}" for r in fake_hub.requests)
    assert SENTINEL not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def test_every_hub_request_goes_to_the_configured_endpoint(tmp_path, fake_hub, monkeypatch):
    """The budget counts every request huggingface_hub sends; the fake Hub must have seen them all
    (huggingface_hub's telemetry once called huggingface.co behind the endpoint's back)."""
    from catalog.hub.client import current_budget

    _run(tmp_path, fake_hub, monkeypatch)
    served = fake_hub.counts()
    assert current_budget().counts() == {k: v for k, v in served.items() if v}


def test_a_model_known_only_by_its_listing_gets_no_page_and_breaks_nothing(tmp_path, fake_hub, monkeypatch):
    """First run, gated config not readable: the model is catalogued, but without context length
    or attention layout there is no honest page to publish; everything else is exported."""
    summary = _run(tmp_path, fake_hub, monkeypatch, token="hf_not_granted")
    assert summary.published and summary.status == "failed"
    assert [e["subject"] for e in summary.errors] == ["meta-llama/Llama-3.1-8B-Instruct"]
    index = json.loads((tmp_path / "out" / "latest" / "models.json").read_text())["models"]
    ids = {m["id"] for m in index}
    assert "meta-llama/Llama-3.1-8B-Instruct" not in ids and len(ids) == 6
    assert not list((tmp_path / "out" / "latest" / "models").glob("meta-llama*/*"))
