"""docs/analysts.md documents every column of every view, and every example query runs on the demo."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "analysts.md"
VIEWS_DIR = ROOT / "sql" / "views"


def documented_columns(text: str) -> dict[str, set[str]]:
    """{view: columns} from the `### view` sections: a `| `col` | unit | meaning |` table (several
    backticked names may share a row), or "Same columns as `other`."."""
    views_part = text.split("## Views", 1)[1].split("## Worked queries", 1)[0]
    sections = re.split(r"^### +(\w+)\s*$", views_part, flags=re.M)[1:]
    docs: dict[str, set[str]] = {}
    same_as: dict[str, str] = {}
    for name, body in zip(sections[0::2], sections[1::2], strict=True):
        cols: set[str] = set()
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
            if len(cells) >= 3 and cells[0].startswith("`"):
                assert all(cells[:3]), f"{name}: a column row needs a name, a unit (or —), a meaning: {line}"
                cols.update(re.findall(r"`(\w+)`", cells[0]))
        match = re.search(r"Same columns as `(\w+)`", body)
        if match:
            same_as[name] = match.group(1)
        docs[name] = cols
    for name, other in same_as.items():
        docs[name] |= docs[other]
    return docs


def sql_blocks(text: str) -> list[str]:
    return re.findall(r"```sql\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def con(demo_db):
    con = duckdb.connect(str(demo_db), read_only=True)
    yield con
    con.close()


def test_every_view_and_column_is_documented(con):
    docs = documented_columns(DOC.read_text())
    views = sorted(p.stem for p in VIEWS_DIR.glob("*.sql"))
    in_db = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW'").fetchall()}
    assert set(views) <= in_db, "every sql/views file creates the view it is named after"
    missing_views = [v for v in views if v not in docs]
    assert not missing_views, f"views without a `### view` section in {DOC.name}: {missing_views}"
    missing, stale = [], []
    for view in views:
        actual = [r[0] for r in con.execute(
            """SELECT column_name FROM information_schema.columns
               WHERE table_name = ? ORDER BY ordinal_position""", [view]).fetchall()]
        missing += [f"{view}.{c}" for c in actual if c not in docs[view]]
        stale += [f"{view}.{c}" for c in sorted(docs[view] - set(actual))]
    assert not missing, f"columns not documented in {DOC.name}: {missing}"
    assert not stale, f"documented columns that the views do not have: {stale}"


def test_every_example_query_runs_on_the_demo(con):
    queries = sql_blocks(DOC.read_text())
    assert len(queries) >= 10
    failures = []
    for i, query in enumerate(queries, 1):
        try:
            con.execute(query).fetchall()
        except duckdb.Error as exc:
            failures.append(f"query {i}: {exc}")
    assert not failures, failures


def test_the_named_questions_have_answers(con):
    """The issue's three example questions return what the catalogue knows on the demo."""
    q = {i: query for i, query in enumerate(sql_blocks(DOC.read_text()), 1)}
    seventy_b = con.execute(q[1]).fetchall()
    assert [r[0] for r in seventy_b] == ["Qwen/Qwen3-Next-80B-A3B-Instruct"]
    assert all(r[2] <= r[3] for r in seventy_b)  # the VRAM fits the card's usable memory
    macs = con.execute(q[2]).fetchall()
    assert macs and all("Mac" in r[0] for r in macs)
    assert any("512 GB" in r[0] for r in macs)
    disagree = con.execute(q[3]).fetchall()
    assert disagree[0][0] == "deepseek-ai/DeepSeek-V4-Flash" and disagree[0][3] == 158_100_000_000


def test_the_doc_parser_catches_a_missing_column():
    text = DOC.read_text().replace("| `headroom_gb` |", "| headroom_gb |", 1)
    assert "headroom_gb" not in documented_columns(text)["device_fit"]
