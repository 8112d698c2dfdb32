"""Pure: read a model's config.json the way the architecture code reads it.

Multimodal repos nest the language model under `text_config` (Gemma-3, Qwen3.5, Llama-4,
Mistral-3); real configs often leave out fields that equal the model class's default
(Gemma-3's `text_config` omits `vocab_size`, `num_attention_heads` and more). `text_config`
returns the language model's config with those documented defaults filled in, and says
which fields were defaulted.
"""

from __future__ import annotations

from typing import Any

# Defaults of the transformers config classes for fields real configs omit (only the ones
# the parameter count and KV layout need). Source: each `configuration_*.py` __init__.
MODEL_TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "gemma3_text": {
        "vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216,
        "num_hidden_layers": 26, "num_attention_heads": 8, "num_key_value_heads": 4,
        "head_dim": 256, "max_position_embeddings": 131_072, "sliding_window": 4096,
        "sliding_window_pattern": 6, "tie_word_embeddings": True,
    },
    "gemma3": {"tie_word_embeddings": True},
    "gemma2": {"sliding_window_pattern": 2, "tie_word_embeddings": True},
    "gemma": {"tie_word_embeddings": True},
    "llama": {"tie_word_embeddings": False},
    "qwen2": {"tie_word_embeddings": False},
    "qwen3": {"tie_word_embeddings": False},
    "qwen3_moe": {"decoder_sparse_step": 1, "mlp_only_layers": [], "tie_word_embeddings": False},
    "qwen3_next": {"decoder_sparse_step": 1, "full_attention_interval": 4,
                   "linear_conv_kernel_dim": 4, "tie_word_embeddings": False},
    "deepseek_v3": {"first_k_dense_replace": 3, "n_shared_experts": 1, "tie_word_embeddings": False},
    "deepseek_v4": {"tie_word_embeddings": False},
    "siglip_vision_model": {"num_channels": 3, "patch_size": 14, "image_size": 224},
}
TEXT_MODEL_TYPES = {"gemma3": "gemma3_text", "mistral3": "mistral", "llama4": "llama4_text"}


def text_config(config: dict[str, Any] | None) -> dict[str, Any]:
    """The language model's config, `text_config` merged over the top level, defaults filled.

    The key `_defaulted` lists the fields taken from MODEL_TYPE_DEFAULTS.
    """
    if not isinstance(config, dict):
        return {}
    nested = config.get("text_config")
    if isinstance(nested, dict):
        merged = {k: v for k, v in config.items() if k not in ("text_config", "vision_config")}
        merged.update(nested)
        if "model_type" not in nested:
            top = config.get("model_type") or ""
            merged["model_type"] = TEXT_MODEL_TYPES.get(top, top)
    else:
        merged = dict(config)
    defaulted = []
    for source in (config.get("model_type"), merged.get("model_type")):
        for key, value in MODEL_TYPE_DEFAULTS.get(source or "", {}).items():
            if merged.get(key) is None:
                merged[key] = value
                defaulted.append(key)
    merged["_defaulted"] = sorted(set(defaulted))
    return merged


def vision_config(config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The vision tower's config of a multimodal repo, defaults filled; None if there is none."""
    if not isinstance(config, dict) or not isinstance(config.get("vision_config"), dict):
        return None
    vision = dict(config["vision_config"])
    for key, value in MODEL_TYPE_DEFAULTS.get(vision.get("model_type", ""), {}).items():
        vision.setdefault(key, value)
    return vision


def as_int(value: Any) -> int | None:
    """An integer config value, or None for missing / null / non-numeric values."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None
