"""The Range reader over the fake Hub: resolve's 302 to the CDN, one charge per request,
bounded reads, split builds, hostile servers and headers, storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFValueType
from test_gguf_support import GEMMA_PART, fetched, nested_empty_arrays, write_gguf

from catalog import db
from catalog.fakehub import FakeHub, Repo, RepoFile, Snapshot
from catalog.gguf.errors import GGUFRemoteError, RangeNotSupported, TooManyValues
from catalog.gguf.header import HeaderParser
from catalog.gguf.refresh import GGUFBuild, read_canonical_headers
from catalog.gguf.remote import RangeReader
from catalog.hub.client import Budget, use_budget

SHA = "c0ffee" + "0" * 34
REPO = "someone/Model-GGUF"
TOKEN = "hf_secret_token_123"
CHUNK = 64 * 1024


def _big_header_file(tmp: Path) -> bytes:
    """A header of ~300 kB (a tokenizer-sized array) so reads take several chunks."""
    tokens = [f"tok{i}" for i in range(30_000)]
    path = write_gguf(
        tmp / "h.gguf",
        [("tokenizer.ggml.tokens", tokens, GGUFValueType.ARRAY, GGUFValueType.STRING),
         ("llama.block_count", 2, GGUFValueType.UINT32, None),
         ("llama.attention.head_count", 4, GGUFValueType.UINT32, None),
         ("llama.attention.head_count_kv", 2, GGUFValueType.UINT32, None),
         ("llama.embedding_length", 64, GGUFValueType.UINT32, None)],
        [("token_embd.weight", GGMLQuantizationType.Q8_0, (16, 64)),
         ("blk.0.attn_q.weight", GGMLQuantizationType.Q4_K, (64, 256)),
         ("blk.1.attn_q.weight", GGMLQuantizationType.Q4_K, (64, 256))],
    )
    return path.read_bytes()


def _hub(files: dict[str, RepoFile], **kwargs) -> FakeHub:
    return FakeHub(Snapshot([Repo({"id": REPO, "sha": SHA}, files)]), **kwargs)


@pytest.fixture(autouse=True)
def fresh_budget() -> None:
    """Calls without a budget use the installed one: never one left by another test."""
    use_budget(Budget())


@pytest.fixture
def con(tmp_path: Path) -> Iterator:
    c = db.connect(tmp_path / "c.duckdb")
    yield c
    c.close()


def _rows(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize("cdn", [True, False], ids=["302-to-cdn", "direct"])
def test_bytes_read_at_most_data_offset_plus_one_chunk(tmp_path: Path, cdn: bool) -> None:
    head = _big_header_file(tmp_path)
    size = 100 * 10**9   # a "100 GB" build: the stored head, then zeros
    hub = _hub({"m.gguf": RepoFile("m.gguf", size, head=head, sha256="e" * 64)}, cdn=cdn)
    with hub.running() as url:
        reader = RangeReader(url, TOKEN, chunk=CHUNK, budget=Budget())
        got = reader.read_header(REPO, SHA, "m.gguf")
    assert got.file_size == size and got.commit == SHA
    assert got.header.get("tokenizer.ggml.tokens")[:2] == ["tok0", "tok1"]
    sent = sum(r.bytes_sent for r in hub.requests)
    assert got.bytes_read == sent
    assert got.header.data_offset < sent <= got.header.data_offset + CHUNK
    assert got.requests == len(hub.requests) >= 4        # HEAD + several chunks
    head_request, *ranges = hub.requests
    assert (head_request.method, head_request.bucket) == ("HEAD", "resolvers")
    assert head_request.authorization == f"Bearer {TOKEN}"
    assert {(r.method, r.bucket) for r in ranges} == {("GET", "cdn" if cdn else "resolvers")}
    # the token goes to the Hub, never to the CDN's signed URL
    assert {r.authorization for r in ranges} == {None if cdn else f"Bearer {TOKEN}"}


def test_sizes_and_commit_come_from_the_302_and_each_request_is_charged_once(tmp_path: Path) -> None:
    """Issue 15's double charge and issue 16's CDN hop: the resolve request costs one
    `resolvers` request, each range read from the CDN one `cdn` request (no Hub window)."""
    head = _big_header_file(tmp_path)
    hub = _hub({"m.gguf": RepoFile("m.gguf", 7 * 10**9, head=head, sha256="e" * 64)})
    budget = Budget()
    with hub.running() as url:
        got = RangeReader(url, None, chunk=CHUNK, budget=budget).read_header(REPO, SHA, "m.gguf")
        redirect = [r for r in hub.requests if r.method == "HEAD"]
    assert [(r.path, r.status) for r in redirect] == [(f"/{REPO}/resolve/{SHA}/m.gguf", 302)]
    assert got.file_size == 7 * 10**9 and got.commit == SHA    # from the 302: the CDN sends neither
    served = {k: v for k, v in hub.counts().items() if v}
    assert served == budget.counts() == {"resolvers": 1, "cdn": got.requests - 1}
    assert budget.sent == 1                                     # what the request cap counts


def test_a_redirect_without_x_linked_size_is_refused_not_sized_by_its_content_length() -> None:
    hub = _hub({"m.gguf": RepoFile("m.gguf", 10**9, head=b"GGUF", sha256="e" * 64)})
    with hub.running() as url:
        hub.add_fault(r"/resolve/", method="HEAD", status=302,
                      headers={"Location": f"{hub.cdn_url}/xet-bridge-us/{REPO}/{SHA}/m.gguf",
                               "X-Repo-Commit": SHA})
        with pytest.raises(GGUFRemoteError, match=r"m\.gguf: HEAD .* gave no file size"):
            RangeReader(url, None, budget=Budget()).read_header(REPO, SHA, "m.gguf")
    assert [r.method for r in hub.requests] == ["HEAD"]


def test_gemma_header_over_the_fake_hub(con, tmp_path: Path) -> None:
    head = fetched(GEMMA_PART).read_bytes()[:8 << 20]
    hub = _hub({"gemma.gguf": RepoFile("gemma.gguf", 253_113_024, head=head, sha256="f" * 64)})
    build = GGUFBuild(REPO, SHA, ("gemma.gguf",), "google/gemma-3-270m")
    with hub.running() as url:
        report = read_canonical_headers(con, url, TOKEN, [build], "run-1")
        assert report.read and not report.failed
        assert report.bytes_read <= 6_525_120 + (4 << 20)
        again = read_canonical_headers(con, url, TOKEN, [build], "run-2")
    assert again.cached and again.requests == 0 and len(hub.requests) == report.requests
    row = con.execute(
        "SELECT params, round(bits_per_weight, 2), file_type_label, bytes_read, data_offset "
        "FROM gguf_headers").fetchone()
    assert row[:3] == (268_098_176, 7.55, "Q4_K_M")
    assert row[3] == report.bytes_read and row[4] == 6_525_120
    assert _rows(con, "gguf_tensor_types") == 5
    view = con.execute("SELECT file_type_label, bits_per_weight, file_gb, type_mix "
                       "FROM gguf_header_facts").fetchall()
    assert view == [("Q4_K_M", 7.553, 0.253, "Q8_0:10, Q5_0:81, Q4_K:27, Q6_K:9, F32:109")]
    attn = con.execute("SELECT kind, layer_count, source FROM attention_components "
                       "WHERE repo_id = 'google/gemma-3-270m' ORDER BY kind").fetchall()
    assert attn == [("full", 3, "gguf"), ("sliding", 15, "gguf")]


def test_split_build_reads_every_shard(con, tmp_path: Path) -> None:
    w = gguf.GGUFWriter(tmp_path / "m.gguf", "llama", split_max_tensors=2)
    w.add_block_count(3)
    w.add_head_count(4)
    w.add_head_count_kv(1)
    w.add_embedding_length(64)
    for i in range(5):
        w.add_tensor(f"blk.{i}.w", np.zeros((4, 64), np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    shards = sorted(tmp_path.glob("m-*-of-*.gguf"))
    assert len(shards) == 3
    files = {p.name: RepoFile(p.name, p.stat().st_size, head=p.read_bytes(), sha256="a" * 64)
             for p in shards}
    hub = _hub(files)
    build = GGUFBuild(REPO, SHA, tuple(p.name for p in shards), "org/base")
    with hub.running() as url:
        report = read_canonical_headers(con, url, None, [build], "run-1")
    assert report.read, report.failed
    fetched_paths = {r.path.rsplit("/", 1)[1] for r in hub.requests if r.method == "GET"}
    assert fetched_paths == {p.name for p in shards}
    assert con.execute("SELECT tensor_count, params, shard_count FROM gguf_headers").fetchone() \
        == (5, 5 * 4 * 64, 3)
    assert _rows(con, "gguf_header_shards") == 3


def test_server_ignoring_range_is_refused_without_reading_the_body(con, tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    size = 50 * 10**9
    hub = _hub({"m.gguf": RepoFile("m.gguf", size, head=head, sha256="e" * 64)})
    hub.add_fault(r"/m\.gguf$", method="GET", ignore_range=True, times=None)   # the CDN
    with hub.running() as url:
        with pytest.raises(RangeNotSupported, match=r"m\.gguf.*ignored Range"):
            RangeReader(url, TOKEN, chunk=CHUNK, budget=Budget()).read_header(REPO, SHA, "m.gguf")
        report = read_canonical_headers(con, url, TOKEN, [GGUFBuild(REPO, SHA, ("m.gguf",))],
                                        "run-1")
    assert report.bytes_read == 0
    assert next(iter(report.failed.values())).endswith("ignored Range and answered 200 with the whole body")
    assert _rows(con, "gguf_headers") == 0 and _rows(con, "gguf_tensor_types") == 0
    err = con.execute("SELECT source, error_type, message FROM source_errors").fetchone()
    assert err[:2] == ("gguf_header", "RangeNotSupported") and TOKEN not in err[2]


def test_a_bad_shard_stores_nothing_for_the_build(con, tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    hub = _hub({
        "a-00001-of-00002.gguf": RepoFile("a-00001-of-00002.gguf", len(head), head=head, sha256="1" * 64),
        "a-00002-of-00002.gguf": RepoFile("a-00002-of-00002.gguf", 100, head=b"NOTGGUF", sha256="2" * 64),
    })
    build = GGUFBuild(REPO, SHA, ("a-00001-of-00002.gguf", "a-00002-of-00002.gguf"))
    with hub.running() as url:
        report = read_canonical_headers(con, url, None, [build], "run-1")
    assert "BadMagic" in con.execute("SELECT error_type FROM source_errors").fetchone()[0]
    assert report.failed and _rows(con, "gguf_headers") == 0 and _rows(con, "gguf_header_shards") == 0


def test_missing_file_and_budget(con, tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    hub = _hub({"m.gguf": RepoFile("m.gguf", len(head), head=head, sha256="e" * 64)})
    builds = [GGUFBuild(REPO, SHA, ("gone.gguf",)), GGUFBuild(REPO, SHA, ("m.gguf",))]
    with hub.running() as url:
        report = read_canonical_headers(con, url, None, builds, "run-1",
                                        budget=Budget(cap=1), chunk=CHUNK)
    assert "404" in next(iter(report.failed.values()))
    assert report.deferred == [f"{REPO}@{SHA}:m.gguf"]     # the cap was spent before its turn
    assert len(hub.requests) == 1 and _rows(con, "gguf_headers") == 0


def test_hub_client_budget_cap_defers(con, tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    hub = _hub({p: RepoFile(p, len(head), head=head, sha256="e" * 64) for p in ("a.gguf", "b.gguf")})
    budget = Budget(cap=1)
    builds = [GGUFBuild(REPO, SHA, ("a.gguf",)), GGUFBuild(REPO, SHA, ("b.gguf",))]
    with hub.running() as url:
        report = read_canonical_headers(con, url, None, builds, "run-1", budget=budget, chunk=CHUNK)
    assert report.read == [f"{REPO}@{SHA}:a.gguf"] and report.deferred == [f"{REPO}@{SHA}:b.gguf"]
    assert not report.failed
    assert budget.counts() == {"resolvers": 1, "cdn": report.requests - 1}
    assert len(hub.requests) == report.requests
    assert _rows(con, "gguf_headers") == 1


def test_a_header_of_nested_empty_arrays_is_refused_at_once(con) -> None:
    """Issue 14 item 8: 15.6 MB of nested empty arrays took 19.6 s and 269 MB and was
    accepted; it is refused after the first chunk, naming the file."""
    head = nested_empty_arrays(15_600_000)
    hub = _hub({"m.gguf": RepoFile("m.gguf", len(head) + 4096, head=head, sha256="e" * 64)})
    with hub.running() as url:
        reader = RangeReader(url, None, budget=Budget())
        with pytest.raises(TooManyValues, match=rf"^{REPO}@{SHA}:m\.gguf: more than 4096 arrays"):
            reader.read_header(REPO, SHA, "m.gguf")
        report = read_canonical_headers(con, url, None, [GGUFBuild(REPO, SHA, ("m.gguf",))], "run-1")
    assert reader.requests == 2 and reader.bytes_read == 4 << 20   # HEAD + one 4 MiB chunk
    assert report.failed and _rows(con, "gguf_headers") == 0
    assert con.execute("SELECT error_type FROM source_errors").fetchone() == ("TooManyValues",)


def test_the_parser_resumes_where_each_piece_ended(tmp_path: Path) -> None:
    """Fed in 4 KiB pieces, a 300 kB header is parsed once: nothing before the item a piece
    ended in is read again (the reader used to re-parse from byte 0 after every chunk)."""
    head = _big_header_file(tmp_path)
    parser = HeaderParser("h.gguf")
    pieces = [head[i : i + 4096] for i in range(0, len(head), 4096)]
    header = next(h for p in pieces if (h := parser.feed(p)) is not None)
    fed = parser.bytes_fed
    assert header.tensor_info_end <= fed < header.tensor_info_end + 4096
    longest_item = 8 + len("tok29999")                  # a length-prefixed token string
    assert parser.bytes_parsed <= header.tensor_info_end + longest_item * fed // 4096
