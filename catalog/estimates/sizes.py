"""A quant's GGUF file size from the model's architecture, and the table the views read it from.

`estimate_file_bytes(shapes, quant)` is pure: the tensors of `catalog.estimates.tensors`, typed
by `catalog.estimates.recipes` (llama.cpp's per-tensor rules), sized with `gguf.GGML_QUANT_SIZES`
(bytes per block / elements per block), plus the header. Real files always win over it; the
views use it only for quants without a build.

`store_size_estimates(con)` writes `quant_size_estimates` (one row per model with a stored
config.json × quant label known to the catalogue): the nightly flow calls it after the models are
stored, `fitcat estimate` for its one model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb
from gguf import GGML_QUANT_SIZES

from catalog import store
from catalog.estimates.recipes import UnknownQuant, recipe, tensor_types
from catalog.estimates.tensors import Shapes, tensor_shapes

# The GGUF header is mostly the tokenizer (token strings and scores or types; BPE vocabularies add
# their merges): about 25 bytes per vocabulary entry (Gemma-3-270M: a 6,525,120-byte header for
# 262,144 tokens, shared/reference/gguf-and-memory.md), plus ~100 bytes per tensor description.
HEADER_BYTES_PER_TOKEN = 25
HEADER_BYTES_PER_TENSOR = 100


@dataclass(frozen=True)
class SizeEstimate:
    file_bytes: int
    host_bytes: int  # token embeddings: llama.cpp keeps them in host memory (CPU_Mapped)
    params: int
    approximate: bool  # the label is a dynamic mix mapped to its nearest recipe


def _bytes(elements: int, ggml_type: Any) -> int:
    block, size = GGML_QUANT_SIZES[ggml_type]
    return -(-elements // block) * size


def estimate(shapes: Shapes, quant: str, vocab_size: int) -> SizeEstimate:
    """File bytes, host-resident bytes and parameters of `quant` for these shapes."""
    typed = tensor_types(shapes, quant)
    data = sum(_bytes(t.elements, ty) for t, ty in typed)
    header = HEADER_BYTES_PER_TOKEN * vocab_size + HEADER_BYTES_PER_TENSOR * len(typed)
    # Untied token embeddings are only read by the input lookup, which llama.cpp runs on the host;
    # tied ones double as the output matrix and go to the GPU.
    host = (
        0
        if shapes.tied_embeddings
        else sum(_bytes(t.elements, ty) for t, ty in typed if t.name == "token_embd.weight")
    )
    return SizeEstimate(data + header, host, shapes.params, recipe(quant).approximate)


def estimate_file_bytes(shapes: Shapes, quant: str) -> int:
    """The GGUF file size llama-quantize writes for these tensor shapes at `quant` (bytes)."""
    vocab = next(t.dims[1] for t in shapes.tensors if t.name == "token_embd.weight")
    return estimate(shapes, quant, vocab).file_bytes


# Bumped whenever the tensor list or the type rules change, so every stored estimate is recomputed.
ESTIMATOR = "llama-quant@007dbbf3/1"

# The config.json each model's resolved row was built from (hub_models.config_sha: a quarantined
# newer config is not used, as in model_shapes).
_LATEST_CONFIGS = """
    SELECT m.repo_id, arg_max(r.payload, r.fetched_at) AS cfg, any_value(r.repo_sha) AS config_sha
    FROM hub_models m JOIN raw_hub_responses r
         ON r.repo_id = m.repo_id AND r.kind = 'config' AND r.repo_sha = m.config_sha
    WHERE m.removed_at IS NULL AND r.payload IS NOT NULL AND ($repo IS NULL OR m.repo_id = $repo)
    GROUP BY m.repo_id"""
# Per model: the quant labels it needs a size for (the ladder and every label of its real builds),
# and what is stored now.
_WANTED = """
    SELECT m.repo_id, list_distinct(list(q.quant)) AS quants
    FROM hub_models m, (SELECT quant FROM quant_types) q
    WHERE m.removed_at IS NULL AND ($repo IS NULL OR m.repo_id = $repo)
    GROUP BY m.repo_id
    UNION ALL
    SELECT base_repo_id, list_distinct(list(quant)) FROM hub_gguf_files
    WHERE quant IS NOT NULL AND ($repo IS NULL OR base_repo_id = $repo) GROUP BY base_repo_id"""
_STORED = """
    SELECT repo_id, any_value(config_sha), any_value(estimator), list(quant)
    FROM quant_size_estimates WHERE $repo IS NULL OR repo_id = $repo GROUP BY repo_id"""


def size_rows(repo_id: str, config: dict[str, Any] | None, quants: list[str]) -> list[dict[str, Any]]:
    """quant_size_estimates rows for one model (none when the config has no countable shape)."""
    shapes = tensor_shapes(config)
    if shapes is None:
        return []
    vocab = next(t.dims[1] for t in shapes.tensors if t.name == "token_embd.weight")
    rows = []
    for quant in sorted(set(quants)):
        try:
            est = estimate(shapes, quant, vocab)
        except UnknownQuant:
            continue
        rows.append(
            {
                "repo_id": repo_id,
                "quant": quant,
                "file_bytes": est.file_bytes,
                "host_bytes": est.host_bytes,
                "params": est.params,
                "approximate": est.approximate,
            }
        )
    return rows


def store_size_estimates(con: duckdb.DuckDBPyConnection, repo_id: str | None = None) -> int:
    """Bring `quant_size_estimates` up to date with each model's latest config.json (all, or one).

    A model is recomputed only when its config commit, the estimator version or the quant labels
    it needs (the ladder and its real builds' labels) changed, so a nightly run pays for the
    models that changed. Models whose config cannot be counted get no rows (the views fall back to
    bits per weight); rows of models no longer tracked are removed. Returns the rows written.
    """
    args = {"repo": repo_id}
    wanted: dict[str, set[str]] = {}
    for rid, quants in con.execute(_WANTED, args).fetchall():
        wanted.setdefault(rid, set()).update(quants)
    stored = {rid: (sha, est, set(qs)) for rid, sha, est, qs in con.execute(_STORED, args).fetchall()}
    written = 0
    for rid, cfg, sha in con.execute(_LATEST_CONFIGS, args).fetchall():
        quants = wanted.get(rid, set())
        old = stored.pop(rid, None)
        if old is not None and old[0] == sha and old[1] == ESTIMATOR and quants <= old[2]:
            continue
        rows = size_rows(rid, json.loads(cfg) if isinstance(cfg, str) else cfg, sorted(quants))
        with store.transaction(con):
            con.execute("DELETE FROM quant_size_estimates WHERE repo_id = ?", [rid])
            store.insert_rows(
                con,
                "quant_size_estimates",
                [{**r, "config_sha": sha, "estimator": ESTIMATOR, "computed_at": store.now()} for r in rows],
            )
        written += len(rows)
    if stored:  # models without a config any more (or removed): their estimates go
        con.execute(
            "DELETE FROM quant_size_estimates WHERE list_contains($gone, repo_id)", {"gone": list(stored)}
        )
    return written
