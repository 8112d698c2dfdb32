"""Pure: parameter counts from every source, and the rule that picks one.

Candidates (each kept with its source, see docs/hub.md):
- `safetensors_raw`: the Hub's `safetensors.total`, stored elements over all dtypes.
- `safetensors_unpacked`: the same with packed low-bit dtypes counted as the values they
  hold (two FP4/INT4 values per I8/U8 element, 32/bits per I32 for GPTQ/AWQ). Only made
  when something is packed; the raw count is then rejected with the reason.
- `architecture`: counted from config.json (embeddings, attention incl. MLA and low-rank
  projections, dense and expert MLPs, shared experts, dense-first layers, recurrent mixers,
  a ViT vision tower). Multi-token-prediction layers are left out (inference does not run
  them), so it can sit below a checkpoint count that includes them.
- `gguf`: `gguf.total` of a GGUF derivative (llama.cpp's own count), when nothing else is.

Choice: architecture if it exists and agrees within 10 % with the best safetensors count
(or there is none); else the best safetensors count (unpacked if packed, else raw); else
gguf. Any two kept candidates more than 10 % apart flag a disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.hub.config import as_int, text_config, vision_config

DISAGREEMENT = 0.10
PACKED_BYTE_DTYPES = ("I8", "U8")


@dataclass
class Candidate:
    source: str
    params_total: int | None
    params_active: int | None = None
    chosen: bool = False
    rejected_reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class ParamResolution:
    params_total: int | None
    params_active: int | None
    params_source: str | None
    disagreement: bool
    candidates: list[Candidate]


# -- (a) safetensors -------------------------------------------------------------------------
def _packing_factor(config: dict[str, Any] | None, dtypes: dict[str, int]) -> tuple[dict[str, int], str]:
    """Values per stored element for each packed dtype, with the reason; {} if nothing packed."""
    cfg = config if isinstance(config, dict) else {}
    quant = cfg.get("quantization_config") if isinstance(cfg.get("quantization_config"), dict) else {}
    method = str(quant.get("quant_method") or "").lower()
    bits = as_int(quant.get("bits")) or as_int(quant.get("w_bit"))
    expert_dtype = str(cfg.get("expert_dtype") or "").lower()
    if method in ("gptq", "awq", "auto-round") and bits and "I32" in dtypes:
        return {"I32": 32 // bits}, f"{method} packs {32 // bits} {bits}-bit values per I32"
    packed = [d for d in PACKED_BYTE_DTYPES if d in dtypes]
    if not packed:
        return {}, ""
    if expert_dtype in ("fp4", "int4", "mxfp4") or method == "mxfp4" or bits == 4 \
            or quant.get("load_in_4bit") or "fp4" in str(quant.get("fmt", "")).lower():
        label = expert_dtype or method or "4-bit"
        return {d: 2 for d in packed}, f"{label} weights are stored two per {'/'.join(packed)} byte"
    return {}, ""


def safetensors_candidates(safetensors: dict[str, Any] | None,
                           config: dict[str, Any] | None) -> list[Candidate]:
    if not isinstance(safetensors, dict):
        return []
    dtypes = {k: int(v) for k, v in (safetensors.get("parameters") or {}).items() if v is not None}
    total = safetensors.get("total")
    total = int(total) if total is not None else (sum(dtypes.values()) or None)
    if total is None:
        return []
    raw = Candidate("safetensors_raw", total, detail={"dtypes": dtypes})
    factors, reason = _packing_factor(config, dtypes)
    if not factors:
        return [raw]
    unpacked = sum(n * factors.get(d, 1) for d, n in dtypes.items())
    raw.rejected_reason = f"packed low-bit dtypes undercount: {reason}"
    return [raw, Candidate("safetensors_unpacked", unpacked,
                           detail={"dtypes": dtypes, "factors": factors, "reason": reason})]


# -- (b) architecture -------------------------------------------------------------------------
def _attention_params(c: dict[str, Any], h: int) -> int | None:
    heads = as_int(c.get("num_attention_heads"))
    if not heads:
        return None
    kv_lora = as_int(c.get("kv_lora_rank"))
    q_lora = as_int(c.get("q_lora_rank"))
    if kv_lora:                                      # MLA (DeepSeek-V2/V3, Kimi-K2, GLM-4.7-Flash)
        nope, rope = as_int(c.get("qk_nope_head_dim")) or 0, as_int(c.get("qk_rope_head_dim")) or 0
        v_dim = as_int(c.get("v_head_dim")) or nope
        q_dim = heads * (nope + rope)
        q = h * q_lora + q_lora + q_lora * q_dim if q_lora else h * q_dim
        kv = h * (kv_lora + rope) + kv_lora + kv_lora * heads * (nope + v_dim)
        return q + kv + heads * v_dim * h
    head_dim = as_int(c.get("head_dim")) or h // heads
    kv_heads = as_int(c.get("num_key_value_heads")) or heads
    if c.get("compress_ratios") is not None:         # DeepSeek-V4: shared-KV latent, low-rank q / o
        q = (h * q_lora + q_lora + q_lora * heads * head_dim) if q_lora else h * heads * head_dim
        kv = h * kv_heads * head_dim + head_dim
        groups, o_rank = as_int(c.get("o_groups")), as_int(c.get("o_lora_rank"))
        # grouped low-rank output (wo_a per group, then wo_b) when the config says so
        o = heads * head_dim * o_rank + groups * o_rank * h if groups and o_rank else heads * head_dim * h
        return q + kv + o
    gate = 2 if c.get("model_type") == "qwen3_next" else 1      # gated attention doubles q_proj
    q = h * heads * head_dim * gate
    kv = 2 * h * kv_heads * head_dim
    o = heads * head_dim * h
    bias = heads * head_dim + 2 * kv_heads * head_dim if (
        c.get("attention_bias") or c.get("model_type") == "qwen2") else 0
    qk_norm = 2 * head_dim if c.get("model_type") in ("qwen3", "qwen3_moe", "qwen3_next",
                                                      "gemma3_text") else 0
    return q + kv + o + bias + qk_norm


def _linear_attention_params(c: dict[str, Any], h: int) -> int:
    """Qwen3-Next Gated DeltaNet mixer."""
    nk, nv = as_int(c.get("linear_num_key_heads")) or 0, as_int(c.get("linear_num_value_heads")) or 0
    dk, dv = as_int(c.get("linear_key_head_dim")) or 0, as_int(c.get("linear_value_head_dim")) or 0
    kernel = as_int(c.get("linear_conv_kernel_dim")) or 4
    key_dim, value_dim = nk * dk, nv * dv
    in_proj = h * (2 * key_dim + 2 * value_dim) + h * 2 * nv
    conv = (2 * key_dim + value_dim) * kernel
    return in_proj + conv + 2 * nv + dv + value_dim * h


def _mamba2_params(c: dict[str, Any], h: int) -> int:
    d_state = as_int(c.get("mamba_d_state")) or 128
    n_heads = as_int(c.get("mamba_n_heads")) or 0
    head = as_int(c.get("mamba_d_head")) or 64
    groups = as_int(c.get("mamba_n_groups")) or 1
    kernel = as_int(c.get("mamba_d_conv")) or 4
    inner = n_heads * head or (as_int(c.get("mamba_expand")) or 2) * h
    conv_dim = inner + 2 * groups * d_state
    in_proj = h * (2 * inner + 2 * groups * d_state + n_heads)
    return in_proj + conv_dim * kernel + conv_dim + 3 * n_heads + inner + inner * h


def layer_kinds(c: dict[str, Any]) -> list[str]:
    """Per-layer mixer: 'attention', 'linear' (Gated DeltaNet) or 'mamba'."""
    n = as_int(c.get("num_hidden_layers")) or 0
    types = c.get("layer_types")
    if isinstance(types, list) and len(types) == n:
        out = []
        for t in types:
            t = str(t)
            out.append("linear" if t == "linear_attention" else "mamba" if "mamba" in t else "attention")
        return out
    if isinstance(c.get("hybrid_override_pattern"), str):
        return ["attention" if ch == "*" else "mamba" if ch == "M" else "mlp"
                for ch in c["hybrid_override_pattern"]]
    interval = as_int(c.get("full_attention_interval"))
    if c.get("linear_num_value_heads") and interval:
        return ["attention" if (i + 1) % interval == 0 else "linear" for i in range(n)]
    return ["attention"] * n


def _expert_layers(c: dict[str, Any], n: int, n_experts: int) -> list[bool]:
    if not n_experts:
        return [False] * n
    dense_first = as_int(c.get("first_k_dense_replace")) or 0
    step = as_int(c.get("decoder_sparse_step")) or 1
    only_dense = set(c.get("mlp_only_layers") or [])
    return [i >= dense_first and i not in only_dense and (i + 1) % step == 0 for i in range(n)]


def moe_shape(c: dict[str, Any]) -> dict[str, int | None]:
    n_experts = (as_int(c.get("n_routed_experts")) or as_int(c.get("num_experts"))
                 or as_int(c.get("num_local_experts")) or 0)
    shared = as_int(c.get("n_shared_experts"))
    if shared is None:
        shared = 1 if as_int(c.get("shared_expert_intermediate_size")) else 0
    return {
        "n_experts": n_experts or None,
        "n_experts_used": (as_int(c.get("num_experts_per_tok")) or as_int(c.get("moe_topk"))
                           or None) if n_experts else None,
        "n_shared_experts": shared if n_experts else None,
        "moe_intermediate_size": as_int(c.get("moe_intermediate_size")) if n_experts else None,
    }


def _vision_params(vision: dict[str, Any] | None, text_hidden: int) -> int | None:
    """A ViT tower (SigLIP and alike) plus a linear projector into the text model."""
    if not vision:
        return None
    h = as_int(vision.get("hidden_size"))
    inter = as_int(vision.get("intermediate_size"))
    layers = as_int(vision.get("num_hidden_layers"))
    patch, image = as_int(vision.get("patch_size")), as_int(vision.get("image_size"))
    if not (h and inter and layers and patch and image):
        return None
    channels = as_int(vision.get("num_channels")) or 3
    patches = (image // patch) ** 2
    embed = channels * patch * patch * h + h + patches * h
    block = 4 * (h * h + h) + 2 * h * inter + inter + h + 4 * h
    projector = h * text_hidden + h
    return embed + layers * block + 2 * h + projector


def architecture_candidate(config: dict[str, Any] | None) -> Candidate | None:
    """Count parameters from config.json; None when the config lacks the needed shape."""
    c = text_config(config)
    h, n, vocab = (as_int(c.get(k)) for k in ("hidden_size", "num_hidden_layers", "vocab_size"))
    if not (h and n and vocab):
        return None
    attn = _attention_params(c, h)
    if attn is None:
        return None
    kinds = layer_kinds(c)
    if len(kinds) != n:
        return None
    moe = moe_shape(c)
    n_experts = moe["n_experts"] or 0
    expert_layers = _expert_layers(c, n, n_experts)
    inter = as_int(c.get("intermediate_size")) or 0
    moe_inter = moe["moe_intermediate_size"] or inter
    shared_inter = as_int(c.get("shared_expert_intermediate_size")) or moe_inter
    used = moe["n_experts_used"] or 0
    shared = moe["n_shared_experts"] or 0
    expert = 3 * h * moe_inter
    total = active = 0
    for kind, is_moe in zip(kinds, expert_layers, strict=True):
        mixer = {"attention": attn, "linear": _linear_attention_params(c, h),
                 "mamba": _mamba2_params(c, h), "mlp": 0}[kind]
        norms = (4 if c.get("model_type") in ("gemma2", "gemma3_text") else 2) * h
        if is_moe:
            router = h * n_experts
            shared_p = shared * 3 * h * shared_inter + (h if c.get("shared_expert_intermediate_size") else 0)
            total += mixer + norms + router + shared_p + n_experts * expert
            active += mixer + norms + router + shared_p + used * expert
        else:
            mlp = 3 * h * inter if inter else 0
            total += mixer + norms + mlp
            active += mixer + norms + mlp
    embeddings = vocab * h * (1 if c.get("tie_word_embeddings") else 2) + h
    total += embeddings
    active += embeddings
    vision = _vision_params(vision_config(config), h)
    if vision:
        total += vision
        active += vision
    detail = {"model_type": c.get("model_type"), "layers": n, "experts": n_experts,
              "vision": vision or 0, "defaulted": c.get("_defaulted", []),
              "mtp_layers_excluded": as_int(c.get("num_nextn_predict_layers")) or 0}
    return Candidate("architecture", total, active, detail=detail)


# -- (c) GGUF and the choice ------------------------------------------------------------------
def gguf_candidate(gguf: dict[str, Any] | None, repo_id: str | None = None) -> Candidate | None:
    if not isinstance(gguf, dict) or not gguf.get("total"):
        return None
    return Candidate("gguf", int(gguf["total"]), detail={"gguf_repo_id": repo_id,
                                                         "architecture": gguf.get("architecture")})


def _apart(a: int, b: int) -> bool:
    return abs(a - b) > DISAGREEMENT * max(a, b)


def resolve_params(safetensors: dict[str, Any] | None, config: dict[str, Any] | None,
                   gguf: Candidate | None = None) -> ParamResolution:
    """All candidates for one model, the chosen one marked, the others with their reason."""
    cands = safetensors_candidates(safetensors, config)
    arch = architecture_candidate(config)
    if arch:
        cands.append(arch)
    if gguf:
        cands.append(gguf)
    kept = [c for c in cands if c.rejected_reason is None and c.params_total]
    best_st = next((c for c in kept if c.source.startswith("safetensors")), None)
    chosen: Candidate | None = None
    if arch and (best_st is None or not _apart(arch.params_total or 0, best_st.params_total or 0)):
        chosen = arch
    elif best_st:
        chosen = best_st
    elif gguf:
        chosen = gguf
    disagreement = any(_apart(a.params_total or 0, b.params_total or 0)
                       for i, a in enumerate(kept) for b in kept[i + 1:])
    active = None
    if chosen:
        chosen.chosen = True
        for c in kept:
            if c is not chosen:
                c.rejected_reason = f"lower precedence than {chosen.source}" + (
                    f" ({abs(c.params_total - chosen.params_total) / chosen.params_total:.1%} apart)"
                    if c.params_total and chosen.params_total else "")
        active = arch.params_active if arch else None
        if arch and chosen is not arch and arch.params_total:
            # scale the architecture's active share onto the chosen total
            active = round(chosen.params_total * (arch.params_active or 0) / arch.params_total)
        if active is None and not moe_shape(text_config(config))["n_experts"] and config:
            active = chosen.params_total
    return ParamResolution(
        params_total=chosen.params_total if chosen else None,
        params_active=active,
        params_source=chosen.source if chosen else None,
        disagreement=disagreement,
        candidates=cands,
    )
