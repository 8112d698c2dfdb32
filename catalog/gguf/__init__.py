"""GGUF headers: parse (pure), derive facts (pure), fetch over HTTP Range, store.

This package is `catalog.gguf`; the PyPI `gguf` package is imported absolutely inside it.
"""

from catalog.gguf.errors import (
    GGUFError,
    GGUFFormatError,
    GGUFRemoteError,
    NeedMoreData,
)
from catalog.gguf.header import GGUFHeader, TensorInfo, parse_header, read_local_header

__all__ = [
    "GGUFError",
    "GGUFFormatError",
    "GGUFHeader",
    "GGUFRemoteError",
    "NeedMoreData",
    "TensorInfo",
    "parse_header",
    "read_local_header",
]
