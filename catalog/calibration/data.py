"""The public calibration data (calibration/*.csv, models.json) loaded into a catalogue of its own.

Every measured model becomes a hub_models row with its config.json, attention layout and sizes
(a measured file size when the source gives one, else the architecture estimate), every measured
device a row of a devices-shaped table, so the fit and the accuracy report compute with exactly the
catalogue's SQL (migrations, macros, views, the fit_estimate table macro): no second copy of
the formulas. See calibration/README.md for the files and their sources.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from catalog import db, paths, store
from catalog.estimates.sizes import store_size_estimates
from catalog.hub.attention import attention_rows
from catalog.hub.config import as_int, text_config
from catalog.hub.params import architecture_candidate, moe_shape

DATA_DIR = paths.ROOT / "calibration"
GIB = 2**30
PROFILE = "llama.cpp"


def read_csv(name: str, folder: Path = DATA_DIR) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def models(folder: Path = DATA_DIR) -> dict[str, dict[str, Any]]:
    return json.loads((folder / "models.json").read_text())


@dataclass(frozen=True)
class Run:
    """One measured decode speed, with the catalogue ids it is computed under."""

    source: str
    backend: str
    device_key: str
    model_key: str
    quant: str
    repo_id: str
    context_tokens: int
    tok_s: float

    @property
    def device_id(self) -> str:
        return f"{self.device_key}|{self.backend}"


def runs(folder: Path = DATA_DIR) -> list[Run]:
    out = []
    for r in read_csv("decode_runs.csv", folder):
        # mean context while generating: the depth plus half the generated tokens
        ctx = int(r["depth_tokens"]) + max(1, int(r["gen_tokens"]) // 2)
        out.append(
            Run(
                r["source"],
                r["backend"],
                r["device_key"],
                r["model_key"],
                r["quant"],
                repo_for(r["model_key"], r["weights_gib"]),
                ctx,
                float(r["tok_s"]),
            )
        )
    return out


def repo_for(model_key: str, weights_gib: str) -> str:
    """A model measured with a stated file size gets its own catalogue row holding that file."""
    return f"calibration/{model_key}" + (f"@{weights_gib}" if weights_gib else "")


def _model_row(repo_id: str, config: dict[str, Any]) -> dict[str, Any]:
    c = text_config(config)
    counted = architecture_candidate(config)
    moe = moe_shape(c)
    return {
        "repo_id": repo_id,
        "sha": "calibration",
        "config_sha": "calibration",
        "params_total": counted.params_total if counted else None,
        "params_active": counted.params_active if counted else None,
        "params_source": "architecture",
        "context_length": as_int(c.get("max_position_embeddings")) or 131072,
        "vocab_size": as_int(c.get("vocab_size")),
        "hidden_size": as_int(c.get("hidden_size")),
        "n_layers": as_int(c.get("num_hidden_layers")),
        "n_experts": moe["n_experts"],
        "n_experts_used": moe["n_experts_used"],
        "model_type": c.get("model_type"),
        "source_url": "calibration/models.json",
        "fetched_at": store.now(),
        "run_id": "calibration",
    }


def catalogue(folder: Path = DATA_DIR) -> duckdb.DuckDBPyConnection:
    """An in-memory catalogue holding every calibration model (and measured file) and device."""
    con = duckdb.connect()
    db.migrate(con)
    db.apply_objects(con)
    mods = models(folder)
    wanted = {(r["model_key"], r["quant"], r["weights_gib"]) for r in read_csv("decode_runs.csv", folder)}
    for key in sorted({k for k, _, _ in wanted}):
        for gib in sorted({g for k, _, g in wanted if k == key}):
            repo_id, config = repo_for(key, gib), mods[key]["config"]
            store.insert_rows(con, "hub_models", [_model_row(repo_id, config)])
            store.record_raw(
                con,
                run_id="calibration",
                repo_id=repo_id,
                repo_sha="calibration",
                kind="config",
                source_url=mods[key]["source"],
                payload=config,
            )
            store.insert_rows(con, "attention_components", attention_rows(repo_id, config))
            for quant in sorted({q for k, q, g in wanted if k == key and g == gib and gib}):
                store.insert_rows(
                    con,
                    "hub_gguf_files",
                    [
                        {
                            "gguf_repo_id": repo_id + "-GGUF",
                            "base_repo_id": repo_id,
                            "repo_sha": "calibration",
                            "path": f"model-{quant}.gguf",
                            "quant": quant,
                            "shard": 1,
                            "shard_count": 1,
                            "size_bytes": round(float(gib) * GIB),
                            "source_url": "calibration/decode_runs.csv",
                            "fetched_at": store.now(),
                            "run_id": "calibration",
                        }
                    ],
                )
    store_size_estimates(con)
    devices = {r["device_key"]: r for r in read_csv("devices.csv", folder)}
    backends = {(r["device_key"], r["backend"]) for r in read_csv("decode_runs.csv", folder)}
    con.execute("""CREATE TABLE calibration_devices (device_id VARCHAR, gpu_count INTEGER,
                   bandwidth_gbps DOUBLE, backend VARCHAR, usable_memory_bytes BIGINT,
                   fp16_tflops_dense DOUBLE)""")
    con.executemany(
        "INSERT INTO calibration_devices VALUES (?, 1, ?, ?, ?, ?)",
        [
            # every run was measured fully on the GPU: the fit does not re-judge it, so memory is unbounded
            [
                f"{key}|{backend}",
                float(devices[key]["bandwidth_gbps"]),
                backend,
                2**50,
                float(devices[key]["fp16_tflops_dense"]) if devices[key]["fp16_tflops_dense"] else None,
            ]
            for key, backend in sorted(backends)
        ],
    )
    return con
