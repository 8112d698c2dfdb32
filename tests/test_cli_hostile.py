"""Every sub-command, driven with generated hostile arguments (NaN, infinities, negatives, huge
numbers, missing files, folders, non-JSON and non-TOML files, unicode, empty strings): it fails
with a documented non-zero exit code and one line naming the input, never a traceback, and
writes nothing (the catalogue, the exports and the working folder are byte for byte as before).

Each example changes one option of a command line that works (the first test checks it does), so
a failure is the hostile value's doing.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import paths
from catalog.cli import main
from catalog.commands import COMMANDS
from catalog.commands.errors import CODES

LLAMA_CONFIG = str(paths.SAMPLE_HUB / "repos/meta-llama/Llama-3.1-8B-Instruct/config.json")

NUMBERS = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "-1", "0", "-0", "1e400", "1e999", "",
                     " ", "abc", "1,5.5", "0x10", "١e999", "1e15000", "--", "½"]),
    st.floats().filter(lambda x: not (math.isfinite(x) and x > 0)).map(repr),
    st.text().filter(lambda t: not _is_float(t)),
)
COUNTS = st.one_of(
    st.sampled_from(["0", "-1", "1.5", "nan", "inf", "", "1e3", "99999999999999999999", "٣", "0x10"]),
    st.integers(max_value=0).map(str),
    st.integers(min_value=10**10).map(str),
)
PORTS = st.one_of(st.sampled_from(["-1", "65536", "nan", "1.5", "", "٣", "0x50", "http"]),
                  st.integers(max_value=-1).map(str), st.integers(min_value=65536).map(str))
NAMES = st.one_of(st.just(""), st.just("   "), st.text().map(lambda t: "§" + t))   # names nothing
CHOICE = st.text().filter(lambda t: t not in ("f16", "q8_0", "q4_0", "on", "off", "gpu", "soc", "superchip",
                                              "system", "cuda", "rocm", "metal", "vulkan", "cpu"))
URLS = st.sampled_from(["", "nan", "ftp://example.org", "http://", "huggingface.co", "http://[::1",
                        "http://host:99999", "https://", "☃://x", "http:// /"])
SQL = st.one_of(
    st.sampled_from(["", "   ", "COPY (SELECT 1) TO 'out.csv'", "ATTACH 'other.duckdb'", "INSTALL httpfs",
                     "LOAD httpfs", "SELECT * FROM read_csv('/etc/passwd')", "EXPORT DATABASE 'dump'",
                     "SET enable_external_access = true", "CREATE TABLE x AS SELECT 1",
                     "DROP VIEW models", "SELECT * FROM nowhere", "SELECT 'a'::INT", "SELECT error('boom')",
                     "PRAGMA nope"]),
    st.text().map(lambda t: "§" + t),
)


def _is_float(text: str) -> bool:
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def workspace(demo_db, tmp_path_factory) -> Path:
    """A copy of the demo catalogue, an exports folder, a working folder and hostile input files."""
    root = tmp_path_factory.mktemp("hostile")
    shutil.copy(demo_db, root / "catalog.duckdb")
    (root / "exports").mkdir()
    (root / "cwd").mkdir()
    inputs = root / "inputs"
    (inputs / "a-folder").mkdir(parents=True)
    (inputs / "notes.md").write_text("Not JSON {, not TOML [\n")
    (inputs / "binary.bin").write_bytes(bytes(range(256)))
    (inputs / "array.json").write_text("[1, 2, 3]")
    os.mkfifo(inputs / "a-pipe")                  # a file that is not a regular one (like /dev/null)
    (inputs / "bad-types.toml").write_text('[hub]\nmax_workers = "four"\n')
    (inputs / "unknown.toml").write_text("[hub]\nno_such_key = 1\n")
    (inputs / "negative.toml").write_text("[hub]\nper_author = -5\n")
    assert main(["--db", str(root / "catalog.duckdb"), "export", "--out", str(root / "exports")]) == 0
    return root


def _files(inputs: Path, *names: str) -> st.SearchStrategy[str]:
    missing = ["", "does-not-exist.json", "ñö/✓ missing.json", "a-folder"]
    return st.sampled_from([str(inputs / n) if n else "" for n in (*missing, *names)])


POSITIONAL = "<positional>"


def hostile_options(inputs: Path) -> dict[str, list[tuple[str, st.SearchStrategy[str]]]]:
    """Per command: (option, hostile values); POSITIONAL replaces the positional argument."""
    configs = _files(inputs, "notes.md", "binary.bin", "array.json", "a-pipe")
    toml = _files(inputs, "notes.md", "binary.bin", "a-pipe", "bad-types.toml", "unknown.toml",
                  "negative.toml")
    out = st.sampled_from(["", "/dev/null", str(inputs / "notes.md"), str(inputs / "a-pipe")])
    # A folder, nothing, a text file; readers also refuse a missing file (writers create it).
    written = st.sampled_from([str(inputs / n) if n else ""
                               for n in ("a-folder", "", "notes.md", "binary.bin")])
    db = st.one_of(written, st.just(str(inputs / "missing.duckdb")))
    return {
        "show": [(POSITIONAL, NAMES), ("--quant", NAMES), ("--context", COUNTS), ("--width", COUNTS),
                 ("--out", out), ("--db", db)],
        "fit": [("--device", NAMES), ("--memory-gb", NUMBERS), ("--bandwidth-gbps", NUMBERS),
                ("--gpus", COUNTS), ("--context", COUNTS), ("--limit", COUNTS), ("--kv-type", CHOICE),
                ("--flash-attention", CHOICE), ("--backend", CHOICE), ("--min-params", NUMBERS),
                ("--max-params", NUMBERS), ("--db", db)],
        "models": [("--min-params", NUMBERS), ("--max-params", NUMBERS), ("--min-context", COUNTS),
                   ("--db", db)],
        "devices": [("--min-memory-gb", NUMBERS), ("--kind", CHOICE), ("--db", db)],
        "doctor": [("--stale-days", NUMBERS), ("--db", db)],
        "sql": [(POSITIONAL, SQL), ("--max-rows", COUNTS), ("--db", db),
                ("--parquet", st.sampled_from(["", *(str(inputs / n) for n in (
                    "a-pipe", "notes.md", "a-folder", "no/such/folder.pq"))]))],
        "export": [("--out", out), ("--db", db)],
        "estimate": [("--config", configs), ("--params", NUMBERS), ("--active-params", NUMBERS),
                     ("--file-size", NUMBERS), ("--context", COUNTS), ("--quant", NAMES),
                     ("--device", NAMES), ("--memory-gb", NUMBERS), ("--bandwidth-gbps", NUMBERS),
                     ("--gpus", COUNTS), ("--kv-type", CHOICE), ("--profile", NAMES), ("--db", db)],
        "refresh": [("--endpoint", URLS), ("--out", out), ("--settings", toml), ("--db", written),
                    ("--dask-address", URLS)],
        "demo": [("--out", out), ("--settings", toml), ("--db", written), ("--dask-address", URLS)],
        "site": [("--exports", st.sampled_from(["", *(str(inputs / n) for n in (
                     "notes.md", "a-folder", "missing", "a-pipe"))])),
                 ("--out", st.sampled_from(["", "/dev/null", str(inputs), *(str(inputs / n) for n in (
                     "notes.md", "a-pipe"))])),
                 ("--port", PORTS)],
        "serve": [("--endpoint", URLS), ("--out", out), ("--settings", toml), ("--server-port", COUNTS),
                  ("--cron", st.sampled_from(["", "nope", "61 * * * *", "* * *", "§"])),
                  ("--timezone", st.sampled_from(["", "Mars/Olympus", "UTC+99", "../etc/passwd"])),
                  ("--db", written)],
    }


# A command line of each that works (checked below); hostile examples change one option of it.
WORKING = {
    "show": ["Llama-3.1-8B"], "fit": ["--device", "rtx 4090"], "models": [], "devices": [],
    "doctor": [], "sql": ["SELECT 1"], "export": [],
    "estimate": ["--config", LLAMA_CONFIG, "--params", "8e9", "--device", "rtx 4090"],
    "refresh": ["--endpoint", "http://127.0.0.1:9"], "demo": [], "serve": [],
    "site": ["--exports", "{workspace}/exports", "--out", "{workspace}/site"],
}


def _argv(workspace: Path, command: str, option: str | None = None, value: str = "") -> list[str]:
    """The working command line, with `option` (if given) set to `value`."""
    base = [arg.format(workspace=workspace) for arg in WORKING[command]]
    if option == POSITIONAL:
        base = [value, *base[1:]]
    elif option in base:
        i = base.index(option)
        del base[i:i + 2]
    db = value if option == "--db" else str(workspace / "catalog.duckdb")
    tail = [option, value] if option not in (None, POSITIONAL, "--db") else []
    return ["--db", db, command, *base, *tail]


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _started(*args, **kwargs):
    raise AssertionError("a hostile command line started a long-running service")


@pytest.fixture
def isolated(workspace, monkeypatch) -> Iterator[Path]:
    from catalog.commands import serve
    from catalog.orchestration import prefect_server

    monkeypatch.setattr(serve, "serve", _started)        # an accepted hostile line fails, not hangs
    monkeypatch.setattr(prefect_server, "start", _started)
    monkeypatch.chdir(workspace / "cwd")
    monkeypatch.setenv("FITCAT_EXPORTS", str(workspace / "exports"))
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield workspace
    for sig, handler in handlers.items():   # `serve` installs its own; the test process keeps pytest's
        signal.signal(sig, handler)


@pytest.mark.slow  # eight commands run for real
def test_every_command_has_hostile_cases_and_a_working_line(isolated, capsys):
    assert set(hostile_options(isolated / "inputs")) == set(COMMANDS) == set(WORKING)
    for command in ("show", "fit", "models", "devices", "doctor", "sql", "estimate", "site"):
        code = main(_argv(isolated, command))
        assert code == 0, (command, capsys.readouterr().err)
    capsys.readouterr()


@pytest.mark.slow  # hundreds of generated arguments
@pytest.mark.parametrize("command", COMMANDS)
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_arguments_fail_cleanly_and_write_nothing(command, isolated, capsys, data):
    option, values = data.draw(st.sampled_from(hostile_options(isolated / "inputs")[command]), label="option")
    value = data.draw(values, label="value")
    argv = _argv(isolated, command, option, value)
    before = _snapshot(isolated)
    try:
        code = main(argv)
    except SystemExit as exc:                  # argparse: usage and one line naming the option
        code = exc.code
    out, err = capsys.readouterr()
    assert code != 0 and code in CODES, (argv, code, err)
    assert "Traceback" not in out + err, argv
    last = [line for line in err.splitlines() if line.strip()][-1]
    assert last.startswith(f"fitcat {command}") or last.startswith("fitcat: error"), (argv, err)
    assert "a bug?" not in err, (argv, err)          # an anticipated refusal, not a caught crash
    assert _snapshot(isolated) == before, argv
