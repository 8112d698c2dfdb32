"""Pure: the GGUF tensors a model's config.json implies, named and shaped as llama.cpp writes them.

llama.cpp picks a quant type per tensor from its name, its role and its layer
(`src/llama-quant.cpp`), so a file size needs the tensor list, not one parameter count.
Names follow llama.cpp's GGUF tensor names (`token_embd`, `blk.N.attn_v`, `blk.N.ffn_down_exps`,
...); `dims` are ggml's, innermost (row length) first: a linear layer mapping a to b is (a, b),
an expert stack is (a, b, n_experts).

Covered exactly: dense and grouped-query attention (with the biases Qwen2 carries and the q/k
norms of Qwen3/Gemma-3), MLA (DeepSeek-V2/V3, Kimi-K2, GLM-4.7-Flash), dense and MoE FFNs with
shared experts and dense-first layers, tied embeddings. Anything else a config counts
(recurrent mixers, DeepSeek-V4's compressed attention, ...) is the difference between the
architecture's parameter count (catalog.hub.params) and the tensors listed, added as one
generic weight so the total is right even where the roles are not. Vision towers are not
part of a GGUF text model (they ship as a separate mmproj file) and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from catalog.hub.config import as_int, text_config
from catalog.hub.params import _expert_layers, architecture_candidate, layer_kinds, moe_shape

# Architectures llama.cpp's converter writes with fused attention (attn_qkv): Phi-3/3.5/4, whose
# gate and up are also one ffn_up of twice the width, and GPT-NeoX (Pythia), whose MLP has no gate
# (convert_hf_to_gguf.py: Phi3MiniModel, GPTNeoXModel).
FUSED_QKV = {"phi3", "gpt_neox"}
GATELESS = {"gpt_neox"}


@dataclass(frozen=True)
class Tensor:
    name: str
    dims: tuple[int, ...]

    @cached_property   # read once per quant of the model: ~40 times
    def elements(self) -> int:
        return math.prod(self.dims)


@dataclass(frozen=True)
class Shapes:
    """Everything the per-tensor type rules need about a model."""

    tensors: tuple[Tensor, ...]
    n_layers: int
    n_head: int
    n_head_kv: int
    n_experts: int
    tied_embeddings: bool
    architecture: str | None

    @property
    def params(self) -> int:
        return sum(t.elements for t in self.tensors)


def _attention(i: int, c: dict[str, Any], h: int) -> list[Tensor]:
    heads = as_int(c.get("num_attention_heads")) or 1
    p = f"blk.{i}."
    kv_lora = as_int(c.get("kv_lora_rank"))
    if kv_lora:  # MLA: the latent KV projection and its expansion
        q_lora = as_int(c.get("q_lora_rank"))
        nope, rope = as_int(c.get("qk_nope_head_dim")) or 0, as_int(c.get("qk_rope_head_dim")) or 0
        v_dim = as_int(c.get("v_head_dim")) or nope
        q_dim = heads * (nope + rope)
        out = (
            [
                Tensor(p + "attn_q_a.weight", (h, q_lora)),
                Tensor(p + "attn_q_a_norm.weight", (q_lora,)),
                Tensor(p + "attn_q_b.weight", (q_lora, q_dim)),
            ]
            if q_lora
            else [Tensor(p + "attn_q.weight", (h, q_dim))]
        )
        return [
            *out,
            Tensor(p + "attn_kv_a_mqa.weight", (h, kv_lora + rope)),
            Tensor(p + "attn_kv_a_norm.weight", (kv_lora,)),
            Tensor(p + "attn_kv_b.weight", (kv_lora, heads * (nope + v_dim))),
            Tensor(p + "attn_output.weight", (heads * v_dim, h)),
        ]
    if c.get("compress_ratios") is not None:  # DeepSeek-V4: left to the generic remainder
        return []
    head_dim = as_int(c.get("head_dim")) or h // heads
    kv_heads = as_int(c.get("num_key_value_heads")) or heads
    gate = 2 if c.get("model_type") == "qwen3_next" else 1
    q, kv = heads * head_dim, kv_heads * head_dim
    if c.get("model_type") in FUSED_QKV:  # one attn_qkv tensor (typed by its own rule)
        return [Tensor(p + "attn_qkv.weight", (h, q + 2 * kv)), Tensor(p + "attn_output.weight", (q, h))]
    out = [
        Tensor(p + "attn_q.weight", (h, q * gate)),
        Tensor(p + "attn_k.weight", (h, kv)),
        Tensor(p + "attn_v.weight", (h, kv)),
        Tensor(p + "attn_output.weight", (q, h)),
    ]
    if c.get("attention_bias") or c.get("model_type") == "qwen2":
        out += [
            Tensor(p + "attn_q.bias", (q,)),
            Tensor(p + "attn_k.bias", (kv,)),
            Tensor(p + "attn_v.bias", (kv,)),
        ]
    if c.get("model_type") in ("qwen3", "qwen3_moe", "qwen3_next", "gemma3_text"):
        out += [Tensor(p + "attn_q_norm.weight", (head_dim,)), Tensor(p + "attn_k_norm.weight", (head_dim,))]
    return out


def _ffn(i: int, c: dict[str, Any], h: int, is_moe: bool) -> list[Tensor]:
    p = f"blk.{i}."
    if not is_moe:
        inter = as_int(c.get("intermediate_size")) or 0
        if not inter:
            return []
        if c.get("model_type") in FUSED_QKV:  # phi3: gate + up as one ffn_up; gpt_neox: no gate at all
            up = inter if c.get("model_type") in GATELESS else 2 * inter
            return [Tensor(p + "ffn_up.weight", (h, up)), Tensor(p + "ffn_down.weight", (inter, h))]
        return [
            Tensor(p + "ffn_gate.weight", (h, inter)),
            Tensor(p + "ffn_up.weight", (h, inter)),
            Tensor(p + "ffn_down.weight", (inter, h)),
        ]
    moe = moe_shape(c)
    n_exp = moe["n_experts"] or 0
    ff = moe["moe_intermediate_size"] or as_int(c.get("intermediate_size")) or 0
    out = [
        Tensor(p + "ffn_gate_inp.weight", (h, n_exp)),
        Tensor(p + "ffn_gate_exps.weight", (h, ff, n_exp)),
        Tensor(p + "ffn_up_exps.weight", (h, ff, n_exp)),
        Tensor(p + "ffn_down_exps.weight", (ff, h, n_exp)),
    ]
    shared = moe["n_shared_experts"] or 0
    if shared:
        sff = (as_int(c.get("shared_expert_intermediate_size")) or ff) * (
            1 if c.get("shared_expert_intermediate_size") else shared
        )
        out += [
            Tensor(p + "ffn_gate_shexp.weight", (h, sff)),
            Tensor(p + "ffn_up_shexp.weight", (h, sff)),
            Tensor(p + "ffn_down_shexp.weight", (sff, h)),
        ]
    return out


def tensor_shapes(config: dict[str, Any] | None) -> Shapes | None:
    """The text model's GGUF tensors from config.json; None when the config lacks the shape."""
    c = text_config(config)
    h, n, vocab = (as_int(c.get(k)) for k in ("hidden_size", "num_hidden_layers", "vocab_size"))
    counted = architecture_candidate(config)
    if not (h and n and vocab) or counted is None:
        return None
    kinds = layer_kinds(c)
    n_exp = moe_shape(c)["n_experts"] or 0
    moe_layers = _expert_layers(c, n, n_exp)
    tied = bool(c.get("tie_word_embeddings"))
    norms_per_layer = 4 if c.get("model_type") in ("gemma2", "gemma3_text") else 2
    tensors = [Tensor("token_embd.weight", (h, vocab)), Tensor("output_norm.weight", (h,))]
    if not tied:
        tensors.append(Tensor("output.weight", (h, vocab)))
    for i, (kind, is_moe) in enumerate(zip(kinds, moe_layers, strict=True)):
        tensors += [Tensor(f"blk.{i}.norm_{k}.weight", (h,)) for k in range(norms_per_layer)]
        if kind == "attention":
            tensors += _attention(i, c, h)
        tensors += _ffn(i, c, h, is_moe)
    if any(k != "attention" for k in kinds) or c.get("compress_ratios") is not None:
        # mixers whose tensors are not listed one by one: the rest of the architecture's count,
        # as one generic weight of the default type
        text_params = (counted.params_total or 0) - (counted.detail.get("vision") or 0)
        rest = text_params - sum(t.elements for t in tensors)
        if rest > 0:
            tensors.append(Tensor("blk.other.weight", (h, -(-rest // h))))
    heads = as_int(c.get("num_attention_heads")) or 1
    return Shapes(
        tuple(tensors),
        n,
        heads,
        as_int(c.get("num_key_value_heads")) or heads,
        n_exp,
        tied,
        c.get("model_type"),
    )
