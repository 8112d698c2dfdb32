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
