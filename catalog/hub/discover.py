"""Discover: the base models in scope and the trusted publishers' GGUF repos attached to them,
from listing pages (one API request per page) plus one cached look-up per id a build names that
we do not track yet (catalog/hub/lineage.py); each entry checked before its id or sha is used.

The scope: every candidate from the explicit, author and top listings, ranked (explicit ids
first, then base models that a trusted publisher has a GGUF build of, then by downloads) and
cut at `[hub] max_models`. Candidates past the cut are `outside` the scope this run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from huggingface_hub import HfApi

from catalog.hub import source
from catalog.hub.client import current_budget
from catalog.hub.errors import HubError, classify
from catalog.hub.lineage import MAX_HOPS, Alias, Attachment, Tracked, attach
from catalog.settings import HubScope


@dataclass
class Derivative:
    """A trusted publisher's GGUF repo attached to a base model, and how (lineage.py)."""

    listing: dict[str, Any]
    attached_by: str = "tag"
    named: str | None = None

    @property
    def publisher(self) -> str:
        return str(self.listing["id"]).split("/")[0]


@dataclass
class Discovery:
    """Base models in scope (most relevant first), each with its listing entry (sha, counters)."""

    listings: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = True                     # every base-model listing succeeded
    errors: list[HubError] = field(default_factory=list)
    # trusted publisher -> all its GGUF repos; only publishers whose listing completed
    gguf_listings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # base repo id (in scope) -> the trusted GGUF repos attached to it
    derivatives: dict[str, list[Derivative]] = field(default_factory=dict)
    # repos listed with an unsafe sha: skipped this run, but not "gone" (never marked removed)
    protected: set[str] = field(default_factory=set)
    endpoint: str = ""
    explicit: set[str] = field(default_factory=set)           # ids named in [hub] models
    outside: dict[str, dict[str, Any]] = field(default_factory=dict)   # listed, past max_models
    aliases: dict[str, Alias] = field(default_factory=dict)   # lower-case id -> what the Hub said
    looked_up: list[Alias] = field(default_factory=list)      # asked this run (to be cached)
    listing_requests: int = 0                 # Hub requests the listings took (paid every run)

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

    @property
    def with_trusted_build(self) -> set[str]:
        return set(self.derivatives)


def is_base_model(m: dict[str, Any]) -> bool:
    tags = m.get("tags") or []
    return "gguf" not in tags and not any(str(t).startswith("base_model:quantized:") for t in tags)


def discover(api: HfApi, scope: HubScope, aliases: dict[str, Alias] | None = None) -> Discovery:
    """Candidates from listing pages only: explicit ids, each author's top models, the Hub's top
    text-generation models by downloads and trending score; every GGUF repo of each trusted
    publisher (one listing, a request per page of 1,000), attached to a candidate through its
    tags and card (lineage.py; `aliases` are the look-ups cached from earlier runs); then the
    candidates ranked and cut at `max_models`."""
    found = Discovery(endpoint=api.endpoint, aliases=dict(aliases or {}))
    start = current_budget().sent
    candidates: dict[str, dict[str, Any]] = {}

    def add(items: list[dict[str, Any]], subject: str) -> None:
        for m in found.keep_safe(items, subject):
            if is_base_model(m):
                candidates.setdefault(m["id"], m)

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
                candidates.setdefault(safe["id"], safe)
                found.explicit.add(safe["id"])
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
    found.listing_requests = current_budget().sent - start
    _drop_re_uploads(candidates, found)
    attached = _attach_all(api, found, Tracked(candidates))
    bases = {a.base for _, a in attached}
    ranked = sorted(candidates, key=lambda rid: (rid not in found.explicit, rid not in bases,
                                                 -(candidates[rid].get("downloads") or 0), rid))
    keep = len(ranked) if scope.max_models is None else max(scope.max_models, len(found.explicit))
    found.listings = {rid: candidates[rid] for rid in ranked[:keep]}
    found.outside = {rid: candidates[rid] for rid in ranked[keep:]}
    for g, a in attached:
        if a.base in found.listings:
            named = a.named if a.named != a.base else None
            found.derivatives.setdefault(a.base, []).append(Derivative(g, a.attached_by, named))
    return found


def _drop_re_uploads(candidates: dict[str, dict[str, Any]], found: Discovery) -> None:
    """A candidate whose card names another candidate of the same name is a re-upload of it
    (`unsloth/Phi-4-mini-instruct` of `microsoft/Phi-4-mini-instruct`): not a base model of its
    own; its builds attach to the original (`re-upload`), known from the listing, no request."""
    by_lower = {c.lower(): c for c in candidates}
    for rid in list(candidates):
        if rid in found.explicit:
            continue
        named = (candidates[rid].get("card_data") or {}).get("base_model") or []
        for base in [named] if isinstance(named, str) else named if isinstance(named, list) else []:
            original = by_lower.get(str(base).lower())
            if original and original != rid and original.split("/")[-1].lower() == rid.split("/")[-1].lower():
                del candidates[rid]
                found.aliases[rid.lower()] = Alias(rid, rid, (original,))
                break


def _attach_all(api: HfApi, found: Discovery, tracked: Tracked) -> list[tuple[dict[str, Any], Attachment]]:
    """Every trusted GGUF repo that reaches a candidate, looking up (and caching in
    `found.aliases`) the untracked ids worth asking about, one round per hop."""
    asked: set[str] = set()
    for hop in range(MAX_HOPS + 1):
        attached, wanted = [], set()
        for items in found.gguf_listings.values():
            for g in items:
                attachment, more = attach(g, tracked, found.aliases)
                if attachment is not None:
                    attached.append((g, attachment))
                wanted |= {w for w in more if w.lower() not in asked}
        if not wanted or hop == MAX_HOPS:
            return attached
        for repo_id in sorted(wanted):
            asked.add(repo_id.lower())
            try:
                current, bases = source.look_up(api, repo_id)
            except Exception as exc:          # not cached: asked again next run
                found.errors.append(classify(f"alias:{repo_id}", exc))
                continue
            alias = Alias(repo_id, current, tuple(bases))
            found.aliases[repo_id.lower()] = alias
            found.looked_up.append(alias)
    return attached
