"""The Hub client: the real `huggingface_hub` API, behind a request budget.

`huggingface_hub` shares one HTTP client per process (`get_session`); we install a client
factory whose transport goes through the current `Budget`:

- before each request: stop at the per-run cap (`RequestCapExceeded`), and wait (with the
  budget's injectable `sleep`) while the bucket (`api` / `resolvers`) has no requests left
  before its reset, as told by the last `RateLimit: "api";r=..;t=..` header;
- after each response: read `RateLimit` (and `Retry-After`) into the bucket's state;
- 429 is waited out until the reset, 5xx and time-outs are retried with backoff, a bounded
  number of times; this covers `model_info` and `get_paths_info`, which the library itself
  does not retry, and keeps the library's own (real-time) backoff for the rare case when
  ours gives up;
- every request gets the budget's timeout (the library passes `timeout=None` = forever).

The token comes from HF_TOKEN and goes only into request headers via huggingface_hub;
nothing here logs, stores or returns it.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
from huggingface_hub import HfApi
from huggingface_hub.utils import parse_ratelimit_headers, set_client_factory
from huggingface_hub.utils._http import hf_request_event_hook

DEFAULT_ENDPOINT = "https://huggingface.co"
RETRY_STATUSES = frozenset({408, 500, 502, 503, 504})
log = logging.getLogger(__name__)


class RequestCapExceeded(RuntimeError):
    """The run reached its request cap; the remaining repos wait for the next run."""


def bucket_of(path: str) -> str:
    """The Hub's rate-limit bucket of a URL path."""
    if path.startswith("/api/"):
        return "api"
    if "/resolve/" in path:
        return "resolvers"
    return "pages"


@dataclass
class _Bucket:
    remaining: int | None = None      # from the last RateLimit header
    reset_at: float | None = None     # clock time of the window reset
    sent: int = 0
    retries: int = 0
    waited: float = 0.0


@dataclass
class Budget:
    """Client-side request budget for one run (thread-safe).

    cap: at most this many requests in the run (None: no cap).
    reserve: keep this many requests of a bucket unused (wait for the reset instead).
    max_retries: extra attempts for 429 / 5xx / time-outs.
    backoff: seconds before retry n (the last value repeats); Retry-After wins if longer.
    jitter: each back-off is scaled by a random factor in [1 - jitter, 1 + jitter], so many
    workers failing together do not retry in lockstep.
    """

    cap: int | None = None
    reserve: int = 0
    max_retries: int = 4
    backoff: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    jitter: float = 0.0
    timeout: float = 30.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _bucket(self, name: str) -> _Bucket:
        return self.buckets.setdefault(name, _Bucket())

    @property
    def sent(self) -> int:
        return sum(b.sent for b in self.buckets.values())

    def counts(self) -> dict[str, int]:
        """Requests sent per bucket (what the run ledger records)."""
        return {name: b.sent for name, b in sorted(self.buckets.items())}

    def before(self, bucket: str) -> None:
        """Block until a request to bucket may go; count it. Raises at the cap."""
        while True:
            with self._lock:
                if self.cap is not None and self.sent >= self.cap:
                    raise RequestCapExceeded(f"request cap of {self.cap} reached")
                state = self._bucket(bucket)
                now = self.clock()
                wait = 0.0
                if state.reset_at is not None:
                    if now >= state.reset_at:
                        state.remaining, state.reset_at = None, None
                    elif state.remaining is not None and state.remaining <= self.reserve:
                        wait = state.reset_at - now
                if wait <= 0:
                    state.sent += 1
                    if state.remaining is not None:
                        state.remaining -= 1
                    return
                state.waited += wait
            log.info("hub: %s bucket exhausted, waiting %.1fs for the reset", bucket, wait)
            self.sleep(wait)

    def after(self, bucket: str, status: int, headers: httpx2.Headers) -> None:
        """Learn the bucket's state from a response."""
        info = parse_ratelimit_headers(headers)
        retry_after = _seconds(headers.get("Retry-After"))
        with self._lock:
            state = self._bucket(bucket)
            now = self.clock()
            if info is not None:
                state.remaining, state.reset_at = info.remaining, now + info.reset_in_seconds
            if status == 429:
                until = now + (retry_after if retry_after is not None else self._delay(0))
                if info is None or info.remaining > self.reserve:
                    state.remaining = 0
                    state.reset_at = max(state.reset_at or 0.0, until)

    def _delay(self, attempt: int) -> float:
        base = self.backoff[min(attempt, len(self.backoff) - 1)] if self.backoff else 0.0
        return base * (1 + self.jitter * (2 * self.rand() - 1))

    def pause(self, bucket: str, attempt: int, retry_after: float | None = None) -> None:
        """Back off before a retry (5xx, time-out)."""
        delay = max(self._delay(attempt), retry_after or 0.0)
        with self._lock:
            state = self._bucket(bucket)
            state.retries += 1
            state.waited += delay
        if delay > 0:
            self.sleep(delay)

    def note_retry(self, bucket: str) -> None:
        with self._lock:
            self._bucket(bucket).retries += 1


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
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


class BudgetTransport(httpx2.BaseTransport):
    """Wraps the real transport with the budget, retries and time-outs described above."""

    def __init__(self, inner: httpx2.BaseTransport | None = None) -> None:
        self.inner = inner or httpx2.HTTPTransport()

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        budget = _current
        bucket = bucket_of(request.url.path)
        t = budget.timeout
        request.extensions["timeout"] = {"connect": t, "read": t, "write": t, "pool": t}
        attempt = 0
        while True:
            budget.before(bucket)
            try:
                response = self.inner.handle_request(request)
            except (httpx2.TimeoutException, httpx2.NetworkError):
                if attempt >= budget.max_retries:
                    raise
                budget.pause(bucket, attempt)
                attempt += 1
                continue
            budget.after(bucket, response.status_code, response.headers)
            retryable = response.status_code == 429 or response.status_code in RETRY_STATUSES
            if not retryable or attempt >= budget.max_retries:
                return response
            response.read()
            response.close()
            if response.status_code == 429:
                budget.note_retry(bucket)     # before() waits until the bucket's reset
            else:
                budget.pause(bucket, attempt, _seconds(response.headers.get("Retry-After")))
            attempt += 1

    def close(self) -> None:
        self.inner.close()


def _client_factory() -> httpx2.Client:
    return httpx2.Client(
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
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return HfApi(endpoint=endpoint.rstrip("/"), token=token or hub_token() or False)
