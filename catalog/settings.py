"""The refresh's scope and knobs, read from fitcat.toml (documented defaults below)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from catalog.paths import ROOT

DEFAULT_CONFIG = ROOT / "fitcat.toml"


@dataclass(frozen=True)
class HubScope:
    """The Hub refresh's scope and request budget (docs/hub.md lists every key)."""

    authors: tuple[str, ...] = ()                 # publishers whose base models are tracked
    per_author: int = 20                          # most-downloaded text-generation models each
    models: tuple[str, ...] = ()                  # explicit repo ids, always tracked
    top_downloads: int = 0                        # + the Hub's top N text-generation by downloads
    top_trending: int = 0                         # + the top N by trending score
    gguf_publishers: tuple[str, ...] = ("ggml-org", "unsloth", "bartowski")   # trust order
    max_workers: int = 4                          # concurrent Hub requests (flow)
    request_cap: int | None = 5000                # at most this many requests per run
    reserve: int = 0                              # requests of a bucket left unused
    max_retries: int = 4                          # extra attempts on 429 / 5xx / time-out
    timeout_seconds: float = 30.0                 # per request


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
    if hub.get("request_cap") == 0:
        hub["request_cap"] = None                 # 0 in TOML: no cap
    return Settings(hub=HubScope(**{k: tuple(v) if isinstance(v, list) else v for k, v in hub.items()}))
