"""A site builds the seed page from the export alone (issue #17): the DeepSeek-V4-Flash page and
devices.json of a published release, no database. Every section of the seed page is rebuilt here
the way a site would, and checked against the catalogue it came from."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from catalog.exports.page.matrix import fits

V4 = "deepseek-ai/DeepSeek-V4-Flash"
SEED = (Path(__file__).parent / "fixtures/seed/deepseek_v4_flash.json")


@pytest.fixture(scope="module")
def release(demo_db) -> Path:
    return (demo_db.parent / "exports" / "latest").resolve()


@pytest.fixture(scope="module")
def site(release):
    """What a site loads: the index, the model's page, devices.json. Nothing else."""
    index = json.loads((release / "models.json").read_text())
    entry = next(m for m in index["models"] if m["id"] == V4)
    page = json.loads((release / entry["page_path"]).read_text())
    devices = {d["device_id"]: d for d in json.loads((release / "devices.json").read_text())}
    return entry, page, devices


def rebuild(page: dict, devices: dict) -> dict[str, object]:
    """Every section of the seed page, as a site renders it (text and rows)."""
    spec, rec = page["specifications"], page["summary"]["recommended_quant"]
    running = [e for e in fits(page, rec) if e.runs]

    def named(ids: list[str]) -> list[str]:
        return [devices[i]["name"] for i in ids]

    return {
        "title": f"{page['name']} — Hardware Requirements & GPU Compatibility",
        "summary": page["summary"]["text"],
        "specifications": {"Publisher": spec["publisher"], "Family": spec["family"],
                           "Parameters": f"{spec['params_total'] / 1e9:.1f}B",
                           "Architecture": spec["architecture"], "Context Length": spec["context_length"],
                           "Vocabulary Size": spec["vocab_size"], "Release Date": spec["release_date"],
                           "License": spec["license"]},
        "get_started": page["get_started"]["hf_url"],
        "vram_table": [(q["quant"], q["bits_per_weight"], q["vram_gb"], q["vram_full_context_gb"],
                        q["file_size_gb"], q["quality"]) for q in page["quantizations"]],
        "which_gpus": named(page["gpus"]["single_gpu"]),
        "which_gpus_text": page["gpus"]["text"],
        "which_devices": named(page["devices"]["runs_great"] + page["devices"]["decent"]),
        "verdicts": page["devices"]["verdicts"],
        "speeds": {devices[e.device_id]["name"]: e.decode_tok_s for e in running},
        "related": page["related"]["derivatives"],
        "faq": {k: v["answer"] for k, v in page["faq"].items() if v and "answer" in v},
        "vram_formula": page["vram_formula"],
        "memory_by_context": page["memory_by_context"],
    }


def test_a_site_rebuilds_every_seed_section_from_the_page_and_devices_json(site, demo_db):
    entry, page, devices = site
    built = rebuild(page, devices)
    seed = json.loads(SEED.read_text())
    assert built["title"] == "DeepSeek-V4-Flash — Hardware Requirements & GPU Compatibility"
    assert built["specifications"]["Parameters"] == "283.8B"          # not the seed's 158.1B
    assert [row[0] for row in built["vram_table"]] == [q["quant"] for q in seed["quantizations"]]
    assert set(built["faq"]) >= {"vram_needed", "rtx_5090", "best_quant", "mac", "run_locally", "how_fast",
                                 "download_size", "which_gpus", "which_devices"}
    assert entry["recommended_quant"] == "Q4_K_M" and entry["page_path"].endswith(".json")

    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        rows = con.execute("""SELECT d.name, d.device_class, f.verdict, f.decode_tok_s FROM device_fit f
                              JOIN devices d USING (device_id)
                              WHERE f.repo_id = ? AND f.quant = 'Q4_K_M' AND f.context_tokens = 2048""",
                           [V4]).fetchall()
    finally:
        con.close()
    runs = {name: tok_s for name, _, verdict, tok_s in rows if verdict != "too_small"}
    gpus = {name for name, cls, verdict, _ in rows if verdict != "too_small" and cls.endswith("_gpu")}
    assert set(built["which_gpus"]) == gpus and "AMD Instinct MI300X" in gpus
    assert set(built["which_devices"]) == set(runs) - gpus
    assert built["speeds"].keys() == runs.keys()
    assert all(built["speeds"][n] == pytest.approx(runs[n], rel=0.005) for n in runs)


def test_devices_json_carries_what_a_page_leaves_out(site):
    _, page, devices = site
    assert set(page["fit"]["device_ids"]) == set(devices)
    ranks = [devices[i]["popularity_rank"] for i in page["fit"]["device_ids"]]
    assert ranks == sorted(ranks), "a page lists devices most popular first"
    mi300x = devices["amd-mi300x"]
    assert (mi300x["device_class"], mi300x["memory_gb"], mi300x["bandwidth_gbps"]) == \
        ("datacenter_gpu", 192, 5300)
