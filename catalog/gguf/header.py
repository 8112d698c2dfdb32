"""Pure GGUF header parsing: bytes in, a `GGUFHeader` out, no I/O.

Why separate from I/O: the same function reads a local file prefix, a test fixture, or the
chunks a remote reader has fetched so far. When the prefix is too short it raises
`NeedMoreData(bytes_needed)` so the caller can fetch more and call again; on bad input it
raises a `GGUFFormatError` naming the file. Every declared size is checked against a cap
*before* anything is allocated, so a hostile header cannot exhaust memory.

Layout (ggml docs/gguf.md): magic "GGUF", u32 version, counts, key/values, tensor infos,
padding to `general.alignment`, data. Version 1 used 32-bit counts, lengths and dims.
Constants (value types, quant types, block sizes, key names) come from the `gguf` package.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gguf
import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType, Keys

from catalog.gguf.errors import (
    ArrayTooLong,
    BadMagic,
    HeaderTooLarge,
    InvalidValue,
    NeedMoreData,
    StringTooLong,
    TooManyDimensions,
    TooManyValues,
    TruncatedHeader,
    UnsupportedVersion,
)

GGUF_MAGIC_BYTES = struct.pack("<I", gguf.GGUF_MAGIC)  # b"GGUF"
SUPPORTED_VERSIONS = (1, 2, 3)
GGML_MAX_DIMS = 4                       # ggml.h; a header declaring more is refused
# Caps (docs/gguf.md). Peer readers: huggingface.js reads 2 MB chunks and stops at 50 MB
# (packages/gguf/src/gguf.ts, HTTP_CHUNK_SIZE / HTTP_TOTAL_MAX_SIZE); ggml's gguf.cpp refuses
# any array of arrays ("has invalid GGUF type"), gguf-py writes them: a few are allowed.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024    # whole header (tokenizers are 2-10 MB today)
DEFAULT_MAX_ARRAY_LEN = 1 << 22         # 4.2M elements: 16x Gemma-3's 262,144-token vocabulary
DEFAULT_MAX_VALUES = 1 << 23            # 8.4M array elements in all: 10.7x Gemma-3's 786,436
DEFAULT_MAX_NESTED_ARRAYS = 1 << 12     # arrays inside arrays (real files: none)
DEFAULT_MAX_STRING_BYTES = 1 << 20      # 1 MiB: chat templates are tens of kB
MAX_ARRAY_NESTING = 8
_INT64_MAX = (1 << 63) - 1

# numpy scalar type per GGUF value type, as gguf-py's own reader maps them.
_SCALAR_NP: dict[GGUFValueType, type[np.generic]] = gguf.GGUFReader.gguf_scalar_to_np


@dataclass(frozen=True, slots=True)
class GGUFArray:
    """A metadata array: its element type and items (nested arrays are GGUFArray too)."""

    item_type: GGUFValueType
    items: list[Any]

    def to_python(self) -> list[Any]:
        """Plain nested lists."""
        return [i.to_python() if isinstance(i, GGUFArray) else i for i in self.items]


@dataclass(frozen=True, slots=True)
class GGUFField:
    """One metadata key/value as stored: its declared type and decoded value."""

    type: GGUFValueType
    value: Any  # int | float | bool | str | GGUFArray


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One tensor's header entry; `dims` innermost first, as in the file."""

    name: str
    dims: tuple[int, ...]
    ggml_type: GGMLQuantizationType
    offset: int          # relative to the data section
    n_elements: int
    n_bytes: int


@dataclass(frozen=True)
class GGUFHeader:
    """Everything before the tensor data of one GGUF file."""

    name: str
    version: int
    byte_order: str                 # "little" | "big"
    tensor_count: int
    kv_count: int
    fields: dict[str, GGUFField]
    tensors: list[TensorInfo]
    alignment: int
    tensor_info_end: int            # bytes actually needed to parse the header
    data_offset: int                # start of tensor data (tensor_info_end padded)
    extra: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A metadata value as plain Python (arrays become lists)."""
        f = self.fields.get(key)
        if f is None:
            return default
        return f.value.to_python() if isinstance(f.value, GGUFArray) else f.value

    @property
    def architecture(self) -> str | None:
        arch = self.get(Keys.General.ARCHITECTURE)
        return arch if isinstance(arch, str) else None

    @property
    def split_no(self) -> int:
        return int(self.get(Keys.Split.LLM_KV_SPLIT_NO, 0) or 0)

    @property
    def split_count(self) -> int:
        return int(self.get(Keys.Split.LLM_KV_SPLIT_COUNT, 1) or 1)

    @property
    def data_end(self) -> int:
        """Where the last tensor's bytes end: the file size, up to trailing padding."""
        return self.data_offset + max((t.offset + t.n_bytes for t in self.tensors), default=0)


class _Short(Exception):
    """The bytes so far end before `stop`: the parse resumes when more have arrived."""

    def __init__(self, stop: int) -> None:
        self.stop = stop


class _Cursor:
    """Bounds-checked reads over the bytes so far; the only place that touches them."""

    __slots__ = ("buf", "max_bytes", "name", "nested", "order", "pos", "rolled_back", "v1", "values")

    def __init__(self, buf: memoryview | bytearray, name: str, max_bytes: int) -> None:
        self.buf, self.name, self.max_bytes = buf, name, max_bytes
        self.pos, self.order, self.v1 = 0, "<", False
        self.values = 0          # array elements so far (all levels)
        self.nested = 0          # arrays inside arrays so far
        self.rolled_back = 0     # bytes parsed again after more data arrived

    def need(self, n: int) -> None:
        stop = self.pos + n
        if stop > self.max_bytes:
            raise HeaderTooLarge(
                self.name, f"header needs more than the cap of {self.max_bytes} bytes"
            )
        if stop > len(self.buf):
            raise _Short(stop)

    def take(self, n: int) -> memoryview | bytearray:
        self.need(n)
        view = self.buf[self.pos : self.pos + n]
        self.pos += n
        return view

    def unpack(self, fmt: str) -> int:
        size = struct.calcsize(fmt)
        self.need(size)
        value = struct.unpack_from(self.order + fmt, self.buf, self.pos)[0]
        self.pos += size
        return int(value)

    def u32(self) -> int:
        return self.unpack("I")

    def u64(self) -> int:
        return self.unpack("Q")

    def count(self) -> int:
        """A length or count: 64-bit since version 2, 32-bit in version 1."""
        return self.u32() if self.v1 else self.u64()

    def room(self) -> int:
        """Bytes still allowed by the cap."""
        return self.max_bytes - self.pos


@dataclass(frozen=True)
class Limits:
    """The caps one parse runs under."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_array_len: int = DEFAULT_MAX_ARRAY_LEN
    max_string_bytes: int = DEFAULT_MAX_STRING_BYTES
    max_values: int = DEFAULT_MAX_VALUES
    max_nested_arrays: int = DEFAULT_MAX_NESTED_ARRAYS


# A parse is a generator: it yields the length the bytes must reach whenever they run out, and
# resumes where it stopped once they have (`_whole` re-reads at most the one item it was in:
# a key, a scalar, a string, a tensor info, an array's head; never what came before).
_Parse = Generator[int, None, Any]


def _whole(cur: _Cursor, read: Callable[..., Any], *args: Any) -> _Parse:
    mark = cur.pos
    while True:
        try:
            return read(cur, *args)
        except _Short as short:
            cur.rolled_back += cur.pos - mark
            cur.pos = mark
            yield short.stop


def _advance(parse: _Parse) -> Any:
    """Run the parse on the bytes so far: the header, or the length they must reach (int)."""
    try:
        return next(parse)
    except StopIteration as done:
        return done.value


def parse_header(
    data: bytes | bytearray | memoryview,
    *,
    name: str = "<bytes>",
    complete: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_array_len: int = DEFAULT_MAX_ARRAY_LEN,
    max_string_bytes: int = DEFAULT_MAX_STRING_BYTES,
    max_values: int = DEFAULT_MAX_VALUES,
    max_nested_arrays: int = DEFAULT_MAX_NESTED_ARRAYS,
) -> GGUFHeader:
    """Parse a GGUF header from a prefix of the file.

    `complete=True` says `data` is the whole file: running out is then a `TruncatedHeader`
    instead of `NeedMoreData`. Parsing stops at the end of the tensor infos; the data
    offset is computed, the tensor data itself is never needed.
    """
    limits = Limits(max_bytes, max_array_len, max_string_bytes, max_values, max_nested_arrays)
    cur = _Cursor(memoryview(data).cast("B"), name, max_bytes)
    result = _advance(_parse(cur, limits))
    if isinstance(result, GGUFHeader):
        return result
    if complete:
        raise TruncatedHeader(name, f"data ends at byte {len(cur.buf)}, header needs {result}")
    raise NeedMoreData(result)


class HeaderParser:
    """Parse a header from bytes fed in pieces, resuming where the previous piece ran out.

    Why: re-parsing the prefix from byte 0 after each network chunk made a header's cost
    quadratic in its size (a 15.6 MB header of nested arrays: 19.6 s, 269 MB). Here each
    byte is parsed once, plus at most the one item a piece ended in (`bytes_parsed`).
    """

    def __init__(self, name: str = "<bytes>", **caps: int) -> None:
        self.limits = Limits(**caps)
        self._cur = _Cursor(bytearray(), name, self.limits.max_bytes)
        self._parse = _parse(self._cur, self.limits)
        self.needed = 0                       # the bytes must reach this length to go on
        self.header: GGUFHeader | None = None

    @property
    def bytes_fed(self) -> int:
        return len(self._cur.buf)

    @property
    def bytes_parsed(self) -> int:
        """Bytes the parser has read, counting the ones read again after a piece ran out."""
        return self._cur.pos + self._cur.rolled_back

    def feed(self, data: bytes, *, complete: bool = False) -> GGUFHeader | None:
        """Add the next bytes; the header once complete, else None (`needed` says how far the
        bytes must go). `complete=True`: no more bytes exist, so a short header is truncated."""
        buf = self._cur.buf
        assert isinstance(buf, bytearray) and self.header is None
        buf += data
        if len(buf) >= self.needed:
            result = _advance(self._parse)
            if isinstance(result, GGUFHeader):
                self.header = result
                return result
            self.needed = result
        if complete:
            raise TruncatedHeader(self._cur.name, f"data ends at byte {len(buf)}, header needs "
                                                  f"{self.needed}")
        return None


def _parse(cur: _Cursor, limits: Limits) -> _Parse:
    name = cur.name
    version, tensor_count, kv_count = yield from _whole(cur, _preamble)
    fields: dict[str, GGUFField] = {}
    for _ in range(kv_count):
        key, vtype = yield from _whole(cur, _key_and_type, limits)
        if key in fields:
            raise InvalidValue(name, f"duplicate metadata key {key!r}")
        fields[key] = GGUFField(vtype, (yield from _value(cur, limits, vtype, depth=0)))

    alignment = _alignment(name, fields)
    tensors: list[TensorInfo] = []
    seen: set[str] = set()
    for _ in range(tensor_count):
        info = yield from _whole(cur, _tensor_info, limits, alignment)
        if info.name in seen:
            raise InvalidValue(name, f"duplicate tensor {info.name!r}")
        seen.add(info.name)
        tensors.append(info)
    end = cur.pos
    data_offset = end + (-end % alignment)
    return GGUFHeader(
        name=name, version=version, byte_order="big" if cur.order == ">" else "little",
        tensor_count=tensor_count, kv_count=kv_count, fields=fields, tensors=tensors,
        alignment=alignment, tensor_info_end=end, data_offset=data_offset,
    )


def _preamble(cur: _Cursor) -> tuple[int, int, int]:
    magic = bytes(cur.take(4))
    if magic != GGUF_MAGIC_BYTES:
        raise BadMagic(cur.name, f"magic {magic!r} is not {GGUF_MAGIC_BYTES!r}")
    version = cur.u32()
    if version & 0xFFFF == 0 and version:  # written big-endian (GGUF v3 allows it)
        cur.order = ">"
        version = int.from_bytes(struct.pack("<I", version), "big")
    if version not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(cur.name, f"version {version} (supported: 1-3)")
    cur.v1 = version == 1
    tensor_count, kv_count = cur.count(), cur.count()
    _check_counts(cur, tensor_count, kv_count)
    return version, tensor_count, kv_count


def _key_and_type(cur: _Cursor, limits: Limits) -> tuple[str, GGUFValueType]:
    key = _string(cur, limits, strict=True, what="metadata key")
    return key, _value_type(cur, cur.u32())


def _check_counts(cur: _Cursor, tensor_count: int, kv_count: int) -> None:
    """Refuse counts that could not fit under the cap even at their smallest encoding."""
    width = 4 if cur.v1 else 8
    min_kv = width + 4 + 1                  # key length, value type, one-byte value
    min_tensor = width + 4 + 4 + 8          # name length, n_dims, type, offset
    if kv_count * min_kv + tensor_count * min_tensor > cur.room():
        raise HeaderTooLarge(
            cur.name,
            f"{kv_count} key/values and {tensor_count} tensors cannot fit in the cap "
            f"of {cur.max_bytes} bytes",
        )


def _value_type(cur: _Cursor, raw: int) -> GGUFValueType:
    try:
        return GGUFValueType(raw)
    except ValueError:
        raise InvalidValue(cur.name, f"unknown metadata value type {raw}") from None


def _string(cur: _Cursor, limits: Limits, *, strict: bool = False, what: str = "string") -> str:
    length = cur.count()
    if length > limits.max_string_bytes:
        raise StringTooLong(
            cur.name, f"{what} at byte {cur.pos} declares {length} bytes "
            f"(cap {limits.max_string_bytes})",
        )
    raw = cur.take(length)
    try:
        return str(raw, "utf-8", "strict" if strict else "replace")
    except UnicodeDecodeError:
        raise InvalidValue(cur.name, f"{what} at byte {cur.pos - length} is not UTF-8") from None


def _min_size(cur: _Cursor, vtype: GGUFValueType) -> int:
    width = 4 if cur.v1 else 8
    if vtype == GGUFValueType.STRING:
        return width
    if vtype == GGUFValueType.ARRAY:
        return 4 + width
    return np.dtype(_SCALAR_NP[vtype]).itemsize


def _scalar(cur: _Cursor, vtype: GGUFValueType) -> Any:
    return _scalars(cur, vtype, 1)[0]


def _scalars(cur: _Cursor, vtype: GGUFValueType, n: int) -> list[Any]:
    dtype = np.dtype(_SCALAR_NP[vtype]).newbyteorder(cur.order)
    cur.need(n * dtype.itemsize)
    items: list[Any] = np.frombuffer(cur.buf, dtype, n, cur.pos).tolist()
    cur.pos += n * dtype.itemsize
    return items


def _value(cur: _Cursor, limits: Limits, vtype: GGUFValueType, depth: int) -> _Parse:
    if vtype == GGUFValueType.ARRAY:
        return (yield from _array(cur, limits, depth))
    if vtype == GGUFValueType.STRING:
        return (yield from _whole(cur, _string, limits))
    return (yield from _whole(cur, _scalar, vtype))


def _array_head(cur: _Cursor, limits: Limits) -> tuple[GGUFValueType, int]:
    item_type = _value_type(cur, cur.u32())
    n = cur.count()
    if n > limits.max_array_len:
        raise ArrayTooLong(
            cur.name, f"array at byte {cur.pos} declares {n} elements "
            f"(cap {limits.max_array_len})",
        )
    if n * _min_size(cur, item_type) > cur.room():
        raise HeaderTooLarge(
            cur.name, f"array at byte {cur.pos} of {n} elements cannot fit in the cap "
            f"of {cur.max_bytes} bytes",
        )
    return item_type, n


def _array(cur: _Cursor, limits: Limits, depth: int) -> _Parse:
    if depth >= MAX_ARRAY_NESTING:
        raise InvalidValue(cur.name, f"arrays nested deeper than {MAX_ARRAY_NESTING}")
    item_type, n = yield from _whole(cur, _array_head, limits)
    cur.values += n
    if cur.values > limits.max_values:
        raise TooManyValues(cur.name, f"arrays hold more than {limits.max_values} values in all "
                                      f"(at byte {cur.pos})")
    if item_type == GGUFValueType.ARRAY:
        cur.nested += n
        if cur.nested > limits.max_nested_arrays:
            raise TooManyValues(cur.name, f"more than {limits.max_nested_arrays} arrays nested in "
                                          f"arrays (at byte {cur.pos}; llama.cpp reads none)")
    items: list[Any] = []
    if item_type == GGUFValueType.ARRAY:
        for _ in range(n):
            items.append((yield from _array(cur, limits, depth + 1)))
    elif item_type == GGUFValueType.STRING:
        while len(items) < n:                 # as many strings as have arrived, then wait
            mark = cur.pos
            try:
                while len(items) < n:
                    items.append(_string(cur, limits))
                    mark = cur.pos
            except _Short as short:
                cur.rolled_back += cur.pos - mark
                cur.pos = mark
                yield short.stop
    else:
        items = yield from _whole(cur, _scalars, item_type, n)
    return GGUFArray(item_type, items)


def _alignment(name: str, fields: dict[str, GGUFField]) -> int:
    f = fields.get(Keys.General.ALIGNMENT)
    if f is None:
        return gguf.GGUF_DEFAULT_ALIGNMENT
    if f.type != GGUFValueType.UINT32:
        raise InvalidValue(name, f"general.alignment has type {f.type.name}, not UINT32")
    if f.value <= 0 or f.value & (f.value - 1):
        raise InvalidValue(name, f"general.alignment {f.value} is not a power of two")
    return int(f.value)


def _tensor_info(cur: _Cursor, limits: Limits, alignment: int) -> TensorInfo:
    name = _string(cur, limits, strict=True, what="tensor name")
    n_dims = cur.u32()
    if n_dims > GGML_MAX_DIMS:
        raise TooManyDimensions(
            cur.name, f"tensor {name!r} declares {n_dims} dimensions (max {GGML_MAX_DIMS})"
        )
    dims = tuple(cur.count() for _ in range(n_dims))
    raw_type = cur.u32()
    offset = cur.u64()
    return _tensor(cur.name, name, dims, raw_type, offset, alignment)


def _tensor(
    file: str, name: str, dims: tuple[int, ...], raw_type: int, offset: int, alignment: int
) -> TensorInfo:
    try:
        ggml_type = GGMLQuantizationType(raw_type)
        block, type_size = GGML_QUANT_SIZES[ggml_type]
    except (ValueError, KeyError):
        raise InvalidValue(file, f"tensor {name!r} has unknown ggml type {raw_type}") from None
    n_elements = 1
    for d in dims:
        n_elements *= d
        if n_elements > _INT64_MAX:
            raise InvalidValue(file, f"tensor {name!r} has too many elements {dims}")
    if dims and dims[0] % block:
        raise InvalidValue(
            file, f"tensor {name!r}: row of {dims[0]} is not a multiple of the "
            f"{ggml_type.name} block size {block}",
        )
    if offset % alignment:
        raise InvalidValue(file, f"tensor {name!r} offset {offset} is not {alignment}-aligned")
    n_bytes = n_elements // block * type_size
    return TensorInfo(name, dims, ggml_type, offset, n_elements, n_bytes)


def read_local_header(
    path: str | Path, *, chunk: int = 4 << 20, max_bytes: int = DEFAULT_MAX_BYTES, **caps: int
) -> tuple[GGUFHeader, int]:
    """Parse the header of a local file (or file prefix), reading only what is needed.

    Returns the header and the number of bytes read. The same loop as the remote reader:
    read a chunk, feed it, read more while the parser needs more.
    """
    path = Path(path)
    parser = HeaderParser(str(path), max_bytes=max_bytes, **caps)
    with path.open("rb") as fh:
        while True:
            # needed never exceeds max_bytes: the parser raises HeaderTooLarge first
            have = parser.bytes_fed
            want = min(max(parser.needed - have, chunk), max_bytes - have)
            data = fh.read(want)
            header = parser.feed(data, complete=len(data) < want)   # short read: end of file
            if header is not None:
                return header, parser.bytes_fed
