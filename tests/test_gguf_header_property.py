"""Property tests: files written by gguf.GGUFWriter parse to exactly what gguf.GGUFReader reads.

Random keys of every value type, typed and nested arrays, many tensors of every ggml type,
versions 2 and 3, both byte orders, custom alignments. Version 1 (32-bit counts) has no
writer or reader in gguf-py: it is built by hand and must parse like its v3 twin.
"""

from __future__ import annotations

import struct
from pathlib import Path
from tempfile import TemporaryDirectory

import hypothesis.strategies as st
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType
from hypothesis import HealthCheck, given, settings
from test_gguf_support import assert_same_as_reader, write_gguf

from catalog.gguf.header import parse_header, read_local_header

V = GGUFValueType
INT_RANGES = {
    V.UINT8: (0, 2**8 - 1), V.INT8: (-(2**7), 2**7 - 1),
    V.UINT16: (0, 2**16 - 1), V.INT16: (-(2**15), 2**15 - 1),
    V.UINT32: (0, 2**32 - 1), V.INT32: (-(2**31), 2**31 - 1),
    V.UINT64: (0, 2**64 - 1), V.INT64: (-(2**63), 2**63 - 1),
}


def scalar(vtype: GGUFValueType) -> st.SearchStrategy:
    if vtype in INT_RANGES:
        lo, hi = INT_RANGES[vtype]
        return st.integers(lo, hi)
    if vtype == V.FLOAT32:
        return st.floats(width=32, allow_nan=False)
    if vtype == V.FLOAT64:
        return st.floats(allow_nan=False)
    if vtype == V.BOOL:
        return st.booleans()
    return st.text(max_size=40)


SCALAR_TYPES = [t for t in V if t != V.ARRAY]
# Nested arrays: the writer infers inner types (int -> INT32, float -> FLOAT32, str, bool).
# Homogeneous (one leaf type, one depth) like real files: GGUFReader flattens nested arrays
# by the first element's types, so it is no oracle for mixed ones (ours keeps each type).
LEAVES = [
    st.integers(-(2**31), 2**31 - 1),
    st.floats(width=32, allow_nan=False),
    st.text(max_size=10),
    st.booleans(),
]


@st.composite
def nested(draw: st.DrawFn) -> list:
    inner = st.lists(draw(st.sampled_from(LEAVES)), min_size=1, max_size=5)
    for _ in range(draw(st.integers(1, 3))):
        inner = st.lists(inner, min_size=1, max_size=3)
    return draw(inner)


@st.composite
def kv_value(draw: st.DrawFn) -> tuple:
    kind = draw(st.sampled_from(["scalar", "array", "nested"]))
    if kind == "scalar":
        vtype = draw(st.sampled_from(SCALAR_TYPES))
        return draw(scalar(vtype)), vtype, None
    if kind == "array":
        sub = draw(st.sampled_from(SCALAR_TYPES))
        return draw(st.lists(scalar(sub), min_size=1, max_size=20)), V.ARRAY, sub
    value = draw(nested())
    return value, V.ARRAY, (V.ARRAY if isinstance(value[0], list) else None)


QTYPES = sorted(GGML_QUANT_SIZES, key=int)


@st.composite
def tensor_spec(draw: st.DrawFn) -> tuple[GGMLQuantizationType, tuple[int, ...]]:
    qtype = draw(st.sampled_from(QTYPES))
    block = GGML_QUANT_SIZES[qtype][0]
    outer = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
    return qtype, (*outer, block * draw(st.integers(1, 2)))


@st.composite
def gguf_file(draw: st.DrawFn) -> dict:
    keys = draw(st.lists(st.text(min_size=1, max_size=24).filter(lambda k: not k.startswith("general.")),
                         unique=True, max_size=12))
    kvs = [(k, *draw(kv_value())) for k in keys]
    specs = draw(st.lists(tensor_spec(), max_size=40))
    tensors = [(f"blk.{i}.w", q, shape) for i, (q, shape) in enumerate(specs)]
    return {
        "kvs": kvs,
        "tensors": tensors,
        "alignment": draw(st.sampled_from([None, 1, 8, 32, 64, 256])),
        "big_endian": draw(st.booleans()),
        "version": draw(st.sampled_from([2, 3])),
    }


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=gguf_file(), chunk=st.integers(1, 512))
def test_writer_files_parse_like_gguf_reader(spec: dict, chunk: int) -> None:
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.gguf"
        write_gguf(path, spec["kvs"], spec["tensors"], alignment=spec["alignment"],
                   big_endian=spec["big_endian"])
        raw = bytearray(path.read_bytes())
        order = ">" if spec["big_endian"] else "<"
        raw[4:8] = struct.pack(order + "I", spec["version"])
        path.write_bytes(raw)
        ours = parse_header(raw, name=str(path), complete=True)
        assert ours.version == spec["version"]
        assert_same_as_reader(ours, path)
        # the incremental (prefix) path gives the same header and reads little past it
        again, read = read_local_header(path, chunk=chunk)
        assert again == ours
        assert read <= max(ours.tensor_info_end, 4) + chunk
        assert ours.data_end <= len(raw)


def _v1_bytes(kvs: list[tuple[str, int | str]], tensors: list[tuple[str, tuple[int, ...]]]) -> bytes:
    """A GGUF v1 file: u32 counts, u32 string lengths, u32 dims; F32 tensors."""
    def s(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("<I", len(raw)) + raw

    out = b"GGUF" + struct.pack("<III", 1, len(tensors), len(kvs) + 1)
    for key, value in kvs:
        if isinstance(value, str):
            out += s(key) + struct.pack("<I", V.STRING) + s(value)
        else:
            out += s(key) + struct.pack("<II", V.UINT32, value)
    out += s("tokens") + struct.pack("<III", V.ARRAY, V.STRING, 2) + s("a") + s("bc")
    offset = 0
    for name, dims in tensors:
        out += s(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}I", *dims)
        out += struct.pack("<IQ", GGMLQuantizationType.F32, offset)
        offset += -(-4 * dims[0] * dims[-1] // 32) * 32
    return out


def test_version_1_uses_32_bit_counts() -> None:
    data = _v1_bytes([("general.architecture", "llama"), ("llama.block_count", 2)],
                     [("token_embd.weight", (8, 4)), ("output.weight", (8, 4))])
    h = parse_header(data, name="v1.gguf")
    assert h.version == 1
    assert h.get("llama.block_count") == 2
    assert h.get("tokens") == ["a", "bc"]
    assert [t.dims for t in h.tensors] == [(8, 4), (8, 4)]
    assert h.tensors[1].offset == 128
    assert h.data_offset == len(data) + (-len(data) % 32)
