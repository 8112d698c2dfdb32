"""Deterministic JSON: fixed key order (as built), UTF-8, trailing newline; 2-space indented, but
model pages compact (`dumps_compact`: a page is mostly arrays, which indentation would triple).

Numbers are rounded where they are produced (catalog/units.py): *_gb to 2 decimals (decimal GB,
1e9), tok/s to 1 decimal (3 significant digits in a page's fit matrix), bytes and tokens as
integers.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def dumps_compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n"
