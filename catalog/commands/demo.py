"""`fitcat demo`: the nightly flow against the bundled sample Hub, served on loopback, offline."""

from __future__ import annotations

import argparse
import os

from catalog import paths
from catalog.commands import arguments, errors
from catalog.commands.refresh import run_flow
from catalog.fakehub import FakeHub, Snapshot
from catalog.orchestration import task_runners

# The sample Hub grants this token access to gated repos, playing an operator whose
# token accepted the licences (see catalog/fakehub/sample/README.md). Not a secret.
DEMO_TOKEN = "hf_demo_granted"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="refresh from the bundled sample Hub (offline)")
    arguments.add_out(p)
    arguments.add_settings(p, "the sample's own fitcat.toml")
    task_runners.add_arguments(p)
    p.set_defaults(run=errors.command("demo", run))


def run(args: argparse.Namespace) -> int:
    task_runner = task_runners.from_args(args)
    hub = FakeHub(Snapshot.load(paths.SAMPLE_HUB))
    hub.granted_tokens.add(DEMO_TOKEN)
    os.environ["HF_TOKEN"] = DEMO_TOKEN
    with hub.running() as url:
        print(f"sample Hub ({len(hub.snapshot.repos)} repos) serving on {url}")
        # Offline: the curated device registry stands; vendor pages are not fetched.
        settings = args.settings or str(paths.SAMPLE_HUB / "fitcat.toml")
        code = run_flow(str(paths.db_path(args.db)), str(paths.exports_root(args.out)), url, settings,
                        vendor_pages=False, task_runner=task_runner)
        print(f"requests served: {hub.counts()}")
    return code
