"""The reader's own exceptions: every failure on bad input is one of these, naming the file.

`NeedMoreData` is not a failure: it tells an incremental reader how long a prefix must be.
"""

from __future__ import annotations


class GGUFError(Exception):
    """Base of every error the GGUF header reader raises on purpose."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class GGUFFormatError(GGUFError):
    """The bytes are not a well-formed GGUF header (or break one of our caps)."""


class BadMagic(GGUFFormatError):
    """The file does not start with b'GGUF'."""


class UnsupportedVersion(GGUFFormatError):
    """A version other than 1, 2 or 3."""


class TruncatedHeader(GGUFFormatError):
    """The file (or the server's answer) ends before the header does."""


class LimitExceeded(GGUFFormatError):
    """A declared size is beyond a cap: we refuse before allocating anything."""


class ArrayTooLong(LimitExceeded):
    """A metadata array declares more elements than `max_array_len`."""


class StringTooLong(LimitExceeded):
    """A string declares more bytes than `max_string_bytes`."""


class TooManyDimensions(LimitExceeded):
    """A tensor declares more dimensions than ggml supports."""


class TooManyValues(LimitExceeded):
    """The header's arrays hold more than `max_values` elements in all, or more than
    `max_nested_arrays` arrays inside arrays."""


class HeaderTooLarge(LimitExceeded):
    """The header would need more bytes than `max_bytes`."""


class InvalidValue(GGUFFormatError):
    """A field holds something impossible: unknown type, bad UTF-8, duplicate, misalignment."""


class GGUFRemoteError(GGUFError):
    """Fetching the header over HTTP failed (status, missing Range support, short answer)."""


class RangeNotSupported(GGUFRemoteError):
    """The server does not honour `Range` (no Accept-Ranges, or a 200 with the whole body)."""


class BudgetExhausted(GGUFRemoteError):
    """The run's budget is spent (request cap or stage deadline); try again next run."""


class NeedMoreData(Exception):
    """The prefix is too short: at least `bytes_needed` bytes from the start are required."""

    def __init__(self, bytes_needed: int) -> None:
        super().__init__(f"need at least {bytes_needed} bytes")
        self.bytes_needed = bytes_needed
