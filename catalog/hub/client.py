"""The Hub client: the real `huggingface_hub` API, pointed at a configurable endpoint.

The token comes from HF_TOKEN and goes only into request headers via huggingface_hub;
nothing here logs, stores or returns it.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_DISABLE_XET", "1")   # plain HTTP downloads; no xet daemon
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from huggingface_hub import HfApi

DEFAULT_ENDPOINT = "https://huggingface.co"


def hub_token() -> str | None:
    """HF_TOKEN if set; an empty value counts as unset."""
    return os.environ.get("HF_TOKEN") or None


def hub_api(endpoint: str | None = None, token: str | None = None) -> HfApi:
    """An HfApi for endpoint (default: HF_ENDPOINT or huggingface.co)."""
    endpoint = endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    return HfApi(endpoint=endpoint.rstrip("/"), token=token or hub_token() or False)
