"""The reference site in a real headless browser (issue #21): Debian's chromium driven by Playwright
(`executable_path`, never `playwright install`). `make test` installs chromium with apt-get when it
is missing and the user is root, as CI is; elsewhere these tests skip and say why.

The site is built from a copy of the demo's release (no catalogue) and served on 127.0.0.1; the
index is also opened from file://. Every request the browser makes is recorded, and none may
leave loopback or the site's folder."""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin, urlparse
from urllib.request import urlopen

import pytest
from test_site import V4_HTML, build_without_catalogue, release_copy

from catalog.exports.page.matrix import fits
from catalog.site import charts as chart_data
from catalog.site.fmt import band
from catalog.site.serve import server

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("data:", "about:", "blob:")


@pytest.fixture(scope="module")
def site(demo_db, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("browser-site")
    release = release_copy(demo_db, root / "release")
    out = build_without_catalogue(release, root / "site").out
    httpd = server(out)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    try:
        yield {"out": out, "release": release, "url": f"http://{host}:{port}/"}
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser_context(site) -> Iterator:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (`make test` installs it as root with apt-get): "
                    "browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make)")
    profile = tempfile.mkdtemp(prefix="fitcat-chromium-")   # a fresh --user-data-dir (Playwright passes it)
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
            args=FLAGS, headless=True, viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        context.requests = requests
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
    outside = [u for u in requests if not (u.startswith((site["url"], site["out"].as_uri())) or
                                           u.startswith(LOCAL_SCHEMES))]
    assert not outside, f"requests left localhost / the site folder: {outside[:5]}"


class Page:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, context):
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("console",
                     lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def open(self, url: str):
        response = self.page.goto(url, wait_until="load")
        assert response is None or response.ok, url
        return self.page


@pytest.fixture
def browser(browser_context):
    page = Page(browser_context)
    yield page
    page.page.close()


def v4(site) -> tuple[dict, dict]:
    release = site["release"]
    page = json.loads((release / "models/deepseek-ai/deepseek-v4-flash.json").read_text())
    devices = {d["device_id"]: d for d in json.loads((release / "devices.json").read_text())}
    return page, devices


def squash(text: str) -> str:
    return " ".join(text.split())


def test_the_deepseek_v4_flash_page_shows_every_seed_section_with_the_exported_values(site, browser):
    page, devices = v4(site)
    tab = browser.open(site["url"] + V4_HTML)
    text = squash(tab.inner_text("main"))
    name = page["name"]
    headings = [squash(h) for h in tab.locator("main h2").all_inner_texts()]
    seed_order = ["Specifications", "Get Started", f"How Much VRAM Does {name} Need?",
                  f"Which GPUs Can Run {name}?", f"Which Devices Can Run {name}?", "Related Models",
                  "Frequently Asked Questions"]
    assert [h for h in headings if h in seed_order] == seed_order, headings
    assert tab.title() == f"{name} — Hardware Requirements & GPU Compatibility · fitcat"
    assert squash(page["summary"]["text"]) in text

    # Specifications, and the correction of the seed's 158.1B with its reason
    spec = page["specifications"]
    for value in ("deepseek-ai", spec["family"], "283.8B (13.3B active)", spec["architecture"],
                  "1,048,576 tokens", "129,280", spec["release_date"], spec["license"]):
        assert value in text, value
    rejected = next(c for c in spec["parameter_candidates"] if c["params_total"] == 158_100_000_000)
    assert f"158.1B (the Hub's safetensors parameter count): {rejected['rejected_reason']}" in text

    # The quant table: every exported row, in order
    rows = tab.locator("table.quants tbody tr").all_inner_texts()
    assert [squash(r).split()[0] for r in rows] == [q["quant"] for q in page["quantizations"]]
    for row, q in zip(rows, page["quantizations"], strict=True):
        assert f"{q['vram_gb']:,.1f} GB" in row and f"{q['vram_full_context_gb']:,.1f} GB" in row
        assert f"{q['file_size_gb']:,.2f} GB" in row and q["quality"] in row

    # The GPU and device lists: every fitting device by name (the tail is in a closed <details>)
    gpus = squash(tab.locator("#gpus").text_content())
    listed = squash(tab.locator("#devices").text_content())
    assert page["gpus"]["single_gpu"] and all(devices[i]["name"] in gpus for i in page["gpus"]["single_gpu"])
    others = page["devices"]["runs_great"] + page["devices"]["decent"]
    assert others and all(devices[i]["name"] in listed for i in others)
    assert squash(page["gpus"]["text"]) in text

    # Every FAQ of the seed page, answered with the export's sentence
    seed_faqs = {"vram_needed": f"How much VRAM does {name} need?",
                 "rtx_5090": f"Can NVIDIA GeForce RTX 5090 run {name}?",
                 "best_quant": f"What's the best quantization for {name}?",
                 "mac": f"Can I run {name} on a Mac?", "run_locally": f"Can I run {name} locally?",
                 "how_fast": f"How fast is {name}?", "download_size": f"What's the download size of {name}?",
                 "which_gpus": f"Which GPUs can run {name}?",
                 "which_devices": f"Which devices can run {name}?"}
    for key, question in seed_faqs.items():
        block = squash(tab.locator(f"#faq-{key.replace('_', '-')}").inner_text())
        assert block.startswith(question) and squash(page["faq"][key]["answer"]) in block, key
    formula = page["vram_formula"]
    assert f"{formula['weights_gb']:,.1f} GB (estimated)" in text

    # Provenance and the methodology link
    assert page["provenance"]["hub_sha"] in text
    tab.click("#provenance a[href$='methodology.html']")
    assert tab.locator("h1").first.inner_text().startswith("Estimates: methodology")
    assert browser.errors == []


def chart_state(tab, canvas_id: str) -> dict:
    return tab.evaluate("""id => {
        const canvas = document.getElementById(id), chart = Chart.getChart(canvas);
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
        return {width: canvas.width, height: canvas.height, painted,
                labels: chart.data.labels || [],
                datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data}))};
    }""", canvas_id)


def test_the_three_charts_render_with_the_expected_series(site, browser):
    page, devices = v4(site)
    tab = browser.open(site["url"] + V4_HTML)
    rec = page["summary"]["recommended_quant"]
    states = {c: chart_state(tab, c) for c in ("chart-memory", "chart-quants", "chart-speed")}
    for canvas, state in states.items():
        assert state["width"] > 200 and state["painted"] > 2000, (canvas, state["painted"])

    memory = states["chart-memory"]["datasets"]
    quants = [q["quant"] for q in page["memory_by_context"]["quants"]]
    lines = chart_data.memory_lines(page, devices)
    assert len(memory) == len(quants) + len(lines) and 1 <= len(lines) <= chart_data.MEMORY_LINES
    assert [d["label"].rstrip(" ★") for d in memory[:len(quants)]] == quants
    assert all(devices[line["device_id"]]["name"] in d["label"]
               for line, d in zip(lines, memory[len(quants):], strict=True))
    q4 = memory[quants.index(rec)]
    assert [p["y"] for p in q4["data"]] == page["memory_by_context"]["quants"][quants.index(rec)]["vram_gb"]
    assert [p["x"] for p in q4["data"]] == page["memory_by_context"]["context_tokens"]
    x_axis = tab.evaluate("Chart.getChart(document.getElementById('chart-memory')).scales.x.type")
    assert x_axis == "logarithmic"

    quant_sets = states["chart-quants"]["datasets"]
    bands = [band(q, "vram_gb") for q in page["quantizations"]]
    assert all(bands), "every quant of this page carries its p10-p90 band"
    assert [d["label"] for d in quant_sets] == ["Memory needed (GB)", "Error band, p10–p90 (GB)",
                                                "Bits per weight"]
    assert quant_sets[1]["data"] == [list(b) for b in bands]
    assert states["chart-quants"]["labels"] == [q["quant"] for q in page["quantizations"]]

    speed = states["chart-speed"]
    running = [f for f in fits(page, rec) if f.runs][:chart_data.SPEED_DEVICES]
    assert len(speed["datasets"]) == 1
    assert speed["labels"] == [devices[f.device_id]["name"] for f in running]
    assert speed["datasets"][0]["data"] == [f.decode_tok_s for f in running]

    # each chart's table alternative holds the same rows
    assert tab.locator("#chart-speed-figure table tbody tr").count() == len(running)
    assert tab.locator("#chart-memory-figure table tbody tr").count() == len(quants) + len(lines)
    assert browser.errors == []


def visible_rows(tab) -> list[str]:
    return tab.eval_on_selector_all("#models tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.name)")


def test_the_index_filters_by_typing_from_plain_files(site, browser):
    """Opened with file:// (no server), as a person double-clicking index.html would."""
    models = json.loads((site["release"] / "models.json").read_text())["models"]
    tab = browser.open((site["out"] / "index.html").as_uri())
    assert len(visible_rows(tab)) == len(models)

    tab.locator("#f-search").press_sequentially("deepseek")
    assert sorted(visible_rows(tab)) == sorted(m["name"] for m in models if "deepseek" in m["id"].lower())
    assert tab.inner_text("#f-status") == f"Showing 2 of {len(models)} models."
    tab.locator("#f-search").fill("")

    tab.locator("#f-my-memory").press_sequentially("24")               # an RTX 4090: 24 GiB
    fitting = [m for m in models if m["min_memory_gb"] <= 24 * 2**30 / 1e9]
    assert 0 < len(fitting) < len(models)
    assert sorted(visible_rows(tab)) == sorted(m["name"] for m in fitting)
    small = next(m for m in fitting if m["recommended_vram_gb"] <= 24 * 2**30 / 1e9)
    assert tab.locator(f"#models tr[data-name='{small['name']}'] td.fits").inner_text() == \
        f"{small['recommended_quant']} fits"

    tab.select_option("#f-publisher", "Qwen")
    assert sorted(visible_rows(tab)) == sorted(m["name"] for m in fitting if m["publisher"] == "Qwen")
    tab.locator("#f-params-min").press_sequentially("7")
    assert all(m["params_total"] >= 7e9 for m in models if m["name"] in visible_rows(tab))
    tab.click("button[type=reset]")
    tab.wait_for_function("n => document.querySelectorAll('#models tbody tr:not([hidden])').length == n",
                          arg=len(models))

    tab.click("#models th button[data-key=params]")                     # sort: smallest first
    params = [m["params_total"] for m in sorted(models, key=lambda m: m["params_total"])]
    by_name = {m["name"]: m["params_total"] for m in models}
    assert [by_name[n] for n in visible_rows(tab)] == params
    assert browser.errors == []


def test_no_page_logs_a_console_error(site, browser):
    out = site["out"]
    pages = ["index.html", "devices/index.html", "methodology.html",
             *(p.relative_to(out).as_posix() for p in sorted(out.glob("models/*/*.html"))),
             "devices/nvidia-rtx-4090.html", "devices/apple-mac-studio-m3-ultra-80c-512gb.html"]
    for rel in pages:
        browser.open(site["url"] + rel)
    assert browser.errors == []


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            external = tag == "a" and a.get("rel") == "external"         # the Hub, vendors: not ours
            if a.get(key) and not external and not a[key].startswith("data:"):
                self.links.append(a[key])


def test_every_internal_link_resolves(site):
    """Crawl from the index over HTTP: every page, script, stylesheet and #fragment it links to."""
    base = site["url"]
    seen: dict[str, set[str]] = {}
    todo, fragments = [base + "index.html"], []
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        try:
            with urlopen(url, timeout=10) as resp:
                body = resp.read()
        except HTTPError as exc:
            pytest.fail(f"{url}: {exc.code}")
        parser = Links()
        if url.endswith(".html"):
            parser.feed(body.decode("utf-8"))
        seen[url] = parser.ids
        for link in parser.links:
            target, fragment = urldefrag(urljoin(url, link))
            assert urlparse(target).scheme == "http" and target.startswith(base), f"{url} links out: {link}"
            if fragment:
                fragments.append((url, target, fragment))
            if target not in seen:
                todo.append(target)
    for url, target, fragment in fragments:
        assert fragment in seen[target], f"{url}: #{fragment} is not on {target}"
    pages = [u for u in seen if u.endswith(".html")]
    assert len(pages) == len(list(site["out"].rglob("*.html"))), "every page is reachable from the index"


def test_screenshots_of_the_model_page_at_desktop_and_phone_widths(site, browser, tmp_path):
    """Saved for a person to look at; at 390 px no page is wider than the screen (tables scroll)."""
    tab = browser.page
    for width in (1280, 390):
        tab.set_viewport_size({"width": width, "height": 900})
        browser.open(site["url"] + V4_HTML)
        shot = tmp_path / f"deepseek-v4-flash-{width}.png"
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 50_000
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        print(f"screenshot: {shot}")
    for rel in ("index.html", "methodology.html", "devices/index.html", "devices/nvidia-rtx-4090.html"):
        browser.open(site["url"] + rel)
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390, rel
    assert browser.errors == []
