"""A copy of this checkout as `git clone` would give it once the work is committed: the files
git tracks or would track (never ignored ones: no .venv, data/, exports/, .cache/)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from catalog import paths


def fresh_clone(dest: Path) -> Path:
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=paths.ROOT, check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: no clone to make")
    for rel in filter(None, listed.stdout.decode().split("\0")):
        source = paths.ROOT / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    return dest


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without Prefect, fitcat or Hub settings (the test session sets some)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "FITCAT_", "HF_"))}
    return env | extra
