"""`fitcat devices`: search and filter the catalogue's devices."""

from __future__ import annotations

import argparse

from catalog.commands import _common as c

KINDS = ["gpu", "soc", "superchip", "system"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", help="list, search and filter devices (GPUs, Macs, systems)")
    p.add_argument("search", nargs="*", help="words that must all appear in the device id or name")
    p.add_argument("--vendor", help="only this vendor (nvidia, amd, apple, intel)")
    p.add_argument("--kind", choices=KINDS, help="device kind")
    p.add_argument("--segment", help="consumer, workstation, datacenter, mac, system")
    p.add_argument("--unified", action="store_true", help="unified-memory devices only")
    p.add_argument("--min-memory-gb", type=float, metavar="GB", help="at least this much memory per GPU")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.set_defaults(run=c.command("devices", _run))


SQL = """
SELECT device_id, vendor, name, kind, segment, backend, gpu_count, memory_gb, usable_memory_gb, unified,
       bandwidth_gbps, memory_type, launch_date, confidence, open_conflicts
FROM devices
WHERE ($vendor IS NULL OR lower(vendor) = lower($vendor))
  AND ($kind IS NULL OR kind = $kind)
  AND ($segment IS NULL OR lower(segment) = lower($segment))
  AND (NOT $unified OR unified)
  AND ($min_mem IS NULL OR memory_gb >= $min_mem)
ORDER BY vendor, memory_gb * gpu_count, bandwidth_gbps, device_id
"""


def _run(args: argparse.Namespace) -> int:
    found = c.query(args, SQL, {"vendor": args.vendor, "kind": args.kind, "segment": args.segment,
                                "unified": args.unified, "min_mem": args.min_memory_gb})
    found = [d for d in found if c.matches(args.search, d["device_id"], d["name"])]
    if args.json:
        c.print_json(found)
        return c.OK
    t = c.table("Device", "Id", "Kind", ("Memory", "right"), ("Usable", "right"), ("Bandwidth", "right"),
                "Backend", title=f"{len(found)} devices")
    for d in found:
        mem = c.memory_label(d)
        kind = d["kind"] + (" (unified)" if d["unified"] else "")
        t.add_row(
            d["name"],
            d["device_id"],
            kind,
            mem,
            c.gb(d["usable_memory_gb"]),
            f"{d['bandwidth_gbps']:,.0f} GB/s",
            d["backend"],
        )
    c.console().print(t)
    return c.OK
