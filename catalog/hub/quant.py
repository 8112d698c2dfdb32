"""Pure: what a GGUF file name says about its build (quant label, shard)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHARD = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)
# Longest labels first so Q4_K_M wins over Q4_K, IQ2_XXS over IQ2_XS, Q4_0_4_4 over Q4_0.
_QUANTS = sorted(
    [
        "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ3_M",
        "IQ4_XS", "IQ4_NL", "Q2_K", "Q2_K_S", "Q2_K_L", "Q2_K_XL", "Q3_K_S", "Q3_K_M", "Q3_K_L",
        "Q3_K_XL", "Q4_0", "Q4_1", "Q4_K_S", "Q4_K_M", "Q4_K_L", "Q4_K_XL", "Q4_0_4_4", "Q4_0_4_8",
        "Q4_0_8_8", "Q5_0", "Q5_1", "Q5_K_S", "Q5_K_M", "Q5_K_L", "Q5_K_XL", "Q6_K", "Q6_K_L",
        "Q6_K_XL", "Q8_0", "Q8_K_XL", "MXFP4", "MXFP4_MOE", "TQ1_0", "TQ2_0", "BF16", "F16", "F32",
    ],
    key=len,
    reverse=True,
)
_QUANT = re.compile(
    r"(?:^|[-_./])(?:UD-)?(" + "|".join(_QUANTS) + r")(?=$|[-_.])", re.IGNORECASE
)
_NOT_WEIGHTS = re.compile(r"(^|/)(mmproj|imatrix)|\.imatrix$", re.IGNORECASE)


@dataclass(frozen=True)
class GgufName:
    quant: str | None
    shard: int
    shard_count: int


def is_model_gguf(path: str) -> bool:
    """A weights file: ends in .gguf and is not a vision projector or importance matrix."""
    return path.lower().endswith(".gguf") and not _NOT_WEIGHTS.search(path.rsplit("/", 1)[-1])


def parse_gguf_name(path: str) -> GgufName:
    """Quant label (upper case, canonical) and shard position from a repo path."""
    shard, count = 1, 1
    match = _SHARD.search(path)
    if match:
        shard, count = int(match.group(1)), int(match.group(2))
    name = path.rsplit("/", 1)[-1]
    stem = _SHARD.sub("", name)
    stem = stem[: -len(".gguf")] if stem.lower().endswith(".gguf") else stem
    found = None
    for candidate in (stem, path):
        hits = _QUANT.findall(candidate)
        if hits:
            found = hits[-1].upper()
            break
    return GgufName(quant=found, shard=shard, shard_count=count)
