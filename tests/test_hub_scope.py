"""The scope on the fake Hub: ranked (explicit ids, then base models with a trusted GGUF build,
then downloads) and capped at [hub] max_models; stable (a model leaves only after missing
drop_after_scans complete scans); listing-only fields kept when model_info leaves them out."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pytest
from hub_sample import catalogue, sample_hub

from catalog.fakehub import FakeHub
from catalog.hub import discover, refresh
from catalog.hub.client import Budget, hub_api
from catalog.settings import HubScope

TOKEN = "hf_scope_test"
# The default scope's shape, on the sample: the top of the Hub by downloads, one explicit id,
# the trusted GGUF publishers, a cap.
SCOPE = HubScope(top_downloads=100, models=("deepseek-ai/DeepSeek-V4-Flash",),
                 gguf_publishers=("ggml-org", "unsloth", "bartowski"), max_models=5)


@pytest.fixture
def hub() -> FakeHub:
    return sample_hub(TOKEN)


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return catalogue(tmp_path / "catalog.duckdb")


def api_for(hub: FakeHub):
    return hub_api(hub.url, token=TOKEN, budget=Budget())


def tracked(con) -> list[str]:
    return [r[0] for r in con.execute("SELECT repo_id FROM models ORDER BY repo_id").fetchall()]


def test_default_scope_selection_caps_and_ranks_trusted_builds_first(hub) -> None:
    with hub.running():
        found = discover(api_for(hub), SCOPE)
    # explicit first; then the base models a trusted publisher has a GGUF build of, by downloads
    # (Llama's through its old id, Phi-4-mini's through unsloth's self-tagged build); cut at 5
    assert list(found.listings) == ["deepseek-ai/DeepSeek-V4-Flash", "meta-llama/Llama-3.1-8B-Instruct",
                                    "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-30B-A3B",
                                    "microsoft/Phi-4-mini-instruct"]
    # past the cap: more trusted builds by downloads, then the rest, however popular (DeepSeek-V3
    # has more downloads than Phi-4-mini but no trusted build); unsloth's re-upload of Phi-4-mini
    # is listed too but is no base model of its own: its card names Phi-4-mini, same name
    assert list(found.outside) == ["Qwen/Qwen2-0.5B-Instruct", "deepseek-ai/DeepSeek-V3",
                                   "Qwen/Qwen3-Next-80B-A3B-Instruct"]
    phi = [(d.listing["id"], d.attached_by) for d in found.derivatives["microsoft/Phi-4-mini-instruct"]]
    assert sorted(phi) == [("bartowski/unsloth_Phi-4-mini-instruct-GGUF", "re-upload"),
                           ("unsloth/Phi-4-mini-instruct-GGUF", "card")]
    assert [a.named for a in found.looked_up] == ["meta-llama/Meta-Llama-3.1-8B-Instruct"]   # one request
    assert found.with_trusted_build == {"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct",
                                        "Qwen/Qwen3-30B-A3B", "microsoft/Phi-4-mini-instruct"}
    with hub.running():
        uncapped = discover(api_for(hub), dataclasses.replace(SCOPE, max_models=None))
    assert len(uncapped.listings) == 8 and not uncapped.outside


def test_a_model_that_drops_out_of_the_top_n_for_one_night_is_not_removed(hub, con, tmp_path) -> None:
    phi = "microsoft/Phi-4-mini-instruct"
    missed = "SELECT missed_scans, removed_at IS NOT NULL FROM hub_models WHERE repo_id = ?"
    with hub.running():
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n1")
        assert phi in tracked(con)
        # night 2: Qwen2-0.5B's downloads pass Phi-4-mini's, which falls past the cap of 5
        hub.snapshot.repos["Qwen/Qwen2-0.5B-Instruct"].info["downloads"] = 450_000
        night2 = refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n2")
        assert night2.removed == 0 and phi in tracked(con)             # kept: one scan out of scope
        assert con.execute(missed, [phi]).fetchone() == (1, False)
        # night 3: back in the top 5: the count starts again
        hub.snapshot.repos["Qwen/Qwen2-0.5B-Instruct"].info["downloads"] = 300_000
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n3")
        assert con.execute(missed, [phi]).fetchone() == (0, False)
        # out for drop_after_scans (3) complete scans in a row: then it leaves
        hub.snapshot.repos["Qwen/Qwen2-0.5B-Instruct"].info["downloads"] = 450_000
        for night in ("n4", "n5"):
            assert refresh(api_for(hub), con, SCOPE, tmp_path / "cache", night).removed == 0
        assert refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n6").removed == 1
    assert phi not in tracked(con) and con.execute(missed, [phi]).fetchone() == (3, True)
    assert "Qwen/Qwen2-0.5B-Instruct" in tracked(con)


def test_a_partial_scan_counts_no_missed_scan(hub, con, tmp_path) -> None:
    with hub.running():
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n1")
        hub.snapshot.repos["Qwen/Qwen2-0.5B-Instruct"].info["downloads"] = 450_000
        hub.add_fault("^/api/models$", status=400, times=1)         # the first listing fails
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "n2")
    assert con.execute("SELECT complete FROM hub_scans WHERE run_id = 'n2'").fetchone() == (False,)
    assert con.execute("SELECT max(missed_scans) FROM hub_models").fetchone() == (0,)


def test_listing_only_fields_survive_a_re_fetch(hub, con, tmp_path) -> None:
    llama = "meta-llama/Llama-3.1-8B-Instruct"
    fields = "SELECT trending_score, children_count, downloads FROM models WHERE repo_id = ?"
    with hub.running():
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "r1")
        # model_info has neither: both come from the listing (childrenModelCount expanded there)
        assert con.execute(fields, [llama]).fetchone() == (60, 1500, 5_400_000)
        hub.snapshot.touch(llama)                                     # a new commit: model_info again
        hub.snapshot.churn(seed=3, spread=0.3, ids=[llama])
        moved = dict(hub.snapshot.repos[llama].info)
        report = refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "r2")
        assert llama in report.fetched
        assert con.execute(fields, [llama]).fetchone() == (moved["trendingScore"], 1500, moved["downloads"])
        # a listing that stops carrying them does not blank them either
        for key in ("trendingScore", "childrenModelCount"):
            del hub.snapshot.repos[llama].info[key]
        hub.snapshot.touch(llama)
        refresh(api_for(hub), con, SCOPE, tmp_path / "cache", "r3")
    assert con.execute(fields, [llama]).fetchone()[:2] == (moved["trendingScore"], 1500)


def test_the_default_settings_file_tracks_about_ten_thousand_models() -> None:
    from catalog.paths import DEFAULT_SETTINGS
    from catalog.settings import load_settings
    hub_settings = load_settings(DEFAULT_SETTINGS).hub
    assert hub_settings.max_models == 10_000 and hub_settings.top_downloads >= 10_000
    assert {"ggml-org", "unsloth", "bartowski"} <= set(hub_settings.gguf_publishers)
