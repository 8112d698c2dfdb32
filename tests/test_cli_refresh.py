"""`fitcat refresh` without a reachable Hub fails fast, says why, and changes nothing."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
from pathlib import Path

from catalog import db


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refresh_without_hub_fails_fast_and_leaves_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "catalog.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO runs (run_id, flow, started_at, status) VALUES ('r0', 'x', now(), 'completed')")
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()

    result = subprocess.run(
        [sys.executable, "-m", "catalog.cli", "--db", str(path), "refresh",
         "--endpoint", f"http://127.0.0.1:{_closed_port()}", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 3
    assert "not reachable" in result.stderr and "make demo" in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob("*.next.*"))
