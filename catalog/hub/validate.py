"""Pure: every Hub value that becomes a path, a size or a loop bound is checked here first.

Whoever controls the endpoint (a mirror, a proxy, `HF_ENDPOINT`) controls these values. A
commit sha ends up in a cache file name, a repo id in folder names and URLs, a tree path in a
resolve URL, a config's layer count in `range()`. Unchecked, a sha of `../../x` wrote a file
outside the cache and `num_hidden_layers = 1e20` stopped the whole night (issue #14). So each
is checked at the source boundary, and a failure names the repo and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id

_SHA = re.compile(r"[0-9a-f]{40}")
MAX_FILE_BYTES = 10**13          # 10 TB: no single file on the Hub comes near

# Config fields that size arrays or loops, with the range any real model falls in (the largest
# published models have ~160 layers, 128-256 heads, 256-384 experts, 1-10M context, ~260k vocab).
CONFIG_BOUNDS: dict[str, tuple[int, int]] = {
    "num_hidden_layers": (1, 1024),
    "num_attention_heads": (1, 8192),
    "num_key_value_heads": (0, 8192),
    "hidden_size": (1, 1 << 20),
    "intermediate_size": (1, 1 << 22),
    "moe_intermediate_size": (1, 1 << 22),
    "shared_expert_intermediate_size": (0, 1 << 22),
    "head_dim": (1, 1 << 16),
    "kv_lora_rank": (0, 1 << 20),
    "q_lora_rank": (0, 1 << 20),
    "qk_rope_head_dim": (0, 1 << 16),
    "qk_nope_head_dim": (0, 1 << 16),
    "v_head_dim": (0, 1 << 16),
    "n_routed_experts": (0, 1 << 16),
    "num_experts": (0, 1 << 16),
    "num_local_experts": (0, 1 << 16),
    "n_shared_experts": (0, 1 << 10),
    "num_experts_per_tok": (0, 1 << 12),
    "first_k_dense_replace": (0, 1024),
    "decoder_sparse_step": (1, 1024),
    "full_attention_interval": (1, 1024),
    "sliding_window": (0, 100_000_000),
    "sliding_window_pattern": (1, 1024),
    "max_position_embeddings": (1, 100_000_000),
    "max_sequence_length": (1, 100_000_000),
    "vocab_size": (1, 1 << 24),
    "num_channels": (1, 1 << 10),
    "patch_size": (1, 1 << 12),
    "image_size": (1, 1 << 16),
}
LIST_FIELDS = ("layer_types", "mlp_only_layers")     # lists as long as the layer count, at most
MAX_NESTING = 32


class UnsafeHubValue(ValueError):
    """A value from the Hub that is not what it must be to be used as a path or a bound."""

    def __init__(self, subject: str, what: str, value: Any) -> None:
        shown = repr(value)
        super().__init__(f"{subject}: {what} {shown[:80]}{'…' if len(shown) > 80 else ''}")
        self.subject = subject


def commit_sha(value: Any, subject: str) -> str:
    """A git commit id: 40 lowercase hex characters, nothing else (it becomes a file name)."""
    if not isinstance(value, str) or not _SHA.fullmatch(value):
        raise UnsafeHubValue(subject, "commit sha is not 40 hex characters:", value)
    return value


def repo_id(value: Any, subject: str | None = None) -> str:
    """`namespace/name` as the Hub itself validates it (huggingface_hub's validator)."""
    try:
        validate_repo_id(value)
    except HFValidationError:
        raise UnsafeHubValue(subject or "listing", "repo id is not a valid namespace/name:", value) from None
    if value.count("/") != 1:
        raise UnsafeHubValue(subject or "listing", "repo id is not a valid namespace/name:", value)
    return value


def relative_path(value: Any, subject: str) -> str:
    """A file path inside a repo: relative, no `..`, no empty or dot segments, no NUL/backslash."""
    if (not isinstance(value, str) or not value or "\0" in value or "\\" in value
            or any(p in ("", ".", "..") for p in value.split("/"))):
        raise UnsafeHubValue(subject, "file path is not a plain relative path:", value)
    return value


def file_size(value: Any, subject: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FILE_BYTES:
        raise UnsafeHubValue(subject, "file size is not a byte count:", value)
    return value


def _sections(config: dict[str, Any], depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    """The config and its nested model configs (text_config, vision_config, ...)."""
    if depth > MAX_NESTING:
        raise ValueError("nested deeper than any real config")
    yield "", config
    for key, value in config.items():
        if isinstance(value, dict) and key.endswith("_config"):
            for path, section in _sections(value, depth + 1):
                yield f"{key}.{path}", section


def config_problems(config: dict[str, Any]) -> list[str]:
    """What makes a config.json unusable as loop bounds and sizes; [] when it is fine.

    Checked before any arithmetic: each bounded field is an integer (or absent / null) in its
    range, list fields are not longer than the layer count allows, no number is NaN/inf."""
    problems: list[str] = []
    try:
        sections = list(_sections(config))
    except ValueError as exc:
        return [str(exc)]
    for prefix, section in sections:
        for key, (low, high) in CONFIG_BOUNDS.items():
            value = section.get(key)
            if value is None:
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                problems.append(f"{prefix}{key} {value!r} outside {low}..{high}")
        for key in LIST_FIELDS:
            value = section.get(key)
            if value is not None and (not isinstance(value, list) or len(value) > 1024):
                problems.append(f"{prefix}{key} is not a list of at most 1024 entries")
        for key, value in section.items():
            if isinstance(value, float) and not math.isfinite(value):
                problems.append(f"{prefix}{key} is {value}")
    return problems
