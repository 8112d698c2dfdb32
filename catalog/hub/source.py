"""I/O against the Hub: listings, model details, config.json, GGUF derivatives, file trees.

Each function takes an `HfApi` (real client, any endpoint) and returns plain JSON-able data,
so parsing stays pure and callers (Prefect tasks) can retry or cache each call on its own.
Requests go through the budget installed by `catalog.hub.client` (rate limits, retries).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from huggingface_hub import HfApi
from huggingface_hub.errors import GatedRepoError, RemoteEntryNotFoundError, RepositoryNotFoundError
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from catalog.files import atomic_write
from catalog.hub import validate

# Fields a listing page carries per repo: enough to detect a change (sha, lastModified) and
# to refresh the counters of unchanged repos without any detail request. trendingScore and
# childrenModelCount are listing-only: `GET /api/models/{id}` leaves them out.
LISTING_EXPAND = ["sha", "lastModified", "createdAt", "downloads", "likes", "tags",
                  "pipeline_tag", "gated", "author", "trendingScore", "childrenModelCount", "cardData"]
# A trusted publisher's GGUF repos, listed every run: no `gguf` (it carries the chat template,
# ~20 kB a repo: a page of 40 grows from ~50 kB to ~850 kB), tags name the base models.
PUBLISHER_EXPAND = ["sha", "lastModified", "downloads", "likes", "author", "gated", "tags"]
# One base model's derivatives, listed when the base is new or changed: `gguf` kept (its
# `total` is a parameter-count candidate), its chat template dropped before anything is kept.
GGUF_EXPAND = [*PUBLISHER_EXPAND, "gguf"]


class ConfigError(ValueError):
    """config.json of a repo could not be read or is not a JSON object."""

    def __init__(self, repo_id: str, reason: str) -> None:
        super().__init__(f"{repo_id}: config.json {reason}")
        self.repo_id = repo_id


def jsonable(obj: Any) -> Any:
    """Library objects (dataclasses, datetimes) as plain JSON values."""
    if hasattr(obj, "to_dict") and not isinstance(obj, type):      # ModelCardData
        return jsonable(obj.to_dict())
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


# -- listings (one API request per page) -------------------------------------------------------
def list_author(api: HfApi, author: str, limit: int) -> list[dict[str, Any]]:
    """An author's most-downloaded text-generation models."""
    found = api.list_models(author=author, filter="text-generation", sort="downloads",
                            limit=limit, expand=LISTING_EXPAND)
    return [jsonable(m) for m in found]


def list_top(api: HfApi, sort: str, limit: int) -> list[dict[str, Any]]:
    """The Hub's top text-generation models by `downloads` or `trendingScore`."""
    found = api.list_models(filter="text-generation", sort=sort, limit=limit, expand=LISTING_EXPAND)
    return [jsonable(m) for m in found]


def list_exact(api: HfApi, repo_id: str) -> dict[str, Any] | None:
    """One explicit repo through a listing (search by name), None if the Hub has no such repo."""
    author, _, name = repo_id.partition("/")
    found = api.list_models(author=author, search=name, expand=LISTING_EXPAND)
    for m in found:
        if m.id == repo_id:
            return jsonable(m)
    return None


def list_gguf_publisher(api: HfApi, publisher: str) -> list[dict[str, Any]]:
    """Every GGUF repo of one (trusted) publisher, with sha, tags and gguf: one API request per
    page of up to 1,000 repos. Their `base_model:quantized:{id}` tags name their base models."""
    found = api.list_models(author=publisher, filter="gguf", expand=PUBLISHER_EXPAND)
    return [jsonable(m) for m in found]


def gguf_publisher_url(endpoint: str, publisher: str) -> str:
    return f"{endpoint}/api/models?author={publisher}&filter=gguf"


def quantized_bases(listing: dict[str, Any]) -> list[str]:
    """Base model ids a GGUF repo's listing names in its `base_model:quantized:{id}` tags."""
    prefix = "base_model:quantized:"
    return [str(t)[len(prefix):] for t in listing.get("tags") or [] if str(t).startswith(prefix)]


def find_gguf_repos(api: HfApi, base_repo_id: str) -> list[dict[str, Any]]:
    """GGUF derivatives of a base model: one listing call (plus pages), sha and gguf included."""
    found = api.list_models(filter=["gguf", f"base_model:quantized:{base_repo_id}"], expand=GGUF_EXPAND)
    return [without_chat_template(jsonable(m)) for m in found]


def without_chat_template(entry: dict[str, Any]) -> dict[str, Any]:
    """A listing entry without `gguf.chat_template` (kilobytes of Jinja nothing here reads)."""
    gguf = entry.get("gguf")
    if isinstance(gguf, dict) and "chat_template" in gguf:
        entry = {**entry, "gguf": {k: v for k, v in gguf.items() if k != "chat_template"}}
    return entry


def look_up(api: HfApi, repo_id: str) -> tuple[str | None, list[str]]:
    """Where an id lives now and what its card's `base_model` names: one `model_info` request
    (the Hub redirects a renamed repo's old id to the new one; the client follows it). A repo
    that does not exist answers (None, []), a gated one (repo_id, []); other failures propagate."""
    try:
        info = jsonable(api.model_info(repo_id, expand=["cardData"]))
    except GatedRepoError:
        return repo_id, []
    except RepositoryNotFoundError:
        return None, []
    current = validate.repo_id(info.get("id"), repo_id)
    named = (info.get("card_data") or {}).get("base_model") or []
    named = [named] if isinstance(named, str) else named
    bases = []
    for base in named if isinstance(named, list) else []:
        try:
            bases.append(validate.repo_id(base, repo_id))
        except validate.UnsafeHubValue:
            continue                          # a card's free text, not an id: nothing to follow
    return current, bases


# -- details ---------------------------------------------------------------------------------
def fetch_model_info(api: HfApi, repo_id: str) -> dict[str, Any]:
    """The model's API object (sha, dates, gated, counts, tags, cardData, safetensors, gguf);
    its id and commit sha are checked before anything uses them (UnsafeHubValue)."""
    info = jsonable(api.model_info(repo_id))
    validate.repo_id(info.get("id"), repo_id)
    validate.commit_sha(info.get("sha"), repo_id)
    return info


def config_cache_path(cache_dir: Path, repo_id: str, sha: str) -> Path:
    """`configs/{namespace}/{name}/{sha}.json`: both parts checked, so it stays in cache_dir."""
    validate.repo_id(repo_id)
    return Path(cache_dir) / "configs" / repo_id / f"{validate.commit_sha(sha, repo_id)}.json"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def parse_config(repo_id: str, body: bytes) -> dict[str, Any]:
    """config.json as a dict whose sizes and loop bounds are sane (ConfigError otherwise)."""
    try:
        config = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:     # JSONDecodeError is a ValueError
        raise ConfigError(repo_id, f"is not valid JSON ({exc.__class__.__name__})") from exc
    except RecursionError as exc:
        raise ConfigError(repo_id, "is nested too deeply") from exc
    if not isinstance(config, dict):
        raise ConfigError(repo_id, "is not a JSON object")
    problems = validate.config_problems(config)
    if problems:
        raise ConfigError(repo_id, "has values no model has: " + "; ".join(problems[:3]))
    return config


def fetch_config(api: HfApi, repo_id: str, sha: str, cache_dir: Path) -> dict[str, Any] | None:
    """config.json at an immutable commit, read through `/resolve/{sha}/` and cached on disk
    forever (keyed by repo and sha: a cached commit costs no request).

    Returns None when the repo has no config.json (GGUF-only repos); raises ConfigError when
    it exists but is not a JSON object; Hub errors (gated, missing) propagate.
    """
    path = config_cache_path(cache_dir, repo_id, sha)
    if path.exists():
        return parse_config(repo_id, path.read_bytes())
    url = f"{api.endpoint}/{repo_id}/resolve/{quote(sha, safe='')}/config.json"
    response = get_session().get(url, headers=build_hf_headers(token=api.token))
    try:
        hf_raise_for_status(response)
    except RemoteEntryNotFoundError:
        return None
    body = response.content
    config = parse_config(repo_id, body)    # only a parsed, checked config is cached
    atomic_write(path, body)
    return config


def fetch_tree(api: HfApi, repo_id: str, sha: str) -> list[dict[str, Any]]:
    """Every file of a repo at a commit, with exact sizes and LFS sha256. A path that is not
    plain and relative, or a size that is not a byte count, refuses the whole tree (the
    repo's last good files stay): such a server is not to be trusted for the rest either."""
    entries = [jsonable(e) for e in api.list_repo_tree(repo_id, recursive=True, revision=sha)
               if getattr(e, "size", None) is not None]
    for entry in entries:
        validate.relative_path(entry.get("path"), repo_id)
        validate.file_size(entry.get("size"), repo_id)
    return entries


def checked_listing(items: list[dict[str, Any]], subject: str
                    ) -> tuple[list[dict[str, Any]], list[validate.UnsafeHubValue]]:
    """Listing entries whose id and sha are safe to use, and the problems of the others."""
    good, bad = [], []
    for item in items:
        try:
            validate.repo_id(item.get("id"), subject)
            if item.get("sha") is not None:
                validate.commit_sha(item["sha"], item["id"])
        except validate.UnsafeHubValue as exc:
            bad.append(exc)
        else:
            good.append(item)
    return good, bad
