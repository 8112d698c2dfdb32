"""A fresh clone: `make demo` must work as the very first command, before anything (a test run,
an earlier demo) has created `.cache/`, `data/` or `exports/` in the tree.

The clone is the files of this checkout that git tracks or would track (not ignored ones),
copied into an empty folder: what `git clone` gives once the work is committed. It runs with
this interpreter (the virtualenv `make` would create holds the same packages) and a clean
environment: no PREFECT_HOME, no test settings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from catalog import paths

pytestmark = [pytest.mark.slow, pytest.mark.acceptance]


def _fresh_clone(dest: Path) -> Path:
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=paths.ROOT, check=True, capture_output=True)
        tracked = listed.stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no clone to make")
    for rel in filter(None, tracked):
        source = paths.ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def _clean_env(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "FITCAT_", "HF_"))}
    env["PYTHONPATH"] = str(clone)
    return env


def test_demo_is_the_first_command_of_a_fresh_clone(tmp_path):
    clone = _fresh_clone(tmp_path / "clone")
    assert not (clone / ".cache").exists() and not (clone / "data").exists()
    done = subprocess.run([sys.executable, "-m", "catalog.cli", "demo"], cwd=clone, env=_clean_env(clone),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert (clone / "data" / "catalog.duckdb").is_file()
    assert (clone / "exports" / "latest" / "models.json").is_file()
    assert (clone / ".cache" / "prefect").is_dir()
    assert "Traceback" not in done.stderr


def test_refresh_without_network_fails_fast_on_a_fresh_clone(tmp_path):
    clone = _fresh_clone(tmp_path / "clone")
    env = _clean_env(clone) | {"HF_ENDPOINT": "http://127.0.0.1:9"}     # discard port: refused
    done = subprocess.run([sys.executable, "-m", "catalog.cli", "refresh"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "not reachable" in done.stderr and "make demo" in done.stderr
    assert not (clone / "data").exists(), "nothing may be created before the Hub answers"
