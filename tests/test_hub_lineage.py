"""Which base model a GGUF build belongs to, and how (catalog/hub/lineage.py): pure cases, then
the sample Hub's self-tagged, renamed and re-uploaded builds through the real client."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from hub_sample import catalogue, sample_hub

from catalog.hub import refresh
from catalog.hub.client import Budget, hub_api
from catalog.hub.lineage import Alias, Tracked, attach, named_bases
from catalog.settings import HubScope

TRACKED = Tracked(["microsoft/Phi-4-mini-instruct", "meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B"])


def build(rid: str, *tags: str) -> dict:
    return {"id": rid, "tags": ["gguf", *tags]}


def test_tag_names_the_base_case_insensitively() -> None:
    a, wanted = attach(build("x/Qwen3-8B-GGUF", "base_model:quantized:qwen/qwen3-8b"), TRACKED, {})
    assert (a.base, a.attached_by, a.named, wanted) == ("Qwen/Qwen3-8B", "tag", "qwen/qwen3-8b", set())


def test_a_self_tagged_build_falls_back_to_its_card() -> None:
    g = build("unsloth/Phi-4-mini-instruct-GGUF", "base_model:microsoft/Phi-4-mini-instruct",
              "base_model:quantized:unsloth/Phi-4-mini-instruct-GGUF")
    assert named_bases(g) == ("card", ["microsoft/Phi-4-mini-instruct"])
    a, _ = attach(g, TRACKED, {})
    assert (a.base, a.attached_by) == ("microsoft/Phi-4-mini-instruct", "card")
    only_itself = build("unsloth/X-GGUF", "base_model:quantized:unsloth/X-GGUF")
    assert attach(only_itself, TRACKED, {}) == (None, set())


def test_an_old_id_is_asked_about_once_then_resolved_as_renamed() -> None:
    old = "meta-llama/Meta-Llama-3.1-8B-Instruct"
    g = build("bartowski/Meta-Llama-3.1-8B-Instruct-GGUF", f"base_model:quantized:{old}")
    assert attach(g, TRACKED, {}) == (None, {old})               # a tracked namespace: worth a request
    aliases = {old.lower(): Alias(old, "meta-llama/Llama-3.1-8B-Instruct")}
    a, wanted = attach(g, TRACKED, aliases)
    assert (a.base, a.attached_by, a.named) == ("meta-llama/Llama-3.1-8B-Instruct", "renamed", old)
    assert wanted == set()


def test_a_re_upload_chain_is_followed_through_cards_and_renames() -> None:
    phi, reupload = "microsoft/Phi-4-mini-instruct", "unsloth/Phi-4-mini-instruct"
    g = build("bartowski/unsloth_Phi-4-mini-instruct-GGUF", f"base_model:quantized:{reupload}")
    assert attach(g, TRACKED, {}) == (None, {"unsloth/Phi-4-mini-instruct"})   # a tracked name
    aliases = {reupload.lower(): Alias(reupload, reupload, (reupload, phi))}
    a, _ = attach(g, TRACKED, aliases)                          # its card names itself first: skipped
    assert (a.base, a.attached_by, a.named) == ("microsoft/Phi-4-mini-instruct", "re-upload",
                                                "unsloth/Phi-4-mini-instruct")
    # a re-upload of an old id: still a re-upload
    old, copy = "meta-llama/Meta-Llama-3.1-8B-Instruct", "someone/Llama-3.1-8B-Instruct"
    aliases = {copy.lower(): Alias(copy, copy, (old,)),
               old.lower(): Alias(old, "meta-llama/Llama-3.1-8B-Instruct")}
    a, _ = attach(build("q/L-GGUF", "base_model:quantized:someone/Llama-3.1-8B-Instruct"), TRACKED, aliases)
    assert (a.base, a.attached_by) == ("meta-llama/Llama-3.1-8B-Instruct", "re-upload")


def test_cycles_unknown_repos_and_unrelated_ids_end_without_a_request() -> None:
    a, b = "a/Phi-4-mini-instruct", "b/Phi-4-mini-instruct"
    loop = {a.lower(): Alias(a, a, (b,)), b.lower(): Alias(b, b, (a,)),
            "gone/qwen3-8b": Alias("gone/Qwen3-8B", None)}
    assert attach(build("q/1", "base_model:quantized:a/Phi-4-mini-instruct"), TRACKED, loop) == (None, set())
    assert attach(build("q/2", "base_model:quantized:gone/Qwen3-8B"), TRACKED, loop) == (None, set())
    # a fine-tune under another name in an untracked namespace is not worth a request
    assert attach(build("q/3", "base_model:quantized:someone/Cool-Finetune"), TRACKED, {}) == (None, set())


# -- the sample Hub ------------------------------------------------------------------------------
SCOPE = HubScope(authors=("deepseek-ai", "meta-llama", "Qwen", "microsoft"),
                 models=("google/gemma-3-27b-it",), gguf_publishers=("ggml-org", "unsloth", "bartowski"))


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    return catalogue(tmp_path / "catalog.duckdb")


def test_every_build_of_the_sample_is_attached_with_the_right_attached_by(con, tmp_path) -> None:
    hub = sample_hub()
    with hub.running():
        api = hub_api(hub.url, token=False, budget=Budget())
        first = refresh(api, con, SCOPE, tmp_path / "cache", "r1")
        lookups = [(r.path, r.status) for r in hub.requests if r.query.get("expand") == ["cardData"]]
        hub.reset_log()
        second = refresh(api, con, SCOPE, tmp_path / "cache", "r2")
    attached = dict(con.execute("SELECT gguf_repo_id, base_repo_id || ' ' || attached_by FROM hub_gguf_repos"
                                " WHERE removed_at IS NULL").fetchall())
    assert {g: attached[g] for g in (
        "unsloth/Phi-4-mini-instruct-GGUF", "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
        "bartowski/unsloth_Phi-4-mini-instruct-GGUF", "unsloth/Qwen3-30B-A3B-GGUF")} == {
        "unsloth/Phi-4-mini-instruct-GGUF": "microsoft/Phi-4-mini-instruct card",                # self-tagged
        "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF": "meta-llama/Llama-3.1-8B-Instruct renamed",  # old id
        "bartowski/unsloth_Phi-4-mini-instruct-GGUF": "microsoft/Phi-4-mini-instruct re-upload",  # unsloth
        "unsloth/Qwen3-30B-A3B-GGUF": "Qwen/Qwen3-30B-A3B tag"}
    counts = dict(con.execute("SELECT attached_by, count(*) FROM hub_gguf_repos GROUP BY ALL").fetchall())
    assert counts == {"tag": 16, "card": 1, "renamed": 1, "re-upload": 1}
    print(f"attached_by on the sample: {counts}")
    via = dict(con.execute("SELECT gguf_repo_id, attached_via FROM hub_gguf_repos"
                           " WHERE attached_by <> 'tag'").fetchall())
    assert via["bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"] == "meta-llama/Meta-Llama-3.1-8B-Instruct"
    assert via["bartowski/unsloth_Phi-4-mini-instruct-GGUF"] == "unsloth/Phi-4-mini-instruct"
    # the look-ups: the old id answered 307 then its new home (2 requests), the re-upload 1; cached after
    assert lookups == [("/api/models/meta-llama/Meta-Llama-3.1-8B-Instruct", 307),
                       ("/api/models/meta-llama/Llama-3.1-8B-Instruct", 200),
                       ("/api/models/unsloth/Phi-4-mini-instruct", 200)]
    assert first.lookups == 2 and second.lookups == 0 and not second.errors
    # anonymous: the gated repos' config.json answers 401, which huggingface_hub raises as GatedRepoError
    assert {(e.subject, e.kind) for e in first.errors} == {("google/gemma-3-27b-it", "gated"),
                                                          ("meta-llama/Llama-3.1-8B-Instruct", "gated")}
    assert con.execute("SELECT count(*) FROM hub_aliases").fetchone()[0] == 2
    # the files of the renamed and re-uploaded builds count for their base model
    files = con.execute("""SELECT attached_by, count(*) FROM gguf_files
                           WHERE base_repo_id IN ('meta-llama/Llama-3.1-8B-Instruct',
                                                  'microsoft/Phi-4-mini-instruct')
                           GROUP BY ALL""").fetchall()
    assert dict(files) == {"renamed": 19, "card": 4, "re-upload": 3}
    builds = dict(con.execute("""SELECT quant, attached_by FROM gguf_builds
                                 WHERE repo_id = 'microsoft/Phi-4-mini-instruct' AND canonical""").fetchall())
    assert builds["Q4_K_M"] == "card"      # unsloth is trusted before bartowski: its build is canonical
