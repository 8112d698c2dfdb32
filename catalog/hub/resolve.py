"""Pure: Hub responses → rows of the resolved tables (hub_models, hub_gguf_*, candidates)."""

from __future__ import annotations

import re
from typing import Any

from catalog.hub.config import as_int, text_config
from catalog.hub.params import ParamResolution, moe_shape
from catalog.hub.quant import is_model_gguf, parse_gguf_name

# Name tokens that end a family: sizes (8B, 30B, A3B, 0.5B, 16E), variants, dates.
_SIZE = re.compile(r"^(a?\d+(\.\d+)?[bmk]|\d+e|\d+x\d+b|e\d+b)$", re.IGNORECASE)
_VARIANTS = {"instruct", "it", "chat", "base", "hf", "flash", "pro", "mini", "lite", "thinking",
             "preview", "coder", "fp8", "awq", "gptq", "gguf", "pt", "qat"}


def family_of(name: str) -> str:
    """`Llama-3.1-8B-Instruct` → `Llama-3.1`, `Qwen3-30B-A3B` → `Qwen3`, `gemma-3-27b-it` →
    `gemma-3`, `DeepSeek-V4-Flash` → `DeepSeek-V4`: the name up to its first size or variant."""
    tokens = name.split("-")
    kept = []
    for token in tokens:
        if kept and (_SIZE.match(token) or token.lower() in _VARIANTS or re.fullmatch(r"\d{4}", token)):
            break
        kept.append(token)
    return "-".join(kept)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else (value or None)


def model_row(info: dict[str, Any], config: dict[str, Any] | None,
              params: ParamResolution, config_sha: str | None) -> dict[str, Any]:
    """One hub_models row (without run/provenance columns) from model_info + config.json."""
    cfg = text_config(config)
    card = info.get("card_data") or {}
    gated = info.get("gated")
    gguf = info.get("gguf") or {}
    name = info["id"].split("/", 1)[1]
    context = (as_int(cfg.get("max_position_embeddings")) or as_int(cfg.get("max_sequence_length"))
               or as_int(gguf.get("context_length")))
    return {
        "repo_id": info["id"],
        "author": info.get("author") or info["id"].split("/")[0],
        "name": name,
        "family": family_of(name),
        "sha": info["sha"],
        "last_modified": info.get("last_modified"),
        "created_at": info.get("created_at"),
        "gated": "false" if gated in (None, False) else str(gated),
        "downloads": info.get("downloads"),
        "likes": info.get("likes"),
        "trending_score": info.get("trending_score"),
        "license": _first(card.get("license")),
        "base_model": _first(card.get("base_model")),
        "children_count": info.get("children_model_count"),
        "pipeline_tag": info.get("pipeline_tag"),
        "architecture": _first(cfg.get("architectures")) or gguf.get("architecture"),
        "model_type": cfg.get("model_type") or None,
        "params_total": params.params_total,
        "params_active": params.params_active,
        "params_source": params.params_source,
        "params_disagreement": params.disagreement,
        "context_length": context,
        "vocab_size": as_int(cfg.get("vocab_size")),
        "hidden_size": as_int(cfg.get("hidden_size")),
        "n_layers": as_int(cfg.get("num_hidden_layers")),
        **moe_shape(cfg),
        "config_sha": config_sha,
        "tags": info.get("tags") or [],
    }


def candidate_rows(repo_id: str, sha: str, params: ParamResolution) -> list[dict[str, Any]]:
    return [{
        "repo_id": repo_id, "repo_sha": sha, "source": c.source, "params_total": c.params_total,
        "params_active": c.params_active, "chosen": c.chosen, "rejected_reason": c.rejected_reason,
        "detail": c.detail,
    } for c in params.candidates]


def gguf_file_rows(gguf_repo_id: str, base_repo_id: str, sha: str,
                   tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """hub_gguf_files rows: every weights file of a tree, with its quant and shard."""
    rows = []
    for entry in tree:
        path = entry["path"]
        if entry.get("type", "file") != "file" or not is_model_gguf(path):
            continue
        name = parse_gguf_name(path)
        lfs = entry.get("lfs") or {}
        rows.append({
            "gguf_repo_id": gguf_repo_id, "base_repo_id": base_repo_id, "repo_sha": sha,
            "path": path, "quant": name.quant, "shard": name.shard,
            "shard_count": name.shard_count, "size_bytes": entry["size"],
            "sha256": lfs.get("sha256") or lfs.get("oid"),
        })
    return rows


def trusted_rank(publisher: str, trusted: tuple[str, ...]) -> int | None:
    lowered = [p.lower() for p in trusted]
    return lowered.index(publisher.lower()) if publisher.lower() in lowered else None


def canonical_gguf(repos: list[dict[str, Any]]) -> str | None:
    """The canonical GGUF repo of a base model (docs/hub.md): trusted publishers first, in the
    configured order; then repos that have quant-labelled files; then most downloads; then id.
    Untrusted repos are canonical only when no trusted publisher has a build."""
    live = [r for r in repos if r.get("removed_at") is None]
    if not live:
        return None
    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        rank = r.get("trusted_rank")
        return (rank is None, rank if rank is not None else 0, not r.get("has_quants", True),
                -(r.get("downloads") or 0), r["gguf_repo_id"])
    return min(live, key=key)["gguf_repo_id"]
