"""`fitcat estimate` (catalog/commands/estimate.py): JSON contract and agreement with the macros."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from catalog import paths
from catalog.commands import estimate

KEYS = {
    "params_total",
    "params_active",
    "quant",
    "bits_per_weight",
    "weights_gb",
    "weights_source",
    "context_tokens",
    "kv_cache_gb",
    "overhead_gb",
    "vram_gb",
    "recommended_gb",
    "device",
    "verdict",
    "gpus_needed",
    "max_context_tokens",
    "decode_tok_s",
}
# Issue #18: every estimated figure gets its band next to it, and the settings that shaped it.
BAND_KEYS = {f"{k}_{end}" for k in ("weights_gb", "overhead_gb", "vram_gb", "decode_tok_s")
             for end in ("low", "high")}
NEW_KEYS = BAND_KEYS | {"weights_method", "kv_type", "flash_attention"}
DSV4_CONFIG = paths.SAMPLE_HUB / "repos/deepseek-ai/DeepSeek-V4-Flash/config.json"
# The seed page's own numbers (158.1B undercount, "File Size" = 158.1B × bits ÷ 8): seed parity only.
SEED_PAGE = json.loads((Path(__file__).parent / "fixtures/seed/deepseek_v4_flash.json").read_text())
SEED_Q4 = next(q for q in SEED_PAGE["quantizations"] if q["quant"] == "Q4_K_M")
LLAMA_CONFIG = paths.SAMPLE_HUB / "repos/meta-llama/Llama-3.1-8B-Instruct/config.json"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    estimate.add_parser(parser.add_subparsers())
    return parser.parse_args(["estimate", *argv])


def test_json_keys_and_seed_simple_profile(capsys):
    args = parse(
        "--config",
        str(DSV4_CONFIG),
        "--params",
        str(SEED_PAGE["params_total"]),
        "--file-size",
        str(round(SEED_Q4["file_size_gb"] * 1e9)),
        "--profile",
        "simple",
        "--memory-gb",
        "192",
        "--bandwidth-gbps",
        "5300",
        "--backend",
        "rocm",
        "--json",
    )
    assert estimate.run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == KEYS | NEW_KEYS   # the existing keys all kept
    assert set(out["device"]) == {"id", "memory_gb", "usable_gb", "bandwidth_gbps", "gpus"}
    assert out["weights_source"] == "gguf"
    assert out["vram_gb"] == pytest.approx(SEED_Q4["vram_gb"], abs=0.1)                        # 95.2
    assert out["decode_tok_s"] == pytest.approx(SEED_PAGE["speed_q4_k_m_tok_s"]["AMD Instinct MI300X"], abs=1)


def test_llama_kv_and_rtx4090():
    out = estimate.run_estimate(
        parse(
            "--config",
            str(LLAMA_CONFIG),
            "--params",
            "8.03e9",
            "--context",
            "131072",
            "--memory-gb",
            "24",
            "--bandwidth-gbps",
            "1008",
        )
    )
    assert out["kv_cache_gb"] == pytest.approx(16 * 2**30 / 1e9, abs=1e-3)
    assert out["weights_source"] == "estimate"
    assert out["device"]["memory_gb"] == 24
    q8 = estimate.run_estimate(
        parse("--config", str(LLAMA_CONFIG), "--params", "8.03e9", "--context", "131072", "--kv-type", "q8_0")
    )
    assert q8["kv_cache_gb"] == pytest.approx(out["kv_cache_gb"] * 34 / 64, abs=1e-3)
    assert q8["verdict"] is None


def test_more_gpus_fit_bigger_models():
    base = (
        "--params",
        "284e9",
        "--active-params",
        "13e9",
        "--config",
        str(DSV4_CONFIG),
        "--memory-gb",
        "80",
        "--bandwidth-gbps",
        "3350",
    )
    one = estimate.run_estimate(parse(*base))
    eight = estimate.run_estimate(parse(*base, "--gpus", "8"))
    assert one["verdict"] == "too_small"
    assert eight["verdict"] in ("decent", "runs_great")
    assert one["gpus_needed"] == eight["gpus_needed"] <= 8


def test_errors_are_reported(tmp_path):
    shapeless = tmp_path / "config.json"
    shapeless.write_text('{"architectures": ["LlamaForCausalLM"], "hidden_size": 4096}')
    assert estimate.run(parse("--config", str(shapeless))) == 2   # nothing to count, no --params
    assert estimate.run(parse("--params", "8e9", "--config", str(LLAMA_CONFIG), "--quant", "Q9_Z")) == 2
    assert estimate.run(parse("--params", "8e9", "--config", str(LLAMA_CONFIG), "--profile", "nope")) == 2


def test_a_config_alone_is_counted_like_the_catalogue_counts_it():
    """No --params: the parameters come from the architecture (catalog.hub.params), total and
    active, so an MoE's speed follows its active share."""
    out = estimate.run_estimate(parse("--config", str(DSV4_CONFIG), "--quant", "Q4_K_M",
                                      "--memory-gb", "192", "--bandwidth-gbps", "5300", "--backend", "rocm"))
    assert out["params_total"] == pytest.approx(284e9, rel=0.02)
    assert out["params_active"] == pytest.approx(13e9, rel=0.10)
    assert out["weights_source"] == "estimate" and out["verdict"] in ("decent", "runs_great")
    dense = estimate.run_estimate(parse("--config", str(DSV4_CONFIG), "--quant", "Q4_K_M",
                                        "--active-params", str(out["params_total"]), "--memory-gb", "192",
                                        "--bandwidth-gbps", "5300", "--backend", "rocm"))
    # reading every weight is much slower (the per-layer and MoE costs, the same for both, narrow the gap)
    assert dense["decode_tok_s"] < out["decode_tok_s"] / 3
