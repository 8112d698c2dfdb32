"""Sizes from the architecture (issue #18): llama.cpp's per-tensor types on config.json's shapes,
against real GGUF files, and the resolved table the views read."""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter

import duckdb
import pytest
from gguf import GGMLQuantizationType as T

from catalog import db, paths
from catalog.calibration import data
from catalog.estimates.recipes import UnknownQuant, known, recipe, tensor_types
from catalog.estimates.sizes import estimate, estimate_file_bytes, store_size_estimates
from catalog.estimates.tensors import tensor_shapes

MODELS = data.models()
SHARED_SAMPLE = paths.ROOT.parent / "shared" / "calibration" / "gguf_sizes_sample.csv"


def _shapes(key: str):
    return tensor_shapes(MODELS[key]["config"])


def test_real_gguf_sizes_within_the_listing_rounding():
    """Every real file of calibration/gguf_sizes.csv (bartowski ladders rounded to 3 digits, two exact
    files): median error ≤ 0.2 %, none beyond 1 % (acceptance: median ≤ 2 %, ≥ 90 % within 5 %)."""
    errors = []
    for row in data.read_csv("gguf_sizes.csv"):
        est = estimate_file_bytes(_shapes(row["model_key"]), row["quant"])
        errors.append(abs(est / int(row["size_bytes"]) - 1))
    assert len(errors) == 38
    assert statistics.median(errors) < 0.002 and max(errors) < 0.01


def test_every_label_of_the_shared_sample_and_the_hub_is_known():
    labels = set()
    if SHARED_SAMPLE.exists():     # the lead's copy of public sizes, next to the repository
        with open(SHARED_SAMPLE, newline="") as fh:
            labels = {r["quant"] for r in csv.DictReader(fh)}
    labels |= {r["quant"] for r in data.read_csv("gguf_sizes.csv")}
    labels |= {"Q2_K_S", "Q2_K_L", "Q3_K_XL", "Q4_K_L", "UD-Q4_K_XL", "UD-Q2_K_XL", "UD-IQ1_S", "IQ1_M",
               "IQ2_XXS", "IQ3_XXS", "IQ4_NL", "MXFP4", "MXFP4_MOE", "Q4_0_4_4", "TQ1_0", "BF16", "fp16"}
    assert all(known(q) for q in labels), sorted(q for q in labels if not known(q))
    assert recipe("UD-Q4_K_XL").approximate and recipe("ud-q4_k_xl").ftype == "Q4_K_M"
    assert recipe("Q4_K_L").embd_output_type == T.Q8_0 and recipe("Q3_K_XL").ftype == "Q3_K_L"
    with pytest.raises(UnknownQuant, match="Q9_Z"):
        recipe("Q9_Z")


def test_gemma_3_270m_types_match_its_real_header():
    """The type mix of the real gemma-3-270m-q4_k_m.gguf header (shared/reference/gguf-and-memory.md):
    tied embeddings at Q8_0 (rows of 640 are no multiple of a K-quant's 256-element block), Q5_0 where
    such a block does not divide the row, the Q6_K bumps of Q4_K_M, F32 norms."""
    mix = Counter()
    for t, ty in tensor_types(_shapes("gemma-3-270m"), "Q4_K_M"):
        mix[ty.name] += t.elements
    assert mix == {"Q8_0": 169_246_720, "Q5_0": 63_406_080, "Q4_K": 23_592_960, "Q6_K": 11_796_480,
                   "F32": 55_936}


def test_tied_embeddings_untied_embeddings_and_experts():
    tied = dict((t.name, ty) for t, ty in tensor_types(_shapes("llama-3.2-1b"), "Q4_K_M"))
    untied = dict((t.name, ty) for t, ty in tensor_types(_shapes("llama-3.1-8b"), "Q4_K_M"))
    assert "output.weight" not in tied and tied["token_embd.weight"] == T.Q6_K
    assert untied["output.weight"] == T.Q6_K and untied["token_embd.weight"] == T.Q4_K
    moe = [(t, ty) for t, ty in tensor_types(_shapes("qwen3-30b-a3b"), "Q4_K_M") if "exps" in t.name]
    down = Counter(ty for t, ty in moe if "ffn_down_exps" in t.name)
    assert down == {T.Q6_K: 24, T.Q4_K: 24}          # llama.cpp's use_more_bits: half of 48 layers
    gpt = dict((t.name, ty) for t, ty in tensor_types(_shapes("gpt-oss-20b"), "MXFP4"))
    assert gpt["blk.0.ffn_up_exps.weight"] == T.MXFP4 and gpt["blk.0.attn_q.weight"] == T.Q8_0
    # untied token embeddings are what llama.cpp keeps in host memory
    vocab = MODELS["llama-3.1-8b"]["config"]["vocab_size"]
    assert estimate(_shapes("llama-3.1-8b"), "Q4_K_M", vocab).host_bytes == 128_256 * 4096 // 256 * 144
    assert estimate(_shapes("llama-3.2-1b"), "Q4_K_M", 128_256).host_bytes == 0


def test_store_size_estimates_is_incremental():
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    cfg = json.loads((paths.SAMPLE_HUB / "repos/Qwen/Qwen2-0.5B-Instruct/config.json").read_text())
    con.execute("""INSERT INTO hub_models (repo_id, sha, config_sha, params_total, context_length, source_url,
                   fetched_at, run_id) VALUES ('q', 's', 'sha1', 494032768, 32768, 'x', now(), 'r')""")
    con.execute("INSERT INTO raw_hub_responses VALUES ('r', 'q', 'sha1', 'config', 'x', now(), ?)",
                [json.dumps(cfg)])
    written = store_size_estimates(con)
    assert written == con.execute("SELECT count(*) FROM quant_types").fetchone()[0]
    assert store_size_estimates(con) == 0                      # nothing changed: nothing recomputed
    con.execute("""INSERT INTO hub_gguf_files (gguf_repo_id, base_repo_id, repo_sha, path, quant, shard,
                   shard_count, size_bytes, source_url, fetched_at, run_id)
                   VALUES ('q-GGUF', 'q', 's', 'q-UD-Q4_K_XL.gguf', 'UD-Q4_K_XL', 1, 1, 1, 'x', now(),
                           'r')""")
    assert store_size_estimates(con) == written + 1           # a new label of a real build: recomputed
    cfg["num_hidden_layers"] = 12
    con.execute("INSERT INTO raw_hub_responses VALUES ('r2', 'q', 'sha2', 'config', 'x', now(), ?)",
                [json.dumps(cfg)])
    assert store_size_estimates(con) == 0                     # fetched but not resolved (quarantined)
    con.execute("UPDATE hub_models SET config_sha = 'sha2'")
    assert store_size_estimates(con) == written + 1           # the model's new config commit: recomputed
    assert con.execute("SELECT max(config_sha) FROM quant_size_estimates").fetchone()[0] == "sha2"
