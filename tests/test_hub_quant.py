"""GGUF file names from public Hub repos → quant label and shard (catalog.hub.quant)."""

import pytest

from catalog.hub.quant import is_model_gguf, parse_gguf_name

# (path as published, quant, shard, shard_count); repos named in the comments.
REAL_NAMES = [
    ("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "Q4_K_M", 1, 1),           # bartowski
    ("Meta-Llama-3.1-8B-Instruct-IQ2_M.gguf", "IQ2_M", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-IQ3_XS.gguf", "IQ3_XS", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-Q2_K_L.gguf", "Q2_K_L", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-Q3_K_XL.gguf", "Q3_K_XL", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-Q4_0_4_4.gguf", "Q4_0_4_4", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-Q4_0_8_8.gguf", "Q4_0_8_8", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-Q6_K_L.gguf", "Q6_K_L", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct-f32.gguf", "F32", 1, 1),
    ("Qwen2.5-7B-Instruct-IQ4_XS.gguf", "IQ4_XS", 1, 1),
    ("qwen2.5-7b-instruct-q4_k_m.gguf", "Q4_K_M", 1, 1),                  # Qwen/Qwen2.5-7B-Instruct-GGUF
    ("qwen2.5-7b-instruct-q5_k_m-00001-of-00002.gguf", "Q5_K_M", 1, 2),
    ("qwen2.5-7b-instruct-q5_k_m-00002-of-00002.gguf", "Q5_K_M", 2, 2),
    ("qwen2.5-0.5b-instruct-fp16.gguf", "F16", 1, 1),
    ("gemma-3-1b-it-Q4_K_M.gguf", "Q4_K_M", 1, 1),                        # ggml-org/gemma-3-1b-it-GGUF
    ("gemma-3-1b-it-Q8_0.gguf", "Q8_0", 1, 1),
    ("gemma-3-1b-it-f16.gguf", "F16", 1, 1),
    ("gemma-3-27b-it-q4_0.gguf", "Q4_0", 1, 1),      # google/gemma-3-27b-it-qat-q4_0-gguf
    ("gpt-oss-20b-mxfp4.gguf", "MXFP4", 1, 1),                            # ggml-org/gpt-oss-20b-GGUF
    ("gpt-oss-120b-mxfp4-00001-of-00003.gguf", "MXFP4", 1, 3),            # ggml-org/gpt-oss-120b-GGUF
    ("gpt-oss-20b-F16.gguf", "F16", 1, 1),                                # unsloth/gpt-oss-20b-GGUF
    ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "UD-Q4_K_XL", 1, 1),                # unsloth/Qwen3-30B-A3B-GGUF
    ("Qwen3-30B-A3B-IQ4_NL.gguf", "IQ4_NL", 1, 1),
    ("Qwen3-30B-A3B-UD-Q8_K_XL.gguf", "UD-Q8_K_XL", 1, 1),
    ("Qwen3-235B-A22B-UD-TQ1_0.gguf", "UD-TQ1_0", 1, 1),                  # unsloth/Qwen3-235B-A22B-GGUF
    ("UD-Q4_K_XL/DeepSeek-R1-0528-UD-Q4_K_XL-00001-of-00008.gguf", "UD-Q4_K_XL", 1, 8),
    ("DeepSeek-R1-UD-IQ1_S/DeepSeek-R1-UD-IQ1_S-00003-of-00003.gguf", "UD-IQ1_S", 3, 3),
    ("BF16/DeepSeek-V3-0324-BF16-00001-of-00030.gguf", "BF16", 1, 30),
    ("Q4_K_M/Qwen3-235B-A22B-Q4_K_M-00002-of-00003.gguf", "Q4_K_M", 2, 3),
    ("Llama-4-Scout-17B-16E-Instruct-UD-Q2_K_XL.gguf", "UD-Q2_K_XL", 1, 1),
    ("Meta-Llama-3.1-8B-Instruct.Q4_K_M.gguf", "Q4_K_M", 1, 1),           # QuantFactory
    ("Meta-Llama-3.1-8B-Instruct.i1-Q4_K_M.gguf", "Q4_K_M", 1, 1),        # mradermacher (imatrix)
    ("Meta-Llama-3.1-8B-Instruct.i1-IQ2_XXS.gguf", "IQ2_XXS", 1, 1),
    ("Llama-3.1-70B.Q6_K.gguf.part1of2", "Q6_K", 1, 2),                   # mradermacher byte split
    ("tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf", "Q4_K_M", 1, 1),             # TheBloke
    ("phi-2.Q5_K_S.gguf", "Q5_K_S", 1, 1),
    ("Llama-3.2-1B-Instruct-Q4_K_S.gguf", "Q4_K_S", 1, 1),
    ("Qwen2-0.5B-Instruct-Q3_K_L.gguf", "Q3_K_L", 1, 1),
]


@pytest.mark.parametrize(("path", "quant", "shard", "count"), REAL_NAMES)
def test_real_gguf_names_parse(path: str, quant: str, shard: int, count: int) -> None:
    assert is_model_gguf(path)
    assert parse_gguf_name(path) == (parse_gguf_name(path).__class__(quant, shard, count))


def test_at_least_thirty_real_names() -> None:
    assert len(REAL_NAMES) >= 30


@pytest.mark.parametrize("path", [
    "mmproj-model-f16.gguf",                    # ggml-org vision projector
    "mmproj-F16.gguf",                          # unsloth
    "gemma-3-27b-it-GGUF/mmproj-BF16.gguf",
    "Qwen2-0.5B-Instruct.imatrix",              # bartowski importance matrix
    "imatrix_unsloth.dat",
    "imatrix.gguf",
    "README.md",
    "config.json",
])
def test_projectors_matrices_and_other_files_are_not_weights(path: str) -> None:
    assert not is_model_gguf(path)


def test_size_and_expert_tokens_are_not_quants() -> None:
    # A3B, 16E, 17B, 0528 must not be read as a quant label.
    assert parse_gguf_name("Qwen3-30B-A3B.gguf").quant is None
    assert parse_gguf_name("Llama-4-Scout-17B-16E-Instruct.gguf").quant is None


def test_the_sql_build_rule_and_the_python_shard_rule_read_the_same_suffixes():
    """gguf_build_path (SQL, the one build rule) strips exactly the suffix parse_gguf_name reads
    shard numbers from: a sharded file's build path differs from its path, a single file's does
    not, and every shard of a build has one build path."""
    import duckdb

    from catalog import db

    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    paths = [p for p, *_ in REAL_NAMES if is_model_gguf(p)]
    built = dict(con.execute("SELECT p, gguf_build_path(p) FROM unnest(?) t(p)", [paths]).fetchall())
    builds: dict[str, set[int]] = {}
    for path in paths:
        name = parse_gguf_name(path)
        assert (built[path] != path) == (name.shard_count > 1), path
        assert built[path].lower().endswith(".gguf"), path
        builds.setdefault(built[path], set()).add(name.shard_count)
    assert all(len(counts) == 1 for counts in builds.values())
    assert built["qwen2.5-7b-instruct-q5_k_m-00002-of-00002.gguf"] == "qwen2.5-7b-instruct-q5_k_m.gguf"
    part = next(p for p in paths if ".part" in p)
    assert built[part].endswith(".gguf") and ".part" not in built[part]
