"""Hostile input: every failure is a typed error naming the file, before any big allocation."""

from __future__ import annotations

import contextlib
import struct
import tracemalloc
from pathlib import Path

import pytest
from gguf import GGMLQuantizationType, GGUFValueType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_gguf_support import write_gguf

from catalog.gguf.errors import (
    ArrayTooLong,
    BadMagic,
    GGUFFormatError,
    HeaderTooLarge,
    InvalidValue,
    NeedMoreData,
    StringTooLong,
    TooManyDimensions,
    TruncatedHeader,
    UnsupportedVersion,
)
from catalog.gguf.header import parse_header

V = GGUFValueType


def _s(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def _header(n_tensors: int, n_kv: int) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, n_kv)


def test_bad_magic() -> None:
    with pytest.raises(BadMagic, match=r"evil\.gguf"):
        parse_header(b"GGML" + bytes(20), name="evil.gguf")


def test_unsupported_version() -> None:
    with pytest.raises(UnsupportedVersion, match="version 4"):
        parse_header(b"GGUF" + struct.pack("<IQQ", 4, 0, 0), name="v4.gguf")


def test_truncated_header_of_a_complete_file(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf", [("k", "value", V.STRING, None)],
                      [("w", GGMLQuantizationType.F32, (4, 4))])
    data = path.read_bytes()[:40]
    with pytest.raises(TruncatedHeader, match=r"m\.gguf"):
        parse_header(data, name="m.gguf", complete=True)
    with pytest.raises(NeedMoreData):
        parse_header(data, name="m.gguf")


def test_array_of_10_to_the_12_elements_is_refused_without_allocating() -> None:
    data = _header(0, 1) + _s("evil") + struct.pack("<IIQ", V.ARRAY, V.UINT8, 10**12)
    tracemalloc.start()
    with pytest.raises(ArrayTooLong, match="1000000000000"):
        parse_header(data, name="big-array.gguf")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20


def test_array_under_the_length_cap_but_over_the_byte_cap() -> None:
    data = _header(0, 1) + _s("evil") + struct.pack("<IIQ", V.ARRAY, V.UINT64, 10**6)
    with pytest.raises(HeaderTooLarge):
        parse_header(data, name="x.gguf", max_bytes=1 << 20)


def test_over_long_string() -> None:
    data = _header(0, 1) + _s("k") + struct.pack("<IQ", V.STRING, 1 << 40)
    with pytest.raises(StringTooLong, match=r"long\.gguf"):
        parse_header(data, name="long.gguf")


def test_huge_counts() -> None:
    with pytest.raises(HeaderTooLarge):
        parse_header(_header(10**15, 10**15), name="counts.gguf")


def test_tensor_with_nine_dimensions() -> None:
    data = _header(1, 0) + _s("t") + struct.pack("<I", 9) + struct.pack("<9Q", *[1] * 9)
    data += struct.pack("<IQ", 0, 0)
    with pytest.raises(TooManyDimensions, match="9 dimensions"):
        parse_header(data, name="dims.gguf")


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (_s("k") + struct.pack("<I", 99), "unknown metadata value type"),
        (_s("k") + struct.pack("<II", V.UINT8, 1)[:5] + _s("k") + struct.pack("<IB", 0, 1),
         "duplicate"),
    ],
)
def test_invalid_values(body: bytes, match: str) -> None:
    n_kv = body.count(b"\x01\x00\x00\x00\x00\x00\x00\x00k")
    with pytest.raises(InvalidValue, match=match):
        parse_header(_header(0, max(n_kv, 1)) + body, name="bad.gguf")


def test_unknown_tensor_type_and_misaligned_offset() -> None:
    base = _header(1, 0) + _s("t") + struct.pack("<IQ", 1, 32)
    with pytest.raises(InvalidValue, match="unknown ggml type"):
        parse_header(base + struct.pack("<IQ", 1000, 0), name="t.gguf")
    with pytest.raises(InvalidValue, match="aligned"):
        parse_header(base + struct.pack("<IQ", 0, 7), name="t.gguf")


def test_bad_alignment_value() -> None:
    data = _header(0, 1) + _s("general.alignment") + struct.pack("<II", V.UINT32, 48)
    with pytest.raises(InvalidValue, match="power of two"):
        parse_header(data, name="a.gguf")


def _seed_file() -> bytes:
    """A small real file with a bit of everything, for the fuzzer to mutate."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = write_gguf(
            Path(tmp) / "seed.gguf",
            [("a.u32", 7, V.UINT32, None), ("a.str", "hello", V.STRING, None),
             ("a.arr", [1, 2, 3], V.ARRAY, V.INT64), ("a.nest", [["x"], ["y", "z"]], V.ARRAY, V.ARRAY),
             ("a.f", 1.5, V.FLOAT64, None), ("a.b", True, V.BOOL, None)],
            [("blk.0.w", GGMLQuantizationType.Q4_K, (2, 256)),
             ("blk.0.n", GGMLQuantizationType.F32, (8,))],
        )
        return path.read_bytes()


SEED = _seed_file()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=8)), max_size=6),
    cut=st.integers(0, len(SEED)),
    complete=st.booleans(),
)
def test_fuzz_only_our_own_errors(edits: list[tuple[int, bytes]], cut: int, complete: bool) -> None:
    data = bytearray(SEED)
    for pos, patch in edits:
        data[pos : pos + len(patch)] = patch
    data = data[:cut]
    try:
        parse_header(bytes(data), name="fuzz.gguf", complete=complete, max_bytes=1 << 20)
    except (GGUFFormatError, NeedMoreData) as exc:
        if isinstance(exc, GGUFFormatError):
            assert exc.name == "fuzz.gguf"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200), complete=st.booleans())
def test_fuzz_random_bytes(data: bytes, complete: bool) -> None:
    with contextlib.suppress(GGUFFormatError, NeedMoreData):
        parse_header(b"GGUF" + data, name="r.gguf", complete=complete, max_bytes=1 << 16)
