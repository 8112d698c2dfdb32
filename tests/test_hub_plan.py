"""Quota-aware refresh on the sample Hub: a cold run that does not fit in request_cap stops at
a priority boundary and the next nights go on from there without repeating work; untrusted
builds' trees are bounded per base; every request is charged once, CDN hops to `cdn`; GGUF
headers are read through resolve's 302 to the CDN."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest
from gguf import GGMLQuantizationType, GGUFValueType
from hub_sample import catalogue, sample_hub
from test_gguf_support import write_gguf

from catalog.fakehub import FakeHub
from catalog.gguf.refresh import canonical_builds, read_canonical_headers
from catalog.hub import refresh
from catalog.hub.client import Budget, hub_api
from catalog.settings import HubScope

TOKEN = "hf_plan_test"
SCOPE = HubScope(authors=("deepseek-ai", "meta-llama", "Qwen", "microsoft"),
                 models=("google/gemma-3-27b-it",), gguf_publishers=("ggml-org", "unsloth", "bartowski"))


@pytest.fixture
def hub() -> FakeHub:
    return sample_hub(TOKEN)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return catalogue(tmp_path / "catalog.duckdb")


def night(hub: FakeHub, con, tmp_path: Path, run_id: str, cap: int | None):
    api = hub_api(hub.url, token=TOKEN, budget=Budget(cap=cap))
    return refresh(api, con, SCOPE, tmp_path / "cache", run_id)


def details(hub: FakeHub) -> list[str]:
    """Requests that are not listings (model_info, config.json, trees, look-ups), as sent."""
    return [r.path + ("?" + "&".join(r.query.get("expand", [])) if r.query.get("expand") else "")
            for r in hub.requests if r.path != "/api/models"]


def test_a_cold_run_over_the_cap_stops_at_a_priority_boundary_and_resumes_without_repeating(
        hub, con, tmp_path) -> None:
    cap = 25
    with hub.running():
        first = night(hub, con, tmp_path, "n1", cap)
        sent = [details(hub)]
        assert len(hub.requests) <= cap and not first.errors          # deferred, not failed
        assert first.deferred and first.nights_needed >= 1
        # the first night did the first base models of the priority order, the rest waits
        done = {r[0] for r in con.execute("SELECT repo_id FROM hub_models").fetchall()}
        priority = ["google/gemma-3-27b-it",                                   # explicit
                    "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-30B-A3B",
                    "microsoft/Phi-4-mini-instruct", "Qwen/Qwen2-0.5B-Instruct",  # trusted builds
                    "deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V4-Flash",   # by downloads
                    "Qwen/Qwen3-Next-80B-A3B-Instruct"]
        assert done == set(priority[:len(done)]) and first.deferred == priority[len(done):]
        predicted, nights = first.nights_needed, 1
        report = first
        while report.deferred:
            hub.reset_log()
            nights += 1
            report = night(hub, con, tmp_path, f"n{nights}", cap)
            assert len(hub.requests) <= cap and not report.errors
            sent.append(details(hub))
            assert nights < 10
    assert report.nights_needed == 0 and report.backlog_requests == 0
    assert 1 <= nights - 1 <= predicted                 # the estimate is an upper bound
    # no repeated work: every model_info, config.json, tree and look-up was sent once in all nights
    repeated = {p: n for p, n in Counter(p for paths in sent for p in paths).items() if n > 1}
    assert not repeated and len(sent[0]) > 0
    assert con.execute("SELECT count(*) FROM hub_models").fetchone()[0] == 9
    print(f"cap {cap}: first night deferred {len(first.deferred)} base models "
          f"(~{first.backlog_requests} requests, {predicted} more nights predicted); took {nights - 1}")


def test_trees_of_every_trusted_build_and_of_a_bounded_number_of_others(hub, con, tmp_path) -> None:
    with hub.running():
        report = night(hub, con, tmp_path, "r1", None)
    assert not report.errors and not report.deferred and report.nights_needed == 0
    rows = con.execute("""SELECT publisher, tree_sha IS NOT NULL FROM hub_gguf_repos
                          WHERE base_repo_id = 'Qwen/Qwen2.5-7B-Instruct'
                          ORDER BY downloads DESC""").fetchall()
    assert rows[0] == ("bartowski", True)                         # trusted: always
    untrusted = [read for publisher, read in rows[1:]]
    assert len(untrusted) == 11 and untrusted == [True] * 3 + [False] * 8   # the 3 most downloaded
    assert con.execute("SELECT count(DISTINCT gguf_repo_id) FROM hub_gguf_files WHERE base_repo_id = "
                       "'Qwen/Qwen2.5-7B-Instruct'").fetchone()[0] == 4


def _phi3_header(tmp_path: Path) -> bytes:
    kvs = [("phi3.block_count", 32, GGUFValueType.UINT32, None),
           ("phi3.context_length", 131072, GGUFValueType.UINT32, None),
           ("phi3.embedding_length", 3072, GGUFValueType.UINT32, None),
           ("phi3.attention.head_count", 24, GGUFValueType.UINT32, None),
           ("phi3.attention.head_count_kv", 8, GGUFValueType.UINT32, None)]
    tensors = [("token_embd.weight", GGMLQuantizationType.Q8_0, (64, 3072)),
               ("blk.0.attn_q.weight", GGMLQuantizationType.Q4_K, (3072, 3072))]
    return write_gguf(tmp_path / "phi.gguf", kvs, tensors, arch="phi3").read_bytes()


def test_each_request_is_charged_once_and_headers_come_through_the_cdn(hub, con, tmp_path) -> None:
    """The refresh and a header read of the sample's Phi-4-mini build: the budget counts exactly
    what the Hub served, bucket by bucket; the header's file size comes off resolve's 302."""
    budget = Budget()
    with hub.running():
        refresh(hub_api(hub.url, token=TOKEN, budget=budget), con, SCOPE, tmp_path / "cache", "r1")
        build = next(b for b in canonical_builds(con) if b.base_repo_id == "microsoft/Phi-4-mini-instruct")
        assert (build.gguf_repo_id, build.paths) == ("unsloth/Phi-4-mini-instruct-GGUF",
                                                     ("Phi-4-mini-instruct-Q4_K_M.gguf",))
        hub.snapshot.repos[build.gguf_repo_id].files[build.paths[0]].head = _phi3_header(tmp_path)
        served_before = len(hub.requests)
        report = read_canonical_headers(con, hub.url, TOKEN, [build], "r1", budget=budget)
        header_requests = hub.requests[served_before:]
    assert report.read and not report.failed
    assert [(r.method, r.status, r.bucket) for r in header_requests[:1]] == [("HEAD", 302, "resolvers")]
    assert {(r.method, r.bucket, r.authorization) for r in header_requests[1:]} == {("GET", "cdn", None)}
    served = {k: v for k, v in hub.counts().items() if v}
    assert budget.counts() == served                          # charged once each, CDN hops in `cdn`
    assert budget.sent == served["api"] + served["resolvers"]  # what request_cap counts: no CDN hop
    size = con.execute("SELECT size_bytes FROM hub_gguf_files WHERE gguf_repo_id = ? AND path = ?",
                       [build.gguf_repo_id, build.paths[0]]).fetchone()[0]
    assert con.execute("SELECT file_size FROM gguf_header_shards").fetchone()[0] == size == 2_493_000_000


@pytest.mark.slow
def test_the_flow_reports_the_deferred_backlog_in_its_summary_and_ledger(prefect_harness, tmp_path,
                                                                        monkeypatch) -> None:
    import json

    from flows.nightly import run_nightly

    settings = tmp_path / "fitcat.toml"
    settings.write_text('[hub]\nauthors = ["deepseek-ai", "meta-llama", "Qwen"]\nper_author = 10\n'
                        'gguf_publishers = ["ggml-org", "unsloth", "bartowski"]\nrequest_cap = 20\n'
                        "[gguf]\nread_headers = false\n")
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    fake = sample_hub(TOKEN)
    with fake.running():
        summary = run_nightly(db_path=str(tmp_path / "catalog.duckdb"), exports_dir=str(tmp_path / "out"),
                              endpoint=fake.url, settings_path=str(settings), vendor_pages=False)
    assert summary.status == "completed", summary.errors        # deferred work is not a failure
    assert summary.counts["hub_deferred"] > 0 and summary.counts["hub_nights_needed"] >= 1
    assert summary.requests["api"] + summary.requests["resolvers"] <= 20
    con = duckdb.connect(str(tmp_path / "catalog.duckdb"), read_only=True)
    try:
        counts = json.loads(con.execute("SELECT counts FROM runs").fetchone()[0])
    finally:
        con.close()
    assert {k: counts[k] for k in ("hub_deferred", "hub_nights_needed", "hub_backlog_requests")} == {
        k: summary.counts[k] for k in ("hub_deferred", "hub_nights_needed", "hub_backlog_requests")}
