"""The export contract's checker: `validate.validator` (jsonschema's Draft 2020-12 with a fast path
for plain values) finds exactly what jsonschema's own Draft202012Validator finds, on real pages
broken in many ways."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from catalog.exports import validate

BAD_VALUES = [None, True, 1.5, 2, 2.0, -1, "Bad ID!", "", [], {}, ["x", 3], {"extra": 1}]


@pytest.fixture(scope="module")
def pages(demo_db) -> list[dict[str, Any]]:
    found = sorted((demo_db.parent / "exports" / "latest" / "models").rglob("*.json"))
    assert len(found) >= 8
    return [json.loads(p.read_text()) for p in found]


def _errors(checker, document) -> list[tuple]:
    return sorted((list(map(str, e.absolute_path)), e.validator, e.message)
                  for e in checker.iter_errors(document))


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    """Every value's path in a document (containers included)."""
    out = [path] if path else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        out += _places(child, (*path, key))
    return out


def _broken(page: dict[str, Any], path: tuple, value: Any, how: str) -> dict[str, Any]:
    doc = copy.deepcopy(page)
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if how == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif how == "add" and isinstance(parent, dict):
        parent["not_in_the_contract"] = value
    else:
        parent[path[-1]] = value
    return doc


@pytest.mark.slow  # ~250 broken pages, each checked twice
def test_the_fast_checker_reports_what_jsonschema_reports(pages):
    schema = json.loads((validate.SCHEMA_DIR / validate.SCHEMA_MAJOR / "model_page.schema.json").read_text())
    fast, plain = validate.validator("model_page.schema.json"), Draft202012Validator(schema)
    rng = random.Random(20261207)
    broken = 0
    for page in pages:
        assert _errors(fast, page) == _errors(plain, page) == []
        places = _places(page)
        for path in rng.sample(places, min(30, len(places))):
            doc = _broken(page, path, rng.choice(BAD_VALUES), rng.choice(["set", "set", "delete", "add"]))
            want = _errors(plain, doc)
            assert _errors(fast, doc) == want, path
            broken += bool(want)
    assert broken > 100   # most changes break the contract, and each is caught the same way


def test_plain_arrays_and_properties_are_still_checked(pages):
    page = copy.deepcopy(pages[0])
    page["fit"]["device_ids"][3] = "Not A Device"
    page["fit"]["verdicts"][0] = page["fit"]["verdicts"][0] + "!"
    page["quantizations"][0]["quant"] = 4
    errors = _errors(validate.validator("model_page.schema.json"), page)
    found = {"/".join(path) for path, _, _ in errors}
    assert found == {"fit/device_ids/3", "fit/verdicts/0", "quantizations/0/quant"}
