"""Pure: the attention / KV-cache layout of a model, as `attention_components` rows.

One row per group of identical per-layer components (kinds in sql/schema/001_core.sql):
- full:       kv_heads × (key_length + value_length) elements per token per layer.
- sliding:    the same per cell, for a window of `window_tokens` tokens.
- mla:        DeepSeek-V2/V3-style latent: kv_heads 1, key_length kv_lora_rank +
              qk_rope_head_dim, value_length 0 (llama.cpp caches the latent row only).
- compressed: DeepSeek-V4: one row every `compress_ratio` tokens. Its KV is a single shared
              latent row (K = V, `head_dim` = 448 NoPE + 64 RoPE = 512 wide), so
              key_length = head_dim and value_length 0, like MLA. Every V4 layer also keeps a
              raw `sliding_window` (128) of uncompressed rows: a `sliding` component of the
              same width. The lightning indexer's own small cache (ratio-4 layers) is emitted
              only when config.json gives its width (`index_head_dim`); otherwise it is left
              out (it is a few % of the compressed cache).
- recurrent:  a fixed state per layer, `state_bytes` (f32, as llama.cpp keeps it): conv
              state (kernel-1) × conv channels + SSM / delta-rule state.
Multi-token-prediction layers are not counted (llama.cpp allocates no cache for them).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from catalog.hub.config import as_int, text_config
from catalog.hub.params import layer_kinds

STATE_BYTES = 4   # recurrent states are kept in f32


def _recurrent_state_bytes(c: dict[str, Any], kind: str) -> int:
    if kind == "linear":          # Gated DeltaNet (Qwen3-Next, Qwen3.5)
        nk, nv = as_int(c.get("linear_num_key_heads")) or 0, as_int(c.get("linear_num_value_heads")) or 0
        dk, dv = as_int(c.get("linear_key_head_dim")) or 0, as_int(c.get("linear_value_head_dim")) or 0
        kernel = as_int(c.get("linear_conv_kernel_dim")) or 4
        conv = (kernel - 1) * (2 * nk * dk + nv * dv)
        return (conv + nv * dk * dv) * STATE_BYTES
    # Mamba-2 (granite-4.0-h, Nemotron-H, Falcon-H1)
    d_state = as_int(c.get("mamba_d_state")) or as_int(c.get("ssm_state_size")) or 128
    n_heads = as_int(c.get("mamba_n_heads")) or 0
    head = as_int(c.get("mamba_d_head")) or 64
    groups = as_int(c.get("mamba_n_groups")) or as_int(c.get("n_groups")) or 1
    kernel = as_int(c.get("mamba_d_conv")) or as_int(c.get("conv_kernel")) or 4
    inner = n_heads * head or (as_int(c.get("mamba_expand")) or 2) * (as_int(c.get("hidden_size")) or 0)
    conv = (kernel - 1) * (inner + 2 * groups * d_state)
    return (conv + inner * d_state) * STATE_BYTES


def _sliding_layers(c: dict[str, Any], n: int) -> list[bool] | None:
    """Which attention layers use the sliding window; None when the config says no window."""
    window = as_int(c.get("sliding_window"))
    if not window or c.get("use_sliding_window") is False:
        return None
    types = c.get("layer_types")
    if isinstance(types, list) and len(types) == n:
        return [str(t) == "sliding_attention" for t in types]
    pattern = as_int(c.get("sliding_window_pattern"))
    if pattern:                                   # Gemma-2/3: every pattern-th layer is global
        return [(i + 1) % pattern != 0 for i in range(n)]
    return [True] * n                             # Mistral-style: window on every layer


def attention_rows(repo_id: str, config: dict[str, Any] | None,
                   source: str = "config.json") -> list[dict[str, Any]]:
    """The KV layout as attention_components rows (empty when the config lacks the shape)."""
    c = text_config(config)
    n, heads, h = (as_int(c.get(k)) for k in ("num_hidden_layers", "num_attention_heads", "hidden_size"))
    if not n or not heads or not h:
        return []
    kinds = layer_kinds(c)
    if len(kinds) != n:
        return []
    kv_heads = as_int(c.get("num_key_value_heads")) or heads
    head_dim = as_int(c.get("head_dim")) or h // heads
    groups: Counter[tuple[Any, ...]] = Counter()
    window = as_int(c.get("sliding_window"))
    ratios = c.get("compress_ratios")
    if isinstance(ratios, list):                              # DeepSeek-V4
        index_dim = as_int(c.get("index_head_dim"))
        for i in range(n):
            groups[("sliding", 1, head_dim, 0, window, None, None)] += 1
            ratio = as_int(ratios[i]) if i < len(ratios) else None
            if ratio and ratio > 1:
                groups[("compressed", 1, head_dim, 0, None, ratio, None)] += 1
                if index_dim and ratio == min(r for r in ratios if r and r > 1):
                    groups[("compressed", 1, index_dim, 0, None, ratio, None)] += 1
    elif as_int(c.get("kv_lora_rank")):                       # MLA
        width = as_int(c["kv_lora_rank"]) + (as_int(c.get("qk_rope_head_dim")) or 0)
        groups[("mla", 1, width, 0, None, None, None)] = n
    else:
        sliding = _sliding_layers(c, n)
        for i, kind in enumerate(kinds):
            if kind in ("linear", "mamba"):
                groups[("recurrent", 0, 0, 0, None, None, _recurrent_state_bytes(c, kind))] += 1
            elif kind == "attention":
                if sliding and sliding[i]:
                    groups[("sliding", kv_heads, head_dim, head_dim, window, None, None)] += 1
                else:
                    groups[("full", kv_heads, head_dim, head_dim, None, None, None)] += 1
    return [
        {"repo_id": repo_id, "kind": kind, "layer_count": count, "kv_heads": kvh,
         "key_length": key, "value_length": value, "window_tokens": win,
         "compress_ratio": ratio, "state_bytes": state, "source": source}
        for (kind, kvh, key, value, win, ratio, state), count in groups.items()
    ]
