"""`fitcat devices`: search and filter the catalogue's devices."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from catalog.commands import arguments, catalogue, errors, lookup, output
from catalog.units import memory_label, show_gb

KINDS = ["gpu", "soc", "superchip", "system"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list, search and filter devices (GPUs, Macs, systems)")
    p.add_argument("search", nargs="*",
                   help="words of the device id, name or aliases (all of them, else any: `h100 h200`)")
    p.add_argument("--vendor", type=arguments.name, help="only this vendor (nvidia, amd, apple, intel, ...)")
    p.add_argument("--kind", choices=KINDS, help="device kind")
    p.add_argument("--segment", type=arguments.name, help="consumer, workstation, datacenter, mac, system")
    p.add_argument("--unified", action="store_true", help="unified-memory devices only")
    p.add_argument("--min-memory-gb", type=arguments.memory_gb, metavar="GiB",
                   help="at least this much marketed memory per GPU (GiB, as vendors mean GB)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(run=errors.command("devices", _run))


SQL = """
SELECT device_id, vendor, name, kind, segment, backend, gpu_count, memory_gb, usable_memory_gb, unified,
       bandwidth_gbps, memory_type, launch_date, confidence, open_conflicts, popularity_rank
FROM devices
WHERE ($vendor IS NULL OR lower(vendor) = lower($vendor))
  AND ($kind IS NULL OR kind = $kind)
  AND ($segment IS NULL OR lower(segment) = lower($segment))
  AND (NOT $unified OR unified)
  AND ($min_mem IS NULL OR memory_gb >= $min_mem)
ORDER BY vendor, memory_gb * gpu_count, bandwidth_gbps, device_id
"""


def _run(args: argparse.Namespace) -> int:
    con = catalogue.open_db(args)
    try:
        found = catalogue.rows(con, SQL, {"vendor": args.vendor, "kind": args.kind, "segment": args.segment,
                                          "unified": args.unified, "min_mem": args.min_memory_gb})
        known = catalogue.rows(con, "SELECT DISTINCT vendor, segment FROM devices")
        entries = lookup.device_entries(con)
    finally:
        con.close()
    ids, rule = lookup.search(args.search, [e for e in entries if e.id in {d["device_id"] for d in found}])
    keep = set(ids)
    found = [d for d in found if d["device_id"] in keep]

    def close() -> tuple[str, list[str]]:
        hints = [lookup.close_to(args.vendor, [k["vendor"] for k in known]) if args.vendor else "",
                 lookup.close_to(args.segment, [k["segment"] for k in known]) if args.segment else ""]
        near = lookup.suggestions(" ".join(args.search), entries) if args.search else []
        return "".join(hints), near

    output.print_matches(found, _render, as_json=args.json, noun="device", search=args.search, rule=rule,
                         close=close)
    return errors.OK


def _render(found: list[dict[str, Any]], out: Console) -> None:
    """Memory as marketed is binary (GiB); usable memory, like every computed size, is decimal GB."""
    wide = not output.narrow(out)
    columns = ["Device", ("Memory", "right"), ("Usable", "right"), ("Bandwidth", "right")]
    if wide:
        columns = ["Device", "Id", "Kind", *columns[1:], "Backend"]
    t = output.table(*columns, title=f"{len(found)} devices")
    for d in found:
        cells = [d["name"], memory_label(d), show_gb(d['usable_memory_gb']),
                 f"{d['bandwidth_gbps']:,.0f} GB/s"]
        if wide:
            kind = d["kind"] + (" (unified)" if d["unified"] else "")
            cells = [d["name"], d["device_id"], kind, *cells[1:], d["backend"]]
        output.row(t, *cells)
    output.show(out, t)
    output.note(out, "Memory: as marketed, binary GiB (24 GB on the box = 24 GiB); "
                     "Usable: what models can use, decimal GB")
