"""One definition of fit and speed (issue #18): the device_fit view, `fitcat fit` and `fitcat estimate`
all select from the fit_estimate table macro, so on a grid of models × devices × contexts they give
the same answer for the same inputs."""

from __future__ import annotations

import argparse
import json

import duckdb
import pytest

from catalog import paths
from catalog.commands import estimate, fits

LLAMA = "meta-llama/Llama-3.1-8B-Instruct"
DEVICES = ["nvidia-rtx-4090", "amd-mi300x", "apple-mac-studio-m3-ultra-80c-512gb", "nvidia-dgx-h100"]
FIGURES = ["verdict", "gpus_needed", "max_context_tokens", "decode_tok_s", "decode_tok_s_low",
           "decode_tok_s_high", "needed_gb", "needed_gb_low", "needed_gb_high", "headroom_gb"]


@pytest.fixture(scope="module")
def con(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


def _view(con, ctx_sql: str) -> dict[tuple, dict]:
    cur = con.execute(f"""SELECT f.repo_id, f.quant, f.device_id, f.context_tokens, {', '.join(FIGURES)}
                          FROM device_fit f JOIN models m USING (repo_id)
                          WHERE list_contains($devices, f.device_id) AND {ctx_sql}""", {"devices": DEVICES})
    cols = [d[0] for d in cur.description]
    return {r[:4]: dict(zip(cols[4:], r[4:], strict=True)) for r in cur.fetchall()}


@pytest.mark.slow  # a grid of models x devices
@pytest.mark.parametrize("ctx_sql, ctx", [("f.context_tokens = least(2048, m.context_length)", None),
                                          ("f.context_tokens = m.context_length", "full")])
def test_the_device_fit_view_and_fitcat_fit_agree(con, ctx_sql, ctx):
    view = _view(con, ctx_sql)
    models = dict(con.execute("SELECT repo_id, context_length FROM models").fetchall())
    assert len({k[0] for k in view}) == len(models) >= 8 and len(view) > 200
    checked = 0
    for repo_id, length in models.items():
        for device in DEVICES:
            rows = fits.fit_rows(con, context=length if ctx else None, repo_id=repo_id, device_id=device)
            for r in rows:
                want = view[(repo_id, r["quant"], device, r["context_tokens"])]
                assert {k: r[k] for k in FIGURES} == want, (repo_id, r["quant"], device)
                checked += 1
    assert checked == len(view)


def _estimate(con, demo_db, repo_id: str, quant: str, device: str, ctx: int) -> dict:
    m = con.execute("SELECT params_total, params_active FROM models WHERE repo_id = ?", [repo_id]).fetchone()
    build = con.execute("SELECT file_size_bytes FROM gguf_builds WHERE repo_id = ? AND quant = ? "
                        "AND canonical", [repo_id, quant]).fetchone()
    parser = argparse.ArgumentParser()
    estimate.add_parser(parser.add_subparsers())
    config = paths.SAMPLE_HUB / "repos" / repo_id / "config.json"
    argv = ["estimate", "--config", str(config), "--quant", quant, "--params", str(m[0]),
            "--active-params", str(m[1]), "--device", device, "--context", str(ctx)]
    if build:
        argv += ["--file-size", str(build[0])]
    args = parser.parse_args(argv)
    args.db = str(demo_db)
    return estimate.run_estimate(args)


@pytest.mark.slow  # a grid of models x devices
@pytest.mark.parametrize("repo_id, quant", [("meta-llama/Llama-3.1-8B-Instruct", "Q4_K_M"),
                                            ("Qwen/Qwen3-30B-A3B", "Q8_0"),
                                            ("Qwen/Qwen2.5-7B-Instruct", "Q6_K"),
                                            ("deepseek-ai/DeepSeek-V4-Flash", "Q4_K_M"),
                                            ("google/gemma-3-27b-it", "Q4_K_M")])
@pytest.mark.parametrize("ctx", [2048, 32768])
def test_fitcat_estimate_agrees_with_the_catalogue(con, demo_db, repo_id, quant, ctx):
    """`fitcat estimate` fed a catalogue model's own facts (config, parameters, real file size) gives
    the catalogue's memory, verdict and speed on a catalogue device (what `fitcat show` reads)."""
    for device in DEVICES[:3]:
        out = _estimate(con, demo_db, repo_id, quant, device, ctx)
        row = next(r for r in fits.fit_rows(con, context=ctx, repo_id=repo_id, device_id=device)
                   if r["quant"] == quant)
        assert out["verdict"] == row["verdict"] and out["gpus_needed"] == row["gpus_needed"]
        assert out["max_context_tokens"] == row["max_context_tokens"]
        assert out["vram_gb"] == pytest.approx(row["vram_gb"], abs=1e-3)
        assert out["weights_gb"] == pytest.approx(row["weights_gb"], abs=1e-3)
        for key in ("decode_tok_s", "decode_tok_s_low", "decode_tok_s_high"):
            assert out[key] == (None if row[key] is None else round(row[key], 1)), key
        assert json.dumps(out)   # the JSON contract holds plain values


@pytest.mark.slow  # a grid of models x devices
def test_max_context_is_one_answer_per_device_and_it_fits(con):
    """The 2K row and the full-context row give the same max context, and at that context the model
    fits the device (the compute buffer sized at that context too)."""
    rows = con.execute("""SELECT quant, device_id, list_distinct(list(max_context_tokens))
        FROM device_fit WHERE repo_id = ? GROUP BY ALL""", [LLAMA]).fetchall()
    assert all(len(answers) <= 1 for _, _, answers in rows)
    checked = 0
    for quant, device, answers in rows:
        if not answers or answers[0] in (None, 131_072) or checked >= 40:
            continue
        verdict = con.execute(
            """SELECT verdict FROM fit_estimate('devices', repo_name := ?, ctx_tokens := ?)
               WHERE is_default AND quant = ? AND device_id = ?""",
            [LLAMA, answers[0], quant, device]).fetchone()
        assert verdict[0] != "too_small", (quant, device, answers)
        checked += 1
    assert checked > 5
