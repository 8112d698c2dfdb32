"""The polite fetcher against a real http.server on 127.0.0.1 (no sleeping: clock injected)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from catalog.devices.http import USER_AGENT, FetchError, PoliteFetcher

PAGE = b"<html><body><table><tr><td>GPU Memory</td><td>80GB</td></tr></table></body></html>"


class Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        Handler.seen.append((self.path, dict(self.headers)))
        if self.path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif self.path == "/spec":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
            else:
                self._send(200, PAGE, "text/html", {"ETag": '"v1"',
                                                    "Last-Modified": "Mon, 05 Jan 2026 00:00:00 GMT"})
        elif self.path == "/blocked":
            self._send(403, b"Access Denied", "text/html")
        elif self.path == "/flaky" and [p for p, _ in Handler.seen].count("/flaky") == 1:
            self._send(503, b"busy", "text/plain", {"Retry-After": "3"})   # first time only
        elif self.path == "/flaky":
            self._send(200, PAGE, "text/html")
        elif self.path == "/down":
            self._send(502, b"bad gateway", "text/plain")
        else:
            self._send(404, b"no", "text/plain")

    def _send(self, status, body, kind, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def fetcher(tmp_path, clock):
    return PoliteFetcher(tmp_path / "cache", delay_s=2.0, clock=clock, sleep=clock.sleep,
                         timeout=5)


def test_user_agent_cache_and_conditional_get(server, tmp_path):
    clock = FakeClock()
    first = fetcher(tmp_path, clock).get(server + "/spec")
    assert (first.status, first.from_cache, first.text.encode()) == (200, False, PAGE)
    again = fetcher(tmp_path, clock).get(server + "/spec")  # a new process: cache on disk
    assert (again.status, again.from_cache, again.text) == (304, True, first.text)
    assert again.content_sha256 == first.content_sha256
    spec_requests = [h for p, h in Handler.seen if p == "/spec"]
    assert all(h["User-Agent"] == USER_AGENT for p, h in Handler.seen)
    assert "@" in USER_AGENT  # a contact
    assert "If-None-Match" not in spec_requests[0]
    assert spec_requests[1]["If-None-Match"] == '"v1"'
    assert spec_requests[1]["If-Modified-Since"] == "Mon, 05 Jan 2026 00:00:00 GMT"


def test_per_host_delay_is_waited_through_the_injected_sleep(server, tmp_path):
    clock = FakeClock()
    polite = fetcher(tmp_path, clock)
    polite.get(server + "/spec")          # robots.txt then /spec: one wait between them
    clock.now += 0.5
    polite.get(server + "/spec")
    assert clock.slept == [pytest.approx(2.0), pytest.approx(1.5)]


def test_robots_disallow_is_honoured_without_requesting_the_page(server, tmp_path):
    with pytest.raises(FetchError, match=r"robots\.txt disallows"):
        fetcher(tmp_path, FakeClock()).get(server + "/private/page")
    assert "/private/page" not in [p for p, _ in Handler.seen]


def test_403_is_a_fetch_error_with_the_status(server, tmp_path):
    with pytest.raises(FetchError, match="HTTP 403"):
        fetcher(tmp_path, FakeClock()).get(server + "/blocked")


def test_unreachable_host_is_a_fetch_error(tmp_path):
    polite = PoliteFetcher(tmp_path, timeout=1, sleep=lambda s: None)
    with pytest.raises(FetchError, match=r"robots\.txt disallows"):
        polite.get("http://127.0.0.1:9/spec")  # robots unreachable: treated as disallowed


def test_a_failing_page_is_retried_with_retry_after_then_read(server, tmp_path):
    clock = FakeClock()
    page = fetcher(tmp_path, clock).get(server + "/flaky")
    assert (page.status, page.text.encode()) == (200, PAGE)
    assert [p for p, _ in Handler.seen].count("/flaky") == 2
    assert 3.0 in clock.slept                  # Retry-After: 3 (backoff before a 1st retry: 0)


def test_a_page_that_keeps_failing_is_tried_1_plus_retries_times(server, tmp_path):
    clock = FakeClock()
    polite = PoliteFetcher(tmp_path / "cache", delay_s=0, retries=2, clock=clock, sleep=clock.sleep,
                           timeout=5)
    with pytest.raises(FetchError, match="HTTP 502"):
        polite.get(server + "/down")
    assert [p for p, _ in Handler.seen].count("/down") == 3
    assert clock.slept == [pytest.approx(2.0)]     # urllib3: no wait before the 1st retry, then 2 s
