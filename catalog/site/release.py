"""One published release, read from its folder and nothing else.

The site is the closest real client of the export contract (exports/README.md): it never opens
the catalogue, so whatever it cannot find here is a gap in the contract, to be fixed there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUPPORTED_MAJOR = "2"
METHODOLOGY = "methodology.md"


class ReleaseError(Exception):
    """The folder given is not a readable release; the message names it and the fix."""


def locate(path: Path) -> Path:
    """The release folder: `path` itself, or the release its `latest` link points to (resolved
    once, so every file read comes from one release even if a refresh swaps `latest` meanwhile)."""
    path = Path(path)
    for candidate in (path, path / "latest"):
        if (candidate / "manifest.json").is_file():
            return candidate.resolve()
    if not path.exists():
        raise ReleaseError(f"no release at {path}: run `make demo` (or `fitcat demo` / `fitcat refresh`) "
                           "first, or pass --exports DIR")
    raise ReleaseError(f"{path} is not a published release (no manifest.json there nor in {path}/latest): "
                       "pass --exports with a release folder, e.g. exports/latest")


def _load(folder: Path, rel: str) -> Any:
    try:
        return json.loads((folder / rel).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ReleaseError(f"{folder}: {rel} is missing (the manifest lists it)") from exc
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{folder / rel}: unreadable ({exc})") from exc


@dataclass(frozen=True)
class Release:
    folder: Path
    manifest: dict[str, Any]
    models: list[dict[str, Any]]              # models.json entries, in its order
    devices: dict[str, dict[str, Any]]        # devices.json by device_id, most popular first
    methodology: str | None                   # methodology.md; None in releases made before it shipped

    @property
    def run_id(self) -> str:
        return str(self.manifest["run_id"])

    def page(self, entry: dict[str, Any]) -> dict[str, Any]:
        return _load(self.folder, entry["page_path"])

    def pages(self) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """(index entry, page) for every model, one page in memory at a time."""
        for entry in self.models:
            yield entry, self.page(entry)


def load(path: Path) -> Release:
    folder = locate(path)
    manifest = _load(folder, "manifest.json")
    version = str(manifest.get("schema_version", ""))
    if version.split(".")[0] != SUPPORTED_MAJOR:
        raise ReleaseError(f"{folder}: schema {version or '?'}; this site reads schema {SUPPORTED_MAJOR}.x "
                           "(exports/README.md)")
    devices = sorted(_load(folder, "devices.json"), key=lambda d: (d["popularity_rank"], d["device_id"]))
    methodology = folder / METHODOLOGY
    return Release(folder=folder, manifest=manifest, models=_load(folder, "models.json")["models"],
                   devices={d["device_id"]: d for d in devices},
                   methodology=methodology.read_text(encoding="utf-8") if methodology.is_file() else None)
