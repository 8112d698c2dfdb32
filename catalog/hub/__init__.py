"""The HuggingFace source: discover base models, fetch their facts and GGUF builds, store them.

`fetch_*` functions do the I/O and return plain data (safe to run concurrently);
`store_bundle` writes one model's data in one transaction from the single writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from huggingface_hub import HfApi

from catalog import store
from catalog.hub import resolve, source
from catalog.settings import HubScope


@dataclass
class GgufRepo:
    listing: dict[str, Any]
    tree: list[dict[str, Any]]


@dataclass
class ModelBundle:
    """Everything one refresh learned about one base model."""

    repo_id: str
    info: dict[str, Any]
    config: dict[str, Any] | None
    source_url: str
    gguf_repos: list[GgufRepo] = field(default_factory=list)


def discover(api: HfApi, scope: HubScope) -> list[str]:
    """Base-model repo ids in scope: explicit ids, then each author's top text-generation models."""
    found = list(scope.models)
    for author in scope.authors:
        listed = api.list_models(author=author, filter="text-generation", sort="downloads",
                                 limit=scope.per_author)
        found += [m.id for m in listed if "gguf" not in (m.tags or [])]
    return list(dict.fromkeys(found))


def fetch_bundle(api: HfApi, repo_id: str, cache_dir: Path) -> ModelBundle:
    """All Hub I/O for one base model. Raises on any failure: the caller records it per repo."""
    info = source.fetch_model_info(api, repo_id)
    config = source.fetch_config(api, repo_id, info["sha"], cache_dir)
    bundle = ModelBundle(repo_id, info, config, source.model_url(api, repo_id))
    for listing in source.find_gguf_repos(api, repo_id):
        tree = source.fetch_tree(api, listing["id"], listing["sha"])
        bundle.gguf_repos.append(GgufRepo(listing, tree))
    return bundle


def store_bundle(con: duckdb.DuckDBPyConnection, bundle: ModelBundle, run_id: str) -> dict[str, int]:
    """Write one model's observations and resolved rows atomically; returns row counts."""
    fetched_at = store.now()
    provenance = {"source_url": bundle.source_url, "fetched_at": fetched_at, "run_id": run_id}
    sha = bundle.info["sha"]
    counts = {"models": 1, "gguf_files": 0}
    with store.transaction(con):
        store.record_raw(con, run_id=run_id, repo_id=bundle.repo_id, repo_sha=sha,
                         kind="model_info", source_url=bundle.source_url, payload=bundle.info)
        store.record_raw(con, run_id=run_id, repo_id=bundle.repo_id, repo_sha=sha, kind="config",
                         source_url=f"{bundle.source_url}/resolve/{sha}/config.json",
                         payload=bundle.config)
        row = resolve.model_row(bundle.info, bundle.config)
        store.insert_rows(con, "hub_models", [{**row, **provenance, "removed_at": None}], replace=True)
        con.execute("DELETE FROM attention_components WHERE repo_id = ?", [bundle.repo_id])
        store.insert_rows(con, "attention_components", resolve.attention_rows(bundle.repo_id, bundle.config))
        con.execute("DELETE FROM hub_gguf_files WHERE base_repo_id = ?", [bundle.repo_id])
        for gguf in bundle.gguf_repos:
            gid, gsha = gguf.listing["id"], gguf.listing["sha"]
            url = bundle.source_url.replace(bundle.repo_id, gid) + f"/tree/{gsha}"
            store.record_raw(con, run_id=run_id, repo_id=gid, repo_sha=gsha, kind="tree",
                             source_url=url, payload=gguf.tree)
            rows = resolve.gguf_file_rows(gid, bundle.repo_id, gsha, gguf.tree)
            extra = {"source_url": url, "fetched_at": fetched_at, "run_id": run_id}
            counts["gguf_files"] += store.insert_rows(con, "hub_gguf_files",
                                                      [{**r, **extra} for r in rows], replace=True)
    return counts
