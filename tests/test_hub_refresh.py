"""The Hub refresh against the fake Hub, through the real huggingface_hub client."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import duckdb
import pytest

from catalog import db
from catalog.fakehub import FakeHub, Snapshot
from catalog.fakehub.snapshot import Repo
from catalog.hub import refresh, source
from catalog.hub.client import Budget, hub_api
from catalog.settings import HubScope

SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "fakehub" / "sample"
GRANTED = "hf_test_granted_token"
SCOPE = HubScope(authors=("deepseek-ai", "meta-llama", "Qwen", "microsoft"),
                 models=("google/gemma-3-27b-it",), gguf_publishers=("ggml-org", "unsloth", "bartowski"))


class Clock:
    """Injected time: sleeping advances it; the fake Hub stamps each request with it."""

    def __init__(self) -> None:
        self.t = 0.0
        self.stamps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds

    def hub_clock(self) -> float:      # called once per request by the fake Hub
        self.stamps.append(self.t)
        return self.t


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return db.connect(tmp_path / "catalog.duckdb")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hub(clock: Clock) -> FakeHub:
    fake = FakeHub(Snapshot.load(SAMPLE), clock=clock.hub_clock)
    fake.granted_tokens.add(GRANTED)
    return fake


def run(hub: FakeHub, con, tmp_path: Path, run_id: str, clock: Clock, *, token: str | None = GRANTED,
        scope: HubScope = SCOPE, **budget):
    api = hub_api(hub.url, token=token, budget=Budget(clock=clock, sleep=clock.sleep,
                                                      **{"timeout": 5.0, **budget}))
    return refresh(api, con, scope, tmp_path / "cache", run_id)


def detail_paths(hub: FakeHub) -> list[str]:
    return sorted(r.path for r in hub.requests if r.path != "/api/models")


def kind(r) -> str:
    """What one recorded request was for (the request accounting below counts these)."""
    if r.query.get("expand") == ["cardData"]:
        return "look-up"                         # an id a build names that we do not track (cached)
    if r.path == "/api/models":
        filters = r.query.get("filter", [])
        if any(f.startswith("base_model:quantized:") for f in filters):
            return "derivative listing"          # per base model: only when it is new or changed
        if "gguf" in filters:
            return "gguf publisher listing"      # trusted publishers, every run
        return "search listing" if "search" in r.query else "author listing"
    if "/tree/" in r.path:
        return "tree"
    if "/resolve/" in r.path:
        return "config"
    return "model_info"


def kinds(hub: FakeHub) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in hub.requests:
        out[kind(r)] = out.get(kind(r), 0) + 1
    return out


def one(con, sql: str, *args):
    return con.execute(sql, list(args)).fetchone()


# Listing requests of every run on the sample: 4 authors (1 page each), 1 explicit model (a search),
# 3 trusted GGUF publishers (ggml-org, unsloth, bartowski: 1 page each).
LISTINGS = {"author listing": 4, "search listing": 1, "gguf publisher listing": 3}


def test_cold_then_unchanged_then_one_changed(hub, con, tmp_path, clock) -> None:
    with hub.running():
        cold = run(hub, con, tmp_path, "r1", clock)
        assert not cold.errors and cold.found == 9
        cold_counts = hub.counts()
        # cold: listings + per base model (9) model_info, config.json and its derivative listing,
        # + one tree per GGUF repo read: 7 of trusted publishers, lmstudio-community's Qwen3 build and
        # the 3 most downloaded of Qwen2.5-7B's 11 untrusted builds ([hub] untrusted_trees = 3);
        # + 2 look-ups (3 requests: the renamed Llama id answers 307 first), cached from then on
        assert kinds(hub) == {**LISTINGS, "model_info": 9, "config": 9, "derivative listing": 9, "tree": 11,
                              "look-up": 3}
        assert cold_counts == {"api": 40, "resolvers": 9, "pages": 0}
        hub.reset_log()
        again = run(hub, con, tmp_path, "r2", clock)
        assert again.fetched == [] and len(again.unchanged) == 9
        assert detail_paths(hub) == []                       # listing requests only
        assert kinds(hub) == LISTINGS                        # no per-base derivative listing, no look-up
        listing_only = len(hub.requests)
        assert listing_only == 8
        hub.reset_log()
        hub.snapshot.touch("Qwen/Qwen3-30B-A3B", downloads=950000)
        hub.snapshot.touch("unsloth/Qwen3-30B-A3B-GGUF")
        third = run(hub, con, tmp_path, "r3", clock)
        sha = hub.snapshot.repos["Qwen/Qwen3-30B-A3B"].sha
        gsha = hub.snapshot.repos["unsloth/Qwen3-30B-A3B-GGUF"].sha
        assert third.fetched == ["Qwen/Qwen3-30B-A3B"]
        assert detail_paths(hub) == sorted([
            "/api/models/Qwen/Qwen3-30B-A3B",
            f"/Qwen/Qwen3-30B-A3B/resolve/{sha}/config.json",
            f"/api/models/unsloth/Qwen3-30B-A3B-GGUF/tree/{gsha}",
        ])
        # the changed base model: model_info, config.json, its derivative listing; the changed GGUF: its tree
        assert kinds(hub) == {**LISTINGS, "model_info": 1, "config": 1, "derivative listing": 1, "tree": 1}
        assert len(hub.requests) == listing_only + 4
    print(f"requests cold={cold_counts} unchanged={listing_only} one-changed={listing_only + 4}")
    q3 = "SELECT downloads, sha FROM hub_models WHERE repo_id = 'Qwen/Qwen3-30B-A3B'"
    assert one(con, q3) == (950000, sha)
    model_infos = "SELECT count(*) FROM raw_hub_responses WHERE kind = 'model_info'"
    assert one(con, model_infos)[0] == 10                                   # append-only
    assert one(con, "SELECT tree_sha FROM hub_gguf_repos WHERE gguf_repo_id = ?",
               "unsloth/Qwen3-30B-A3B-GGUF")[0] == gsha


def test_changed_trusted_gguf_repo_costs_exactly_its_tree(hub, con, tmp_path, clock) -> None:
    gid = "bartowski/Qwen2.5-7B-Instruct-GGUF"
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        hub.reset_log()
        gsha = hub.snapshot.touch(gid, downloads=7)
        report = run(hub, con, tmp_path, "r2", clock)
    assert report.fetched == [] and not report.errors           # the base model is unchanged
    assert kinds(hub) == {**LISTINGS, "tree": 1}
    assert detail_paths(hub) == [f"/api/models/{gid}/tree/{gsha}"]
    assert one(con, "SELECT sha, tree_sha, downloads FROM hub_gguf_repos WHERE gguf_repo_id = ?", gid) == \
        (gsha, gsha, 7)


def test_changed_base_model_costs_its_details_and_derivative_listing(hub, con, tmp_path, clock) -> None:
    base = "meta-llama/Llama-3.1-8B-Instruct"
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        hub.reset_log()
        sha = hub.snapshot.touch(base)
        report = run(hub, con, tmp_path, "r2", clock)
    assert report.fetched == [base] and not report.errors
    assert kinds(hub) == {**LISTINGS, "model_info": 1, "config": 1, "derivative listing": 1}
    assert detail_paths(hub) == sorted([f"/api/models/{base}", f"/{base}/resolve/{sha}/config.json"])
    derivative = [r for r in hub.requests if kind(r) == "derivative listing"]
    assert derivative[0].query["filter"] == ["gguf", f"base_model:quantized:{base}"]
    assert one(con, "SELECT sha FROM hub_watermarks WHERE repo_id = ? AND kind = 'model'", base)[0] == sha


def test_failed_derivative_listing_is_retried_next_run(hub, con, tmp_path, clock, monkeypatch) -> None:
    base, gid = "Qwen/Qwen2.5-7B-Instruct", "bartowski/Qwen2.5-7B-Instruct-GGUF"
    watermark = "SELECT sha FROM hub_watermarks WHERE repo_id = ? AND kind = 'model'"
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        old = one(con, watermark, base)[0]
        sha = hub.snapshot.touch(base)
        real = source.find_gguf_repos

        def failing(api, base_repo_id):
            if base_repo_id == base:
                hub.add_fault("^/api/models$", status=400, times=1)
            return real(api, base_repo_id)

        monkeypatch.setattr(source, "find_gguf_repos", failing)
        second = run(hub, con, tmp_path, "r2", clock)
        assert {(e.subject, e.kind) for e in second.errors} == {(f"{base} (gguf listing)", "http")}
        assert one(con, "SELECT sha FROM hub_models WHERE repo_id = ?", base)[0] == sha   # details kept
        assert one(con, watermark, base)[0] == old                  # but not settled: listing retried
        assert one(con, "SELECT removed_at FROM hub_gguf_repos WHERE gguf_repo_id = ?", gid)[0] is None
        monkeypatch.undo()
        hub.reset_log()
        third = run(hub, con, tmp_path, "r3", clock)
    assert not third.errors and third.fetched == [base]
    assert kinds(hub) == {**LISTINGS, "model_info": 1, "derivative listing": 1}   # config.json cached
    assert one(con, watermark, base)[0] == sha


def _new_gguf_repo(hub: FakeHub, gid: str, base: str, like: str) -> None:
    """A new GGUF repo of gid's publisher quantizing base, with the files of repo `like`."""
    template = hub.snapshot.repos[like]
    info = json.loads(json.dumps(template.info))
    info.update(id=gid, modelId=gid, author=gid.split("/")[0], _id="0" * 24, downloads=5,
                sha=hashlib.sha1(gid.encode()).hexdigest(),
                tags=["gguf", f"base_model:{base}", f"base_model:quantized:{base}"])
    hub.snapshot.add(Repo(info=info, files=dict(template.files)))


def test_new_trusted_gguf_repo_of_an_unchanged_base_is_found_without_a_derivative_listing(
        hub, con, tmp_path, clock) -> None:
    base, gid = "Qwen/Qwen2.5-7B-Instruct", "unsloth/Qwen2.5-7B-Instruct-GGUF"
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        hub.reset_log()
        _new_gguf_repo(hub, gid, base, like="bartowski/Qwen2.5-7B-Instruct-GGUF")
        report = run(hub, con, tmp_path, "r2", clock)
        sha = hub.snapshot.repos[gid].sha
    assert not report.errors and report.fetched == []
    assert kinds(hub) == {**LISTINGS, "tree": 1}                  # its tree, nothing per base model
    assert detail_paths(hub) == [f"/api/models/{gid}/tree/{sha}"]
    row = one(con, """SELECT base_repo_id, publisher, trusted_rank, tree_sha, source_url
                      FROM hub_gguf_repos WHERE gguf_repo_id = ?""", gid)
    assert row[:4] == (base, "unsloth", 1, sha) and row[4].endswith("/api/models?author=unsloth&filter=gguf")
    assert one(con, "SELECT count(*) FROM hub_gguf_files WHERE gguf_repo_id = ?", gid)[0] > 0
    # unsloth ranks before bartowski in gguf_publishers: the new repo is now the canonical build
    assert one(con, "SELECT gguf_repo_id FROM hub_gguf_repos WHERE base_repo_id = ? AND is_canonical",
               base)[0] == gid


def test_gguf_repo_removals(hub, con, tmp_path, clock, monkeypatch) -> None:
    """Trusted publishers' repos: removed after a complete listing of their publisher no longer
    shows them. Untrusted ones: kept while their base model is unchanged (not re-listed), removed
    when a derivative listing of their (changed) base model no longer shows them."""
    trusted, untrusted = "unsloth/Qwen3-30B-A3B-GGUF", "lmstudio-community/Qwen3-30B-A3B-GGUF"
    removed = "SELECT removed_at IS NOT NULL FROM hub_gguf_repos WHERE gguf_repo_id = ?"
    canonical = """SELECT gguf_repo_id FROM hub_gguf_repos
                   WHERE base_repo_id = 'Qwen/Qwen3-30B-A3B' AND is_canonical"""
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        assert one(con, canonical)[0] == trusted
        del hub.snapshot.repos[trusted]
        del hub.snapshot.repos[untrusted]
        real = source.list_gguf_publisher

        def failing_for_unsloth(api, publisher):          # a real HTTP failure of that one listing
            if publisher == "unsloth":
                hub.add_fault("^/api/models$", status=400, times=1)
            return real(api, publisher)

        monkeypatch.setattr(source, "list_gguf_publisher", failing_for_unsloth)
        partial = run(hub, con, tmp_path, "r2", clock)
        assert {(e.subject, e.kind) for e in partial.errors} == {("gguf:unsloth", "http")}
        assert one(con, "SELECT complete FROM hub_scans WHERE run_id = 'r2'")[0] is True   # base scan
        assert one(con, removed, trusted)[0] is False and one(con, removed, untrusted)[0] is False
        monkeypatch.undo()
        run(hub, con, tmp_path, "r3", clock)                     # unsloth listed completely
        assert one(con, removed, trusted)[0] is True
        assert one(con, removed, untrusted)[0] is False          # base unchanged: not re-listed, kept
        assert one(con, canonical)[0] == untrusted               # the only live build left
        hub.snapshot.touch("Qwen/Qwen3-30B-A3B")
        run(hub, con, tmp_path, "r4", clock)                     # base changed: its derivative listing
    assert one(con, removed, untrusted)[0] is True
    assert one(con, canonical) is None


def test_models_view_and_split_gguf_sizes(hub, con, tmp_path, clock) -> None:
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
    v4 = one(con, """SELECT params_total, params_active, params_source, publisher, family, n_experts,
                            n_experts_used, n_shared_experts, moe_intermediate_size, derivatives,
                            canonical_gguf_repo_id, hf_url, license FROM models
                     WHERE repo_id = 'deepseek-ai/DeepSeek-V4-Flash'""")
    assert abs(v4[0] - 284e9) < 0.02 * 284e9 and abs(v4[1] - 13e9) < 0.1 * 13e9
    # No real GGUF build of V4-Flash is known: no derivative, no canonical build (its quants are estimates).
    assert v4[2:] == ("architecture", "deepseek-ai", "DeepSeek-V4", 256, 6, 1, 2048, 0, None,
                      "https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash", "mit")
    rejected = one(con, """SELECT params_total, rejected_reason FROM param_candidates
                           WHERE repo_id = 'deepseek-ai/DeepSeek-V4-Flash' AND source = 'safetensors_raw'""")
    assert rejected[0] == 158_100_000_000 and "packed" in rejected[1]
    # A split build: each shard listed, the build is the sum of its (unequal) shards.
    bf16 = con.execute("""SELECT shard, shard_count, size_bytes, build_size_bytes, quant FROM gguf_files
                          WHERE gguf_repo_id = 'unsloth/Qwen3-30B-A3B-GGUF' AND quant = 'BF16'
                          ORDER BY shard""").fetchall()
    assert [r[0] for r in bf16] == [1, 2] and {r[1] for r in bf16} == {2}
    assert [r[2] for r in bf16] == [49_900_000_000, 11_200_000_000]
    assert {r[3] for r in bf16} == {sum(r[2] for r in bf16)} == {61_100_000_000}
    # mmproj and imatrix files are not builds; the trusted publisher wins canonical
    not_weights = "SELECT count(*) FROM gguf_files WHERE path LIKE '%mmproj%' OR path LIKE '%imatrix%'"
    assert one(con, not_weights)[0] == 0
    assert one(con, """SELECT gguf_repo_id FROM hub_gguf_repos WHERE base_repo_id = 'Qwen/Qwen3-30B-A3B'
                       AND is_canonical""")[0] == "unsloth/Qwen3-30B-A3B-GGUF"   # over more downloads
    assert one(con, "SELECT count(*) FROM hub_gguf_repos WHERE base_repo_id = 'Qwen/Qwen3-30B-A3B'")[0] == 2
    gemma = one(con, "SELECT params_total, context_length, vocab_size FROM models WHERE repo_id = ?",
                "google/gemma-3-27b-it")
    assert gemma == (27_432_406_640, 131072, 262208)


def test_429_storm_is_waited_out_without_an_early_request(hub, con, tmp_path, clock) -> None:
    path = "/api/models/Qwen/Qwen3-30B-A3B"
    hub.add_fault(f"^{path}$", status=429, headers={"RateLimit": '"api";r=0;t=2'}, times=3)
    with hub.running():
        report = run(hub, con, tmp_path, "r1", clock)
    assert not report.errors
    stamps = clock.stamps[1:]              # the fake Hub reads its clock once when created
    assert len(stamps) == len(hub.requests)
    first_429 = next(i for i, r in enumerate(hub.requests) if r.status == 429)
    # after each 429 (reset in 2 s) the next request of the api bucket comes at the reset, not before
    for i, r in enumerate(hub.requests):
        if r.status == 429:
            nxt = i + 1
            assert stamps[nxt] >= stamps[i] + 2, (i, stamps[i], stamps[nxt])
    hits = [(stamps[i], r.status) for i, r in enumerate(hub.requests) if r.path == path]
    assert [s for _, s in hits] == [429, 429, 429, 200]
    assert [t - hits[0][0] for t, _ in hits] == [0, 2, 4, 6]
    assert first_429 >= 0 and one(con, "SELECT count(*) FROM hub_models WHERE repo_id = ?",
                                  "Qwen/Qwen3-30B-A3B")[0] == 1


def test_5xx_and_timeouts_are_retried_a_bounded_number_of_times(hub, con, tmp_path, clock) -> None:
    info = "/api/models/Qwen/Qwen2.5-7B-Instruct"
    hub.add_fault(f"^{info}$", status=503, times=2)               # passes on the 3rd attempt
    hub.add_fault("^/api/models/Qwen/Qwen2-0.5B-Instruct$", status=502, times=None)   # never passes
    hub.add_fault("^/Qwen/Qwen3-30B-A3B/resolve/", hang=True, times=None)             # always hangs
    with hub.running():
        report = run(hub, con, tmp_path, "r1", clock, max_retries=2, timeout=0.3)
    by_path = {}
    for r in hub.requests:
        by_path[r.path] = by_path.get(r.path, 0) + 1
    assert by_path[info] == 3
    assert by_path["/api/models/Qwen/Qwen2-0.5B-Instruct"] == 3
    resolve = [p for p in by_path if p.startswith("/Qwen/Qwen3-30B-A3B/resolve/")]
    assert [by_path[p] for p in resolve] == [3]
    kinds = {e.subject: e.kind for e in report.errors}
    assert kinds == {"Qwen/Qwen2-0.5B-Instruct": "http", "Qwen/Qwen3-30B-A3B": "timeout"}
    assert one(con, "SELECT count(*) FROM hub_models WHERE repo_id = 'Qwen/Qwen2.5-7B-Instruct'")[0] == 1


def test_per_repo_failures_keep_previous_data_and_the_run_continues(hub, con, tmp_path, clock) -> None:
    with hub.running():
        run(hub, con, tmp_path, "r1", clock)
        before = dict(con.execute("SELECT repo_id, params_total FROM hub_models").fetchall())
        snap = hub.snapshot
        for rid in ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2-0.5B-Instruct",
                    "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen3-30B-A3B", "deepseek-ai/DeepSeek-V3"):
            snap.touch(rid)
        snap.repos["Qwen/Qwen2.5-7B-Instruct"].files["config.json"].content = b"<html>not json</html>"
        snap.repos["Qwen/Qwen2.5-7B-Instruct"].files["config.json"].size = 21
        hub.add_fault("^/api/models/Qwen/Qwen2-0.5B-Instruct$", status=404,
                      headers={"X-Error-Code": "RepoNotFound"}, times=None)
        hub.add_fault("^/api/models/Qwen/Qwen3-30B-A3B$", hang=True, times=None)
        hub.granted_tokens.clear()                                  # Llama is gated again
        report = run(hub, con, tmp_path, "r2", clock, max_retries=1, timeout=0.3)
    kinds = {e.subject: e.kind for e in report.errors}
    assert kinds == {"meta-llama/Llama-3.1-8B-Instruct": "gated",
                     "Qwen/Qwen2-0.5B-Instruct": "not_found",
                     "Qwen/Qwen2.5-7B-Instruct": "bad_config", "Qwen/Qwen3-30B-A3B": "timeout"}
    assert "deepseek-ai/DeepSeek-V3" in report.fetched                # the run went on
    after = dict(con.execute("SELECT repo_id, params_total FROM hub_models").fetchall())
    assert after == before                                          # nothing lost or degraded
    errors = con.execute("SELECT subject, message FROM source_errors WHERE run_id = 'r2'").fetchall()
    assert {s for s, _ in errors} >= set(kinds)
    # the gated / malformed layouts stay; the timed-out repo keeps its old sha (retried next run)
    qwen = "Qwen/Qwen2.5-7B-Instruct"
    assert one(con, "SELECT count(*) FROM attention_components WHERE repo_id = ?", qwen)[0] == 1
    assert one(con, "SELECT status FROM hub_watermarks WHERE repo_id = ?", qwen)[0] == "bad_config"
    old = one(con, "SELECT sha FROM hub_models WHERE repo_id = 'Qwen/Qwen3-30B-A3B'")[0]
    assert old != hub.snapshot.repos["Qwen/Qwen3-30B-A3B"].sha


def test_removed_only_after_a_complete_scan(hub, con, tmp_path, clock) -> None:
    scope = dataclasses.replace(SCOPE, drop_after_scans=1)         # gone after one complete scan
    with hub.running():
        run(hub, con, tmp_path, "r1", clock, scope=scope)
        del hub.snapshot.repos["Qwen/Qwen2-0.5B-Instruct"]
        hub.add_fault("^/api/models$", status=400, times=1)        # one listing fails: partial scan
        partial = run(hub, con, tmp_path, "r2", clock, scope=scope)
        assert partial.removed == 0
        gone = "Qwen/Qwen2-0.5B-Instruct"
        assert one(con, "SELECT removed_at FROM hub_models WHERE repo_id = ?", gone)[0] is None
        full = run(hub, con, tmp_path, "r3", clock, scope=scope)
    assert full.removed == 1
    assert one(con, "SELECT removed_at IS NOT NULL FROM hub_models WHERE repo_id = ?",
               "Qwen/Qwen2-0.5B-Instruct")[0]
    assert one(con, "SELECT count(*) FROM models WHERE repo_id = 'Qwen/Qwen2-0.5B-Instruct'")[0] == 0
    assert one(con, "SELECT complete FROM hub_scans WHERE run_id = 'r2'")[0] is False


def test_request_cap_stops_the_run_politely(hub, con, tmp_path, clock) -> None:
    with hub.running():
        report = run(hub, con, tmp_path, "r1", clock, cap=6)
    assert len(hub.requests) == 6
    assert {e.kind for e in report.errors} == {"cap"}


def test_sentinel_token_is_used_but_never_logged_or_stored(hub, con, tmp_path, clock, monkeypatch,
                                                           caplog) -> None:
    sentinel = "hf_SENTINELtokenXYZ123"
    monkeypatch.setenv("HF_TOKEN", sentinel)
    hub.granted_tokens.add(sentinel)
    caplog.set_level(logging.DEBUG)
    hub.add_fault("^/api/models/Qwen/Qwen2-0.5B-Instruct$", status=500, times=None)  # an error row too
    with hub.running():
        run(hub, con, tmp_path, "r1", clock, token=None, max_retries=0)
    assert any(r.authorization == f"Bearer {sentinel}" for r in hub.requests)     # it was sent
    assert sentinel not in caplog.text
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
        dump = json.dumps(con.execute(f"SELECT * FROM {table}").fetchall(), default=str)
        assert sentinel not in dump, table
    out = tmp_path / "models.json"
    con.execute(f"COPY (SELECT * FROM models) TO '{out}' (FORMAT json, ARRAY true)")
    con.execute(f"COPY (SELECT * FROM gguf_files) TO '{tmp_path / 'g.json'}' (FORMAT json, ARRAY true)")
    assert sentinel not in out.read_text() + (tmp_path / "g.json").read_text()
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert cached and not any(sentinel in p.read_text(errors="ignore") for p in cached)
