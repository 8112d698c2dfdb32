"""Fetch: all Hub I/O for one base model and its GGUF repos, safe to run concurrently; a
failure comes back in the bundle, never as an exception."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi

from catalog.hub import source
from catalog.hub.discover import Derivative
from catalog.hub.errors import HubError, classify


@dataclass
class GgufRepo:
    listing: dict[str, Any]
    tree: list[dict[str, Any]] | None = None      # None: unchanged since the watermark, or not read
    source_url: str = ""                          # the listing it came from
    attached_by: str = "tag"                      # tag | card | renamed | re-upload (lineage.py)
    named: str | None = None                      # the id its tag or card named, when not the base


@dataclass
class ModelBundle:
    """Everything one refresh learned about one base model."""

    repo_id: str
    source_url: str
    listing: dict[str, Any] | None = None
    info: dict[str, Any] | None = None            # None: unchanged, or failed (see errors)
    config: dict[str, Any] | None = None
    config_read: bool = False                     # config.json was fetched (or cached) at info.sha
    gguf_listed: bool = False                     # the per-base derivative listing ran and completed
    gguf_listing: list[dict[str, Any]] = field(default_factory=list)   # ... and what it answered
    gguf_repos: list[GgufRepo] = field(default_factory=list)
    errors: list[HubError] = field(default_factory=list)
    endpoint: str = ""

    @property
    def unchanged(self) -> bool:
        return self.info is None and not self.errors


def fetch_bundle(api: HfApi, repo_id: str, cache_dir: Path, *, listing: dict[str, Any] | None = None,
                 known: dict[tuple[str, str], str] | None = None,
                 derivatives: Iterable[Derivative] = (), trusted: tuple[str, ...] = (),
                 untrusted_trees: int | None = None) -> ModelBundle:
    """All Hub I/O for one base model; never raises for a Hub failure (see bundle.errors).

    When the base model is new or its listed sha differs from its watermark: model_info,
    config.json and the per-base GGUF derivative listing (one listing request; it also finds
    builds of untrusted publishers). Otherwise no request for the base model itself.
    `derivatives` are the trusted publishers' GGUF repos that discover() attached to it (from
    listing pages, no request here). A GGUF repo's tree is read only when its listed sha
    differs from its watermark, and for the builds of publishers not in `trusted` only for the
    `untrusted_trees` most downloaded (None: all); the others are kept as listed, without files.
    """
    known = known or {}
    bundle = ModelBundle(repo_id, source.model_url(api, repo_id), listing=listing, endpoint=api.endpoint)
    candidates = {d.listing["id"]: GgufRepo(d.listing, attached_by=d.attached_by, named=d.named,
                                            source_url=source.gguf_publisher_url(api.endpoint, d.publisher))
                  for d in derivatives}
    listed_sha = (listing or {}).get("sha")
    if listed_sha is None or known.get((repo_id, "model")) != listed_sha:
        try:
            bundle.info = source.fetch_model_info(api, repo_id)
        except Exception as exc:
            bundle.errors.append(classify(repo_id, exc))
            return bundle
        try:
            bundle.config = source.fetch_config(api, repo_id, bundle.info["sha"], cache_dir)
            bundle.config_read = True
        except Exception as exc:
            bundle.errors.append(classify(repo_id, exc))
        try:
            listed, unsafe = source.checked_listing(source.find_gguf_repos(api, repo_id),
                                                    f"{repo_id} (gguf listing)")
            bundle.errors += [classify(problem.subject, problem) for problem in unsafe]
            bundle.gguf_listed, bundle.gguf_listing = not unsafe, listed
        except Exception as exc:      # the base model's watermark waits: the listing is retried
            bundle.errors.append(classify(f"{repo_id} (gguf listing)", exc))
            listed = []
        url = derivative_listing_url(api.endpoint, repo_id)
        for gl in listed:
            if gl["id"] in candidates:       # a trusted repo: the derivative listing adds its `gguf`
                candidates[gl["id"]].listing = {**gl, **candidates[gl["id"]].listing}
            else:
                candidates[gl["id"]] = GgufRepo(gl, source_url=url)
    worthy = tree_worthy(candidates, trusted, untrusted_trees)
    for gguf in candidates.values():
        gl = gguf.listing
        if known.get((gl["id"], "gguf")) != gl.get("sha") and gl["id"] in worthy:
            try:
                gguf.tree = source.fetch_tree(api, gl["id"], gl["sha"])
            except Exception as exc:
                bundle.errors.append(classify(gl["id"], exc))
        bundle.gguf_repos.append(gguf)
    return bundle


def is_trusted(repo_id: str, trusted: tuple[str, ...]) -> bool:
    return repo_id.split("/")[0].lower() in {p.lower() for p in trusted}


def tree_worthy(candidates: dict[str, GgufRepo], trusted: tuple[str, ...],
                untrusted_trees: int | None) -> set[str]:
    """The GGUF repos whose files are worth a tree request: every trusted publisher's, and the
    `untrusted_trees` most downloaded of the others (None: all of them)."""
    ids = sorted(candidates, key=lambda g: (-(candidates[g].listing.get("downloads") or 0), g))
    others = [g for g in ids if not is_trusted(g, trusted)]
    keep = others if untrusted_trees is None else others[:untrusted_trees]
    return {g for g in ids if is_trusted(g, trusted)} | set(keep)


def derivative_listing_url(endpoint: str, base: str) -> str:
    return f"{endpoint}/api/models?filter=gguf&filter=base_model:quantized:{base}"
