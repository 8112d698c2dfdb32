"""Derived facts from parsed GGUF headers (pure): size, bits per weight, type mix, KV layout.

Why from the header: a GGUF build's real parameter count, quant mix and attention layout
are in its first few MB; they beat name-parsing and catch config.json gaps. For a split
build, metadata comes from the first shard and tensor infos from every shard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gguf import GGMLQuantizationType, Keys, LlamaFileType

from catalog.gguf.header import GGUFHeader

# Which layers slide, when the GGUF does not say (llama.cpp `set_swa_pattern(n)` in
# llama-model.cpp: layer il slides iff il % n < n - 1). Architecture knowledge, not format.
DEFAULT_SWA_PERIOD = {"gemma2": 2, "gemma3": 6, "cohere2": 4, "llama4": 4, "gpt-oss": 2}

EMBEDDING_PREFIXES = ("token_embd.", "position_embd.", "per_layer_token_embd.")
OUTPUT_PREFIXES = ("output.",)
REPEATING_PREFIX = "blk."


@dataclass(frozen=True)
class TypeMix:
    """Tensors of one ggml type in a build."""

    ggml_type: str
    n_tensors: int
    n_elements: int
    n_bytes: int


@dataclass(frozen=True)
class AttentionComponent:
    """One row of `attention_components` (see sql/schema/001_core.sql)."""

    kind: str
    layer_count: int
    kv_heads: int = 0
    key_length: int = 0
    value_length: int = 0
    window_tokens: int | None = None
    compress_ratio: int | None = None
    state_bytes: int | None = None


@dataclass(frozen=True)
class GGUFFacts:
    """What we keep about one GGUF build (all shards)."""

    version: int
    tensor_count: int
    kv_count: int
    data_offset: int            # of the first shard
    params: int
    tensor_bytes: int           # sum of tensor sizes, all shards
    file_bytes: int             # data offset + tensor extent, all shards (= file sizes)
    bits_per_weight: float | None            # 8 * file_bytes / params
    bits_per_weight_tensors: float | None    # 8 * tensor_bytes / params (llama.cpp's BPW)
    bpw_embeddings: float | None
    bpw_output: float | None
    bpw_repeating: float | None
    file_type: int | None
    file_type_label: str | None
    architecture: str | None
    context_length: int | None
    block_count: int | None
    embedding_length: int | None
    head_count: int | None
    head_count_kv: list[int] | None     # per layer
    key_length: int | None
    value_length: int | None
    kv_lora_rank: int | None
    rope_dimension_count: int | None
    sliding_window: int | None
    sliding_window_pattern: list[bool] | None  # per layer, True = sliding
    expert_count: int | None
    expert_used_count: int | None
    vocab_size: int | None
    type_mix: list[TypeMix] = field(default_factory=list)
    attention: list[AttentionComponent] = field(default_factory=list)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _per_layer(value: Any, n_layers: int | None) -> list[int] | None:
    """A scalar-or-array key as one value per layer."""
    if isinstance(value, list):
        return [int(v) for v in value]
    if _int(value) is None:
        return None
    return [int(value)] * (n_layers or 1)


def file_type_label(ftype: int | None) -> str | None:
    """llama.cpp's file type as the usual label (15 -> Q4_K_M)."""
    if ftype is None:
        return None
    try:
        name = LlamaFileType(ftype).name
    except ValueError:
        return None
    return name.removeprefix("MOSTLY_").removeprefix("ALL_")


def _bpw(n_bytes: int, n_elements: int) -> float | None:
    return 8 * n_bytes / n_elements if n_elements else None


def derive(shards: Sequence[GGUFHeader]) -> GGUFFacts:
    """Facts of a build from its shards' headers, first shard first."""
    first = shards[0]
    tensors = [t for h in shards for t in h.tensors]
    params = sum(t.n_elements for t in tensors)
    tensor_bytes = sum(t.n_bytes for t in tensors)
    file_bytes = sum(h.data_end for h in shards)

    def group(prefixes: tuple[str, ...]) -> float | None:
        chosen = [t for t in tensors if t.name.startswith(prefixes)]
        return _bpw(sum(t.n_bytes for t in chosen), sum(t.n_elements for t in chosen))

    mix: dict[GGMLQuantizationType, list[int]] = {}
    for t in tensors:
        acc = mix.setdefault(t.ggml_type, [0, 0, 0])
        acc[0] += 1
        acc[1] += t.n_elements
        acc[2] += t.n_bytes
    type_mix = [TypeMix(k.name, *v) for k, v in sorted(mix.items(), key=lambda kv: -kv[1][2])]

    arch = first.architecture or ""

    def key(template: str) -> Any:
        return first.get(template.format(arch=arch))

    blocks = _int(key(Keys.LLM.BLOCK_COUNT))
    head_count_raw = key(Keys.Attention.HEAD_COUNT)
    head_count = max(head_count_raw) if isinstance(head_count_raw, list) else _int(head_count_raw)
    embd = _int(key(Keys.LLM.EMBEDDING_LENGTH))
    key_len = _int(key(Keys.Attention.KEY_LENGTH))
    val_len = _int(key(Keys.Attention.VALUE_LENGTH))
    if key_len is None and embd and head_count:  # llama.cpp's default head size
        key_len = embd // head_count
    if val_len is None and embd and head_count:
        val_len = embd // head_count
    vocab = _int(key(Keys.LLM.VOCAB_SIZE))
    if vocab is None and isinstance(first.get(Keys.Tokenizer.LIST), list):
        vocab = len(first.get(Keys.Tokenizer.LIST))
    ftype = _int(first.get(Keys.General.FILE_TYPE))
    window = _int(key(Keys.Attention.SLIDING_WINDOW))
    pattern = _swa_layers(arch, key(Keys.Attention.SLIDING_WINDOW_PATTERN), window, blocks)
    facts = GGUFFacts(
        version=first.version,
        tensor_count=len(tensors),
        kv_count=first.kv_count,
        data_offset=first.data_offset,
        params=params,
        tensor_bytes=tensor_bytes,
        file_bytes=file_bytes,
        bits_per_weight=_bpw(file_bytes, params),
        bits_per_weight_tensors=_bpw(tensor_bytes, params),
        bpw_embeddings=group(EMBEDDING_PREFIXES),
        bpw_output=group(OUTPUT_PREFIXES),
        bpw_repeating=group((REPEATING_PREFIX,)),
        file_type=ftype,
        file_type_label=file_type_label(ftype),
        architecture=first.architecture,
        context_length=_int(key(Keys.LLM.CONTEXT_LENGTH)),
        block_count=blocks,
        embedding_length=embd,
        head_count=head_count,
        head_count_kv=_per_layer(key(Keys.Attention.HEAD_COUNT_KV), blocks),
        key_length=key_len,
        value_length=val_len,
        kv_lora_rank=_int(key(Keys.Attention.KV_LORA_RANK)),
        rope_dimension_count=_int(key(Keys.Rope.DIMENSION_COUNT)),
        sliding_window=window,
        sliding_window_pattern=pattern,
        expert_count=_int(key(Keys.LLM.EXPERT_COUNT)),
        expert_used_count=_int(key(Keys.LLM.EXPERT_USED_COUNT)),
        vocab_size=vocab,
        type_mix=type_mix,
    )
    return _with_attention(facts, first, arch)


def _swa_layers(
    arch: str, pattern: Any, window: int | None, blocks: int | None
) -> list[bool] | None:
    """Per layer: does it slide? From the key (array or period), else the arch default."""
    if not window or not blocks:
        return None
    if isinstance(pattern, list):
        return [bool(p) for p in pattern][:blocks]
    period = _int(pattern) if pattern is not None else DEFAULT_SWA_PERIOD.get(arch)
    if period is None:
        return [True] * blocks  # a window and no pattern: every layer slides (Mistral-style)
    if period == 0:
        return [True] * blocks
    return [il % period < period - 1 for il in range(blocks)]


def _with_attention(facts: GGUFFacts, first: GGUFHeader, arch: str) -> GGUFFacts:
    from dataclasses import replace

    return replace(facts, attention=attention_components(facts, first, arch))


def attention_components(facts: GGUFFacts, first: GGUFHeader, arch: str) -> list[AttentionComponent]:
    """The KV layout as grouped `attention_components` rows (kinds full/sliding/mla/recurrent).

    Per layer: head_count_kv 0 = recurrent; an MLA rank = one compressed row of
    kv_lora_rank + rope dims (value 0); a sliding layer keeps `sliding_window` tokens.
    """
    blocks = facts.block_count
    if not blocks:
        return []
    kv = facts.head_count_kv or ([facts.head_count] * blocks if facts.head_count else None)
    if kv is None:
        return []
    kv = (kv + [kv[-1]] * blocks)[:blocks]
    swa = facts.sliding_window_pattern or [False] * blocks
    state = _recurrent_state_bytes(first, arch, facts.embedding_length)
    k_swa = _int(first.get(Keys.Attention.KEY_LENGTH_SWA.format(arch=arch))) or facts.key_length
    v_swa = _int(first.get(Keys.Attention.VALUE_LENGTH_SWA.format(arch=arch))) or facts.value_length
    layers: list[AttentionComponent] = []
    for il in range(blocks):
        if kv[il] == 0:
            layers.append(AttentionComponent("recurrent", 1, state_bytes=state))
        elif facts.kv_lora_rank:
            rope = facts.rope_dimension_count or 0
            layers.append(AttentionComponent("mla", 1, 1, facts.kv_lora_rank + rope, 0))
        elif il < len(swa) and swa[il]:
            layers.append(AttentionComponent(
                "sliding", 1, kv[il], k_swa or 0, v_swa or 0, window_tokens=facts.sliding_window))
        else:
            layers.append(AttentionComponent(
                "full", 1, kv[il], facts.key_length or 0, facts.value_length or 0))
    return group_layers(layers)


def group_layers(layers: Sequence[AttentionComponent]) -> list[AttentionComponent]:
    """Merge identical per-layer components into counted rows, first-seen order."""
    counts: dict[AttentionComponent, int] = {}
    for c in layers:
        proto = AttentionComponent(c.kind, 0, c.kv_heads, c.key_length, c.value_length,
                                   c.window_tokens, c.compress_ratio, c.state_bytes)
        counts[proto] = counts.get(proto, 0) + c.layer_count
    from dataclasses import replace

    return [replace(p, layer_count=n) for p, n in counts.items()]


def _recurrent_state_bytes(first: GGUFHeader, arch: str, embd: int | None) -> int | None:
    """Fixed per-layer state (f32), as llama.cpp sizes it, when the keys allow; else None."""
    def k(name: str) -> int | None:
        return _int(first.get(name.format(arch=arch)))

    d_conv, d_inner = k(Keys.SSM.CONV_KERNEL), k(Keys.SSM.INNER_SIZE)
    d_state, groups = k(Keys.SSM.STATE_SIZE), k(Keys.SSM.GROUP_COUNT) or 1
    if d_conv and d_inner and d_state:  # Mamba/Mamba-2 family: conv state + ssm state
        conv = (d_conv - 1) * (d_inner + 2 * groups * d_state)
        return 4 * (conv + d_state * d_inner)
    l_cache = k(Keys.ShortConv.L_CACHE)
    if l_cache and embd:  # LFM2 short convolution
        return 4 * (l_cache - 1) * embd
    return None
