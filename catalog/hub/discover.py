"""Discover: the base models in scope and the trusted publishers' GGUF repos, from listing
pages only (one API request per page), each entry checked before its id or sha is used."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import HfApi

from catalog.hub import source
from catalog.hub.errors import HubError, classify
from catalog.settings import HubScope


@dataclass
class Discovery:
    """Base models in scope, each with its listing entry (sha, lastModified, counters)."""

    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True                     # every base-model listing succeeded
    errors: list[HubError] = field(default_factory=list)
    # trusted publisher -> all its GGUF repos; only publishers whose listing completed
    gguf_listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # base repo id (in scope) -> the trusted GGUF repos whose base_model:quantized tag names it
    derivatives: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # repos listed with an unsafe sha: skipped this run, but not "gone" (never marked removed)
    protected: set[str] = field(default_factory=set)
    endpoint: str = ""

    def keep_safe(self, items: list[dict[str, Any]], subject: str) -> list[dict[str, Any]]:
        """The listing entries whose id and sha may be used; the others are reported."""
        good, bad = source.checked_listing(items, subject)
        for problem in bad:
            self.errors.append(classify(problem.subject, problem))
            self.protected.add(problem.subject)
        return good

    @property
    def repo_ids(self) -> list[str]:
        return list(self.listings)


def is_base_model(m: dict[str, Any]) -> bool:
    tags = m.get("tags") or []
    return "gguf" not in tags and not any(str(t).startswith("base_model:quantized:") for t in tags)


def discover(api: HfApi, scope: HubScope) -> Discovery:
    """Base models in scope from listing pages only: explicit ids, each author's top models,
    the Hub's top text-generation models by downloads and trending score; then every GGUF repo
    of each trusted publisher (one listing, a request per page of 1,000), attached to the first
    base model in scope its `base_model:quantized:{id}` tags name (others are ignored)."""
    found = Discovery(endpoint=api.endpoint)

    def add(items: list[dict[str, Any]], subject: str) -> None:
        for m in found.keep_safe(items, subject):
            if is_base_model(m):
                found.listings.setdefault(m["id"], m)

    for repo_id in scope.models:
        try:
            m = source.list_exact(api, repo_id)
        except Exception as exc:
            found.complete = False
            found.errors.append(classify(repo_id, exc))
            continue
        if m is None:
            found.errors.append(HubError(repo_id, "not_found", "not listed on the Hub"))
        else:
            for safe in found.keep_safe([m], repo_id):
                found.listings.setdefault(safe["id"], safe)
    steps: list[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        (f"author:{a}", lambda a=a: source.list_author(api, a, scope.per_author)) for a in scope.authors]
    if scope.top_downloads:
        steps.append(("top:downloads", lambda: source.list_top(api, "downloads", scope.top_downloads)))
    if scope.top_trending:
        steps.append(("top:trending", lambda: source.list_top(api, "trendingScore", scope.top_trending)))
    for subject, call in steps:
        try:
            add(call(), subject)
        except Exception as exc:
            found.complete = False
            found.errors.append(classify(subject, exc))
    for publisher in scope.gguf_publishers:
        try:
            found.gguf_listings[publisher] = found.keep_safe(
                source.list_gguf_publisher(api, publisher), f"gguf:{publisher}")
        except Exception as exc:      # this publisher's repos are neither refreshed nor removed
            found.errors.append(classify(f"gguf:{publisher}", exc))
    for items in found.gguf_listings.values():
        for g in items:
            base = next((b for b in source.quantized_bases(g) if b in found.listings), None)
            if base is not None:
                found.derivatives.setdefault(base, []).append(g)
    return found
