"""Migrations apply once and in order; macros and views are re-created in dependency order."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from catalog import db, store


def _sql_tree(tmp_path: Path, views: dict[str, str]) -> Path:
    root = tmp_path / "sql"
    for folder in ("schema", "macros", "views"):
        (root / folder).mkdir(parents=True)
    (root / "schema" / "001_base.sql").write_text("CREATE TABLE t (x INTEGER);")
    for name, body in views.items():
        (root / "views" / f"{name}.sql").write_text(body)
    return root


def test_real_schema_applies_once_and_records_versions(tmp_path: Path) -> None:
    path = tmp_path / "c.duckdb"
    con = db.connect(path)
    first = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert first and first[0][0] == 1
    con.close()
    con = db.connect(path)  # a second open applies nothing new and keeps the data
    assert db.migrate(con) == []
    assert con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall() == first


def test_objects_are_re_created_only_when_their_files_or_the_schema_change(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {"v": "CREATE OR REPLACE VIEW v AS SELECT x FROM t;"})
    con = duckdb.connect()
    db.migrate(con, root)
    db.apply_objects(con, root)
    con.execute("CREATE OR REPLACE VIEW v AS SELECT 'mine' AS x")    # a marker the next apply would undo
    db.apply_objects(con, root)                                        # same files, same schema: skipped
    assert con.execute("SELECT x FROM v").fetchall() == [("mine",)]
    (root / "views" / "v.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT x + 1 AS x FROM t;")
    db.apply_objects(con, root)                                        # a file changed: re-created
    con.execute("INSERT INTO t VALUES (1)")
    assert con.execute("SELECT x FROM v").fetchall() == [(2,)]
    con.execute("CREATE OR REPLACE VIEW v AS SELECT 'mine' AS x")
    (root / "schema" / "002_more.sql").write_text("ALTER TABLE t ADD COLUMN y INTEGER;")
    db.migrate(con, root)
    db.apply_objects(con, root)                                        # the schema changed: re-created
    assert con.execute("SELECT x FROM v").fetchall() == [(2,)]
    db.apply_objects(con, root, force=True)
    assert con.execute("SELECT count(*) FROM schema_objects").fetchone() == (1,)


def test_every_sql_object_file_is_named_after_its_object() -> None:
    from catalog.paths import SQL_DIR

    for folder, kind in (("macros", "MACRO"), ("views", "VIEW")):
        for file in (SQL_DIR / folder).glob("*.sql"):
            text = " ".join(file.read_text().split())
            assert f"CREATE OR REPLACE {kind} {file.stem}" in text, file


def test_views_are_created_in_dependency_order_whatever_the_file_order(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {
        "a_top": "CREATE OR REPLACE VIEW a_top AS SELECT x FROM b_middle;",
        "b_middle": "CREATE OR REPLACE VIEW b_middle AS SELECT x FROM c_bottom;",
        "c_bottom": "CREATE OR REPLACE VIEW c_bottom AS SELECT x FROM t;",
    })
    con = duckdb.connect()
    db.migrate(con, root)
    db.apply_objects(con, root)
    con.execute("INSERT INTO t VALUES (7)")
    assert con.execute("SELECT x FROM a_top").fetchall() == [(7,)]


def test_a_table_macro_over_views_and_a_view_over_it_are_created(tmp_path: Path) -> None:
    """DuckDB binds a table macro's body when it is created: one over a view waits for the view."""
    root = _sql_tree(tmp_path, {
        "a_view": "CREATE OR REPLACE VIEW a_view AS SELECT x FROM t;",
        "z_user": "CREATE OR REPLACE VIEW z_user AS SELECT * FROM m_table(2);",
    })
    (root / "macros" / "m_table.sql").write_text(
        "CREATE OR REPLACE MACRO m_table(k) AS TABLE SELECT x * k AS y FROM a_view;")
    con = duckdb.connect()
    db.migrate(con, root)
    db.apply_objects(con, root)
    con.execute("INSERT INTO t VALUES (3)")
    assert con.execute("SELECT y FROM z_user").fetchall() == [(6,)]


def test_an_upgrade_where_a_view_uses_a_column_its_input_gains_applies(tmp_path: Path) -> None:
    """The catalogue holds last release's b_input (no `y`); this release's a_user reads b_input.y."""
    con = duckdb.connect()
    db.migrate(con, _sql_tree(tmp_path / "old", {
        "b_input": "CREATE OR REPLACE VIEW b_input AS SELECT x FROM t;"}))
    db.apply_objects(con, tmp_path / "old" / "sql")
    new = _sql_tree(tmp_path / "new", {
        "a_user": "CREATE OR REPLACE VIEW a_user AS SELECT y FROM b_input WHERE y > 1;",
        "b_input": "CREATE OR REPLACE VIEW b_input AS SELECT x, x * 2 AS y FROM t;"})
    db.apply_objects(con, new)
    con.execute("INSERT INTO t VALUES (1), (3)")
    assert con.execute("SELECT y FROM a_user ORDER BY y").fetchall() == [(2,), (6,)]


def test_a_view_that_can_never_be_created_is_an_error_naming_its_file(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {"broken": "CREATE OR REPLACE VIEW broken AS SELECT * FROM nowhere;"})
    con = duckdb.connect()
    db.migrate(con, root)
    with pytest.raises(db.MigrationError, match=r"broken\.sql"):
        db.apply_objects(con, root)


def test_editing_an_applied_migration_is_refused(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {})
    con = duckdb.connect()
    db.migrate(con, root)
    (root / "schema" / "001_base.sql").write_text("CREATE TABLE t (x INTEGER, y INTEGER);")
    with pytest.raises(db.MigrationError, match="edited after it was applied"):
        db.migrate(con, root)


def test_a_failing_migration_leaves_no_trace(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {})
    (root / "schema" / "002_bad.sql").write_text("CREATE TABLE u (y INTEGER); SELECT * FROM nope;")
    con = duckdb.connect()
    with pytest.raises(duckdb.CatalogException):
        db.migrate(con, root)
    assert con.execute("SELECT version FROM schema_migrations").fetchall() == [(1,)]
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert "u" not in tables


def test_badly_named_migration_is_an_error(tmp_path: Path) -> None:
    root = _sql_tree(tmp_path, {})
    (root / "schema" / "2_oops.sql").write_text("SELECT 1;")
    with pytest.raises(db.MigrationError, match=r"2_oops\.sql"):
        db.migrations(root)


def test_a_transaction_inside_another_joins_it_and_rolled_back_discards_both() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), store.transaction(con):
        store.insert_rows(con, "t", [{"x": 1}])
        with store.transaction(con):          # joins: no nested BEGIN error
            store.insert_rows(con, "t", [{"x": 2}])
        raise ZeroDivisionError                # the outer one rolls both back
    with store.rolled_back(con):
        with store.transaction(con):          # commits nothing on its own
            store.insert_rows(con, "t", [{"x": 3}, {"x": None}])
        assert con.execute("SELECT count(*) FROM t").fetchone() == (2,)
    with store.transaction(con):
        store.insert_rows(con, "t", [{"x": 4}])
    assert con.execute("SELECT list(x) FROM t").fetchone() == ([4],)
