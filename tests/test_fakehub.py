"""The fake Hub speaks the Hub's routes and headers to the real huggingface_hub client."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download
from huggingface_hub.errors import (
    GatedRepoError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from catalog import paths
from catalog.fakehub import FakeHub, Repo, RepoFile, Snapshot


def _repo(i: int, **info) -> Repo:
    rid = f"org/model-{i:03d}"
    return Repo(
        info={"_id": f"{i:024d}", "id": rid, "sha": f"{i:040x}", "downloads": i, "tags": ["gguf"],
              "private": False, **info},
        files={
            "config.json": RepoFile("config.json", 0, content=b'{"num_hidden_layers": 2}'),
            "q/m-Q4_K_M-00001-of-00002.gguf": RepoFile("q/m-Q4_K_M-00001-of-00002.gguf", 7 * 10**10,
                                                       head=b"GGUF\x03\x00\x00\x00", sha256="a" * 64),
        },
    )


@pytest.fixture
def hub():
    hub = FakeHub(Snapshot([_repo(i) for i in range(5)]), page_size=2)
    with hub.running():
        yield hub


def test_listing_paginates_through_link_headers_and_sorts_descending(hub: FakeHub) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    listed = [m.id for m in api.list_models(author="org", sort="downloads", expand=["sha"])]
    assert listed == [f"org/model-{i:03d}" for i in (4, 3, 2, 1, 0)]
    assert hub.counts()["api"] == 3  # 5 repos, 2 per page


def test_model_info_with_blobs_carries_sizes_and_lfs(hub: FakeHub) -> None:
    info = HfApi(endpoint=hub.url, token=False).model_info("org/model-001", files_metadata=True)
    sizes = {s.rfilename: (s.size, s.lfs.sha256 if s.lfs else None) for s in info.siblings}
    assert sizes["q/m-Q4_K_M-00001-of-00002.gguf"] == (7 * 10**10, "a" * 64)
    assert sizes["config.json"] == (len(b'{"num_hidden_layers": 2}'), None)


def test_tree_lists_nested_files_with_real_sizes(hub: FakeHub) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    entries = list(api.list_repo_tree("org/model-002", recursive=True, revision=f"{2:040x}"))
    files = {e.path: e.size for e in entries if hasattr(e, "lfs")}
    assert files == {"config.json": 24, "q/m-Q4_K_M-00001-of-00002.gguf": 7 * 10**10}


def test_download_and_range_reads(hub: FakeHub, tmp_path) -> None:
    path = hf_hub_download("org/model-000", "config.json", revision=f"{0:040x}", endpoint=hub.url,
                           cache_dir=str(tmp_path), token=False)
    assert Path(path).read_text() == '{"num_hidden_layers": 2}'
    url = f"{hub.url}/org/model-000/resolve/{0:040x}/q/m-Q4_K_M-00001-of-00002.gguf"
    r = httpx2.get(url, headers={"Range": "bytes=0-15"}, follow_redirects=True)
    assert r.status_code == 206 and str(r.url).startswith(hub.cdn_url)
    assert r.headers["Content-Range"] == f"bytes 0-15/{7 * 10**10}"
    assert r.headers["Content-Length"] == "16"
    assert r.content == b"GGUF\x03\x00\x00\x00" + b"\0" * 8
    assert [q.bucket for q in hub.requests[-2:]] == ["resolvers", "cdn"]


def test_lfs_resolve_redirects_to_the_cdn_with_the_metadata_on_the_302_only(hub: FakeHub) -> None:
    """As huggingface.co: resolve answers an LFS file with 302 to a CDN host; X-Linked-Size,
    X-Repo-Commit and X-Linked-Etag are on the 302, the CDN answers Range without them."""
    url = f"{hub.url}/org/model-000/resolve/main/q/m-Q4_K_M-00001-of-00002.gguf"
    redirect = httpx2.head(url)
    assert redirect.status_code == 302
    assert redirect.headers["X-Linked-Size"] == str(7 * 10**10)
    assert redirect.headers["X-Repo-Commit"] == f"{0:040x}"
    assert redirect.headers["X-Linked-Etag"] == f'"{"a" * 64}"'
    assert int(redirect.headers["Content-Length"]) < 1000       # the redirect's body, not the file
    cdn = httpx2.head(redirect.headers["Location"])
    assert cdn.status_code == 200 and cdn.headers["Content-Length"] == str(7 * 10**10)
    assert not {"x-linked-size", "x-repo-commit", "x-linked-etag", "ratelimit"} & set(cdn.headers)
    assert cdn.headers["ETag"] != redirect.headers["X-Linked-Etag"]
    assert hub.counts() == {"api": 0, "resolvers": 1, "pages": 0, "cdn": 1}
    info = get_hf_file_metadata(url)       # huggingface_hub reads the 302 and does not follow it
    assert (info.size, info.commit_hash, info.location) == \
        (7 * 10**10, f"{0:040x}", redirect.headers["Location"])
    small = httpx2.head(f"{hub.url}/org/model-000/resolve/main/config.json")
    assert small.status_code == 200                              # git files: served directly


def test_direct_mode_serves_lfs_files_from_resolve() -> None:
    hub = FakeHub(Snapshot([_repo(0)]), cdn=False)
    with hub.running():
        url = f"{hub.url}/org/model-000/resolve/main/q/m-Q4_K_M-00001-of-00002.gguf"
        r = httpx2.get(url, headers={"Range": "bytes=0-3"})
    assert (r.status_code, r.content, hub.cdn_url) == (206, b"GGUF", "")


def test_trickle_fault_sends_the_body_a_few_bytes_at_a_time(hub: FakeHub) -> None:
    hub.add_fault(r"^/api/models/org/model-000$", trickle_bytes=1, trickle_interval=0.2)
    with pytest.raises(httpx2.ReadTimeout), httpx2.stream(
            "GET", f"{hub.url}/api/models/org/model-000", timeout=0.1) as r:
        r.read()                                # each byte arrives 0.2 s after the one before
    assert r.status_code == 200


def test_errors_carry_the_hub_error_codes(hub: FakeHub, tmp_path) -> None:
    api = HfApi(endpoint=hub.url, token=False)
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("org/missing")
    with pytest.raises(RevisionNotFoundError):
        api.model_info("org/model-000", revision="f" * 40)
    with pytest.raises(RemoteEntryNotFoundError):
        hf_hub_download("org/model-000", "nope.json", endpoint=hub.url, cache_dir=str(tmp_path), token=False)
    hub.snapshot.repos["org/model-000"].info["gated"] = "manual"
    with pytest.raises(GatedRepoError):
        hf_hub_download("org/model-000", "config.json", endpoint=hub.url, cache_dir=str(tmp_path),
                        token="hf_not_granted")


def test_injected_429_carries_rate_limit_headers_then_clears(hub: FakeHub) -> None:
    hub.add_fault(r"^/api/models/org/model-000$", status=429,
                  headers={"RateLimit": '"api";r=0;t=2', "Retry-After": "2"}, times=1)
    url = f"{hub.url}/api/models/org/model-000"
    first = httpx2.get(url)
    assert first.status_code == 429
    assert first.headers["RateLimit"] == '"api";r=0;t=2' and first.headers["Retry-After"] == "2"
    assert httpx2.get(url).json()["sha"] == f"{0:040x}"


def test_every_response_reports_the_rate_limit_window(hub: FakeHub) -> None:
    r = httpx2.get(f"{hub.url}/api/models/org/model-000")
    assert r.headers["RateLimit"].startswith('"api";r=999;t=')
    assert r.headers["RateLimit-Policy"] == '"fixed window";"api";q=1000;w=300'


def test_over_quota_answers_429_until_the_window_resets() -> None:
    now = [0.0]
    hub = FakeHub(Snapshot([_repo(0)]), quotas={"api": 2}, clock=lambda: now[0])
    with hub.running():
        url = f"{hub.url}/api/models/org/model-000"
        assert [httpx2.get(url).status_code for _ in range(3)] == [200, 200, 429]
        now[0] = 301.0
        assert httpx2.get(url).status_code == 200


def test_hang_makes_the_client_time_out(hub: FakeHub) -> None:
    hub.add_fault(r"^/api/models/org/model-000$", hang=True)
    with pytest.raises(httpx2.TimeoutException):
        httpx2.get(f"{hub.url}/api/models/org/model-000", timeout=0.3)


def test_ignore_range_fault_answers_the_whole_body(hub: FakeHub) -> None:
    hub.add_fault(r"config\.json$", ignore_range=True)
    r = httpx2.get(f"{hub.url}/org/model-000/resolve/main/config.json", headers={"Range": "bytes=0-1"})
    assert r.status_code == 200 and len(r.content) == 24


def test_every_nth_fault_hits_a_fraction_of_requests(hub: FakeHub) -> None:
    hub.add_fault(r"^/api/models/org/", status=503, times=None, every=5)
    codes = [httpx2.get(f"{hub.url}/api/models/org/model-001").status_code for _ in range(10)]
    assert codes.count(503) == 2
    assert sum(1 for r in hub.requests if r.bucket == "api") == 10


# -- the real Hub's mess (issue #16; sources in catalog/fakehub/sample/README.md) ------------------
def test_gated_files_answer_401_anonymous_and_403_to_a_token_not_granted(hub: FakeHub, tmp_path) -> None:
    hub.snapshot.repos["org/model-000"].info["gated"] = "manual"
    hub.granted_tokens.add("hf_granted")
    for token, status in ((False, 401), ("hf_not_granted", 403)):
        with pytest.raises(GatedRepoError) as caught:        # X-Error-Code wins over "401 = not found"
            hf_hub_download("org/model-000", "config.json", endpoint=hub.url, cache_dir=str(tmp_path),
                            token=token)
        assert caught.value.response.status_code == status
    assert Path(hf_hub_download("org/model-000", "config.json", endpoint=hub.url, cache_dir=str(tmp_path),
                                token="hf_granted")).read_text() == '{"num_hidden_layers": 2}'


def test_pagination_cursors_are_opaque_and_a_forged_one_is_refused(hub: FakeHub) -> None:
    r = httpx2.get(f"{hub.url}/api/models", params={"author": "org", "sort": "downloads"})
    cursor = r.links["next"]["url"].split("cursor=")[1]
    assert not cursor.isdigit() and len(cursor) > 8              # not an offset
    assert httpx2.get(f"{hub.url}/api/models", params={"author": "org", "cursor": "2"}).status_code == 400
    second = httpx2.get(r.links["next"]["url"]).json()
    assert [m["id"] for m in r.json() + second] == [f"org/model-{i:03d}" for i in (4, 3, 2, 1)]


def test_a_renamed_repo_redirects_its_old_id_and_huggingface_hub_follows(hub: FakeHub, tmp_path) -> None:
    hub.snapshot.rename("org/model-001", "org/model-one")
    info = HfApi(endpoint=hub.url, token=False).model_info("org/model-001")
    assert info.id == "org/model-one"
    assert [(r.path, r.status, r.bucket) for r in hub.requests] == [
        ("/api/models/org/model-001", 307, "api"), ("/api/models/org/model-one", 200, "api")]
    path = hf_hub_download("org/model-001", "config.json", endpoint=hub.url, cache_dir=str(tmp_path),
                           token=False)
    assert Path(path).read_text() == '{"num_hidden_layers": 2}'
    listed = [m.id for m in HfApi(endpoint=hub.url, token=False).list_models(author="org")]
    assert "org/model-one" in listed and "org/model-001" not in listed    # listings show the new id only
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=hub.url, token=False).model_info("org/never-was")


def test_model_info_leaves_out_listing_only_fields_unless_expanded(hub: FakeHub) -> None:
    hub.snapshot.repos["org/model-002"].info.update(trendingScore=7, childrenModelCount=12)
    api = HfApi(endpoint=hub.url, token=False)
    info = api.model_info("org/model-002")
    assert info.trending_score is None and info.children_model_count is None
    expanded = api.model_info("org/model-002", expand=["trendingScore", "childrenModelCount"])
    assert (expanded.trending_score, expanded.children_model_count) == (7, 12)
    listed = {m.id: m for m in api.list_models(author="org")}
    assert (listed["org/model-002"].trending_score, listed["org/model-002"].children_model_count) == (7, None)
    listed = {m.id: m for m in api.list_models(author="org", expand=["childrenModelCount"])}
    assert listed["org/model-002"].children_model_count == 12


def test_plans_set_the_published_quotas() -> None:
    for plan, api_quota in (("anonymous", 500), ("free", 1000), ("pro", 2500)):
        hub = FakeHub(Snapshot([_repo(0)]), plan=plan)
        with hub.running():
            policy = httpx2.get(f"{hub.url}/api/models/org/model-000").headers["RateLimit-Policy"]
        assert policy == f'"fixed window";"api";q={api_quota};w=300'
    with pytest.raises(ValueError, match="unknown plan"):
        FakeHub(Snapshot(), plan="enterprise")


def test_churn_moves_counters_without_a_commit() -> None:
    snap = Snapshot([_repo(i, downloads=1000 * (i + 1), trendingScore=10) for i in range(5)])
    shas = {r.id: r.sha for r in snap.repos.values()}
    before = {r.id: r.info["downloads"] for r in snap.repos.values()}
    snap.churn(seed=1, spread=0.5)
    after = {r.id: r.info["downloads"] for r in snap.repos.values()}
    assert after != before and {r.id: r.sha for r in snap.repos.values()} == shas
    assert all(0.5 * before[k] <= after[k] <= 1.5 * before[k] for k in before)
    again = Snapshot([_repo(i, downloads=1000 * (i + 1), trendingScore=10) for i in range(5)])
    again.churn(seed=1, spread=0.5)
    assert {r.id: r.info["downloads"] for r in again.repos.values()} == after      # deterministic


def test_the_sample_carries_the_real_hubs_mess() -> None:
    snap = Snapshot.load(paths.SAMPLE_HUB)
    assert snap.current_id("meta-llama/Meta-Llama-3.1-8B-Instruct") == "meta-llama/Llama-3.1-8B-Instruct"
    untrusted = [r for r in snap.with_tags(["gguf", "base_model:quantized:Qwen/Qwen2.5-7B-Instruct"])
                 if r.id.split("/")[0] not in ("bartowski", "unsloth", "ggml-org", "lmstudio-community")]
    assert len(untrusted) == 11 and len({r.sha for r in untrusted}) == 11          # QuantFactory + 10 clones
    self_tagged = snap.repos["unsloth/Phi-4-mini-instruct-GGUF"].info["tags"]
    assert "base_model:quantized:unsloth/Phi-4-mini-instruct-GGUF" in self_tagged


def test_gguf_listings_carry_the_chat_template_only_when_expanded() -> None:
    hub = FakeHub(Snapshot.load(paths.SAMPLE_HUB))
    with hub.running():
        api = HfApi(endpoint=hub.url, token=False)
        plain = list(api.list_models(author="ggml-org", filter="gguf", expand=["sha", "tags"]))
        full = list(api.list_models(author="ggml-org", filter="gguf", expand=["sha", "tags", "gguf"]))
    assert plain[0].gguf is None and "start_of_turn" in full[0].gguf["chat_template"]
    small, large = (r.bytes_sent for r in hub.requests)
    assert large > small + 1500                                   # the template travels with every entry
