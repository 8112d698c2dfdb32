"""Pure: which ggml type llama.cpp gives each tensor for a quant label.

The rules follow llama.cpp `src/llama-quant.cpp` (`llama_tensor_get_type_impl`, its fallback for
row lengths a block does not divide, `llama_ftype_get_default_type`, and the tensors it never
quantizes), read at commit 007dbbf3 of ggml-org/llama.cpp. They are rewritten here for sizes,
not copied: what matters is the type of every tensor, not how it is quantized.

Labels (catalog.hub.quant normalises file names to them):
- llama.cpp's own file types: Q2_K, Q2_K_S, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K, Q8_0, Q4_0, Q4_1,
  Q5_0, Q5_1, IQ1_S/M, IQ2_XXS/XS/S/M, IQ3_XXS/XS/S/M, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4_MOE,
  F16, BF16, F32; `Q3_K`/`Q4_K`/`Q5_K` are llama-quantize's aliases of the _M types.
- `_L` / `_XL` of a K-quant (bartowski, e.g. Q4_K_L, Q3_K_XL): the base recipe (Q2_K_L on Q2_K,
  Q3_K_XL on Q3_K_L, Q4/Q5_K_L on the _M type, Q6_K_L on Q6_K) with token embeddings and output
  in Q8_0 (`--token-embedding-type q8_0 --output-tensor-type q8_0`, as the publisher documents).
- unsloth dynamic `UD-` labels vary per layer; they map to the nearest llama.cpp recipe
  (UD-Q4_K_XL -> Q4_K_M, UD-IQ2_XXS -> IQ2_XXS, ...) and say so (`Recipe.approximate`).
- ARM repacks Q4_0_4_4/4_8/8_8 have Q4_0's size; MXFP4 (gpt-oss's native files) is MXFP4_MOE.
Builds are assumed made with an importance matrix (bartowski, unsloth, mradermacher i1 do).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from gguf import GGML_QUANT_SIZES
from gguf import GGMLQuantizationType as T

from catalog.estimates.tensors import Shapes, Tensor


class UnknownQuant(ValueError):
    """A quant label with no known llama.cpp recipe."""


@dataclass(frozen=True)
class Recipe:
    ftype: str  # llama.cpp LLAMA_FTYPE_MOSTLY_<ftype>
    embd_output_type: T | None  # --token-embedding-type / --output-tensor-type override
    approximate: bool  # a dynamic / per-layer label mapped to its nearest recipe


# llama_ftype_get_default_type
DEFAULT_TYPE: dict[str, T] = {
    "Q4_0": T.Q4_0,
    "Q4_1": T.Q4_1,
    "Q5_0": T.Q5_0,
    "Q5_1": T.Q5_1,
    "Q8_0": T.Q8_0,
    "F16": T.F16,
    "BF16": T.BF16,
    "F32": T.F32,
    "MXFP4_MOE": T.MXFP4,
    "Q2_K_S": T.Q2_K,
    "Q2_K": T.Q2_K,
    "IQ3_XS": T.IQ3_S,
    "Q3_K_S": T.Q3_K,
    "Q3_K_M": T.Q3_K,
    "Q3_K_L": T.Q3_K,
    "Q4_K_S": T.Q4_K,
    "Q4_K_M": T.Q4_K,
    "Q5_K_S": T.Q5_K,
    "Q5_K_M": T.Q5_K,
    "Q6_K": T.Q6_K,
    "TQ1_0": T.TQ1_0,
    "TQ2_0": T.TQ2_0,
    "IQ2_XXS": T.IQ2_XXS,
    "IQ2_XS": T.IQ2_XS,
    "IQ2_S": T.IQ2_XS,
    "IQ2_M": T.IQ2_S,
    "IQ3_XXS": T.IQ3_XXS,
    "IQ1_S": T.IQ1_S,
    "IQ1_M": T.IQ1_M,
    "IQ4_NL": T.IQ4_NL,
    "IQ4_XS": T.IQ4_XS,
    "IQ3_S": T.IQ3_S,
    "IQ3_M": T.IQ3_S,
}
ALIASES = {
    "Q3_K": "Q3_K_M",
    "Q4_K": "Q4_K_M",
    "Q5_K": "Q5_K_M",
    "MXFP4": "MXFP4_MOE",
    "FP16": "F16",
    "FP32": "F32",
    "Q4_0_4_4": "Q4_0",
    "Q4_0_4_8": "Q4_0",
    "Q4_0_8_8": "Q4_0",
}
# _L / _XL: base recipe + Q8_0 embeddings and output
LARGE_BASE = {
    "Q2_K_L": "Q2_K",
    "Q2_K_XL": "Q2_K",
    "Q3_K_XL": "Q3_K_L",
    "Q4_K_L": "Q4_K_M",
    "Q4_K_XL": "Q4_K_M",
    "Q5_K_L": "Q5_K_M",
    "Q5_K_XL": "Q5_K_M",
    "Q6_K_L": "Q6_K",
    "Q6_K_XL": "Q6_K",
    "Q8_K_XL": "Q8_0",
}
# unsloth dynamic quants: nearest llama.cpp recipe
DYNAMIC_BASE = {
    "UD-Q2_K_XL": "Q2_K",
    "UD-Q3_K_XL": "Q3_K_M",
    "UD-Q4_K_XL": "Q4_K_M",
    "UD-Q5_K_XL": "Q5_K_M",
    "UD-Q6_K_XL": "Q6_K",
    "UD-Q8_K_XL": "Q8_0",
}

_IQ1_2 = {"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"}
# K-quant and IQ types whose block is 256 wide fall back when a row is not a multiple of 256
_FALLBACK = {
    T.IQ1_S: T.IQ4_NL,
    T.IQ1_M: T.IQ4_NL,
    T.IQ2_XXS: T.IQ4_NL,
    T.IQ2_XS: T.IQ4_NL,
    T.IQ2_S: T.IQ4_NL,
    T.IQ3_XXS: T.IQ4_NL,
    T.IQ3_S: T.IQ4_NL,
    T.IQ4_XS: T.IQ4_NL,
    T.Q2_K: T.Q4_0,
    T.Q3_K: T.Q4_0,
    T.TQ1_0: T.Q4_0,
    T.TQ2_0: T.Q4_0,
    T.Q4_K: T.Q5_0,
    T.Q5_K: T.Q5_1,
    T.Q6_K: T.Q8_0,
}


def recipe(label: str) -> Recipe:
    """The llama.cpp recipe a quant label stands for; UnknownQuant names the label."""
    q = (label or "").strip().upper()
    q = ALIASES.get(q, q)
    if q.startswith("UD-"):
        base = DYNAMIC_BASE.get(q) or ALIASES.get(q[3:], q[3:])
        if base in DEFAULT_TYPE:
            return Recipe(base, None, True)
    elif q in LARGE_BASE:
        return Recipe(LARGE_BASE[q], T.Q8_0, False)
    elif q in DEFAULT_TYPE:
        return Recipe(q, None, False)
    raise UnknownQuant(f"no llama.cpp recipe for quant {label!r}")


def known(label: str) -> bool:
    try:
        recipe(label)
    except UnknownQuant:
        return False
    return True


@functools.cache   # names repeat for every quant of every model: blk.N.<role> is a small set
def _category(name: str) -> str:
    """tensor_get_category: broad roles by name."""
    if name == "output.weight":
        return "output"
    if name == "token_embd.weight":
        return "token_embd"
    for key, cat in (
        ("attn_qkv.weight", "attn_qkv"),
        ("attn_kv_b.weight", "attn_kv_b"),
        ("attn_v.weight", "attn_v"),
        ("attn_k.weight", "attn_k"),
        ("attn_q.weight", "attn_q"),
        ("attn_output.weight", "attn_output"),
        ("ffn_up", "ffn_up"),
        ("ffn_gate", "ffn_gate"),
        ("ffn_down", "ffn_down"),
    ):
        if key in name:
            return cat
    return "other"


def quantizable(t: Tensor) -> bool:
    """tensor_allows_quantization: 2-D/3-D weights, not norms, not the MoE router."""
    return len(t.dims) >= 2 and _weight_not_norm_or_router(t.name)


@functools.cache
def _weight_not_norm_or_router(name: str) -> bool:
    return name.endswith("weight") and "_norm.weight" not in name and "ffn_gate_inp.weight" not in name


def _more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


@functools.cache
def _layer(name: str) -> int:
    m = re.match(r"blk\.(\d+)\.", name)
    return int(m.group(1)) if m else 0


class _State:
    """quantize_state_impl: the counters the rules read."""

    def __init__(self, shapes: Shapes) -> None:
        self.n_attention_wv = sum(
            1 for t in shapes.tensors if _category(t.name) in ("attn_v", "attn_qkv", "attn_kv_b")
        )
        self.i_attention_wv = 0
        self.i_ffn_down = 0
        self.n_layers = shapes.n_layers
        self.gqa = shapes.n_head // max(1, shapes.n_head_kv)
        self.n_expert = shapes.n_experts
        self.is_70b = shapes.n_layers == 80 and shapes.architecture in ("llama", None)


def _impl(s: _State, t: Tensor, new: T, ftype: str, cat: str, tied: bool) -> T:
    """llama_tensor_get_type_impl (for files made with an importance matrix)."""
    if cat == "output" or (tied and cat == "token_embd"):
        if ftype == "MXFP4_MOE" or t.dims[0] % _block(new) != 0:
            return T.Q8_0
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"):
            return T.Q5_K
        return new if new == T.Q8_0 else T.Q6_K
    if ftype == "MXFP4_MOE":
        return T.MXFP4 if len(t.dims) == 3 and t.dims[2] > 1 else T.Q8_0
    if cat == "token_embd":
        if ftype in ("IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"):
            return T.Q2_K
        if ftype in ("IQ2_S", "IQ2_M", "IQ3_XXS"):
            return T.IQ3_S
        if ftype in ("TQ1_0", "TQ2_0"):
            return T.Q4_K
        return new
    attn_v_like = cat in ("attn_v", "attn_qkv", "attn_kv_b")
    if ftype in _IQ1_2:
        if attn_v_like:
            s.i_attention_wv += 1
            if s.gqa >= 4 or s.n_expert >= 4:
                return T.Q4_K
            return T.IQ3_S if ftype in ("IQ2_S", "IQ2_M") else T.Q2_K
        if s.n_expert == 8 and cat == "attn_k":
            return T.Q4_K
        if cat == "ffn_down":
            i = s.i_ffn_down
            s.i_ffn_down += 1
            if i < s.n_layers // 8:
                return T.IQ3_S if ftype in ("IQ2_S", "IQ2_M") else T.Q2_K
            return new
        if cat == "attn_output":
            if s.n_expert == 8:
                return T.Q5_K
            if ftype in ("IQ1_S", "IQ1_M"):
                return T.IQ2_XXS
            if ftype in ("IQ2_S", "IQ2_M"):
                return T.IQ3_S
        return new
    if attn_v_like:
        i, n = s.i_attention_wv, s.n_attention_wv
        if ftype == "Q2_K":
            new = T.Q4_K if s.gqa >= 4 else T.Q3_K
        elif ftype == "Q2_K_S" and s.gqa >= 4:
            new = T.Q4_K
        elif ftype == "IQ3_XXS":
            new = T.Q4_K if s.gqa >= 4 else T.IQ3_XXS
        elif (ftype in ("IQ3_XS", "IQ3_S") and s.gqa >= 4) or ftype == "IQ3_M":
            new = T.Q4_K
        elif ftype == "Q3_K_M":
            new = T.Q5_K if i < 2 else T.Q4_K
        elif ftype == "Q3_K_L" or (ftype in ("IQ4_NL", "IQ4_XS") and s.gqa >= 4):
            new = T.Q5_K
        elif ftype in ("Q4_K_M", "Q5_K_M") and _more_bits(i, n):
            new = T.Q6_K
        elif ftype == "Q4_K_S" and i < 4:
            new = T.Q5_K
        if s.is_70b and new in (T.Q3_K, T.Q4_K):
            new = T.Q5_K
        if s.n_expert == 8:
            new = T.Q8_0
        s.i_attention_wv += 1
        return new
    if cat == "attn_k":
        if s.n_expert == 8:
            return T.Q8_0
        if ftype == "IQ3_XS":
            return T.IQ3_XXS
        if ftype == "IQ3_XXS":
            return T.IQ2_S
        return new
    if cat == "attn_q":
        return {"IQ3_XS": T.IQ3_XXS, "IQ3_XXS": T.IQ2_S}.get(ftype, new)
    if cat == "ffn_down":
        i = _layer(t.name) if s.n_expert > 1 else s.i_ffn_down
        n = s.n_layers
        s.i_ffn_down += 1
        if ftype == "Q2_K":
            return T.Q3_K
        if ftype == "Q2_K_S":
            return T.Q4_K if i < n // 8 else new
        if ftype == "Q3_K_M":
            return T.Q5_K if i < n // 16 else T.Q4_K
        if ftype == "IQ3_M" and (i < n // 8 or (s.n_expert == 8 and _more_bits(i, n))):
            return T.Q4_K
        if ftype == "Q3_K_L":
            return T.Q5_K
        if ftype == "Q4_K_M":
            return T.Q6_K if _more_bits(i, n) else new
        if ftype == "Q5_K_M" and _more_bits(i, n):
            return T.Q6_K
        if ftype == "Q4_K_S" and i < n // 8:
            return T.Q5_K
        if ftype in ("Q4_0", "Q5_0") and i < n // 8:
            return T.Q4_1 if ftype == "Q4_0" else T.Q5_1
        return new
    if cat == "attn_output":
        if s.n_expert == 8:
            if ftype in (
                "Q2_K",
                "IQ3_XS",
                "IQ3_XXS",
                "Q3_K_S",
                "Q3_K_M",
                "IQ4_NL",
                "Q4_K_S",
                "Q4_K_M",
                "IQ3_S",
                "IQ3_M",
                "IQ4_XS",
            ):
                return T.Q5_K
            return new
        return {"Q2_K": T.Q3_K, "IQ3_XXS": T.IQ3_S, "Q3_K_M": T.Q4_K, "Q3_K_L": T.Q5_K, "IQ3_M": T.Q4_K}.get(
            ftype, new
        )
    if cat == "attn_qkv":
        return {"Q3_K_M": T.Q4_K, "Q3_K_L": T.Q4_K, "IQ3_M": T.Q4_K, "Q4_K_M": T.Q5_K, "Q5_K_M": T.Q6_K}.get(
            ftype, new
        )
    if cat in ("ffn_gate", "ffn_up") and ftype == "IQ3_XS":
        i = _layer(t.name)
        return T.IQ3_XXS if s.n_layers // 8 <= i < 7 * s.n_layers // 8 else new
    return new


def _block(t: T) -> int:
    return GGML_QUANT_SIZES[t][0]


def tensor_types(shapes: Shapes, label: str) -> list[tuple[Tensor, T]]:
    """Every tensor with the ggml type llama-quantize gives it for `label`."""
    rec = recipe(label)
    default = DEFAULT_TYPE[rec.ftype]
    state = _State(shapes)
    out = []
    for t in shapes.tensors:
        if not quantizable(t):
            out.append((t, T.F32))
            continue
        cat = _category(t.name)
        if rec.embd_output_type is not None and cat in ("token_embd", "output"):
            out.append((t, rec.embd_output_type))
            continue
        if default in (T.F16, T.BF16, T.F32):
            out.append((t, default))
            continue
        chosen = _impl(state, t, default, rec.ftype, cat, shapes.tied_embeddings)
        fallback = _FALLBACK.get(chosen) if t.dims[0] % _block(chosen) != 0 else None
        if fallback is not None:
            chosen = fallback if t.dims[0] % _block(fallback) == 0 else T.F16
        out.append((t, chosen))
    return out
