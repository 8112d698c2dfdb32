"""The Hub client: the real `huggingface_hub` API behind one request policy.

`huggingface_hub` shares one HTTP client per process (`get_session`); `use_budget` installs a
client factory (`set_client_factory`) whose client (`HubClient`) and transport
(`BudgetTransport`) apply the current `Budget` to every request the library (or our GGUF
reader) sends.

Charging (the transport, once per HTTP request actually sent, each redirect hop included):
the bucket is the Hub's rate-limit window of the URL (`api` / `resolvers` / `pages`) when the
URL is on a Hub origin, else `cdn` (the signed CDN URL a `resolve` redirects to: not in the
Hub's windows, not counted against `cap`, counted for the run ledger). Before a request: stop
at the cap (`RequestCapExceeded`) or after the stage deadline (`DeadlinePassed`), and wait
while the bucket has `reserve` requests left before its reset (as told by the last
`RateLimit: "api";r=..;t=..` header), at most `max_wait` seconds. After: learn `RateLimit`.

Deadlines: a request must be done (connect + whole body) within `request_deadline` seconds,
and never later than the stage deadline; each network operation (connect, one read) times
out after `timeout` seconds or what remains, whichever is less. A body still arriving at its
deadline is cut off as its next piece arrives, so a trickle of 1 byte every 2 s stops within
2 s of the deadline; it is a time-out like any other (retried, then `RequestTimeout`).

Retries (the client; the only retry layer): a 429 waits until the later of `Retry-After` and
the RateLimit reset, capped at `max_wait`; 408 / 5xx, time-outs and connection errors wait
`backoff[n]` (± jitter; `Retry-After` wins if longer, capped at `max_wait`); at most
`max_retries` extra attempts. `huggingface_hub` retries on its own in `http_backoff`
(listings, downloads: 5 more attempts with real `time.sleep`), so a final failure is never
handed back as something it retries: a final 408/429/5xx is raised as the library's own
`HfHubHTTPError` (`hf_raise_for_status`, what its callers raise for it anyway), a final
time-out as `RequestTimeout` and a final connection error as `RequestFailed`; `http_backoff`
retries only `httpx2.TimeoutException`, `NetworkError` and `RemoteProtocolError`
(`huggingface_hub/utils/_http.py`, `_DEFAULT_RETRY_ON_EXCEPTIONS`), and neither is one.
A `Range` request answered 200 (a server ignoring `Range`: the whole file) is returned
unread, and a 206 may not carry more than the range asked for.

Stage deadlines, for the flow: no request starts after the stage's deadline, and no wait
(rate limit, back-off) runs past it; `DeadlinePassed` is raised at once instead:

    budget = current_budget()
    with budget.stage("models", seconds=600):
        ...    # Hub calls; past 600 s each raises DeadlinePassed (a BudgetSpent)

`BudgetSpent` is the base of `RequestCapExceeded` and `DeadlinePassed`: the run's budget (of
requests or of time) is spent, the remaining repos wait for the next run.

The token comes from HF_TOKEN and goes only into request headers via huggingface_hub;
nothing here logs, stores or returns it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.utils import hf_raise_for_status, parse_ratelimit_headers, set_client_factory
from huggingface_hub.utils._http import hf_request_event_hook

from catalog.settings import HubScope

DEFAULT_ENDPOINT = "https://huggingface.co"
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
HUB_BUCKETS = ("api", "resolvers", "pages")
CDN_BUCKET = "cdn"
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")
log = logging.getLogger(__name__)


class BudgetSpent(RuntimeError):
    """The run's budget is spent (requests or time); the remaining work waits for the next run."""


class RequestCapExceeded(BudgetSpent):
    """The run reached its request cap."""


class DeadlinePassed(BudgetSpent):
    """The current stage's deadline has passed: no new request starts, no wait runs past it."""


class RequestFailed(httpx2.TransportError):
    """A request failed on every attempt (or in a way a retry cannot mend). Deliberately not
    an `httpx2.NetworkError`: huggingface_hub's `http_backoff` must not retry it again."""


class RequestTimeout(RequestFailed):
    """A request missed its deadline (connect + whole body) or timed out on every attempt."""


# Failures worth another attempt: what huggingface_hub's http_backoff retries, and a deadline.
_RETRY_ERRORS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError, RequestTimeout)


# -- which window a URL counts against -------------------------------------------------------
def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return parts.scheme, (parts.hostname or "").lower(), port


# Origins whose requests the Hub's rate-limit windows count: huggingface_hub's own Hub hosts
# (`_HUB_ORIGINS` in huggingface_hub/utils/_http.py), HF_ENDPOINT, and the endpoint this process
# was last pointed at (hub_api, RangeReader). Anything else is a CDN hop.
_HUB_ORIGINS = frozenset(_origin(u) for u in (DEFAULT_ENDPOINT, "https://hf.co",
                                              os.environ.get("HF_ENDPOINT") or ""))
_pointed_at: set[tuple[str, str, int]] = set()


def register_hub_endpoint(endpoint: str) -> None:
    """Count requests to endpoint's origin in the Hub's windows (not as CDN hops). It replaces
    the endpoint registered before: a process that served one fake Hub and then another must not
    take a CDN on the first one's reused loopback port for the Hub (and send it the token)."""
    _pointed_at.clear()
    _pointed_at.add(_origin(endpoint))


def is_hub_url(url: str) -> bool:
    origin = _origin(url)
    return origin in _HUB_ORIGINS or origin in _pointed_at


def bucket_of(path: str) -> str:
    """The Hub's rate-limit bucket of a URL path on a Hub origin."""
    if path.startswith("/api/"):
        return "api"
    if "/resolve/" in path:
        return "resolvers"
    return "pages"


def bucket_for(url: httpx2.URL | str) -> str:
    """The bucket a request is charged to: a Hub window, or `cdn` off the Hub."""
    url = str(url)
    return bucket_of(urlsplit(url).path) if is_hub_url(url) else CDN_BUCKET


# -- the budget ------------------------------------------------------------------------------
@dataclass
class _Bucket:
    remaining: int | None = None      # from the last RateLimit header
    reset_at: float | None = None     # clock time of the window reset
    sent: int = 0
    retries: int = 0
    waited: float = 0.0


@dataclass
class Budget:
    """Client-side request policy for one run (thread-safe). [hub] settings: `from_scope`.

    cap: at most this many Hub requests in the run (None: no cap; CDN hops are not counted).
    reserve: keep this many requests of a bucket unused (wait for the reset instead).
    max_retries: extra attempts for 408 / 429 / 5xx / time-outs / connection errors.
    backoff: seconds before retry n (the last value repeats); Retry-After wins if longer.
    jitter: each back-off is scaled by a random factor in [1 - jitter, 1 + jitter], so many
    workers failing together do not retry in lockstep.
    timeout: seconds one network operation (connect, one read) may take.
    request_deadline: seconds one request may take in all (connect + whole body).
    max_wait: the longest one wait lasts (Retry-After, RateLimit reset, back-off).
    clock, sleep, rand: injectable; `sleep(s)` must let `clock()` advance by s.
    """

    cap: int | None = None
    reserve: int = 0
    max_retries: int = 4
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    jitter: float = 0.0
    timeout: float = 30.0
    request_deadline: float = 120.0
    max_wait: float = 300.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    deadline: float | None = None          # clock time the current stage must end by
    stage_name: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def from_scope(cls, scope: HubScope, **overrides: Any) -> Budget:
        """A budget with the [hub] settings of fitcat.toml."""
        return cls(**{"cap": scope.request_cap, "reserve": scope.reserve,
                      "max_retries": scope.max_retries, "backoff": scope.backoff_seconds,
                      "jitter": scope.backoff_jitter, "timeout": scope.timeout_seconds,
                      "request_deadline": scope.request_deadline_seconds,
                      "max_wait": scope.max_wait_seconds, **overrides})

    def _bucket(self, name: str) -> _Bucket:
        return self.buckets.setdefault(name, _Bucket())

    @property
    def sent(self) -> int:
        """Hub requests sent (what the cap counts)."""
        return sum(b.sent for name, b in self.buckets.items() if name != CDN_BUCKET)

    def counts(self) -> dict[str, int]:
        """Requests sent per bucket, CDN hops included (what the run ledger records)."""
        return {name: b.sent for name, b in sorted(self.buckets.items())}

    @contextlib.contextmanager
    def stage(self, name: str, seconds: float | None) -> Iterator[Budget]:
        """Within the block, no request starts and no wait runs past `seconds` from now
        (None: no deadline). Restores the enclosing stage's deadline on exit."""
        saved = self.deadline, self.stage_name
        self.deadline = None if seconds is None else self.clock() + seconds
        self.stage_name = name
        try:
            yield self
        finally:
            self.deadline, self.stage_name = saved

    def _refuse_past_deadline(self, now: float, what: str) -> None:
        if self.deadline is not None and now >= self.deadline:
            raise DeadlinePassed(f"the '{self.stage_name}' stage's deadline has passed: {what}")

    def request_deadline_at(self) -> float:
        """When a request starting now must be done by."""
        end = self.clock() + self.request_deadline
        return end if self.deadline is None else min(end, self.deadline)

    def before(self, bucket: str, what: str = "request not sent") -> None:
        """Block until a request to bucket may go; count it. Raises at the cap or deadline."""
        while True:
            with self._lock:
                now = self.clock()
                self._refuse_past_deadline(now, what)
                hub = bucket != CDN_BUCKET
                if hub and self.cap is not None and self.sent >= self.cap:
                    raise RequestCapExceeded(f"request cap of {self.cap} reached")
                state = self._bucket(bucket)
                wait = 0.0
                if state.reset_at is not None:
                    if now >= state.reset_at:
                        state.remaining, state.reset_at = None, None
                    elif state.remaining is not None and state.remaining <= self.reserve:
                        wait = min(state.reset_at - now, self.max_wait)
                        state.reset_at = now + wait      # the cap: after it, the window counts as reset
                if wait <= 0:
                    state.sent += 1
                    if state.remaining is not None:
                        state.remaining -= 1
                    return
                self._refuse_past_deadline(now + wait, f"waiting {wait:.1f}s for the {bucket} reset")
                state.waited += wait
            log.info("hub: %s bucket exhausted, waiting %.1fs for the reset", bucket, wait)
            self.sleep(wait)

    def after(self, bucket: str, headers: httpx2.Headers) -> None:
        """Learn the bucket's window from a response's `RateLimit` header."""
        info = parse_ratelimit_headers(headers)
        if info is None:
            return
        with self._lock:
            state = self._bucket(bucket)
            state.remaining, state.reset_at = info.remaining, self.clock() + info.reset_in_seconds

    def throttle(self, bucket: str, headers: httpx2.Headers, attempt: int) -> float:
        """After a 429: the bucket waits until the later of Retry-After and the RateLimit reset
        (back-off if neither is given), capped at max_wait; the next `before` waits it out."""
        info = parse_ratelimit_headers(headers)
        wait = max(_seconds(headers.get("Retry-After")) or 0.0, info.reset_in_seconds if info else 0.0)
        wait = min(wait or self._delay(attempt), self.max_wait)
        with self._lock:
            state = self._bucket(bucket)
            state.retries += 1
            state.remaining, state.reset_at = 0, self.clock() + wait
        return wait

    def _delay(self, attempt: int) -> float:
        base = self.backoff[min(attempt, len(self.backoff) - 1)] if self.backoff else 0.0
        return base * (1 + self.jitter * (2 * self.rand() - 1))

    def pause(self, bucket: str, attempt: int, retry_after: float | None = None) -> None:
        """Back off before a retry (408 / 5xx, time-out, connection error)."""
        delay = min(max(self._delay(attempt), retry_after or 0.0), self.max_wait)
        with self._lock:
            self._refuse_past_deadline(self.clock() + delay, f"a {delay:.1f}s back-off before a retry")
            state = self._bucket(bucket)
            state.retries += 1
            state.waited += delay
        if delay > 0:
            self.sleep(delay)


def _seconds(value: str | None) -> float | None:
    """Retry-After in seconds (the HTTP-date form is ignored, as huggingface_hub does)."""
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


_current: Budget = Budget()
_install_lock = threading.Lock()
_installed = False


def current_budget() -> Budget:
    return _current


def use_budget(budget: Budget) -> Budget:
    """Route every huggingface_hub request of this process through budget; returns it."""
    global _current, _installed
    _current = budget
    with _install_lock:
        if not _installed:
            set_client_factory(_client_factory)
            _installed = True
    return budget


# -- transport: charge, deadline, learn ------------------------------------------------------
class _DeadlineBody(httpx2.SyncByteStream):
    """A response body cut off at its deadline, and (for a 206) at the range's length."""

    def __init__(self, inner: httpx2.SyncByteStream, request: httpx2.Request, deadline: float,
                 clock: Callable[[], float], limit: int | None) -> None:
        self.inner, self.request, self.deadline = inner, request, deadline
        self.clock, self.limit = clock, limit

    def __iter__(self) -> Iterator[bytes]:
        got = 0
        for part in self.inner:
            got += len(part)
            if self.limit is not None and got > self.limit:
                raise RequestFailed(f"{_what(self.request)} sent more than the {self.limit} bytes "
                                    "of the range asked for", request=self.request)
            if self.clock() > self.deadline:
                raise RequestTimeout(f"{_what(self.request)}: body not complete by its deadline "
                                     f"({got} bytes so far)", request=self.request)
            yield part

    def close(self) -> None:
        self.inner.close()


def _what(request: httpx2.Request) -> str:
    """Method and URL without the query (CDN URLs carry signatures)."""
    url = request.url
    return f"{request.method} {url.scheme}://{url.netloc.decode()}{url.path}"


def _range_length(request: httpx2.Request) -> int | None:
    m = _RANGE.fullmatch(request.headers.get("Range", ""))
    return int(m.group(2)) - int(m.group(1)) + 1 if m else None


class BudgetTransport(httpx2.BaseTransport):
    """Wraps the real transport: charges each request, sets its time-outs and deadline."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        budget = _current
        bucket = bucket_for(request.url)
        budget.before(bucket, f"{_what(request)} not sent")
        deadline = budget.request_deadline_at()
        t = max(min(budget.timeout, deadline - budget.clock()), 0.001)
        request.extensions["timeout"] = {"connect": t, "read": t, "write": t, "pool": t}
        response = self.inner.handle_request(request)
        if budget.clock() > deadline:
            response.close()
            raise RequestTimeout(f"{_what(request)}: no answer by its deadline", request=request)
        if bucket != CDN_BUCKET:
            budget.after(bucket, response.headers)
        limit = _range_length(request) if response.status_code == 206 else None
        assert isinstance(response.stream, httpx2.SyncByteStream)
        response.stream = _DeadlineBody(response.stream, request, deadline, budget.clock, limit)
        return response

    def close(self) -> None:
        self.inner.close()


# -- client: the one retry loop --------------------------------------------------------------
class HubClient(httpx2.Client):
    """huggingface_hub's shared client, retrying as the module docstring says."""

    def send(self, request: httpx2.Request, *, stream: bool = False, **kwargs: Any) -> httpx2.Response:
        attempt = 0
        while True:
            budget = _current
            try:
                response = super().send(request, stream=True, **kwargs)
                status = response.status_code
                bucket = bucket_for(response.request.url)
                if status == 429:      # the bucket's next request (ours or not) waits it out
                    budget.throttle(bucket, response.headers, attempt)
                if status in RETRY_STATUSES and attempt < budget.max_retries:
                    response.close()
                    if status != 429:
                        budget.pause(bucket, attempt, _seconds(response.headers.get("Retry-After")))
                    attempt += 1
                    continue
                return _finish(request, response, stream)
            except _RETRY_ERRORS as exc:
                if attempt >= budget.max_retries:
                    raise _final(request, exc, attempt + 1) from exc
                budget.pause(bucket_for(request.url), attempt)
                attempt += 1


def _finish(request: httpx2.Request, response: httpx2.Response, stream: bool) -> httpx2.Response:
    """Raise a final retryable status as HfHubHTTPError; read the body unless streaming or
    it is a whole file answered to a Range request."""
    try:
        if response.status_code in RETRY_STATUSES:
            response.read()
            hf_raise_for_status(response)
        if not stream and not ("Range" in request.headers and response.status_code == 200):
            response.read()
    except BaseException:
        response.close()
        raise
    if not stream:
        response.close()
    return response


def _final(request: httpx2.Request, exc: Exception, attempts: int) -> RequestFailed:
    timed_out = isinstance(exc, httpx2.TimeoutException | RequestTimeout)
    kind = RequestTimeout if timed_out else RequestFailed
    verb = "timed out" if timed_out else "failed"
    return kind(f"{_what(request)} {verb} on {attempts} attempt(s): {type(exc).__name__}: {exc}",
                request=request)


def _client_factory() -> httpx2.Client:
    return HubClient(
        transport=BudgetTransport(),
        event_hooks={"request": [hf_request_event_hook]},
        follow_redirects=True,
        timeout=None,
    )


def hub_token() -> str | None:
    """HF_TOKEN if set; an empty value counts as unset."""
    return os.environ.get("HF_TOKEN") or None


def hub_api(endpoint: str | None = None, token: str | None = None,
            budget: Budget | None = None) -> HfApi:
    """An HfApi for endpoint (default: HF_ENDPOINT or huggingface.co), requests budgeted."""
    use_budget(budget or _current)
    endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    register_hub_endpoint(endpoint)
    return HfApi(endpoint=endpoint, token=token or hub_token() or False)
