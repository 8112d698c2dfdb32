"""Pure: Hub responses → rows of the resolved tables (hub_models, hub_gguf_files, attention)."""

from __future__ import annotations

from typing import Any

from catalog.hub.quant import is_model_gguf, parse_gguf_name


def text_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The language model's config: multimodal repos nest it under `text_config`."""
    if not config:
        return {}
    nested = config.get("text_config")
    return {**config, **nested} if isinstance(nested, dict) else config


def model_row(info: dict[str, Any], config: dict[str, Any] | None) -> dict[str, Any]:
    """One hub_models row (without run/provenance columns) from model_info + config.json."""
    cfg = text_config(config)
    card = info.get("card_data") or {}
    safetensors = info.get("safetensors") or {}
    gated = info.get("gated")
    return {
        "repo_id": info["id"],
        "author": info.get("author") or info["id"].split("/")[0],
        "sha": info["sha"],
        "last_modified": info.get("last_modified"),
        "created_at": info.get("created_at"),
        "gated": "false" if gated in (None, False) else str(gated),
        "downloads": info.get("downloads"),
        "likes": info.get("likes"),
        "license": card.get("license"),
        "pipeline_tag": info.get("pipeline_tag"),
        "architecture": (cfg.get("architectures") or [None])[0],
        "model_type": cfg.get("model_type"),
        "params_total": safetensors.get("total"),
        "params_active": None,
        "params_source": "safetensors" if safetensors.get("total") else None,
        "context_length": cfg.get("max_position_embeddings"),
        "vocab_size": cfg.get("vocab_size"),
        "hidden_size": cfg.get("hidden_size"),
        "tags": info.get("tags") or [],
    }


def attention_rows(repo_id: str, config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The KV layout as attention_components rows; grouped-query attention on every layer."""
    cfg = text_config(config)
    layers, heads = cfg.get("num_hidden_layers"), cfg.get("num_attention_heads")
    if not layers or not heads or not cfg.get("hidden_size"):
        return []
    kv_heads = cfg.get("num_key_value_heads") or heads
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // heads
    return [{
        "repo_id": repo_id, "kind": "full", "layer_count": layers, "kv_heads": kv_heads,
        "key_length": head_dim, "value_length": head_dim, "window_tokens": None,
        "compress_ratio": None, "state_bytes": None, "source": "config.json",
    }]


def gguf_file_rows(gguf_repo_id: str, base_repo_id: str, sha: str,
                   tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """hub_gguf_files rows: every weights file of a tree, with its quant and shard."""
    rows = []
    for entry in tree:
        path = entry["path"]
        if not is_model_gguf(path):
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
