"""A fake HuggingFace Hub on loopback, for tests and the offline demo.

It speaks the routes `huggingface_hub` uses (see shared/reference/hub-api.md), with the
real headers (Link pagination, RateLimit, X-Repo-Commit, X-Error-Code, Range), so the real
client talks to it unchanged. It counts every request per rate-limit bucket and can inject
faults: status codes (429 storms, 5xx), hangs (client time-outs), trickled bodies (n bytes
every t seconds), ignored Range headers.

Like the real Hub, `resolve` of an LFS file answers 302 to a CDN on a second loopback port,
with the file's size, commit and ETag on the 302 only (`X-Linked-Size`, `X-Repo-Commit`,
`X-Linked-Etag`); the CDN answers `Range` with 206, `Content-Range` and `Content-Length`, is
not rate-limited by the Hub's windows and is counted in its own bucket (`cdn`). Sources:
catalog/fakehub/sample/README.md. `FakeHub(..., cdn=False)` serves LFS files from `resolve`
directly (200/206), as the fake did before, for the tests that need it.

Also as on huggingface.co (each with its source in catalog/fakehub/sample/README.md): the rate
limits of a plan (`plan="anonymous" | "free" | "pro"`, the table in shared/reference/hub-api.md),
opaque pagination cursors, a renamed repo's old id answered with a redirect to the new one,
anonymous requests for a gated repo's files answered 401 (403 with a token not granted),
`GET /api/models/{id}` without `trendingScore`, `childrenModelCount` only when expanded.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from catalog.fakehub.snapshot import Repo, Snapshot
from catalog.hub.client import bucket_of  # one definition of the Hub's buckets, client and fake

LISTING_FIELDS = (
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
    "pipeline_tag", "library_name", "createdAt", "modelId",
)
WINDOW_SECONDS = 300
# Requests per 5-minute window and bucket, per plan (shared/reference/hub-api.md, "Rate limits").
PLANS = {
    "anonymous": {"api": 500, "resolvers": 3000, "pages": 100},
    "free": {"api": 1000, "resolvers": 5000, "pages": 200},
    "pro": {"api": 2500, "resolvers": 12000, "pages": 400},
}
QUOTAS = PLANS["free"]
# Fields `GET /api/models/{id}` leaves out unless asked for with `expand=` (listings carry
# trendingScore by default; childrenModelCount is only ever expanded).
EXPAND_ONLY = ("trendingScore", "childrenModelCount")


@dataclass
class Fault:
    """One injected fault: requests whose path matches `path` (a regex) get it, `times` times."""

    path: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": "injected fault"}'
    hang: bool = False             # hold the request open until the client gives up
    ignore_range: bool = False     # answer 200 with the whole body despite a Range header
    trickle_bytes: int = 0         # send the body n bytes at a time ...
    trickle_interval: float = 0.0  # ... every t seconds (a slow or stuck-open connection)
    method: str | None = None
    times: int | None = 1          # None: every matching request
    every: int = 1                 # hit only every n-th matching request (1: each)
    _seen: int = 0

    def take(self, method: str, path: str) -> bool:
        if self.method and self.method != method:
            return False
        if not re.search(self.path, path):
            return False
        self._seen += 1
        if (self._seen - 1) % self.every:
            return False
        if self.times is None:
            return True
        if self.times <= 0:
            return False
        self.times -= 1
        return True


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    bucket: str
    status: int
    bytes_sent: int
    authorization: str | None


class FakeHub:
    """Serve a Snapshot on 127.0.0.1; use as `with hub.running() as url: ...`."""

    def __init__(
        self,
        snapshot: Snapshot,
        *,
        quotas: dict[str, int] | None = None,
        page_size: int = 1000,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        cdn: bool = True,
        plan: str = "free",
    ) -> None:
        self.snapshot = snapshot
        self.cdn = cdn
        if plan not in PLANS:
            raise ValueError(f"unknown plan {plan!r}: one of {sorted(PLANS)}")
        self.plan = plan
        self.quotas = dict(PLANS[plan], **(quotas or {}))
        self.page_size = page_size
        self.latency = latency
        self.clock = clock
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.granted_tokens: set[str] = set()   # tokens that may read gated repos
        self._used: dict[str, int] = {}
        self._window_start = clock()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._servers: list[ThreadingHTTPServer] = []
        self.url = ""
        self.cdn_url = ""

    # -- control -------------------------------------------------------------------------
    def add_fault(self, path: str, **kwargs: Any) -> Fault:
        fault = Fault(path=path, **kwargs)
        self.faults.append(fault)
        return fault

    def counts(self) -> dict[str, int]:
        """Requests served so far per Hub bucket, and `cdn` (hops to the CDN, outside the
        Hub's windows) once there was one."""
        out = {"api": 0, "resolvers": 0, "pages": 0}
        for r in self.requests:
            out[r.bucket] = out.get(r.bucket, 0) + 1
        return out

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def start(self) -> str:
        self._release.clear()
        self.url = self._serve(_Handler)
        self.cdn_url = self._serve(_CdnHandler) if self.cdn else ""
        return self.url

    def _serve(self, handler_class: type[_Base]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (handler_class,), {"hub": self}))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self._servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    def stop(self) -> None:
        self._release.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    @contextlib.contextmanager
    def running(self) -> Iterator[str]:
        url = self.start()
        try:
            yield url
        finally:
            self.stop()

    # -- rate limits ---------------------------------------------------------------------
    def _rate(self, bucket: str) -> tuple[int, int]:
        """Charge one request to bucket; return (remaining, seconds to reset)."""
        with self._lock:
            now = self.clock()
            if now - self._window_start >= WINDOW_SECONDS:
                self._window_start, self._used = now, {}
            self._used[bucket] = self._used.get(bucket, 0) + 1
            remaining = self.quotas[bucket] - self._used[bucket]
            reset = max(1, int(WINDOW_SECONDS - (now - self._window_start)))
            return remaining, reset

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.take(method, path):
                    return fault
        return None

    def record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)


class _Base(BaseHTTPRequestHandler):
    """Plumbing shared by the Hub and its CDN: faults, logging, replies, trickled bodies."""

    hub: FakeHub
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True     # headers and body go out at once (no 40 ms delayed-ACK stall)
    _extra: dict[str, str]
    _record: RecordedRequest
    _fault: Fault | None

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read hub.requests
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        raise NotImplementedError

    def _begin(self, method: str, path: str, query: dict[str, list[str]], bucket: str) -> Fault | None:
        """Log the request (before answering: a client never sees an unlogged reply); its fault."""
        self._record = RecordedRequest(method, path, query, bucket, 0, 0,
                                       self.headers.get("Authorization"))
        self.hub.record(self._record)
        self._fault = self.hub._fault_for(method, path)
        return self._fault

    @property
    def _ignore_range(self) -> bool:
        return bool(self._fault and self._fault.ignore_range and not self._fault.status)

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None,
               content_type: str = "application/json") -> None:
        self._record.status = status
        if self.command != "HEAD":
            self._record.bytes_sent = len(body)
        self.send_response(status)
        for key, value in {**self._extra, **(headers or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self._write(body)

    def _write(self, body: bytes) -> None:
        """Send body, trickled if the request's fault says so (until the client gives up)."""
        fault = self._fault
        if not (fault and fault.trickle_bytes):
            self.wfile.write(body)
            return
        try:
            for i in range(0, len(body), fault.trickle_bytes):
                self.wfile.write(body[i : i + fault.trickle_bytes])
                self.wfile.flush()
                if self.hub._release.wait(fault.trickle_interval):
                    return                                # the fake Hub is stopping
        except (BrokenPipeError, ConnectionResetError):
            return                                        # the client gave up

    def _stream(self, status: int, f: Any, start: int, end: int, headers: dict[str, str]) -> None:
        """Send bytes [start, end) in chunks, so a huge zero-padded file never sits in memory."""
        self._record.status = status
        if self.command != "HEAD":
            self._record.bytes_sent = end - start   # what this answer carries (client may stop early)
        self.send_response(status)
        for key, value in {**self._extra, **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if self.command == "HEAD":
            return
        chunk = 1 << 20
        try:
            for offset in range(start, end, chunk):
                self._write(f.read(offset, min(offset + chunk, end)))
        except (BrokenPipeError, ConnectionResetError):
            return  # the client stopped reading (it had what it needed)

    def _serve_file(self, f: Any, headers: dict[str, str]) -> None:
        """The file, or the range asked for (206 + Content-Range), unless a fault ignores Range."""
        start, end, status = 0, f.size, 200
        rng = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if rng and not self._ignore_range:
            start = int(rng.group(1))
            end = min(int(rng.group(2)) + 1 if rng.group(2) else f.size, f.size)
            if start >= f.size:
                return self._reply(416, b"", {**headers, "Content-Range": f"bytes */{f.size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{f.size}"
        self._stream(status, f, start, end, headers)


class _Handler(_Base):
    """The Hub: API, resolvers, rate limits."""

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path, query = unquote(split.path), parse_qs(split.query)
        bucket = bucket_of(path)
        hub = self.hub
        if hub.latency:
            time.sleep(hub.latency)
        remaining, reset = hub._rate(bucket)
        self._extra = {
            "RateLimit": f'"{bucket}";r={max(remaining, 0)};t={reset}',
            "RateLimit-Policy": f'"fixed window";"{bucket}";q={hub.quotas[bucket]};w={WINDOW_SECONDS}',
        }
        fault = self._begin(method, path, query, bucket)
        if fault and fault.hang:
            hub._release.wait(30)
            return
        if fault and fault.status:
            self._reply(fault.status, fault.body.encode(), dict(fault.headers))
        elif remaining < 0:
            self._reply(429, b'{"error": "rate limited"}', {"Retry-After": str(reset)})
        else:
            self._route(method, path, query)

    def _json(self, data: Any, headers: dict[str, str] | None = None) -> None:
        self._reply(200, json.dumps(data).encode(), headers)

    def _error(self, status: int, code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self._reply(status, body, {"X-Error-Code": code, "X-Error-Message": message})

    def _repo(self, repo_id: str) -> Repo | None:
        repo = self.hub.snapshot.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository not found: {repo_id}")
        return repo

    def _moved(self, repo_id: str, path: str) -> bool:
        """A renamed repo's old id: a redirect to the same route under the new id, with a
        relative Location as the Hub sends it (the query kept). True if answered."""
        if repo_id in self.hub.snapshot.repos:
            return False
        new = self.hub.snapshot.current_id(repo_id)
        if new is None:
            return False
        query = urlsplit(self.path).query
        location = quote(path.replace(repo_id, new, 1)) + (f"?{query}" if query else "")
        body = f"Temporary Redirect. Redirecting to {location}".encode()
        self._reply(307, body, {"Location": location}, content_type="text/plain")
        return True

    def _revision_ok(self, repo: Repo, rev: str) -> bool:
        if rev in ("main", repo.sha):
            return True
        self._error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return False

    # -- routes --------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        if path == "/api/models" and method == "GET":
            return self._list_models(query)
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/(revision|tree|paths-info)/([^/]+)(/.*)?)?", path)
        if m:
            repo_id, action, rev, rest = m.groups()
            if self._moved(repo_id, path):
                return None
            repo = self._repo(repo_id)
            if repo is None or (rev and not self._revision_ok(repo, rev)):
                return None
            if action in (None, "revision") and method == "GET":
                return self._model_info(repo, query)
            if action == "tree" and method == "GET":
                return self._tree(repo, (rest or "").strip("/"), query)
            if action == "paths-info" and method == "POST":
                return self._paths_info(repo)
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m and method in ("GET", "HEAD"):
            if self._moved(m.group(1), path):
                return None
            return self._resolve(*m.groups())
        return self._error(404, "NotFound", f"no route for {method} {path}")

    def _list_models(self, query: dict[str, list[str]]) -> None:
        snapshot = self.hub.snapshot
        filters = query.get("filter", [])
        repos = snapshot.with_tags(filters) if filters else list(snapshot.repos.values())
        if "author" in query:
            repos = [r for r in repos if r.id.split("/")[0] == query["author"][0]]
        if "search" in query:
            needle = query["search"][0].lower()
            repos = [r for r in repos if needle in r.id.lower()]
        if "pipeline_tag" in query:
            repos = [r for r in repos if r.info.get("pipeline_tag") == query["pipeline_tag"][0]]
        sort = query.get("sort", [None])[0]
        def key(r: Repo) -> list[Any]:
            return [r.info.get(sort) or 0, r.id] if sort else [r.id]
        repos.sort(key=key, reverse=bool(sort))
        after = self._cursor(query)
        if after is False:
            return None
        if after is not None:
            repos = [r for r in repos if (key(r) < after if sort else key(r) > after)]
        limit = int(query["limit"][0]) if "limit" in query else self.hub.page_size
        size = max(1, min(limit, self.hub.page_size))
        page = repos[:size]
        expand = query.get("expand", []) + query.get("expand[]", [])
        items = [_listing_item(r.info, expand) for r in page]
        headers = {}
        if len(repos) > size:
            headers["Link"] = self._next_link("/api/models", query, key(page[-1]))
        self._json(items, headers)

    def _cursor(self, query: dict[str, list[str]]) -> list[Any] | bool | None:
        """The position a `cursor` names (None: the first page; False: a bad cursor, answered)."""
        if "cursor" not in query:
            return None
        try:
            after = json.loads(base64.urlsafe_b64decode(query["cursor"][0].encode()))["after"]
            if isinstance(after, list):
                return after
        except (ValueError, KeyError, TypeError):
            pass
        self._error(400, "BadRequest", "Invalid cursor")
        return False

    def _next_link(self, path: str, query: dict[str, list[str]], last: list[Any]) -> str:
        """`Link: <...&cursor=...>; rel="next"`. Real cursors are opaque strings (base64 of the
        listing's position); ours encodes the last item's sort key the same way (reconstructed)."""
        cursor = base64.urlsafe_b64encode(json.dumps({"after": last}).encode()).decode()
        params = [(k, v) for k, vs in query.items() if k != "cursor" for v in vs]
        params.append(("cursor", cursor))
        return f'<{self.hub.url}{quote(path)}?{urlencode(params)}>; rel="next"'

    def _model_info(self, repo: Repo, query: dict[str, list[str]]) -> None:
        expand = query.get("expand", []) + query.get("expand[]", [])
        if expand:
            return self._json({"_id": repo.info.get("_id"), "id": repo.id,
                               **{k: repo.info[k] for k in expand if k in repo.info}})
        info = {k: v for k, v in repo.info.items() if k not in EXPAND_ONLY}
        blobs = query.get("blobs", ["false"])[0] == "true"
        info["siblings"] = [_sibling(f, blobs) for f in sorted(repo.files.values(), key=lambda f: f.path)]
        return self._json(info)

    def _tree(self, repo: Repo, prefix: str, query: dict[str, list[str]]) -> None:
        recursive = query.get("recursive", ["false"])[0] in ("true", "True", "1")
        entries: dict[str, dict[str, Any]] = {}
        for f in sorted(repo.files.values(), key=lambda f: f.path):
            if prefix and not f.path.startswith(prefix + "/"):
                continue
            rel = f.path[len(prefix) + 1 :] if prefix else f.path
            parts = rel.split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(([prefix] if prefix else []) + parts[:depth])
                if recursive or depth == 1:
                    directory = {"type": "directory", "oid": "0" * 40, "size": 0, "path": folder}
                    entries.setdefault(folder, directory)
                if not recursive:
                    break
            if recursive or len(parts) == 1:
                entries[f.path] = f.tree_entry()
        items = sorted(entries.values(), key=lambda e: e["path"])
        after = self._cursor(query)
        if after is False:
            return None
        if after:
            items = [e for e in items if e["path"] > after[0]]
        page = items[: self.hub.page_size]
        headers = {}
        if len(items) > self.hub.page_size:
            base = f"/api/models/{repo.id}/tree/{repo.sha}{'/' + prefix if prefix else ''}"
            headers["Link"] = self._next_link(base, query, [page[-1]["path"]])
        self._json(page, headers)

    def _paths_info(self, repo: Repo) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        wanted = form.get("paths", [])
        self._json([repo.files[p].tree_entry() for p in wanted if p in repo.files])

    def _resolve(self, repo_id: str, rev: str, file_path: str) -> None:
        repo = self._repo(repo_id)
        if repo is None or not self._revision_ok(repo, rev):
            return
        if repo.info.get("gated") not in (None, False, "false"):
            auth = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            restricted = f"Access to model {repo_id} is restricted"
            if not auth:        # anonymous: 401, as the Hub answers it (sample README)
                return self._error(401, "GatedRepo", f"{restricted}. You must have access to it and be "
                                   "authenticated to access it. Please log in.")
            if auth not in self.hub.granted_tokens:
                return self._error(403, "GatedRepo", f"{restricted} and you are not in the authorized "
                                   f"list. Visit {self.hub.url}/{repo_id} to ask for access.")
        f = repo.files.get(file_path)
        if f is None:
            return self._error(404, "EntryNotFound", f"{file_path} does not exist on {rev}")
        headers = {"X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes", "ETag": f'"{f.oid}"'}
        if f.is_lfs:
            headers["X-Linked-Etag"] = f'"{f.sha256}"'
            headers["X-Linked-Size"] = str(f.size)
            if self.hub.cdn:
                return self._redirect_to_cdn(repo, f, headers)
        self._serve_file(f, headers)

    def _redirect_to_cdn(self, repo: Repo, f: Any, headers: dict[str, str]) -> None:
        """302 to a signed CDN URL; the file's metadata travels on this answer only. The real
        URL is opaque (`/xet-bridge-us/{repo object id}/{xet hash}?X-Amz-...`); ours names the
        repo, commit and path so the CDN can find the file (reconstructed)."""
        location = (f"{self.hub.cdn_url}/xet-bridge-us/{quote(repo.id)}/{repo.sha}/{quote(f.path)}"
                    "?X-Amz-Expires=3600&X-Amz-Signature=fakehub")
        body = f"Found. Redirecting to {location}".encode()
        self._reply(302, body, {**headers, "Location": location}, content_type="text/plain")


class _CdnHandler(_Base):
    """The CDN behind `resolve`: Range and Content-Length; no RateLimit, no Hub metadata."""

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        self._extra = {}
        fault = self._begin(method, path, parse_qs(split.query), "cdn")
        if fault and fault.hang:
            self.hub._release.wait(30)
            return
        if fault and fault.status:
            return self._reply(fault.status, fault.body.encode(), dict(fault.headers))
        m = re.fullmatch(r"/xet-bridge-us/([^/]+/[^/]+)/([0-9a-f]+)/(.+)", path)
        repo = self.hub.snapshot.repos.get(m.group(1)) if m and method in ("GET", "HEAD") else None
        f = repo.files.get(m.group(3)) if repo is not None and m and repo.sha == m.group(2) else None
        if f is None:
            denied = b"<Error><Code>AccessDenied</Code></Error>"
            return self._reply(403, denied, content_type="application/xml")
        # the CDN's own ETag is not the LFS sha256 the Hub sends as X-Linked-Etag
        etag = hashlib.sha256(f"cdn:{f.sha256}".encode()).hexdigest()
        self._serve_file(f, {"Accept-Ranges": "bytes", "ETag": f'"{etag}"'})


def _listing_item(info: dict[str, Any], expand: list[str]) -> dict[str, Any]:
    keys = ["_id", "id", *expand] if expand else list(LISTING_FIELDS)
    item = {k: info[k] for k in keys if k in info}
    if not expand:
        item["modelId"] = info["id"]
    return item


def _sibling(f: Any, blobs: bool) -> dict[str, Any]:
    sib: dict[str, Any] = {"rfilename": f.path}
    if blobs:
        sib["size"] = f.size
        sib["blobId"] = f.oid
        if f.is_lfs:
            sib["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": 134}
    return sib
