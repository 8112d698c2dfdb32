"""fitcat as a real package: `pip install .` (not editable) and a demo run from a directory
outside the checkout, finding its SQL, export schemas, device registry and sample Hub inside
the installed package (issue #15)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from checkout import clean_env, fresh_clone

from catalog import paths


def test_every_package_of_the_source_is_in_the_wheel_list():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())
    declared = set(project["tool"]["setuptools"]["packages"])
    found = {init.parent.relative_to(paths.ROOT).as_posix().replace("/", ".")
             for top in ("catalog", "flows") for init in (paths.ROOT / top).rglob("__init__.py")}
    assert found <= declared, f"add to pyproject.toml [tool.setuptools] packages: {sorted(found - declared)}"


@pytest.mark.slow
@pytest.mark.acceptance
def test_an_installed_wheel_runs_the_demo_outside_the_checkout(tmp_path, prefect_harness):
    clone = fresh_clone(tmp_path / "clone")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "dist"), str(clone)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("fitcat-*.whl"))
    site = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                                str(site), str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-3000:]
    assert not (site / "sql").exists() and (site / "catalog" / "sql" / "views" / "models.sql").is_file()

    elsewhere, out = tmp_path / "elsewhere", tmp_path / "somewhere"
    elsewhere.mkdir()
    # The dependencies come from this virtualenv; catalog and flows only from the wheel. The run
    # reports to the session's Prefect server, as a worker built from the wheel reports to its own
    # (test_fresh_clone covers the temporary server a bare `fitcat demo` starts; ~15 s of CPU).
    env = clean_env(PYTHONPATH=str(site), PREFECT_API_URL=prefect_harness)
    show = "import catalog.paths as p; print(p.IN_CHECKOUT, p.SQL_DIR)"
    where = subprocess.run([sys.executable, "-c", show], cwd=elsewhere, env=env, capture_output=True,
                           text=True)
    assert where.stdout.split() == ["False", str(site / "catalog" / "sql")], where.stderr
    demo = subprocess.run([sys.executable, "-m", "catalog.cli", "--db", str(out / "catalog.duckdb"), "demo",
                           "--out", str(out / "exports")], cwd=elsewhere, env=env, capture_output=True,
                          text=True, timeout=300)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    models = json.loads((out / "exports" / "latest" / "models.json").read_text())
    assert "deepseek-ai/DeepSeek-V4-Flash" in {m["id"] for m in models["models"]}
    assert (elsewhere / ".cache" / "prefect").is_dir(), "working files go to the current directory"
    written = [p for p in site.rglob("*") if p.suffix in (".duckdb", ".jsonl")]
    assert not written, "nothing is written into the installed package"
    assert not Path(clone / "data").exists()
