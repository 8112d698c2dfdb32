"""The refresh's scope and knobs, read from fitcat.toml (documented defaults below)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from catalog.paths import ROOT

DEFAULT_CONFIG = ROOT / "fitcat.toml"


@dataclass(frozen=True)
class HubScope:
    authors: tuple[str, ...] = ()
    per_author: int = 20
    models: tuple[str, ...] = ()
    gguf_publishers: tuple[str, ...] = ("ggml-org", "unsloth", "bartowski")
    max_workers: int = 4


@dataclass(frozen=True)
class Settings:
    hub: HubScope = field(default_factory=HubScope)


def load_settings(path: Path | None = None) -> Settings:
    """Read fitcat.toml; a malformed file is an error naming the file, never a silent default."""
    path = path or DEFAULT_CONFIG
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    hub = data.get("hub", {})
    unknown = set(hub) - set(HubScope.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{path}: unknown [hub] keys {sorted(unknown)}")
    return Settings(hub=HubScope(**{k: tuple(v) if isinstance(v, list) else v for k, v in hub.items()}))
