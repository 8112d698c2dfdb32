"""I/O against the Hub: model details, config.json, GGUF derivatives and their file trees.

Each function takes an `HfApi` (real client, any endpoint) and returns plain JSON-able data,
so parsing stays pure and callers (Prefect tasks) can retry or cache each call on its own.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, hf_hub_download
from huggingface_hub.errors import RemoteEntryNotFoundError


class ConfigError(ValueError):
    """config.json of a repo could not be read or is not a JSON object."""

    def __init__(self, repo_id: str, reason: str) -> None:
        super().__init__(f"{repo_id}: config.json {reason}")
        self.repo_id = repo_id


def jsonable(obj: Any) -> Any:
    """Library objects (dataclasses, datetimes) as plain JSON values."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, datetime):
        return obj.isoformat()
    return obj


def model_url(api: HfApi, repo_id: str) -> str:
    return f"{api.endpoint}/api/models/{repo_id}"


def fetch_model_info(api: HfApi, repo_id: str) -> dict[str, Any]:
    """The model's API object (sha, dates, gated, counts, tags, cardData, safetensors, gguf)."""
    return jsonable(api.model_info(repo_id))


def fetch_config(api: HfApi, repo_id: str, sha: str, cache_dir: Path) -> dict[str, Any] | None:
    """config.json at an immutable commit, through the library's on-disk cache (kept forever).

    Returns None when the repo has no config.json (GGUF-only repos); raises ConfigError when
    it exists but is not a JSON object.
    """
    try:
        path = hf_hub_download(
            repo_id, "config.json", revision=sha, endpoint=api.endpoint,
            token=api.token, cache_dir=str(cache_dir),
        )
    except RemoteEntryNotFoundError:
        return None
    try:
        config = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(repo_id, f"is not valid JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise ConfigError(repo_id, "is not a JSON object")
    return config


def find_gguf_repos(api: HfApi, base_repo_id: str) -> list[dict[str, Any]]:
    """GGUF derivatives of a base model: one listing call (plus pages), sha included."""
    found = api.list_models(
        filter=["gguf", f"base_model:quantized:{base_repo_id}"],
        expand=["sha", "lastModified", "downloads", "likes", "author", "gated"],
    )
    return [jsonable(m) for m in found]


def fetch_tree(api: HfApi, repo_id: str, sha: str) -> list[dict[str, Any]]:
    """Every file of a repo at a commit, with exact sizes and LFS sha256."""
    entries = api.list_repo_tree(repo_id, recursive=True, revision=sha)
    return [jsonable(e) for e in entries if getattr(e, "size", None) is not None]
