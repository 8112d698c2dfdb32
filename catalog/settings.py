"""The refresh's scope and knobs, read from fitcat.toml (documented defaults below)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from catalog.paths import DEFAULT_SETTINGS

DEFAULT_CONFIG = DEFAULT_SETTINGS


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
    backoff_seconds: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)   # wait before retry n (5xx, time-out)
    backoff_jitter: float = 0.5                   # each wait scaled by a random factor 1 ± this
    timeout_seconds: float = 30.0                 # per network operation (connect, one read)
    request_deadline_seconds: float = 120.0       # per request in all: connect + whole body
    max_wait_seconds: float = 300.0               # longest wait for a rate-limit reset / back-off
    stage_deadline_seconds: float | None = 4 * 3600.0   # the models stage in all (0 in TOML: none)
    max_models: int | None = 10_000               # base models kept in scope, most relevant first (0: all)
    untrusted_trees: int = 3                      # trees read per base for untrusted publishers' builds
    drop_after_scans: int = 3                     # complete scans outside the scope before a model leaves

    def __post_init__(self) -> None:
        for key, low in (("max_models", 1), ("untrusted_trees", 0), ("drop_after_scans", 1)):
            value = getattr(self, key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < low):
                raise ValueError(f"[hub] {key} must be an integer ≥ {low}, not {value!r}")


@dataclass(frozen=True)
class GgufScope:
    """GGUF header reading (docs/gguf.md): one canonical build per model, cached by sha."""

    read_headers: bool = True                     # read the canonical build's header each run
    max_builds: int = 500                         # at most this many uncached builds per run
    stage_deadline_seconds: float | None = 1800.0  # the header stage in all (0 in TOML: none)


@dataclass(frozen=True)
class Settings:
    hub: HubScope = field(default_factory=HubScope)
    gguf: GgufScope = field(default_factory=GgufScope)


def load_settings(path: Path | None = None) -> Settings:
    """Read fitcat.toml; a malformed file is an error naming the file, never a silent default."""
    path = path or DEFAULT_CONFIG
    if not path.exists():
        return Settings()
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from exc
    hub, gguf = data.get("hub", {}), data.get("gguf", {})
    for section, keys, known in (("hub", hub, HubScope), ("gguf", gguf, GgufScope)):
        unknown = set(keys) - set(known.__dataclass_fields__)
        if unknown:
            raise ValueError(f"{path}: unknown [{section}] keys {sorted(unknown)}")
    unknown_sections = set(data) - {"hub", "gguf"}
    if unknown_sections:
        raise ValueError(f"{path}: unknown sections {sorted(unknown_sections)}")
    for section, keys, known in (("hub", hub, HubScope), ("gguf", gguf, GgufScope)):
        _check_types(path, section, keys, known)
    for section, key in ((hub, "request_cap"), (hub, "stage_deadline_seconds"), (hub, "max_models"),
                         (gguf, "stage_deadline_seconds")):
        if section.get(key) == 0:
            section[key] = None                   # 0 in TOML: no cap / no deadline
    try:
        return Settings(hub=HubScope(**{k: tuple(v) if isinstance(v, list) else v for k, v in hub.items()}),
                        gguf=GgufScope(**gguf))
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def _check_types(path: Path, section: str, values: dict, scope: type) -> None:
    """Each key's value has its default's type (a whole number where a float is expected, a list
    where a tuple is): `max_workers = "4"` is an error naming the key, not a crash mid-run."""
    for key, value in values.items():
        default = scope.__dataclass_fields__[key].default
        if isinstance(default, tuple):
            item = type(default[0]) if default else str
            ok = isinstance(value, list) and all(
                isinstance(v, item) or (item is float and isinstance(v, int)) for v in value)
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, float) or key.endswith("_seconds"):
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        else:
            ok = isinstance(value, type(default)) and not isinstance(value, bool)
        if not ok or (isinstance(value, int | float) and not isinstance(value, bool) and value < 0):
            raise ValueError(f"{path}: [{section}] {key} = {value!r} is not valid "
                             f"(expected a non-negative value like {default!r})")
