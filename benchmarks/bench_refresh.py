"""Hub refresh benchmark: requests per bucket for a cold and an incremental refresh vs the minimum.

    .venv/bin/python benchmarks/bench_refresh.py [--repos 10000] [--changed 0.01] [--latency 0.005]
        [--authors 100] [--publishers 10] [--trusted 10] [--workers 4] [--workdir DIR]

A fake Hub (catalog.fakehub.FakeHub, on loopback, with `latency` seconds per request) serves a
synthetic Snapshot of K repos: ceil(K/2) base models and K − ceil(K/2) GGUF derivatives (one per
base model, publisher gguf-pubNN of --publishers, tags gguf + base_model:quantized:{base}, 6 quant
files each), cloned from the bundled sample's real configs and trees (Llama, Qwen2/2.5/3, Gemma-3,
DeepSeek V3/V4...). Base models belong to --authors publishers, all tracked through `[hub] authors`;
the first --trusted GGUF publishers are `[hub] gguf_publishers` (default: all, so every GGUF repo is
change-tracked from listing pages; a GGUF repo of an untrusted publisher is re-read only when its
base model changes, and the run reports how many changed GGUF repos it saw).

The refresh is the flow's own sequence (flows/nightly.py): discover → load_watermarks →
fetch_bundle on `--workers` threads → store_bundle (single writer) → finish_discovery, with the
real huggingface_hub client through catalog.hub.client (rate-limit quotas of the fake Hub raised
so nothing waits: the rate limit is analysed in docs/performance.md, not slept through).
Run 1 is cold (empty catalogue); then a fraction of the repos gets a new commit
(`Snapshot.touch`, half base models, half GGUF repos) and run 2 is incremental.

Minimum the design needs (exact, deterministic):
  listing pages   = Σ_author ceil(models_a / page) + Σ_trusted_gguf_publisher ceil(repos_p / page)
                    (change detection for every tracked repo from listing pages alone)
  cold api        = listing pages + 1 per base model (model_info) + 1 per GGUF repo (tree)
  cold resolvers  = 1 per base model (config.json at its sha)
  incremental api = listing pages + 1 per changed base model + 1 per changed GGUF repo
What catalog.hub sends (exact): the same plus one derivative listing per new or changed base
model (it finds untrusted publishers' builds): cold api = P + 2B + G, incremental = P + 2ΔB + ΔG.
Targets (issue #10): incremental api ≤ P + 3 × changed repos; cold api ≤ 3 × repos.
The last line is one JSON object.

    .venv/bin/python benchmarks/bench_refresh.py --realistic [--bases 12000] [--plan anonymous]
        [--changed 0.01] [--cap 20000] [--max-nights 30]

Realistic mode (issue #16): a Hub shaped like the real one (benchmarks/realistic_hub.py: popular
base models with hundreds of derivatives, most from untrusted publishers; renamed, self-tagged
and re-uploaded builds) behind the quota of `--plan` (anonymous: 500 API requests per 5 min),
refreshed with the default fitcat.toml's scope (max_models, top lists, trusted publishers,
untrusted_trees, request_cap) night after night until the cold backlog is done, then one
incremental night after `--changed` of the repos got a commit. Time is simulated (the client's
waits for the rate-limit reset advance a shared clock, nothing sleeps), so the printed hours are
what the quota imposes, not what this machine takes. Downloads move a little every night
(`Snapshot.churn`).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import random
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog import db, hub
from catalog.fakehub import FakeHub
from catalog.fakehub.snapshot import Repo, RepoFile, Snapshot
from catalog.hub.client import Budget, hub_api
from catalog.hub.discover import is_base_model
from catalog.settings import HubScope

SAMPLE = Path(__file__).resolve().parents[1] / "catalog" / "fakehub" / "sample"
QUANTS = ("Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K", "Q8_0")


def say(msg: str) -> None:
    print(msg, flush=True)


def build_snapshot(repos: int, authors: int, publishers: int = 10) -> tuple[Snapshot, list[str], list[str]]:
    """K synthetic repos cloned from the sample's base models; returns (snapshot, bases, ggufs)."""
    sample = Snapshot.load(SAMPLE)
    templates = [r for r in sample.repos.values()
                 if "config.json" in r.files and is_base_model(r.info) and r.info.get("safetensors")]
    templates.sort(key=lambda r: r.id)
    n_base = math.ceil(repos / 2)
    n_gguf = repos - n_base
    snap = Snapshot()
    bases, ggufs = [], []
    for i in range(n_base):
        t = templates[i % len(templates)]
        author = f"org{i % authors:03d}"
        rid = f"{author}/{t.id.split('/')[1]}-{i:06d}"
        info = copy.deepcopy(t.info)
        info.update(id=rid, modelId=rid, author=author, gated=False,
                    _id=hashlib.md5(rid.encode()).hexdigest()[:24],
                    sha=hashlib.sha1(rid.encode()).hexdigest(), downloads=1_000_000 - i, likes=i % 977,
                    trendingScore=i % 50)
        info["tags"] = [x for x in info.get("tags", []) if not x.startswith("base_model")]
        info["pipeline_tag"] = "text-generation"        # every clone is listed by `[hub] authors`
        snap.add(Repo(info=info, files={p: copy.copy(f) for p, f in t.files.items()}))
        bases.append(rid)
        if i < n_gguf:
            pub = f"gguf-pub{i % publishers:02d}"
            gid = f"{pub}/{rid.split('/')[1]}-GGUF"
            ginfo = {
                "_id": hashlib.md5(gid.encode()).hexdigest()[:24], "id": gid, "modelId": gid, "author": pub,
                "sha": hashlib.sha1(gid.encode()).hexdigest(), "private": False, "disabled": False,
                "lastModified": "2025-01-01T00:00:00.000Z", "createdAt": "2025-01-01T00:00:00.000Z",
                "gated": False, "downloads": 100_000 - i % 100_000, "likes": i % 100, "trendingScore": 1,
                "pipeline_tag": "text-generation", "library_name": "gguf",
                "tags": ["gguf", "text-generation", f"base_model:{rid}", f"base_model:quantized:{rid}",
                         "region:us"],
                "cardData": {"base_model": [rid]},
                "gguf": {"total": (info.get("safetensors") or {}).get("total"), "architecture": "llama",
                         "context_length": 131072},
            }
            name = rid.split("/")[1]
            total = (info.get("safetensors") or {}).get("total") or 8_000_000_000
            files = {"README.md": RepoFile("README.md", 0, content=b"# synthetic\n")}
            for q, bits in zip(QUANTS, (3.4, 3.9, 4.8, 5.7, 6.6, 8.0), strict=True):
                path = f"{name}-{q}.gguf"
                files[path] = RepoFile(path, int(total * bits / 8),
                                       sha256=hashlib.sha256(f"{gid}/{path}".encode()).hexdigest())
            snap.add(Repo(info=ginfo, files=files))
            ggufs.append(gid)
    return snap, bases, ggufs


def refresh_once(endpoint: str, con, scope: HubScope, cache: Path, run_id: str, workers: int) -> dict:
    """The flow's Hub refresh (catalog.hub.refresh), its fetches on a thread pool as the flow's
    task runner would run them."""
    budget = Budget(cap=None, max_retries=scope.max_retries, timeout=scope.timeout_seconds)
    api = hub_api(endpoint, token=False, budget=budget)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        report = hub.refresh(api, con, scope, cache, run_id, width=workers,
                             submit=lambda **job: pool.submit(hub.fetch_bundle, api, job.pop("repo_id"),
                                                              cache, **job))
    return {"found": report.found, "fetched": len(report.fetched), "removed": report.removed,
            **report.counts}


class SimClock:
    """Simulated time shared by the fake Hub's windows and the client's waits."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


def realistic(args: argparse.Namespace) -> int:
    """Cold nights of the default scope until done, then one incremental night (module doc)."""
    import dataclasses

    import realistic_hub

    from catalog.fakehub.server import PLANS, WINDOW_SECONDS
    from catalog.paths import DEFAULT_SETTINGS
    from catalog.settings import load_settings

    work = args.workdir or Path(tempfile.mkdtemp(prefix="fitcat-bench-realistic-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t = time.perf_counter()
    synthetic = realistic_hub.build(args.bases)
    default = load_settings(DEFAULT_SETTINGS).hub
    scope = dataclasses.replace(default, authors=synthetic.authors, models=(),
                                gguf_publishers=realistic_hub.TRUSTED,
                                request_cap=args.cap if args.cap is not None else default.request_cap)
    say(f"fitcat bench_refresh --realistic  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  plan={args.plan}")
    say(f"synthetic Hub (not timed) {time.perf_counter() - t:.1f} s: {len(synthetic.bases)} base models, "
        f"{len(synthetic.trusted_builds)} trusted and {len(synthetic.untrusted_builds)} untrusted GGUF "
        "repos; "
        f"builds with the Hub's mess {synthetic.messy}")
    say(f"scope (default fitcat.toml): max_models {scope.max_models}, top_downloads {scope.top_downloads}, "
        f"top_trending {scope.top_trending}, {len(scope.authors)} authors x {scope.per_author}, "
        f"{len(scope.gguf_publishers)} trusted publishers, untrusted_trees {scope.untrusted_trees}, "
        f"request_cap {scope.request_cap}")
    clock = SimClock()
    fake = FakeHub(synthetic.snapshot, plan=args.plan, clock=clock, latency=0.0)
    con = db.connect(work / "refresh.duckdb")
    cache = work / "cache"
    nights: list[dict] = []

    def night(run_id: str) -> tuple[dict, hub.RefreshReport]:
        fake.reset_log()
        start, wall = clock(), time.perf_counter()
        budget = Budget(cap=scope.request_cap, reserve=scope.reserve, max_retries=scope.max_retries,
                        clock=clock, sleep=clock.sleep, timeout=scope.timeout_seconds)
        report = hub.refresh(hub_api(fake.url, token=False, budget=budget), con, scope, cache, run_id)
        counts = fake.counts()
        row = {"night": run_id, **{k: counts.get(k, 0) for k in ("api", "resolvers", "cdn")},
               "found": report.found, "fetched": len(report.fetched), "deferred": len(report.deferred),
               "backlog_requests": report.backlog_requests, "nights_needed": report.nights_needed,
               "lookups": report.lookups, "listing_requests": report.discovery_requests,
               "errors": len(report.errors), "simulated_hours": round((clock() - start) / 3600, 2),
               "wall_seconds": round(time.perf_counter() - wall, 1)}
        say(f"{run_id:<12} {row}")
        clock.t = (clock.t // 86_400 + 1) * 86_400        # the next night starts the next day
        synthetic.snapshot.churn(seed=len(nights), spread=0.05)
        return row, report

    with fake.running():
        report = None
        while report is None or report.deferred:
            row, report = night(f"cold-{len(nights) + 1}")
            nights.append(row)
            if len(nights) >= args.max_nights:
                break
        tracked = [r[0] for r in con.execute(
            "SELECT repo_id FROM hub_models WHERE removed_at IS NULL").fetchall()]
        gguf_known = con.execute("SELECT count(*), count(tree_sha) FROM hub_gguf_repos "
                                 "WHERE removed_at IS NULL").fetchone()
        attached = dict(con.execute(
            "SELECT attached_by, count(*) FROM hub_gguf_repos GROUP BY ALL").fetchall())
        rng = random.Random(1)
        n_changed = round((len(tracked) + gguf_known[0]) * args.changed)
        changed_base = rng.sample(tracked, n_changed // 2)
        treed = [r[0] for r in con.execute(
            "SELECT gguf_repo_id FROM hub_gguf_repos WHERE tree_sha IS NOT NULL AND removed_at IS NULL"
        ).fetchall()]
        changed_gguf = rng.sample(treed, n_changed - len(changed_base))
        for rid in changed_base + changed_gguf:
            synthetic.snapshot.touch(rid, lastModified="2026-12-01T00:00:00.000Z")
        inc, inc_report = night("incremental")
    con.close()
    cold = {k: sum(n[k] for n in nights) for k in ("api", "resolvers", "cdn")}
    repos, read = len(tracked) + gguf_known[0], len(tracked) + gguf_known[1]
    minimum_inc = inc["listing_requests"] - inc["lookups"] + len(changed_base) + len(changed_gguf)
    target_inc = minimum_inc + 2 * (len(changed_base) + len(changed_gguf))
    say(f"cold: {len(nights)} night(s) at request_cap {scope.request_cap}: api {cold['api']}, resolvers "
        f"{cold['resolvers']}, cdn {cold['cdn']} for {len(tracked)} base models + {gguf_known[0]} GGUF repos "
        f"({gguf_known[1]} with files): {cold['api'] / repos:.2f} api per repo known, "
        f"{cold['api'] / read:.2f} per repo read (target ≤ 2); "
        f"first night predicted {nights[0]['nights_needed']} more night(s), took {len(nights) - 1}")
    say(f"attached_by {attached}")
    say(f"incremental: {len(changed_base)} base models + {len(changed_gguf)} GGUF repos changed: "
        f"api {inc['api']} "
        f"(minimum {minimum_inc}, target ≤ minimum + 2 per changed repo = {target_inc}: "
        f"{'MET' if inc['api'] <= target_inc else 'MISSED'})")
    hours = {}
    for plan, quota in PLANS.items():
        windows = max(math.ceil(cold["api"] / quota["api"]),
                      math.ceil(cold["resolvers"] / quota["resolvers"]))
        hours[plan] = round(windows * WINDOW_SECONDS / 3600, 1)
    say(f"cold requests at each plan's quota (one token, computed: windows x 5 min): {hours} hours")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "realistic": True, "plan": args.plan, "bases_on_hub": len(synthetic.bases),
        "trusted_builds": len(synthetic.trusted_builds), "untrusted_builds": len(synthetic.untrusted_builds),
        "messy_builds": synthetic.messy, "max_models": scope.max_models, "request_cap": scope.request_cap,
        "tracked_base_models": len(tracked), "gguf_repos": gguf_known[0],
        "gguf_repos_with_files": gguf_known[1], "attached_by": attached, "cold_nights": len(nights),
        "cold_nights_predicted": 1 + nights[0]["nights_needed"], "cold_api_requests": cold["api"],
        "cold_resolver_requests": cold["resolvers"], "cold_cdn_requests": cold["cdn"],
        "cold_api_per_repo": round(cold["api"] / repos, 3),
        "cold_api_per_repo_read": round(cold["api"] / read, 3),
        "nights": nights,
        "cold_hours_by_plan": hours, "incremental": inc, "changed_base": len(changed_base),
        "changed_gguf": len(changed_gguf), "minimum_incremental_api_requests": minimum_inc,
        "target_incremental_api_requests": target_inc, "incremental_api_requests": inc["api"],
        "incremental_deferred": len(inc_report.deferred),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=10_000, help="K: base models + GGUF repos")
    ap.add_argument("--changed", type=float, default=0.01, help="fraction of the K repos given a new commit")
    ap.add_argument("--latency", type=float, default=0.005, help="seconds the fake Hub waits per request")
    ap.add_argument("--authors", type=int, default=100)
    ap.add_argument("--publishers", type=int, default=10, help="GGUF publishers (gguf-pub00, ...)")
    ap.add_argument("--trusted", type=int, default=None,
                    help="how many of them are [hub] gguf_publishers (default: all)")
    ap.add_argument("--workers", type=int, default=4, help="concurrent fetches ([hub] max_workers)")
    ap.add_argument("--page-size", type=int, default=1000, help="listing page size (the Hub's is 1000)")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--realistic", action="store_true", help="the realistic mode (module doc)")
    ap.add_argument("--bases", type=int, default=12_000, help="realistic: base models on the Hub")
    ap.add_argument("--plan", choices=("anonymous", "free", "pro"), default="anonymous",
                    help="realistic: the quota the fake Hub enforces")
    ap.add_argument("--cap", type=int, default=None, help="realistic: request_cap (default: fitcat.toml's)")
    ap.add_argument("--max-nights", type=int, default=30, help="realistic: stop after this many cold nights")
    args = ap.parse_args(argv)
    if args.realistic:
        return realistic(args)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="fitcat-bench-refresh-"))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    say(f"fitcat bench_refresh  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  repos={args.repos} "
        f"changed={args.changed} latency={args.latency}s workers={args.workers} page={args.page_size}")
    t = time.perf_counter()
    snap, bases, ggufs = build_snapshot(args.repos, args.authors, args.publishers)
    per_author = math.ceil(len(bases) / args.authors)
    trusted = tuple(f"gguf-pub{p:02d}" for p in range(min(args.publishers, args.trusted
                                                           if args.trusted is not None else args.publishers)))
    scope = HubScope(authors=tuple(f"org{a:03d}" for a in range(args.authors)), per_author=per_author,
                     gguf_publishers=trusted, request_cap=None)
    say(f"snapshot (not timed)  {time.perf_counter() - t:.1f} s: {len(bases)} base models, "
        f"{len(ggufs)} GGUF repos, "
        f"{args.authors} authors × ≤{per_author} models, {len(trusted)} of {args.publishers} GGUF "
        f"publishers trusted")
    fake = FakeHub(snap, quotas={"api": 10**9, "resolvers": 10**9, "pages": 10**9},
                   page_size=args.page_size, latency=args.latency)
    con = db.connect(work / "refresh.duckdb")
    cache = work / "cache"
    results = {}
    with fake.running() as url:
        t = time.perf_counter()
        cold = refresh_once(url, con, scope, cache, "cold", args.workers)
        cold_s = time.perf_counter() - t
        cold_counts = fake.counts()
        say(f"cold refresh          {cold_s:8.1f} s  requests {cold_counts}  {cold}")
        rng = random.Random(0)
        n_changed = round(args.repos * args.changed)
        changed_base = rng.sample(bases, min(len(bases), math.ceil(n_changed / 2)))
        changed_gguf = rng.sample(ggufs, min(len(ggufs), n_changed - len(changed_base)))
        for rid in changed_base + changed_gguf:
            snap.touch(rid, lastModified="2026-11-28T00:00:00.000Z")
        fake.reset_log()
        t = time.perf_counter()
        inc = refresh_once(url, con, scope, cache, "incremental", args.workers)
        inc_s = time.perf_counter() - t
        inc_counts = fake.counts()
        say(f"incremental refresh   {inc_s:8.1f} s  requests {inc_counts}  {inc}  "
            f"({len(changed_base)} base models + {len(changed_gguf)} GGUF repos changed)")
        kinds: dict[str, int] = {}
        for r in fake.requests:
            if r.path == "/api/models":
                filters = r.query.get("filter", [])
                per_base = any(f.startswith("base_model:quantized:") for f in filters)
                key = ("listing: gguf derivatives of one base" if per_base
                       else "listing: gguf publisher" if "gguf" in filters else "listing: author")
            elif "/tree/" in r.path:
                key = "tree"
            elif "/resolve/" in r.path:
                key = "config.json"
            else:
                key = "model_info"
            kinds[key] = kinds.get(key, 0) + 1
        results["incremental_by_kind"] = kinds
        treed = {r.path.split("/tree/")[0].removeprefix("/api/models/") for r in fake.requests
                 if "/tree/" in r.path}
        results["changed_gguf_seen"] = len(treed & set(changed_gguf))
        say(f"incremental by kind   {kinds}")
    con.close()

    page = args.page_size
    author_counts = [sum(1 for b in bases if b.startswith(f"org{a:03d}/")) for a in range(args.authors)]
    pub_counts: dict[str, int] = {}
    for g in ggufs:
        if g.split("/")[0] in trusted:
            pub_counts[g.split("/")[0]] = pub_counts.get(g.split("/")[0], 0) + 1
    listing_pages = sum(math.ceil(n / page) for n in author_counts if n) + \
        sum(math.ceil(n / page) for n in pub_counts.values())
    min_cold_api = listing_pages + len(bases) + len(ggufs)
    min_inc_api = listing_pages + len(changed_base) + len(changed_gguf)
    target_inc = listing_pages + 3 * (len(changed_base) + len(changed_gguf))
    expected_cold = listing_pages + 2 * len(bases) + len(ggufs)       # what catalog.hub sends
    expected_inc = listing_pages + 2 * len(changed_base) + results["changed_gguf_seen"]
    say(f"expected (exact)      cold api P + 2B + G = {expected_cold}, measured {cold_counts['api']}; "
        f"incremental api P + 2ΔB + ΔG = {expected_inc}, measured {inc_counts['api']}")
    say(f"minimum (exact)       listing pages {listing_pages} "
        f"(= {sum(1 for n in author_counts if n)} author pages + "
        f"{sum(math.ceil(n / page) for n in pub_counts.values())} trusted GGUF publisher pages); "
        f"cold api {min_cold_api}, cold resolvers {len(bases)}; "
        f"incremental api {min_inc_api}, resolvers {len(changed_base)}")
    say(f"targets               incremental api ≤ {target_inc} (pages + 3 × changed): measured "
        f"{inc_counts['api']} → {'MET' if inc_counts['api'] <= target_inc else 'MISSED'} "
        f"(×{inc_counts['api'] / min_inc_api:.1f} the minimum); cold api ≤ {3 * args.repos} (3 × repos): "
        f"measured {cold_counts['api']} → {'MET' if cold_counts['api'] <= 3 * args.repos else 'MISSED'} "
        f"(×{cold_counts['api'] / min_cold_api:.2f} the minimum)")
    missed = len(changed_gguf) - results["changed_gguf_seen"]
    say(f"changed GGUF repos    {results['changed_gguf_seen']} of {len(changed_gguf)} re-read" +
        (f"; {missed} not seen (untrusted publishers, unchanged base models)" if missed else ""))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({
        "repos": args.repos, "base_models": len(bases), "gguf_repos": len(ggufs),
        "changed": len(changed_base) + len(changed_gguf), "changed_base": len(changed_base),
        "changed_gguf": len(changed_gguf),
        "cold_api_requests": cold_counts["api"], "cold_resolver_requests": cold_counts["resolvers"],
        "incremental_api_requests": inc_counts["api"],
        "incremental_resolver_requests": inc_counts["resolvers"],
        "listing_pages": listing_pages, "minimum_cold_api_requests": min_cold_api,
        "minimum_incremental_api_requests": min_inc_api, "target_incremental_api_requests": target_inc,
        "expected_cold_api_requests": expected_cold, "expected_incremental_api_requests": expected_inc,
        "incremental_by_kind": results["incremental_by_kind"],
        "changed_gguf_seen": results["changed_gguf_seen"], "trusted_publishers": len(trusted),
        "gguf_publishers": args.publishers,
        "cold_seconds": round(cold_s, 1), "incremental_seconds": round(inc_s, 1),
        "seconds": round(cold_s + inc_s, 1), "latency": args.latency, "workers": args.workers,
        "peak_rss_mb": round(peak, 1),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
