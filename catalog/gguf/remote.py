"""Read GGUF headers over HTTP `Range`, fetching only the header, never the weights.

Why: a 100 GB build's header (its tokenizer, keys and tensor table) is a few MB at the
front. HEAD first (size, `Accept-Ranges`), then `Range` GETs in bounded chunks (4 MiB)
until `parse_header` stops asking for more; a hard cap (64 MiB) bounds the worst case.
A server that ignores `Range` is refused before its body is read. Requests go through
`huggingface_hub`'s session with `build_hf_headers(token=...)`, so the Hub token is sent
(and never logged: errors carry the URL and status only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from huggingface_hub import get_session
from huggingface_hub.utils import build_hf_headers

from catalog.gguf.errors import (
    BudgetExhausted,
    GGUFRemoteError,
    HeaderTooLarge,
    NeedMoreData,
    RangeNotSupported,
    TruncatedHeader,
)
from catalog.gguf.header import (
    DEFAULT_MAX_ARRAY_LEN,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_STRING_BYTES,
    GGUFHeader,
    parse_header,
)

DEFAULT_CHUNK = 4 << 20
BUCKET = "resolvers"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class Budget(Protocol):
    """A run's request budget; `take` spends one request of a bucket or says no."""

    def take(self, bucket: str) -> bool: ...



@dataclass(frozen=True)
class RemoteHeader:
    """A header read over HTTP with what it cost."""

    header: GGUFHeader
    url: str
    file_size: int
    bytes_read: int
    requests: int
    commit: str | None


def resolve_url(endpoint: str, repo_id: str, sha: str, path: str) -> str:
    """`{endpoint}/{repo_id}/resolve/{sha}/{path}`, path segments quoted."""
    return f"{endpoint.rstrip('/')}/{repo_id}/resolve/{quote(sha, safe='')}/{quote(path)}"


class RangeReader:
    """Fetch GGUF headers from one Hub endpoint, counting requests and bytes."""

    def __init__(
        self,
        endpoint: str,
        token: str | bool | None = None,
        *,
        chunk: int = DEFAULT_CHUNK,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_array_len: int = DEFAULT_MAX_ARRAY_LEN,
        max_string_bytes: int = DEFAULT_MAX_STRING_BYTES,
        budget: Any = None,  # a `take(bucket)` Budget or catalog.hub.client.Budget
        timeout: float = 60.0,
        client: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self.chunk, self.max_bytes = chunk, max_bytes
        self.caps = {"max_array_len": max_array_len, "max_string_bytes": max_string_bytes}
        self.budget, self.timeout = budget, timeout
        self.client = client or get_session()
        self._headers = {**build_hf_headers(token=token), "Accept-Encoding": "identity"}
        self.requests = 0
        self.bytes_read = 0

    def _spend(self, name: str) -> None:
        """Charge one `resolvers` request: a `take(bucket)` budget, or the Hub client's
        `catalog.hub.client.Budget` (`before(bucket)`, raising RequestCapExceeded at the cap)."""
        budget = self.budget
        if budget is not None and hasattr(budget, "before"):
            from catalog.hub.client import RequestCapExceeded

            try:
                budget.before(BUCKET)
            except RequestCapExceeded as exc:
                raise BudgetExhausted(name, f"the run's request cap is reached ({exc})") from None
        elif budget is not None and not budget.take(BUCKET):
            raise BudgetExhausted(name, f"the run's '{BUCKET}' request budget is spent")
        self.requests += 1

    def _learn(self, status: int, headers: Any) -> None:
        """Let a Hub-client budget read the RateLimit headers of each answer."""
        after = getattr(self.budget, "after", None)
        if after is not None:
            after(BUCKET, status, headers)

    def head(self, name: str, url: str) -> tuple[int, str | None]:
        """(file size, X-Repo-Commit) from a HEAD; refuse servers without byte ranges."""
        self._spend(name)
        try:
            r = self.client.head(url, headers=self._headers, timeout=self.timeout,
                                 follow_redirects=True)
        except Exception as exc:  # transport errors of httpx2, whatever their class
            raise GGUFRemoteError(name, f"HEAD {url} failed: {type(exc).__name__}") from exc
        self._learn(r.status_code, r.headers)
        if r.status_code != 200:
            raise GGUFRemoteError(name, f"HEAD {url} answered {r.status_code}")
        if "bytes" not in r.headers.get("Accept-Ranges", "").lower():
            raise RangeNotSupported(name, f"{url} does not advertise Accept-Ranges: bytes")
        size = r.headers.get("X-Linked-Size") or r.headers.get("Content-Length")
        if size is None or not size.isdigit():
            raise GGUFRemoteError(name, f"HEAD {url} gave no file size")
        return int(size), r.headers.get("X-Repo-Commit")

    def get_range(self, name: str, url: str, start: int, stop: int) -> bytes:
        """Bytes [start, stop) with a 206; a 200 (Range ignored) is refused unread."""
        self._spend(name)
        want = stop - start
        headers = {**self._headers, "Range": f"bytes={start}-{stop - 1}"}
        try:
            with self.client.stream("GET", url, headers=headers, timeout=self.timeout,
                                    follow_redirects=True) as r:
                self._learn(r.status_code, r.headers)
                if r.status_code == 200:
                    raise RangeNotSupported(
                        name, f"{url} ignored Range and answered 200 with the whole body")
                if r.status_code != 206:
                    raise GGUFRemoteError(name, f"GET {url} (Range) answered {r.status_code}")
                m = _CONTENT_RANGE.fullmatch(r.headers.get("Content-Range", ""))
                if not m or int(m.group(1)) != start:
                    raise RangeNotSupported(name, f"{url} answered a different range "
                                                  f"({r.headers.get('Content-Range')!r})")
                body = bytearray()
                for part in r.iter_bytes():
                    body += part
                    self.bytes_read += len(part)
                    if len(body) > want:
                        raise GGUFRemoteError(name, f"{url} sent more than the {want} "
                                                    "bytes asked for")
        except GGUFRemoteError:
            raise
        except Exception as exc:
            raise GGUFRemoteError(name, f"GET {url} failed: {type(exc).__name__}") from exc
        if len(body) != want:
            raise TruncatedHeader(name, f"{url} sent {len(body)} of {want} bytes at {start}")
        return bytes(body)

    def read_header(self, repo_id: str, sha: str, path: str) -> RemoteHeader:
        """HEAD, then chunked Range GETs until the header parses; stops at the data offset."""
        name = f"{repo_id}@{sha}:{path}"
        url = resolve_url(self.endpoint, repo_id, sha, path)
        requests0, bytes0 = self.requests, self.bytes_read
        size, commit = self.head(name, url)
        buf = b""
        while True:
            try:
                header = parse_header(buf, name=name, complete=len(buf) >= size,
                                      max_bytes=self.max_bytes, **self.caps)
                break
            except NeedMoreData as more:
                needed = more.bytes_needed
            if needed > size:
                raise TruncatedHeader(name, f"file is {size} bytes, header needs {needed}")
            if len(buf) >= self.max_bytes:
                raise HeaderTooLarge(name, f"header exceeds the cap of {self.max_bytes} bytes")
            stop = min(max(needed, len(buf) + self.chunk), size, self.max_bytes)
            buf += self.get_range(name, url, len(buf), stop)
        return RemoteHeader(header, url, size, self.bytes_read - bytes0,
                            self.requests - requests0, commit)
