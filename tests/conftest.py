"""Shared fixtures: an isolated Prefect home, one Prefect server per test session, the fake Hub."""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Before anything imports prefect or huggingface_hub: isolated, offline-safe settings.
_PREFECT_HOME = tempfile.mkdtemp(prefix="fitcat-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ["HF_HUB_DISABLE_XET"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ.pop("HF_TOKEN", None)
os.environ.pop("HF_ENDPOINT", None)
if not os.environ.get("PYTEST_XDIST_WORKER"):      # a worker inherits the session's server (below)
    os.environ.pop("PREFECT_API_URL", None)

from catalog import paths  # noqa: E402
from catalog.fakehub import FakeHub, Snapshot  # noqa: E402

_SERVER = pytest.StashKey["object"]()


# A migrated, empty Prefect database kept between sessions (per Prefect version): the session's
# server then starts in ~4.5 s and ~5 s of CPU instead of ~13.5 s and ~13 s (its migrations).
_PREFECT_DB = paths.ROOT / ".cache" / "test-prefect-db" / f"{importlib.metadata.version('prefect')}.db"


def pytest_configure(config: pytest.Config) -> None:
    """One Prefect server for the whole test session, shared by every xdist worker: started once
    here, in the controlling process, before the workers (which inherit PREFECT_API_URL)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    from catalog.orchestration import prefect_server

    home = Path(_PREFECT_HOME) / "server"
    home.mkdir(parents=True)
    kept = _PREFECT_DB.is_file()
    if kept:
        shutil.copyfile(_PREFECT_DB, home / "prefect.db")
    # Not waited for here: it warms up while the workers start; `prefect_harness` waits.
    server = prefect_server.start(home, ui=False, wait=False)
    config.stash[_SERVER] = server
    os.environ["PREFECT_API_URL"] = server.api_url
    if not kept:
        threading.Thread(target=_keep_migrated_db, args=(server, home / "prefect.db"), daemon=True).start()


def _keep_migrated_db(server, db: Path) -> None:
    """Once the new server answers (its database migrated), keep a copy of its database for the
    next sessions, unless a run is in it already."""
    deadline = time.monotonic() + 180
    while not server.healthy():
        if time.monotonic() > deadline or server.process.poll() is not None:
            return
        time.sleep(0.25)   # polling for an event, with a deadline: not a timing assertion
    _PREFECT_DB.parent.mkdir(parents=True, exist_ok=True)
    copy = _PREFECT_DB.with_suffix(f".{os.getpid()}.tmp")
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    try:
        source.backup(target)
        runs = target.execute("SELECT count(*) FROM flow_run").fetchone()[0]
    finally:
        source.close()
        target.close()
    if runs == 0:
        os.replace(copy, _PREFECT_DB)
    else:
        copy.unlink()


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()
        shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_harness() -> str:
    """The session's Prefect server (flows report to it, as in production with `fitcat serve`),
    once it answers."""
    from catalog.orchestration import prefect_server

    url = os.environ["PREFECT_API_URL"]
    deadline = time.monotonic() + 180
    while not prefect_server.answers(url):
        log = Path(_PREFECT_HOME) / "server" / "server.log"
        assert time.monotonic() < deadline, f"Prefect server at {url} not healthy: {log.read_text()[-2000:]}"
        time.sleep(0.25)   # polling for an event, with a deadline: not a timing assertion
    return url


@pytest.fixture
def sample_snapshot() -> Snapshot:
    """A fresh, mutable copy of the bundled sample Hub."""
    return Snapshot.load(paths.SAMPLE_HUB)


@pytest.fixture
def fake_hub(sample_snapshot: Snapshot) -> Iterator[FakeHub]:
    """The sample Hub served on loopback; gated repos open to the token 'hf_granted'."""
    hub = FakeHub(sample_snapshot)
    hub.granted_tokens.add("hf_granted")
    with hub.running():
        yield hub


SAMPLE_SCOPE = ('[hub]\nauthors = ["deepseek-ai", "meta-llama", "Qwen"]\nper_author = 10\n'
                "[gguf]\nread_headers = false   # the sample's files carry sizes, not header bytes\n")


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """A scope covering the sample Hub's base models by author listing."""
    path = tmp_path / "fitcat.toml"
    path.write_text(SAMPLE_SCOPE)
    return path


def _built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """`build(folder)` run once for the whole session: the first xdist worker to ask builds it in
    the session's shared temporary folder (under a file lock) and the others wait and share it."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)    # released when the file closes
        if not (folder / ".built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").touch()
    return folder


@pytest.fixture(scope="session")
def first_night(prefect_harness, tmp_path_factory) -> Path:
    """One clean night of the real flow against the sample Hub (scope: `settings_file`), run once
    per session: `data/catalog.duckdb` with its ledger and Hub cache, and `out/`. Tests copy it
    (`after_first_night`)."""
    from flows.nightly import run_nightly

    def build(root: Path) -> None:
        (root / "fitcat.toml").write_text(SAMPLE_SCOPE)
        hub = FakeHub(Snapshot.load(paths.SAMPLE_HUB))
        hub.granted_tokens.add("hf_granted")
        with pytest.MonkeyPatch.context() as mp, hub.running() as url:
            mp.setenv("HF_TOKEN", "hf_granted")
            summary = run_nightly(db_path=str(root / "data" / "catalog.duckdb"),
                                  exports_dir=str(root / "out"), endpoint=url,
                                  settings_path=str(root / "fitcat.toml"), vendor_pages=False)
        assert summary.status == "completed", summary.errors

    return _built_once(tmp_path_factory, "first-night", build)


@pytest.fixture
def after_first_night(first_night: Path, tmp_path: Path) -> Path:
    """`tmp_path` as the first night left it (a copy: lock files aside, `out/latest` is a relative
    link), for tests whose subject is the night after. Their own fake Hub serves the same sample."""
    for folder in ("data", "out"):
        shutil.copytree(first_night / folder, tmp_path / folder, symlinks=True,
                        ignore=shutil.ignore_patterns("*.lock", ".lock"))
    return tmp_path


@pytest.fixture(scope="session")
def demo_db(prefect_harness, tmp_path_factory) -> Path:
    """The demo catalogue, built once per session: the real nightly flow against the bundled sample
    Hub (as `make demo` does, curated devices, no vendor pages). Every worker opens it read-only."""
    from catalog.commands.demo import DEMO_TOKEN
    from flows.nightly import run_nightly

    def build(root: Path) -> None:
        hub = FakeHub(Snapshot.load(paths.SAMPLE_HUB))
        hub.granted_tokens.add(DEMO_TOKEN)
        with pytest.MonkeyPatch.context() as mp, hub.running() as url:
            mp.setenv("HF_TOKEN", DEMO_TOKEN)
            summary = run_nightly(db_path=str(root / "catalog.duckdb"), exports_dir=str(root / "exports"),
                                  endpoint=url, settings_path=str(paths.SAMPLE_HUB / "fitcat.toml"),
                                  vendor_pages=False)
        assert summary.status == "completed", summary.errors

    return _built_once(tmp_path_factory, "demo-db", build) / "catalog.duckdb"
