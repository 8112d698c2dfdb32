"""A fresh clone: `make demo` must work as the very first command, before anything (a test run,
an earlier demo) has created `.cache/`, `data/` or `exports/` in the tree.

The clone is tests/checkout.py's copy of the tracked files. It runs with this interpreter (the
virtualenv `make` would create holds the same packages) and a clean environment: no
PREFECT_HOME, no test settings.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
    # Then every `fitcat` command of the README runs as written (but `serve`, which runs for good).
    commands = readme_commands(clone / "README.md")
    assert len(commands) >= 8
    for line in commands:
        shell = line.replace(".venv/bin/fitcat", f"{sys.executable} -m catalog.cli")
        ran = subprocess.run(["bash", "-c", shell], cwd=clone, env=clean_env(PYTHONPATH=str(clone)),
                             capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0 and "Traceback" not in ran.stderr, (line, ran.stderr[-2000:])
        assert ran.stdout.strip(), line


def readme_commands(readme: Path) -> list[str]:
    """The README's `.venv/bin/fitcat` lines (continuations joined), `serve` and `--serve` aside."""
    blocks = re.findall(r"```sh\n(.*?)```", readme.read_text(), flags=re.S)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    return [line for line in lines if line.startswith(".venv/bin/fitcat") and "serve" not in line]


def test_refresh_without_network_fails_fast_on_a_fresh_clone(tmp_path):
    clone = fresh_clone(tmp_path / "clone")
    env = clean_env(PYTHONPATH=str(clone), HF_ENDPOINT="http://127.0.0.1:9")     # discard port: refused
    done = subprocess.run([sys.executable, "-m", "catalog.cli", "refresh"], cwd=clone, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert "not reachable" in done.stderr and "make demo" in done.stderr
    assert not (clone / "data").exists(), "nothing may be created before the Hub answers"
