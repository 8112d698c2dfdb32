"""GGUF header reading cost: a real header by chunk size, and a hostile one over the fake Hub.

    .venv/bin/python benchmarks/bench_gguf_header.py [--hostile-mb 15.6]

1. The Gemma-3-270M Q4_K_M header (`make testdata`; 6.5 MB, 786,436 array values) read with
   `read_local_header` in 4 MiB and 64 KiB chunks: wall time, bytes read, and the parser's
   work (`HeaderParser.bytes_parsed`: bytes parsed, counting those parsed again after a chunk
   ran out). Each byte is parsed once plus at most one item per chunk, so the work is flat
   in the chunk size (a reader re-parsing from byte 0 after every chunk grows with
   header size² / chunk).
2. A header of --hostile-mb MB of nested empty arrays (issue 14 item 8), served by the fake
   Hub (302 to its CDN) and read by `RangeReader`: the error, wall time, requests, bytes
   read and the peak of Python allocations (tracemalloc).
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_gguf_support import nested_empty_arrays  # the tests' hostile header

from catalog.fakehub import FakeHub, Repo, RepoFile, Snapshot
from catalog.gguf.errors import GGUFError
from catalog.gguf.header import HeaderParser
from catalog.gguf.remote import RangeReader
from catalog.hub.client import Budget

ROOT = Path(__file__).resolve().parents[1]
GEMMA = ROOT / ".cache/testdata/gemma-3-270m-q4_k_m.gguf.part00"


def real_header(chunk: int) -> dict[str, float]:
    parser = HeaderParser(GEMMA.name)
    start = time.perf_counter()
    with GEMMA.open("rb") as fh:
        while (header := parser.feed(fh.read(max(parser.needed - parser.bytes_fed, chunk)))) is None:
            pass
    return {"chunk": chunk, "seconds": round(time.perf_counter() - start, 3),
            "bytes_read": parser.bytes_fed, "bytes_parsed": parser.bytes_parsed,
            "tensor_info_end": header.tensor_info_end}


def hostile(megabytes: float) -> dict[str, object]:
    head = nested_empty_arrays(int(megabytes * 1e6))
    sha = "a" * 40
    file = RepoFile("m.gguf", len(head) + 4096, head=head, sha256="e" * 64)
    hub = FakeHub(Snapshot([Repo({"id": "o/r", "sha": sha}, {"m.gguf": file})]))
    with hub.running() as url:
        reader = RangeReader(url, None, budget=Budget())
        tracemalloc.start()
        start = time.perf_counter()
        try:
            reader.read_header("o/r", sha, "m.gguf")
            outcome = "accepted"
        except GGUFError as exc:
            outcome = f"{type(exc).__name__}: {exc.reason}"
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return {"header_bytes": len(head), "outcome": outcome, "seconds": round(seconds, 3),
            "requests": reader.requests, "bytes_read": reader.bytes_read,
            "peak_alloc_mb": round(peak / 1e6, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hostile-mb", type=float, default=15.6)
    args = ap.parse_args()
    out: dict[str, object] = {}
    if GEMMA.exists():
        out["real"] = [real_header(c) for c in (4 << 20, 64 << 10)]
        for r in out["real"]:
            print(f"Gemma-3-270M header, {r['chunk']} B chunks: {r['seconds']} s, read {r['bytes_read']} B, "
                  f"parsed {r['bytes_parsed']} B for {r['tensor_info_end']} B of header")
    else:
        print(f"{GEMMA} missing: run `make testdata` for the real-header figures", file=sys.stderr)
    out["hostile"] = hostile(args.hostile_mb)
    print(f"hostile header: {out['hostile']}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
