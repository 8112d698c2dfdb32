"""The one HTTP session policy for sources other than the Hub (vendor spec pages, ...).

Hub traffic goes through `huggingface_hub` and `catalog.hub.client` (its budget, deadlines
and retries). Everything else uses `retrying_session()`: a `requests.Session` whose adapter
retries with urllib3's `Retry`, so connection errors, read time-outs and 429 / 5xx answers
get `retries` more attempts with exponential back-off (urllib3: none before the first retry,
then `backoff_factor` × 2, × 4, ...), waiting `Retry-After` instead when it is longer, each
wait capped at `max_wait`; after the last attempt the final answer is returned, not raised.
Waits go through an injectable `sleep`, so tests check them without waiting. Callers pass a
`timeout` per request (requests' connect and read time-outs); `devices.http.PoliteFetcher`
adds the ETag / If-None-Match cache, robots.txt and the per-host delay on top.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

RETRY_STATUSES = (429, 500, 502, 503, 504)


class WaitingRetry(Retry):
    """urllib3's Retry with waits that are injectable, capped, and never shorter than the
    back-off (Retry-After wins only if longer, as in the Hub client)."""

    def __init__(self, *args: Any, sleep: Callable[[float], None] = time.sleep,
                 max_wait: float = 300.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sleep, self.max_wait = sleep, max_wait

    def new(self, **kw: Any) -> WaitingRetry:
        retry = super().new(**kw)
        retry._sleep, retry.max_wait = self._sleep, self.max_wait
        return retry

    def sleep(self, response: Any = None) -> None:
        after = self.get_retry_after(response) if response and self.respect_retry_after_header else None
        wait = min(max(after or 0.0, self.get_backoff_time()), self.max_wait)
        if wait > 0:
            self._sleep(wait)


def retrying_session(*, retries: int = 3, backoff_factor: float = 1.0, max_wait: float = 300.0,
                     sleep: Callable[[float], None] = time.sleep) -> requests.Session:
    """A session retrying GET / HEAD as the module docstring says."""
    retry = WaitingRetry(
        total=retries, connect=retries, read=retries, status=retries, other=0,
        backoff_factor=backoff_factor, status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}), respect_retry_after_header=True,
        raise_on_status=False, sleep=sleep, max_wait=max_wait,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
