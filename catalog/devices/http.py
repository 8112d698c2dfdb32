"""A polite fetcher for vendor pages: identifies itself, waits between requests to the same
host, asks only for what changed (ETag / If-Modified-Since against an on-disk cache),
honours robots.txt, retries what may pass (connection errors, time-outs, 429 / 5xx, with
back-off and Retry-After: `catalog.http.retrying_session`), and turns every refusal into a
FetchError with a readable reason.

The clock and sleep are injectable so tests check the delays without waiting for them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests

from catalog.files import atomic_write
from catalog.http import retrying_session

USER_AGENT = "fitcat-devices/0.1 (+https://github.com/fitcat/fitcat; devices@fitcat.invalid)"


class FetchError(RuntimeError):
    """A page could not be had: HTTP error, robots.txt disallow, timeout, connection error."""


@dataclass(frozen=True)
class FetchResult:
    url: str
    status: int            # 200, or 304 when the cached copy was confirmed current
    text: str
    fetched_at: datetime
    content_sha256: str
    from_cache: bool


class PoliteFetcher:
    """GET with a contact User-Agent, per-host delay, conditional requests, robots.txt and
    retries (`retries` more attempts; `timeout` per connect and per read)."""

    def __init__(self, cache_dir: Path, *, user_agent: str = USER_AGENT, timeout: float = 20.0,
                 delay_s: float = 2.0, retries: int = 3, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.user_agent = user_agent
        self.timeout = timeout
        self.delay_s = delay_s
        self.clock = clock
        self.sleep = sleep
        self.session = session or retrying_session(retries=retries, sleep=sleep)
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}

    def _wait_for(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            remaining = self.delay_s - (self.clock() - last)
            if remaining > 0:
                self.sleep(remaining)
        self._last_request[host] = self.clock()

    def _request(self, url: str, headers: dict[str, str] | None = None) -> requests.Response:
        self._wait_for(urlsplit(url).netloc)
        try:
            return self.session.get(url, timeout=self.timeout, allow_redirects=True,
                                    headers={"User-Agent": self.user_agent, **(headers or {})})
        except requests.RequestException as exc:
            raise FetchError(f"{type(exc).__name__}: {exc}") from exc

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            parser = RobotFileParser()
            try:
                response = self._request(origin + "/robots.txt")
            except FetchError:
                parser.disallow_all = True          # unreachable: assume disallowed (RFC 9309)
            else:
                if response.status_code >= 500:
                    parser.disallow_all = True      # server error: assume disallowed
                elif response.status_code >= 400:
                    parser.allow_all = True         # no robots.txt: anything goes
                else:
                    parser.parse(response.text.splitlines())
            self._robots[origin] = parser
        return self._robots[origin]

    def _cache_path(self, url: str) -> Path:
        return self.cache_dir / (hashlib.sha256(url.encode()).hexdigest() + ".json")

    def get(self, url: str) -> FetchResult:
        """The page body, from the network or (on 304) from the cache; FetchError otherwise."""
        if not self._robots_for(url).can_fetch(self.user_agent, url):
            raise FetchError(f"robots.txt disallows {url}")
        cache_file = self._cache_path(url)
        cached = json.loads(cache_file.read_text()) if cache_file.exists() else None
        headers = {}
        if cached and cached.get("etag"):
            headers["If-None-Match"] = cached["etag"]
        if cached and cached.get("last_modified"):
            headers["If-Modified-Since"] = cached["last_modified"]
        response = self._request(url, headers)
        now = datetime.now(UTC)
        if response.status_code == 304 and cached:
            return FetchResult(url, 304, cached["text"], now, cached["sha256"], True)
        if response.status_code != 200:
            raise FetchError(f"HTTP {response.status_code} {response.reason} for {url}")
        text = response.text
        sha = hashlib.sha256(response.content).hexdigest()
        self._store(cache_file, {"url": url, "etag": response.headers.get("ETag"),
                                 "last_modified": response.headers.get("Last-Modified"),
                                 "sha256": sha, "text": text})
        return FetchResult(url, 200, text, now, sha, False)

    def _store(self, path: Path, entry: dict[str, object]) -> None:
        """Write the cache entry atomically: a crash never leaves half a page behind."""
        atomic_write(path, json.dumps(entry))
