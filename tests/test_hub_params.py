"""Parameter counts and attention layouts from the sample Hub's real configs (pure)."""

import json
from pathlib import Path

import pytest

from catalog.hub.attention import attention_rows
from catalog.hub.params import resolve_params

SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "fakehub" / "sample" / "repos"


def repo(repo_id: str) -> tuple[dict, dict]:
    data = json.loads((SAMPLE / repo_id / "repo.json").read_text())
    return data["info"], json.loads((SAMPLE / repo_id / "config.json").read_text())


def within(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance * target


def test_deepseek_v4_flash_packed_fp4_is_corrected_and_the_raw_count_rejected() -> None:
    info, config = repo("deepseek-ai/DeepSeek-V4-Flash")
    res = resolve_params(info["safetensors"], config)
    assert within(res.params_total, 284e9, 0.02)
    assert within(res.params_active, 13e9, 0.10)
    raw = next(c for c in res.candidates if c.source == "safetensors_raw")
    assert raw.params_total == 158_100_000_000 and not raw.chosen
    assert "packed" in raw.rejected_reason and "I8" in raw.rejected_reason
    unpacked = next(c for c in res.candidates if c.source == "safetensors_unpacked")
    assert within(unpacked.params_total, 284e9, 0.02)
    assert not res.disagreement          # the raw count is rejected, not a disagreement


def test_llama_31_8b_exact() -> None:
    info, config = repo("meta-llama/Llama-3.1-8B-Instruct")
    res = resolve_params(info["safetensors"], config)
    assert res.params_total == 8_030_261_248 == res.params_active


def test_qwen3_30b_a3b_total_and_active() -> None:
    info, config = repo("Qwen/Qwen3-30B-A3B")
    res = resolve_params(info["safetensors"], config)
    assert within(res.params_total, 30.5e9, 0.01)
    # The card says "3.3B activated"; counting router + both embeddings gives 3.353B
    # (1.6 % above the rounded figure), within 1 % of 3.35B.
    assert within(res.params_active, 3.35e9, 0.01)
    assert within(res.params_active, 3.3e9, 0.02)


def test_gemma3_text_config_with_omitted_defaults_and_vision_tower() -> None:
    info, config = repo("google/gemma-3-27b-it")
    assert "vocab_size" not in config["text_config"]          # the real config omits it
    res = resolve_params(info["safetensors"], config)
    assert res.params_total == 27_432_406_640                 # text + SigLIP tower + projector
    assert res.params_source == "architecture"


def test_mla_and_mtp_excluded() -> None:
    _, config = repo("deepseek-ai/DeepSeek-V3")
    res = resolve_params(None, config)
    assert within(res.params_total, 671e9, 0.01) and within(res.params_active, 37e9, 0.03)


def test_disagreement_over_ten_percent_is_flagged_and_safetensors_wins() -> None:
    _, config = repo("meta-llama/Llama-3.1-8B-Instruct")
    res = resolve_params({"parameters": {"BF16": 10_000_000_000}, "total": 10_000_000_000}, config)
    assert res.disagreement and res.params_source == "safetensors_raw"
    arch = next(c for c in res.candidates if c.source == "architecture")
    assert not arch.chosen and arch.rejected_reason


def test_gguf_count_when_nothing_else() -> None:
    from catalog.hub.params import gguf_candidate
    res = resolve_params(None, None, gguf_candidate({"total": 999_885_952}, "ggml-org/gemma-3-1b-it-GGUF"))
    assert res.params_total == 999_885_952 and res.params_source == "gguf"


def rows(repo_id: str) -> list[dict]:
    return attention_rows(repo_id, repo(repo_id)[1])


def by_kind(repo_id: str) -> dict:
    return {(r["kind"], r["compress_ratio"]): r for r in rows(repo_id)}


def test_full_attention_llama() -> None:
    (r,) = rows("meta-llama/Llama-3.1-8B-Instruct")
    assert (r["kind"], r["layer_count"], r["kv_heads"], r["key_length"], r["value_length"]) == \
        ("full", 32, 8, 128, 128)


def test_gemma3_five_local_one_global_window_1024() -> None:
    k = by_kind("google/gemma-3-27b-it")
    assert k[("sliding", None)]["layer_count"] == 52 and k[("sliding", None)]["window_tokens"] == 1024
    assert k[("full", None)]["layer_count"] == 10 and k[("full", None)]["kv_heads"] == 16


def test_mla_caches_the_latent_row_only() -> None:
    (r,) = rows("deepseek-ai/DeepSeek-V3")
    assert (r["kind"], r["layer_count"], r["kv_heads"], r["key_length"], r["value_length"]) == \
        ("mla", 61, 1, 576, 0)


def test_deepseek_v4_window_on_every_layer_and_alternating_compression() -> None:
    k = by_kind("deepseek-ai/DeepSeek-V4-Flash")
    assert k[("sliding", None)]["layer_count"] == 43 and k[("sliding", None)]["window_tokens"] == 128
    assert k[("compressed", 4)]["layer_count"] == 21 and k[("compressed", 128)]["layer_count"] == 20
    assert k[("compressed", 4)]["key_length"] == 512 and k[("compressed", 4)]["value_length"] == 0


def test_hybrid_recurrent_state_and_full_layers() -> None:
    k = by_kind("Qwen/Qwen3-Next-80B-A3B-Instruct")
    rec = k[("recurrent", None)]
    # conv (4-1) × (2·16·128 + 32·128) + delta state 32·128·128, f32
    assert rec["layer_count"] == 36 and rec["state_bytes"] == (3 * 8192 + 32 * 128 * 128) * 4
    assert k[("full", None)]["layer_count"] == 12 and k[("full", None)]["kv_heads"] == 2


@pytest.mark.parametrize("config", [None, {}, {"architectures": ["X"]}, {"text_config": "oops"}])
def test_missing_fields_give_nothing_not_a_crash(config) -> None:
    assert attention_rows("x/y", config) == []
    assert resolve_params(None, config).params_total is None
