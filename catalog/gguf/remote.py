"""Read GGUF headers over HTTP `Range`, fetching only the header, never the weights.

Why: a 100 GB build's header (its tokenizer, keys and tensor table) is a few MB at the
front. One HEAD for the file's size and commit, then `Range` GETs in bounded chunks (4 MiB)
fed to an incremental `HeaderParser` (each byte parsed once) until the header is complete;
caps on bytes (64 MiB) and values bound the worst case.

The Hub's `resolve` answers an LFS file with a 302 to a CDN, and only that 302 carries
`X-Linked-Size`, `X-Repo-Commit` and `X-Linked-Etag`; the CDN answers the ranges. So the HEAD
is huggingface_hub's own `get_hf_file_metadata`: it follows redirects that stay on the Hub
(renamed repos) and stops at one to another host, reading the metadata off it
(`_httpx2_follow_hub_redirects_with_backoff` in huggingface_hub/utils/_http.py; the size is
`X-Linked-Size`, never a redirect's `Content-Length`: huggingface_hub#4698/#4699). The ranges
are then read from its `location`, as `hf_hub_download` downloads from it
(`_get_metadata_or_catch_error` in file_download.py), without the token when it is off the Hub
("a signed CDN url => don't send auth"). Following the redirect for the HEAD would lose the
metadata (huggingface/hf-hub#212, nullata/llamaMan#70).

Requests go through the Hub client (`catalog.hub.client`), which charges each one once: the
HEAD to `resolvers`, each range read from the CDN to `cdn` (no Hub window, not in the cap).
A server that ignores `Range` (a 200) is refused before its body is read. The token is sent
as a header by huggingface_hub and never logged: errors carry the URL and status only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import httpx2
from huggingface_hub import get_hf_file_metadata, get_session
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import build_hf_headers

from catalog.gguf.errors import (
    BudgetExhausted,
    GGUFRemoteError,
    RangeNotSupported,
    TruncatedHeader,
)
from catalog.gguf.header import DEFAULT_MAX_BYTES, GGUFHeader, HeaderParser
from catalog.hub.client import (
    Budget,
    BudgetSpent,
    current_budget,
    is_hub_url,
    register_hub_endpoint,
    use_budget,
)

DEFAULT_CHUNK = 4 << 20
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


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


@dataclass(frozen=True)
class _Target:
    """Where a file's bytes are read from, and what the Hub said about it."""

    size: int
    commit: str | None
    location: str                 # the resolve URL itself, or the CDN URL it redirects to


class RangeReader:
    """Fetch GGUF headers from one Hub endpoint, counting requests and bytes.

    budget: the run's `catalog.hub.client.Budget`, installed for every Hub request of the
    process as `hub_api` does (default: the current one). `caps`: HeaderParser's limits
    (max_array_len, max_string_bytes, max_values, max_nested_arrays).
    """

    def __init__(
        self,
        endpoint: str,
        token: str | bool | None = None,
        *,
        chunk: int = DEFAULT_CHUNK,
        max_bytes: int = DEFAULT_MAX_BYTES,
        budget: Budget | None = None,
        **caps: int,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.chunk, self.max_bytes, self.caps = chunk, max_bytes, caps
        use_budget(budget or current_budget())
        register_hub_endpoint(self.endpoint)
        self.requests = 0
        self.bytes_read = 0

    def _unsent(self, name: str, exc: BudgetSpent) -> BudgetExhausted:
        """The budget refused the request: it was not sent (nor counted)."""
        self.requests -= 1
        return BudgetExhausted(name, f"the run's budget is spent ({exc})")

    def head(self, name: str, url: str) -> _Target:
        """Size, commit and location of the file, from the resolve answer (302 or 200)."""
        self.requests += 1
        try:
            meta = get_hf_file_metadata(url, token=self.token, endpoint=self.endpoint)
        except BudgetSpent as exc:
            raise self._unsent(name, exc) from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "no answer"
            raise GGUFRemoteError(name, f"HEAD {url} answered {status}") from exc
        except httpx2.HTTPError as exc:
            raise GGUFRemoteError(name, f"HEAD {url} failed: {type(exc).__name__}") from exc
        if meta.size is None:
            raise GGUFRemoteError(name, f"HEAD {url} gave no file size (no X-Linked-Size on "
                                        "its redirect, no Content-Length)")
        return _Target(meta.size, meta.commit_hash, meta.location)

    def get_range(self, name: str, location: str, start: int, stop: int) -> bytes:
        """Bytes [start, stop) with a 206; a 200 (Range ignored) is refused unread."""
        self.requests += 1
        want = stop - start
        headers = {"Accept-Encoding": "identity", "Range": f"bytes={start}-{stop - 1}"}
        if is_hub_url(location):            # the token never goes to a CDN
            headers = {**build_hf_headers(token=self.token), **headers}
        shown = location.split("?", 1)[0]   # a signed URL's query is a credential of sorts
        try:
            r = get_session().get(location, headers=headers, follow_redirects=True)
        except BudgetSpent as exc:
            raise self._unsent(name, exc) from None
        except (HfHubHTTPError, httpx2.HTTPError) as exc:
            raise GGUFRemoteError(name, f"GET {shown} (Range) failed: {type(exc).__name__}") from exc
        if r.status_code == 200:
            raise RangeNotSupported(name, f"{shown} ignored Range and answered 200 with the whole body")
        if r.status_code != 206:
            raise GGUFRemoteError(name, f"GET {shown} (Range) answered {r.status_code}")
        m = _CONTENT_RANGE.fullmatch(r.headers.get("Content-Range", ""))
        if not m or int(m.group(1)) != start:
            raise RangeNotSupported(name, f"{shown} answered a different range "
                                          f"({r.headers.get('Content-Range')!r})")
        self.bytes_read += len(r.content)
        if len(r.content) != want:
            raise TruncatedHeader(name, f"{shown} sent {len(r.content)} of {want} bytes at {start}")
        return r.content

    def read_header(self, repo_id: str, sha: str, path: str) -> RemoteHeader:
        """HEAD, then chunked Range GETs fed to the parser until the header is complete."""
        name = f"{repo_id}@{sha}:{path}"
        url = resolve_url(self.endpoint, repo_id, sha, path)
        requests0, bytes0 = self.requests, self.bytes_read
        target = self.head(name, url)
        parser = HeaderParser(name, max_bytes=self.max_bytes, **self.caps)
        header = None
        while header is None:
            have = parser.bytes_fed
            if parser.needed > target.size:
                raise TruncatedHeader(name, f"file is {target.size} bytes, header needs {parser.needed}")
            stop = min(max(parser.needed, have + self.chunk), target.size, self.max_bytes)
            data = self.get_range(name, target.location, have, stop)
            header = parser.feed(data, complete=stop >= target.size)
        return RemoteHeader(header, url, target.size, self.bytes_read - bytes0,
                            self.requests - requests0, target.commit)
