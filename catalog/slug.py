"""Folding text into a slug, one rule for device ids and export paths: NFKC, lower case, every
character outside [a-z0-9-] (and `keep`) becomes `-`, and a run of separators collapses to its
first. Callers trim the ends as their format needs."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str, keep: str = "") -> str:
    kept = re.escape(keep) + "-"
    unsafe = re.sub(rf"[^a-z0-9{kept}]+", "-", unicodedata.normalize("NFKC", text).lower())
    return re.sub(rf"([{kept}])[{kept}]+", r"\1", unsafe)
