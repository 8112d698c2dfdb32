"""`fitcat fit`: models and quants that fit a catalogue device or described hardware, ranked."""

from __future__ import annotations

import json

import duckdb

from catalog.cli import main


def _json(capsys, *argv: str) -> dict:
    code = main([*argv, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def test_catalogue_device_by_fuzzy_name_ranks_by_best_quant(demo_db, capsys):
    r = _json(capsys, "--db", str(demo_db), "fit", "--device", "NVIDIA GeForce RTX 4090")
    assert r["device"]["device_id"] == "nvidia-rtx-4090" and r["context_tokens"] == 2048
    ids = [m["repo_id"] for m in r["models"]]
    # 24 GB: the 8B and 7B models and Qwen3-30B fit; DeepSeek V3 / V4-Flash do not, at any quant.
    assert {"meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-30B-A3B"} <= set(ids)
    too_small = {x["repo_id"] for x in r["too_small"]}
    assert {"deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V4-Flash"} <= too_small
    assert not set(ids) & too_small
    for m in r["models"]:
        assert m["verdict"] in ("runs_great", "decent") and m["headroom_gb"] >= 0
        assert m["best_quant"] == m["quants_that_fit"][0]
    # Agrees with the device_fit view at 2,048 tokens (same macros).
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        llama = next(m for m in r["models"] if m["repo_id"] == "meta-llama/Llama-3.1-8B-Instruct")
        row = con.execute(
            """SELECT verdict, round(decode_tok_s, 1), round(headroom_gb, 2) FROM device_fit
                 WHERE repo_id = 'meta-llama/Llama-3.1-8B-Instruct' AND device_id = 'nvidia-rtx-4090'
                               AND quant = ? AND context_tokens = 2048""",
            [llama["best_quant"]],
        ).fetchone()
    finally:
        con.close()
    assert row == (llama["verdict"], llama["decode_tok_s"], llama["headroom_gb"])
    # Ranked: the best quant's quality first (a model fitting at F32/BF16 ranks above one at Q5).
    order = {"F32": 320, "BF16": 161, "F16": 160, "Q8_0": 80}
    ranks = [order.get(m["best_quant"], 0) for m in r["models"]]
    assert ranks == sorted(ranks, reverse=True)


def test_custom_hardware_context_and_filters(demo_db, capsys):
    base = ["--db", str(demo_db), "fit", "--memory-gb", "128", "--bandwidth-gbps", "546", "--unified"]
    r = _json(capsys, *base)
    assert r["device"]["backend"] == "metal" and r["device"]["device_id"] is None
    # A 128 GB Mac-like machine: usable 96 GB (3/4): V4-Flash fits at some quant.
    assert any(m["repo_id"] == "deepseek-ai/DeepSeek-V4-Flash" for m in r["models"])
    moe = _json(capsys, *base, "--moe")
    assert moe["models"] and all(m["moe"] for m in moe["models"])
    qwen = _json(capsys, *base, "--publisher", "qwen", "--max-params", "10")
    assert {m["repo_id"] for m in qwen["models"]} == {"Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2-0.5B-Instruct"}
    big = _json(capsys, *base, "--min-params", "100")
    assert all(m["params_total"] >= 100e9 for m in big["models"])
    # 64K context: models whose window is shorter are listed apart, never as fitting.
    long = _json(capsys, *base, "--context", "65536")
    short = {x["repo_id"] for x in long["context_too_long"]}
    assert "Qwen/Qwen2.5-7B-Instruct" in short and short.isdisjoint(m["repo_id"] for m in long["models"])
    v4_2k = next(m for m in r["models"] if m["repo_id"] == "deepseek-ai/DeepSeek-V4-Flash")
    v4_64k = next(m for m in long["models"] if m["repo_id"] == "deepseek-ai/DeepSeek-V4-Flash")
    assert v4_64k["needed_gb"] >= v4_2k["needed_gb"] or v4_64k["best_quant"] != v4_2k["best_quant"]


def test_fit_table_and_errors(demo_db, capsys):
    assert main(["--db", str(demo_db), "fit", "--device", "nvidia-h200-sxm"]) == 0
    out = capsys.readouterr().out
    assert "NVIDIA H200 SXM" in out and "deepseek-ai/DeepSeek-V4-Flash" in out
    assert main(["--db", str(demo_db), "fit"]) == 2
    assert "--device" in capsys.readouterr().err
    assert main(["--db", str(demo_db), "fit", "--memory-gb", "24"]) == 2
    assert "--bandwidth-gbps" in capsys.readouterr().err
    assert main(["--db", str(demo_db), "fit", "--device", "geforce rtx 4099"]) == 4
    err = capsys.readouterr().err
    assert "not in the catalogue" in err and "did you mean" in err
    assert main(["--db", str(demo_db), "fit", "--device", "rtx 3090"]) == 0     # the 3090, not its Ti
    capsys.readouterr()
    assert main(["--db", str(demo_db), "fit", "--device", "h100"]) == 4
    err = capsys.readouterr().err            # ambiguous: the candidates' ids, to copy
    assert "matches" in err and "nvidia-h100-sxm-80gb" in err and "nvidia-h100-pcie-80gb" in err
