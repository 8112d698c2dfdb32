"""A fresh clone: `make demo` must work as the very first command, before anything (a test run,
an earlier demo) has created `.cache/`, `data/` or `exports/` in the tree.

The clone is tests/checkout.py's copy of the tracked files. It runs with this interpreter (the
virtualenv `make` would create holds the same packages) and a clean environment: no
PREFECT_HOME, no test settings.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from checkout import clean_env, fresh_clone

pytestmark = [pytest.mark.slow, pytest.mark.acceptance]


def test_demo_is_the_first_command_of_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    assert not (clone / ".cache").exists() and not (clone / "data").exists()
    done = subprocess.run([sys.executable, "-m", "catalog.cli", "demo"], cwd=clone,
                          env=clean_env(PYTHONPATH=str(clone)), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (clone / "data" / "catalog.duckdb").is_file()
    assert (clone / "exports" / "latest" / "models.json").is_file()
    assert (clone / ".cache" / "prefect").is_dir()
    assert "Traceback" not in done.stderr


def test_refresh_without_network_fails_fast_on_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    env = clean_env(PYTHONPATH=str(clone), HF_ENDPOINT="http://127.0.0.1:9")     # discard port: refused
    done = subprocess.run([sys.executable, "-m", "catalog.cli", "refresh"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "not reachable" in done.stderr and "make demo" in done.stderr
    assert not (clone / "data").exists(), "nothing may be created before the Hub answers"
