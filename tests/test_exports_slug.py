"""Repo ids become paths only through the slug function, and no id can leave the exports root."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.exports.slug import UnsafePath, model_slug, page_paths, safe_join

SEGMENT = re.compile(r"^[a-z0-9_][a-z0-9._-]*$")  # never a leading dot or dash
HOSTILE = [
    "../../etc/passwd",
    "../x",
    "a/../../b",
    "/etc/passwd",
    "/abs/olute",
    "C:\\Windows\\system32",
    "a\\..\\..\\b",
    "./.",
    "..",
    "a/..",
    "",
    "/",
    "nul/con",
    "Ωmega/模型-7B",
    "ｆｕｌｌｗｉｄｔｈ/ｎａｍｅ",
    "emoji/🦙-8B",
    "x" * 300 + "/" + "y" * 300,
    "a/b/c/d",
    "pub/name\x00.json",
    "pub/.hidden",
    "pub/name.json/../../..",
]


def _inside(root: Path, rel: str) -> bool:
    target = safe_join(root, rel)
    return root.resolve() in target.parents


@pytest.mark.parametrize("repo_id", HOSTILE)
def test_hostile_ids_become_two_safe_segments_inside_the_root(tmp_path, repo_id):
    slug = model_slug(repo_id)
    parts = slug.split("/")
    assert len(parts) == 2 and all(SEGMENT.match(p) and len(p) <= 91 for p in parts), slug
    rel = page_paths([repo_id])[repo_id]
    assert _inside(tmp_path, rel)


def test_plain_ids_keep_a_readable_lower_case_path():
    assert page_paths(["deepseek-ai/DeepSeek-V4-Flash"]) == {
        "deepseek-ai/DeepSeek-V4-Flash": "models/deepseek-ai/deepseek-v4-flash.json"}
    assert model_slug("Qwen/Qwen2.5-7B-Instruct") == "qwen/qwen2.5-7b-instruct"


def test_long_names_are_cut_and_hashed_so_two_long_ids_differ():
    a, b = "p/" + "n" * 300 + "a", "p/" + "n" * 300 + "b"
    assert model_slug(a) != model_slug(b)
    assert all(len(part) <= 91 for part in model_slug(a).split("/"))


def test_ids_folding_to_one_slug_get_distinct_paths():
    ids = ["Org/Model", "org/model", "org/mo del", "org/mo-del", "org/mo_del", "org/mo--del"]
    paths = page_paths(ids)
    assert len(set(paths.values())) == len(ids)
    # An id's path does not depend on which other ids exist, except for ids equal up to case.
    assert page_paths(["org/mo-del"])["org/mo-del"] == paths["org/mo-del"] == "models/org/mo-del.json"


@pytest.mark.parametrize("rel", ["../x.json", "/etc/passwd", "models/../../x", "a\\b", "", "a/\x00"])
def test_safe_join_refuses_escapes(tmp_path, rel):
    with pytest.raises(UnsafePath):
        safe_join(tmp_path, rel)


def test_safe_join_refuses_a_symlink_pointing_out(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "models").symlink_to(tmp_path)
    with pytest.raises(UnsafePath):
        safe_join(tmp_path / "root" / "models", "../../x.json")
    with pytest.raises(UnsafePath):
        safe_join(tmp_path / "root", "models/../../x.json")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=8, unique=True))
def test_any_ids_map_to_distinct_safe_paths(tmp_path_factory, ids):
    root = tmp_path_factory.getbasetemp()
    paths = page_paths(ids)
    assert len(set(paths.values())) == len(ids)
    for rel in paths.values():
        assert rel.startswith("models/") and rel.endswith(".json")
        assert all(SEGMENT.match(p) for p in rel[len("models/"):-len(".json")].split("/")), rel
        assert _inside(root, rel)
