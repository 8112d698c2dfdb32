"""The Range reader over the fake Hub: bounded reads, split builds, hostile servers, storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFValueType
from test_gguf_support import GEMMA_PART, fetched, write_gguf

from catalog import db
from catalog.fakehub import FakeHub, Repo, RepoFile, Snapshot
from catalog.gguf.errors import RangeNotSupported
from catalog.gguf.refresh import GGUFBuild, read_canonical_headers
from catalog.gguf.remote import RangeReader

SHA = "c0ffee" + "0" * 34
REPO = "someone/Model-GGUF"
TOKEN = "hf_secret_token_123"
CHUNK = 64 * 1024



class CountingBudget:
    """The simplest budget: at most `limit` requests this run."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def take(self, bucket: str) -> bool:
        if self.used >= self.limit:
            return False
        self.used += 1
        return True

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


def _hub(files: dict[str, RepoFile]) -> FakeHub:
    return FakeHub(Snapshot([Repo({"id": REPO, "sha": SHA}, files)]))


@pytest.fixture
def con(tmp_path: Path) -> Iterator:
    c = db.connect(tmp_path / "c.duckdb")
    yield c
    c.close()


def _rows(con, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_bytes_read_at_most_data_offset_plus_one_chunk(tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    size = 100 * 10**9   # a "100 GB" build: the stored head, then zeros
    hub = _hub({"m.gguf": RepoFile("m.gguf", size, head=head, sha256="e" * 64)})
    with hub.running() as url:
        reader = RangeReader(url, TOKEN, chunk=CHUNK)
        got = reader.read_header(REPO, SHA, "m.gguf")
    assert got.file_size == size
    assert got.header.get("tokenizer.ggml.tokens")[:2] == ["tok0", "tok1"]
    sent = sum(r.bytes_sent for r in hub.requests)
    assert got.bytes_read == sent
    assert got.header.data_offset < sent <= got.header.data_offset + CHUNK
    assert got.requests == len(hub.requests) >= 4        # HEAD + several chunks
    assert next(r.method for r in hub.requests) == "HEAD"
    assert all(r.authorization == f"Bearer {TOKEN}" for r in hub.requests)
    assert all(r.bucket == "resolvers" for r in hub.requests)


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
    hub.add_fault(r"/resolve/", method="GET", ignore_range=True, times=None)
    with hub.running() as url:
        with pytest.raises(RangeNotSupported, match=r"m\.gguf.*ignored Range"):
            RangeReader(url, TOKEN, chunk=CHUNK).read_header(REPO, SHA, "m.gguf")
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
                                        budget=CountingBudget(2), chunk=CHUNK)
    assert "404" in next(iter(report.failed.values()))
    assert report.deferred == [f"{REPO}@{SHA}:m.gguf"]     # budget spent mid-build
    assert len(hub.requests) == 2 and _rows(con, "gguf_headers") == 0


def test_no_accept_ranges_on_head(tmp_path: Path) -> None:
    head = _big_header_file(tmp_path)
    hub = _hub({"m.gguf": RepoFile("m.gguf", len(head), head=head, sha256="e" * 64)})
    hub.add_fault(r"/resolve/", method="HEAD", status=200)
    with hub.running() as url, pytest.raises(RangeNotSupported, match="Accept-Ranges"):
        RangeReader(url, None).read_header(REPO, SHA, "m.gguf")


def test_hub_client_budget_cap_defers(con, tmp_path: Path) -> None:
    from catalog.hub.client import Budget

    head = _big_header_file(tmp_path)
    hub = _hub({"m.gguf": RepoFile("m.gguf", len(head), head=head, sha256="e" * 64)})
    budget = Budget(cap=2)
    with hub.running() as url:
        report = read_canonical_headers(con, url, None, [GGUFBuild(REPO, SHA, ("m.gguf",))],
                                        "run-1", budget=budget, chunk=CHUNK)
    assert report.deferred and not report.failed
    assert budget.counts() == {"resolvers": 2} and len(hub.requests) == 2
    assert _rows(con, "gguf_headers") == 0
