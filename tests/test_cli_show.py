"""`fitcat show`: every section of the seed page, right where the seed is wrong; JSON = exported page."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import duckdb
import pytest
from rich.console import Console

from catalog.cli import main
from catalog.commands import show
from catalog.exports.page import build_model_page
from catalog.exports.page.matrix import fits
from catalog.exports.validate import SCHEMAS, schema_errors

SNAPSHOT = Path(__file__).parent / "snapshots" / "show_deepseek-v4-flash.txt"
REPO = "deepseek-ai/DeepSeek-V4-Flash"
SECTIONS = [
    "DeepSeek-V4-Flash — Hardware Requirements & GPU Compatibility",
    "Specifications",
    "Get Started",
    "How Much VRAM Does DeepSeek-V4-Flash Need?",
    "Which GPUs Can Run DeepSeek-V4-Flash?",
    "Which Devices Can Run DeepSeek-V4-Flash?",
    "How Fast Is DeepSeek-V4-Flash?",
    "Memory Formula",
    "Related Models",
    "Frequently Asked Questions",
]


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    """Piped output is 160 columns unless $COLUMNS says otherwise, and xdist workers set it to 80."""
    monkeypatch.setenv("COLUMNS", "160")


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def render_text(db: Path, repo: str = REPO, **kw) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        page = show.model_page(con, repo, context_tokens=kw.pop("context", None))
        devices = show.device_info(con)
    finally:
        con.close()
    console = Console(width=120, record=True, color_system=None, file=open(os.devnull, "w"))  # noqa: SIM115
    show.render(page, console, devices=devices, **kw)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def test_show_layout_matches_the_snapshot(demo_db):
    text = render_text(demo_db)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\d\d:\d\d:\d\d", text), (
        "the snapshot must hold no timestamp"
    )
    if os.environ.get("FITCAT_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(text)
    assert SNAPSHOT.exists(), f"no snapshot: FITCAT_UPDATE_SNAPSHOTS=1 writes it; check and commit {SNAPSHOT}"
    assert text == SNAPSHOT.read_text(), f"layout changed; FITCAT_UPDATE_SNAPSHOTS=1 to accept ({SNAPSHOT})"


def test_show_has_every_seed_section_and_corrects_the_seed(demo_db, capsys):
    code, out, err = _cli(capsys, "--db", str(demo_db), "show", REPO)
    assert code == 0, err
    positions = [out.find(s) for s in SECTIONS]
    assert -1 not in positions, [s for s, p in zip(SECTIONS, positions, strict=True) if p == -1]
    assert positions == sorted(positions), "sections are in the seed page's order"
    # The seed's 158.1B is the packed-FP4 undercount: the real count is shown, the undercount explained.
    assert "283.8B total, 13.3B active per token (from architecture)" in out
    assert "safetensors_raw says 158.1B: not used" in out
    # No real GGUF build is known: no GGUF link, and every ladder quant is an estimate of 283.8B params
    # sized from the architecture (not the seed's 158.1B-based "file sizes"), Q4_K_M recommended.
    started = out[out.find(SECTIONS[2]) : out.find(SECTIONS[3])]
    assert "huggingface.co/deepseek-ai/DeepSeek-V4-Flash" in started
    assert "GGUF" not in started and "llama-server" not in started
    table = out[out.find(SECTIONS[3]) : out.find(SECTIONS[4])]
    for quant, bits, size in [("IQ2_XXS*", "2.09", "74.06 GB"), ("Q4_K_M* ★", "4.84", "171.61 GB"),
                              ("Q8_0*", "8.50", "301.69 GB")]:      # *: an estimate
        assert re.search(rf"{re.escape(quant)}\s+{bits}\s.*{re.escape(size)}\s", table), quant
    assert "No GGUF build is known: sizes are estimated" in " ".join(table.split())
    # The seed says no single GPU fits while quoting an MI300X speed: here an MI300X (192 GB) fits
    # Q4_K_M (~171.6 GB); an H200 (141 GB) does not, and is offered as a pair.
    gpus = out[out.find(SECTIONS[4]) : out.find(SECTIONS[5])]
    assert "No single GPU" not in gpus and "6 single GPUs can run it" in gpus  # with B300, MI350X
    for gpu in ("AMD Instinct MI300X", "NVIDIA B200 (HGX, 180GB)"):
        assert re.search(rf"{re.escape(gpu)}\s+\d+ GiB\s+Decent\s.*~\d+ tok/s", gpus), gpu
    assert re.search(r"AMD Instinct MI355X\s+288 GiB\s+Runs great", gpus)
    assert "Otherwise: 2× NVIDIA H200 NVL" in gpus
    assert not re.search(r"NVIDIA H200 SXM\s+141 GiB", gpus)
    devices = out[out.find(SECTIONS[5]) : out.find(SECTIONS[6])]
    assert "Mac Studio M3 Ultra 80-core GPU, 512 GB" in devices and "NVIDIA DGX B200" in devices
    assert re.search(r"\d+ unified-memory devices and systems can run DeepSeek-V4-Flash, the 10 most",
                     devices)
    formula = out[out.find(SECTIONS[7]) : out.find(SECTIONS[8])]
    assert "283.8B × 4.837 bits ÷ 8 = 171.61 GB" in formula
    faq = out[out.find(SECTIONS[9]) :]
    assert "No GGUF build of DeepSeek-V4-Flash is known; estimated" in faq
    assert "at full 1,048,576 tokens" in formula


@pytest.mark.slow  # an export, then every page figure compared with the terminal's
def test_terminal_and_json_agree(demo_db, capsys, tmp_path, monkeypatch):
    """--json is the page as `fitcat export` writes it: the published file when one holds this
    content (its generated_at kept), else the page stamped now; valid against the page schema."""
    monkeypatch.setenv("FITCAT_EXPORTS", str(tmp_path / "none-published"))
    code, out, _ = _cli(capsys, "--db", str(demo_db), "show", REPO, "--json")
    assert code == 0
    page = json.loads(out)
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        built = json.loads(json.dumps(build_model_page(con, REPO)))
    finally:
        con.close()
    assert page["generated_at"] and page == dict(built, generated_at=page["generated_at"])
    assert not schema_errors(page, SCHEMAS["models/*.json"], "show --json")
    exports = tmp_path / "exports"
    assert main(["--db", str(demo_db), "export", "--out", str(exports)]) == 0
    capsys.readouterr()
    code, out, _ = _cli(capsys, "--db", str(demo_db), "show", REPO, "--json", "--out", str(exports))
    published = exports / "latest" / "models" / "deepseek-ai" / "deepseek-v4-flash.json"
    assert json.loads(out) == json.loads(published.read_text())        # the very page published
    text = render_text(demo_db)
    q4 = next(q for q in page["quantizations"] if q["quant"] == "Q4_K_M")
    assert f"{q4['vram_gb']:,.1f} GB" in text
    mi300x = next(e for e in fits(page, "Q4_K_M") if e.device_id == "amd-mi300x")
    assert re.search(rf"AMD Instinct MI300X .* ~{mi300x.decode_tok_s:,.0f} tok/s", text)


@pytest.mark.slow  # the page recomputed at four contexts
def test_context_flag_shows_the_page_at_that_context(demo_db, capsys):
    """--context N: the page built at N, its fits the fit_estimate macro's at N (the one definition
    the device_fit view holds at 2,048 and the full context only)."""
    code, out, err = _cli(capsys, "--db", str(demo_db), "show", "V4-Flash", "--context", "131072", "--json")
    assert code == 0, err
    page = json.loads(out)
    assert page["fit"]["context_tokens"] == page["gpus"]["context_tokens"] == 131072
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        built = json.loads(json.dumps(build_model_page(con, REPO, context_tokens=131072)))
        assert page == dict(built, generated_at=page["generated_at"])
        rows = dict(con.execute(
            """SELECT device_id, decode_tok_s
               FROM fit_estimate('devices', repo_name := ?, ctx_tokens := 131072)
               WHERE is_default AND quant = 'Q4_K_M' AND verdict <> 'too_small'""", [REPO]).fetchall())
        at_2k = build_model_page(con, REPO)
    finally:
        con.close()
    at_ctx = {e.device_id: e.decode_tok_s for e in fits(page, "Q4_K_M") if e.runs}
    assert at_ctx.keys() == rows.keys()
    assert all(at_ctx[d] == pytest.approx(rows[d], rel=0.005) for d in rows)
    slower = {e.device_id: e.decode_tok_s for e in fits(at_2k, "Q4_K_M") if e.runs}
    assert all(at_ctx[d] < slower[d] for d in at_ctx)           # a deeper KV cache is read per token
    text = render_text(demo_db, context=131072, quant="Q8_0")
    assert "VRAM @ 2,048" in text and "Estimated decode speed at Q8_0" in text and "131,072 tokens)" in text


def test_fuzzy_repo_and_errors(demo_db, capsys):
    code, out, _ = _cli(capsys, "--db", str(demo_db), "show", "llama-3.1-8b-instruct")
    assert code == 0 and "Llama-3.1-8B-Instruct" in out
    code, _, err = _cli(capsys, "--db", str(demo_db), "show", "deepsek-v4-flsh")
    assert code == 4
    assert "not in the catalogue" in err and "deepseek-ai/DeepSeek-V4-Flash" in err
    code, _, err = _cli(capsys, "--db", str(demo_db), "show", "deepseek")
    assert code == 4 and "matches 2" in err and "deepseek-ai/DeepSeek-V3" in err
    code, _, err = _cli(capsys, "--db", str(demo_db), "show", REPO, "--quant", "Q9_X")
    assert code == 2 and "has no quant 'Q9_X'" in err and "Q4_K_M" in err
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(demo_db), "show", REPO, "--context", "0"])
    assert exc.value.code == 2 and "--context" in capsys.readouterr().err
    code, _, err = _cli(capsys, "--db", str(demo_db), "show", "Qwen2-0.5B", "--context", "65536")
    assert code == 2 and "beyond" in err


@pytest.mark.parametrize(
    "repo", ["Qwen/Qwen2-0.5B-Instruct", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen3-30B-A3B"]
)
def test_show_renders_every_model(demo_db, repo):
    text = render_text(demo_db, repo)
    name = repo.split("/")[1]
    for section in SECTIONS[1:]:
        assert section.replace("DeepSeek-V4-Flash", name) in text
