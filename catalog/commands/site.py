"""`fitcat site`: render the static reference site from one published release, and optionally
serve it on localhost. Reads only the release folder, never the catalogue (docs/site.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from catalog import paths
from catalog.commands import arguments, errors
from catalog.site.build import SiteError, build_site
from catalog.site.release import ReleaseError
from catalog.site.serve import server

DEFAULT_OUT = "site"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("site", help="build the static reference site from a published export release")
    p.add_argument("--exports", type=arguments.folder,
                   help="release folder, or an exports root whose `latest` is read "
                        "(default: FITCAT_EXPORTS or exports/, its latest release)")
    p.add_argument("--out", type=arguments.folder, help=f"where to write the site (default: {DEFAULT_OUT}/)")
    p.add_argument("--serve", action="store_true", help="then serve it on 127.0.0.1 until Ctrl-C")
    p.add_argument("--port", type=arguments.listen_port, default=0,
                   help="port for --serve (default: a free one)")
    p.set_defaults(run=errors.command("site", run))


def run(args: argparse.Namespace) -> int:
    exports = Path(args.exports) if args.exports else paths.exports_root() / "latest"
    out = Path(args.out) if args.out else paths.HOME / DEFAULT_OUT
    try:
        result = build_site(exports, out)
    except (ReleaseError, SiteError) as exc:
        raise errors.CliError(str(exc), errors.USAGE) from exc
    largest = max(result.page_bytes.values(), default=0)
    print(f"site of release {result.run_id}: {result.models} model pages, {result.devices} device pages "
          f"(largest model page {largest / 1000:.0f} KB) in {result.out}")
    print(f"open {result.out / 'index.html'}")
    if not args.serve:
        return errors.OK
    try:
        httpd = server(result.out, args.port)
    except OSError as exc:
        raise errors.CliError(f"cannot serve on 127.0.0.1:{args.port} ({exc}): choose another --port",
                         errors.USAGE) from exc
    host, port = httpd.server_address[:2]
    print(f"serving {result.out} on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        httpd.server_close()
    return errors.OK
