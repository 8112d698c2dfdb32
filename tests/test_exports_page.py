"""The DeepSeek-V4-Flash page carries every section of the seed page, consistent with device_fit.

The seed page (shared/seed/deepseek-v4-flash-page.txt) undercounts parameters (158.1B: packed FP4
weights counted as one per byte), says no single GPU fits while quoting a single MI300X's speed,
and uses a dense-model speed formula for an MoE. Our page must show the same sections, correct.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from jsonschema import Draft202012Validator

from catalog.exports.page import ModelNotFound, build_model_page
from catalog.exports.validate import SCHEMA_DIR, page_consistency

V4 = "deepseek-ai/DeepSeek-V4-Flash"

# Seed page section -> where the page carries it (every one must be present and non-empty).
SEED_SECTIONS = {
    "title / summary line (params, context, VRAM at recommended quant)": [
        "name", "summary.params_total", "summary.context_length", "summary.recommended_quant",
        "summary.vram_gb", "summary.text"],
    "Specifications": [
        "specifications.publisher", "specifications.family", "specifications.params_total",
        "specifications.params_active", "specifications.params_source", "specifications.architecture",
        "specifications.context_length", "specifications.vocab_size", "specifications.release_date",
        "specifications.license", "specifications.gated"],
    "Get Started (Hub link)": ["get_started.hf_url", "get_started.gguf_repo_id"],
    "VRAM table by quantization (bits, VRAM, + context, file size, quality)": ["quantizations"],
    "Which GPUs can run it (1.3× comfortable memory, full-context addition)": [
        "gpus.vram_gb", "gpus.recommended_gb", "gpus.full_context_addition_gb", "gpus.vram_full_context_gb",
        "gpus.single_gpu", "gpus.text", "hardware_by_quant.quants"],
    "Which devices (unified memory) can run it, runs great / decent": [
        "devices.count", "devices.runs_great", "devices.decent", "devices.verdicts"],
    "Related models / derivatives": ["related.derivatives"],
    "FAQ: how much VRAM": ["faq.vram_needed.answer"],
    "FAQ: can the RTX 5090 run it": ["faq.rtx_5090.answer", "faq.consumer_gpus.answer"],
    "FAQ: best quantization": ["faq.best_quant.answer"],
    "FAQ: can I run it on a Mac": ["faq.mac.answer"],
    "FAQ: can I run it locally": ["faq.run_locally.answer"],
    "FAQ: how fast (formula, example device)": ["faq.how_fast.answer", "faq.how_fast.formula",
                                                "faq.how_fast.example", "speed.devices"],
    "FAQ: download size": ["faq.download_size.answer"],
    "FAQ: which GPUs": ["faq.which_gpus.answer"],
    "FAQ: which devices": ["faq.which_devices.answer"],
    "FAQ: minimum memory / largest context per device class": ["faq.minimum_memory.quant",
                                                               "faq.largest_context.by_class"],
    "VRAM formula (weights, KV + overhead at 2K and at full context)": [
        "vram_formula.weights_gb", "vram_formula.at_2k.kv_plus_overhead_gb",
        "vram_formula.at_full_context.kv_plus_overhead_gb"],
    "memory by context": ["memory_by_context"],
    "provenance": ["provenance.hub_sha", "provenance.fetched_at", "provenance.sources"],
}


def _get(doc, dotted):
    for key in dotted.split("."):
        doc = doc[key]
    return doc


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def page(con):
    p = build_model_page(con, V4)
    p["generated_at"] = "2026-01-01T00:00:00Z"
    return p


def _fit(con, quant="Q4_K_M", ctx=2048):
    cur = con.execute("""SELECT f.device_id, f.verdict, f.decode_tok_s, f.gpus_needed, d.kind, d.unified
                         FROM device_fit f JOIN devices d USING (device_id)
                         WHERE repo_id = ? AND quant = ? AND context_tokens = ?""", [V4, quant, ctx])
    return {r[0]: r for r in cur.fetchall()}


def test_the_page_validates_and_carries_every_seed_section(page):
    schema = json.loads((SCHEMA_DIR / "v1" / "model_page.schema.json").read_text())
    Draft202012Validator(schema).validate(page)
    missing = [(section, path) for section, paths in SEED_SECTIONS.items() for path in paths
               if _get(page, path) in (None, "", [], {})]
    assert not missing
    assert page_consistency(page, V4) == []


def test_specifications_correct_the_seed(page):
    spec = page["specifications"]
    assert spec["params_total"] == 283_811_148_288 and spec["params_active"] == 13_278_540_288
    raw = {c["source"]: c for c in spec["parameter_candidates"]}["safetensors_raw"]
    assert raw["params_total"] == 158_100_000_000 and not raw["chosen"] and "packed" in raw["rejected_reason"]
    assert (spec["architecture"], spec["context_length"], spec["vocab_size"], spec["release_date"],
            spec["license"], spec["gated"]) == ("DeepseekV4ForCausalLM", 1_048_576, 129_280, "2026-05-06",
                                                "mit", False)
    assert page["get_started"]["hf_url"] == "https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash"


def test_quant_table_matches_the_quantizations_view_and_the_seed_files(con, page):
    view = {r[0]: r[1:] for r in con.execute(
        "SELECT quant, vram_gb, vram_full_context_gb, file_size_bytes, size_source, quality "
        "FROM quantizations WHERE repo_id = ?", [V4]).fetchall()}
    rows = {q["quant"]: q for q in page["quantizations"]}
    assert set(rows) == set(view)
    seed_files_gb = {"IQ2_XXS": 43.47, "IQ2_XS": 47.42, "Q2_K": 67.18, "Q3_K_M": 77.06, "Q4_K_M": 94.84,
                     "Q5_K_M": 112.62, "Q6_K": 130.41, "Q8_0": 158.07}
    for quant, gb in seed_files_gb.items():
        q = rows[quant]
        assert q["file_size_gb"] == gb and q["real_file"] and q["download_url"].startswith("https://huggingface.co/")
        assert q["vram_gb"] == round(view[quant][0], 2)
        assert q["vram_full_context_gb"] == round(view[quant][1], 2)
        assert q["quality"] == view[quant][4]
    assert rows["Q4_K_M"]["recommended"] and rows["Q4_K_M"]["vram_gb"] == 95.47
    f = page["vram_formula"]
    assert f["weights_gb"] == 94.84
    assert abs(f["weights_gb"] + f["at_2k"]["kv_plus_overhead_gb"] - f["at_2k"]["vram_gb"]) <= 0.011
    assert abs(f["weights_gb"] + f["at_full_context"]["kv_plus_overhead_gb"]
               - f["at_full_context"]["vram_gb"]) <= 0.011
    ctx = {m["quant"]: m["points"] for m in page["memory_by_context"]}["Q4_K_M"]
    assert ctx[0]["context_tokens"] == 2048 and ctx[-1]["context_tokens"] == 1_048_576
    assert ctx[-1]["vram_gb"] == page["gpus"]["vram_full_context_gb"] == 101.27


def test_fit_lists_and_speeds_agree_with_device_fit(con, page):
    fit = _fit(con)
    fits = {d for d, r in fit.items() if r[1] != "too_small"}
    single = {d for d in fits if fit[d][4] == "gpu"}
    assert set(page["gpus"]["single_gpu"]) == single
    # An H200 and an MI300X hold Q4_K_M on one GPU: the seed's "no single GPU" is wrong.
    assert {"nvidia-h200-sxm", "nvidia-h200-nvl", "amd-mi300x"} <= single
    assert page["faq"]["which_gpus"]["no_single_gpu"] is False
    assert "No single GPU" not in page["gpus"]["text"]
    assert "No single GPU" not in page["faq"]["which_gpus"]["answer"]
    speeds = {d["device_id"]: d["decode_tok_s"] for d in page["speed"]["devices"]}
    assert set(speeds) == fits
    for device_id, tok_s in speeds.items():
        assert tok_s == round(fit[device_id][2], 1)
    assert speeds["amd-mi300x"] == round(fit["amd-mi300x"][2], 1) > 150  # an MoE reads its active share
    unified = {d for d in fits if fit[d][5] or fit[d][4] in ("system", "superchip")}
    shown = {e["device_id"] for e in page["devices"]["runs_great"] + page["devices"]["decent"]}
    assert shown == unified == set(page["faq"]["which_devices"]["devices"])
    assert page["devices"]["count"] == len(unified)
    for h in page["hardware_by_quant"]["quants"]:
        qfit = _fit(con, h["quant"])
        for e in h["multi_gpu"]:
            assert qfit[e["device_id"]][1] == "too_small" and e["gpus_needed"] == qfit[e["device_id"]][3]
    rtx = page["faq"]["rtx_5090"]
    assert rtx["can_run"] is False and rtx["answer"].startswith("No")
    assert page["faq"]["minimum_memory"]["quant"] == "IQ2_XXS"


def test_speed_example_reproduces_its_formula(page):
    ex = page["speed"]["example"]
    per_token_s = ex["per_token_ms"] / 1000
    bytes_per_s = ex["bandwidth_gbps"] * 1e9 * ex["efficiency"]
    tok_s = 1 / (ex["read_gb_per_token"] * 1e9 / bytes_per_s + per_token_s)
    assert abs(tok_s - ex["decode_tok_s"]) / ex["decode_tok_s"] < 0.01
    assert page["faq"]["how_fast"]["example"] == ex


def test_the_consistency_check_catches_the_seed_contradiction(page):
    broken = json.loads(json.dumps(page))
    broken["faq"]["which_gpus"]["no_single_gpu"] = True   # "no single GPU" ...
    problems = page_consistency(broken, "seed-like")      # ... while single-GPU speeds are listed
    assert any("no_single_gpu" in p for p in problems)
    broken = json.loads(json.dumps(page))
    broken["gpus"]["single_gpu"] = []
    assert page_consistency(broken, "seed-like")


def test_context_and_unknown_models(con):
    full = build_model_page(con, V4, context_tokens=1_048_576)
    assert full["gpus"]["context_tokens"] == 1_048_576
    assert "nvidia-h100-nvl-94gb" not in full["gpus"]["single_gpu"]   # fits at 2K, not at 1M
    with pytest.raises(ValueError):
        build_model_page(con, V4, context_tokens=12345)
    with pytest.raises(ModelNotFound):
        build_model_page(con, "nobody/nothing")
