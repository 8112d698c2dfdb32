"""`fitcat export`: publish the export set (CSV, JSON, one page per model) from the catalogue.

Reads the published catalogue read-only and hands it to the export publisher, which builds the
release in a staging folder, validates it and swaps it in atomically (docs: exports/README.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from catalog import paths
from catalog.commands import arguments, catalogue, errors, output
from catalog.orchestration import lock


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="publish the exports (CSV, JSON, model pages) from the catalogue")
    arguments.add_out(p)
    p.add_argument("--run-id", help="release name (default: the last refresh run's id)")
    p.add_argument(
        "--force",
        action="store_true",
        help="publish even if a sanity check (e.g. a large drop in models) objects",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=errors.command("export", _run))


def _release_name(root: Path, run_id: str) -> str:
    """run_id, or run_id-N when that release was already published (re-exporting the same run)."""
    from catalog.exports.publish import RELEASES

    name, n = run_id, 1
    while (root / RELEASES / name).exists():
        name, n = f"{run_id}-{n}", n + 1
    return name


def _run(args: argparse.Namespace) -> int:
    from catalog.exports import publish

    root = paths.exports_root(args.out)
    con = catalogue.open_db(args)
    try:
        run_id = args.run_id
        if run_id is None:
            row = con.execute("""SELECT run_id FROM runs WHERE status = 'completed'
                                 ORDER BY started_at DESC LIMIT 1""").fetchone()
            if row is None:
                raise errors.CliError(
                    "no completed refresh run in the catalogue: run `fitcat refresh` or "
                    "`make demo` first (or give --run-id)"
                )
            run_id = _release_name(root, row[0])
        try:
            root.mkdir(parents=True, exist_ok=True)
            with lock.run_lock(run_id, lock.exports_lock(root)):
                result = publish.publish_exports(con, root, run_id, force=args.force)
        except lock.AlreadyRunning as exc:
            raise errors.CliError(str(exc), errors.LOCKED) from exc
        except publish.ExportRefused as exc:
            raise errors.CliError(
                f"{exc}. Fix the data, or rerun with --force if the change is intended", errors.UNHEALTHY
            ) from exc
        except ValueError as exc:
            raise errors.CliError(str(exc)) from exc
    finally:
        con.close()
    out = {
        "run_id": result.run_id,
        "release": str(result.release),
        "published": result.published,
        "changed": result.changed,
        "content_sha256": result.content_sha256,
        "rows": result.rows,
        "changes": result.changes,
        "carried_models": result.carried,
    }
    if args.json:
        output.print_json(out)
    else:
        files = result.summary_rows()
        print(
            f"published {result.release} ({'changed' if result.changed else 'unchanged'}; "
            f"{result.carried} of {files['models/*.json']} models' files carried over): "
            + ", ".join(f"{k} {v}" for k, v in sorted(files.items()))
        )
    return errors.OK
