"""Where things live. One place, so the CLI, flows and tests agree.

Two layouts: a source checkout (what `make` installs, editable) keeps `sql/` and
`exports/schema/` at the top of the repository and its working files (`data/`, `exports/`,
`.cache/`) beside them; an installed wheel carries `sql/` and the schemas inside the package
(`catalog.sql`, `catalog.export_schema`, mapped in pyproject.toml) and keeps working files in
the current directory.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent
IN_CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "sql").is_dir()


def _data(package: str, checkout: str) -> Path:
    """A data folder: in a checkout the folder itself, in a wheel the package it is shipped as."""
    if IN_CHECKOUT:
        return ROOT / checkout
    spec = importlib.util.find_spec(package)        # a folder without __init__.py: a namespace
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"fitcat is installed without its data folder {package}")
    return Path(next(iter(spec.submodule_search_locations)))


HOME = ROOT if IN_CHECKOUT else Path.cwd()
SQL_DIR = _data("catalog.sql", "sql")
SCHEMA_DIR = _data("catalog.export_schema", "exports/schema")
METHODOLOGY = _data("catalog.docs", "docs") / "methodology.md"     # copied into every release
DEFAULT_DB = HOME / "data" / "catalog.duckdb"
DEFAULT_EXPORTS = HOME / "exports"
DEFAULT_SETTINGS = HOME / "fitcat.toml"
PREFECT_HOME = HOME / ".cache" / "prefect"
SAMPLE_HUB = PACKAGE / "fakehub" / "sample"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The catalogue file: --db beats FITCAT_DB beats data/catalog.duckdb."""
    chosen = explicit or os.environ.get("FITCAT_DB") or DEFAULT_DB
    return Path(chosen)


def exports_root(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The export folder: --out beats FITCAT_EXPORTS beats exports/."""
    chosen = explicit or os.environ.get("FITCAT_EXPORTS") or DEFAULT_EXPORTS
    return Path(chosen)
