"""Pure: what a GGUF file name says about its build (quant label, shard).

Naming styles seen on the Hub (tests/test_hub_quant.py lists real names):
- `Model-Q4_K_M.gguf` (bartowski, ggml-org, lmstudio-community), `model-q4_k_m.gguf` (Qwen),
  `Model.Q4_K_M.gguf` (QuantFactory, TheBloke), `Model.i1-Q4_K_M.gguf` (mradermacher imatrix),
- unsloth dynamic quants `Model-UD-Q4_K_XL.gguf` (label keeps `UD-`: a different tensor mix),
- ARM repacks `Q4_0_4_4`, `MXFP4`, `TQ1_0`, float builds `BF16`, `f16`, `fp16`, `f32`,
- per-quant sub-folders `Q4_K_M/Model-Q4_K_M-00001-of-00003.gguf` (llama.cpp gguf-split),
  and mradermacher's byte splits `Model.Q6_K.gguf.part1of2`.
Vision projectors (`mmproj*`) and importance matrices (`imatrix*`) are not weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHARD = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
_PART = re.compile(r"\.gguf\.part(\d+)of(\d+)$", re.IGNORECASE)
# Longest labels first so Q4_K_M wins over Q4_K, IQ2_XXS over IQ2_XS, Q4_0_4_4 over Q4_0.
_QUANTS = sorted(
    [
        "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
        "IQ4_XS", "IQ4_NL", "Q2_K", "Q2_K_S", "Q2_K_M", "Q2_K_L", "Q2_K_XL", "Q3_K", "Q3_K_S", "Q3_K_M",
        "Q3_K_L", "Q3_K_XL", "Q4_0", "Q4_1", "Q4_K", "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q4_K_XL",
        "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "Q5_0", "Q5_1", "Q5_K", "Q5_K_S", "Q5_K_M", "Q5_K_L",
        "Q5_K_XL", "Q6_K", "Q6_K_L", "Q6_K_XL", "Q8_0", "Q8_K_XL", "MXFP4_MOE", "MXFP4", "TQ1_0",
        "TQ2_0", "BF16", "F16", "FP16", "F32", "FP32",
    ],
    key=len,
    reverse=True,
)
_QUANT = re.compile(
    r"(?:^|[-_./])(UD-)?(" + "|".join(_QUANTS) + r")(?=$|[-_.])", re.IGNORECASE
)
_ALIASES = {"FP16": "F16", "FP32": "F32"}
_NOT_WEIGHTS = re.compile(r"^(mmproj|imatrix)|[-_.](mmproj)[-_.]", re.IGNORECASE)


@dataclass(frozen=True)
class GgufName:
    quant: str | None
    shard: int
    shard_count: int


def is_model_gguf(path: str) -> bool:
    """A weights file (or a part of one): not a vision projector or importance matrix."""
    name = path.rsplit("/", 1)[-1]
    if not (name.lower().endswith(".gguf") or _PART.search(name)):
        return False
    return not _NOT_WEIGHTS.search(name)


def parse_gguf_name(path: str) -> GgufName:
    """Quant label (upper case, canonical) and shard position from a repo path."""
    shard, count = 1, 1
    name = path.rsplit("/", 1)[-1]
    match = _SHARD.search(name) or _PART.search(name)
    if match:
        shard, count = int(match.group(1)), int(match.group(2))
    stem = _PART.sub(".gguf", name)
    stem = _SHARD.sub("", stem)
    stem = stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
    found = None
    for candidate in (stem, path.rsplit("/", 1)[0] if "/" in path else ""):
        hits = _QUANT.findall(candidate)
        if hits:
            ud, label = hits[-1]
            label = _ALIASES.get(label.upper(), label.upper())
            found = ("UD-" if ud else "") + label
            break
    return GgufName(quant=found, shard=shard, shard_count=count)
