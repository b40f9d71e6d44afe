"""Migrations: the migrated schema matches the models on both databases, revision files are named in order, no
revision imports the app, and every revision upgrades and downgrades with rows in the database."""
import ast
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, inspect, select, table

from inclusive_access.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
VERSIONS = MIGRATIONS / "versions"
#: the revisions that change only the schema (and 0001, whose only data is the pathways every test reads): each
#: keeps every row of the tables it keeps, both ways. Every other revision changes data and has its own
#: test_migration_NNNN.py beside this file, upgrading rows written at the revision before and downgrading back.
SCHEMA_ONLY = ("0001", "0006", "0007", "0008", "0009", "0013", "0015", "0016", "0018", "0019", "0021", "0022",
               "0023", "0024", "0025", "0026", "0027", "0028", "0029", "0031", "0032", "0033", "0034", "0035", "0036",
               "0037", "0038", "0039", "0040", "0041")


def schema_diff(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, db.metadata)


def test_migrated_schema_equals_the_models(db_session):
    diff = schema_diff(db_session.connection())
    assert diff == [], "\n".join(map(str, diff))


def test_the_comparison_would_notice_a_difference(db_session):
    """Guard against a vacuous pass: a table the models do not know is reported."""
    connection = db_session.connection()
    connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    diff = schema_diff(connection)
    assert [d[0] for d in diff] == ["remove_table"]
    assert diff[0][1].name == "stray"


def test_every_model_table_is_migrated(db_session):
    tables = set(inspect(db_session.connection()).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_database_is_at_the_head_revision(db_session):
    script = ScriptDirectory.from_config(_alembic_config())
    current = MigrationContext.configure(db_session.connection()).get_current_heads()
    assert set(current) == set(script.get_heads())
    assert len(script.get_heads()) == 1


def _alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def test_revision_file_names_are_numbered_and_lower_case():
    names = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert names, "no migrations found"
    bad = [n for n in names if not re.fullmatch(r"^\d{4}_[a-z0-9_]+\.py$", n)]
    assert bad == []


def test_revision_ids_follow_the_file_numbers():
    script = ScriptDirectory.from_config(_alembic_config())
    revisions = list(script.walk_revisions())
    assert revisions
    for revision in revisions:
        assert Path(revision.path).name.startswith(f"{revision.revision}_"), revision.path
    # one linear history: 0001, 0002, ... each revising the one before
    numbers = sorted(int(r.revision) for r in revisions)
    assert numbers == list(range(1, len(numbers) + 1))
    for revision in revisions:
        expected = None if revision.revision == "0001" else f"{int(revision.revision) - 1:04d}"
        assert revision.down_revision == expected


# --- Frozen revisions: a revision carries the code it needs, never imports today's ---------------

def app_imports(source: str) -> list[str]:
    """The modules of the app (inclusive_access) that Python source imports, by `import`, `from ... import` or
    importlib / __import__ with a literal name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            function = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            names = [node.args[0].value] if function in ("import_module", "__import__") else []
        else:
            continue
        found += [name for name in names if isinstance(name, str) and name.split(".")[0] == "inclusive_access"]
    return found


def test_no_revision_imports_the_app():
    """An old revision importing today's code would do something else whenever that code changes: each carries a
    frozen copy of the pure code it needs instead."""
    files = sorted(VERSIONS.rglob("*.py"))
    assert files
    found = {path.name: names for path in files if (names := app_imports(path.read_text(encoding="utf-8")))}
    assert found == {}


@pytest.mark.parametrize("source", [
    "import inclusive_access",
    "import os, inclusive_access.domain.clocks as clocks",
    "from inclusive_access.domain import clocks",
    "from inclusive_access import extensions",
    "def f():\n    from inclusive_access.domain.facts import replay",
    "import importlib\nfacts = importlib.import_module('inclusive_access.domain.facts')",
])
def test_the_import_check_would_notice_an_app_import(source):
    assert app_imports(source) != []


def test_the_import_check_passes_over_other_imports():
    assert app_imports("import sqlalchemy as sa\nfrom alembic import op\nfrom . import sibling\n"
                       "# inclusive_access.domain.clocks, frozen below\n") == []


# --- Data: every revision upgrades and downgrades with rows in the database ----------------------

def test_every_revision_is_tested_with_data():
    revisions = {r.revision for r in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
    own = {p.stem.removeprefix("test_migration_") for p in Path(__file__).parent.glob("test_migration_*.py")}
    assert own.isdisjoint(SCHEMA_ONLY)
    assert own | set(SCHEMA_ONLY) == revisions, "a new revision: add it to SCHEMA_ONLY or give it a data test"


def snapshot() -> dict[str, dict[str, list]]:
    """Every table's rows but alembic_version's, as column -> values, rows in a stable order."""
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        tables = {}
        for name in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
            columns = sorted(c["name"] for c in inspector.get_columns(name))
            rows = sorted(conn.execute(select(table(name, *(column(c) for c in columns)))).all(), key=repr)
            tables[name] = {c: [row[i] for row in rows] for i, c in enumerate(columns)}
    return tables


def in_common(tables: dict, other: dict) -> dict[str, list[tuple]]:
    """The rows of the tables both snapshots have, in the columns both have, in a stable order."""
    shared = {}
    for name in tables.keys() & other.keys():
        columns = sorted(tables[name].keys() & other[name].keys())
        shared[name] = sorted(zip(*(tables[name][c] for c in columns), strict=True), key=repr)
    return shared


def test_each_schema_only_revision_keeps_every_row_both_ways(demo_app):
    """From the demo data at the head, down one revision at a time. At each schema-only revision, from the revision
    before it: up through it, with every row kept; then down again, to exactly the rows there were."""
    for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions():  # the head first
        revision, previous = script.revision, script.down_revision or "base"
        downgrade(revision=previous)
        if revision not in SCHEMA_ONLY:
            continue
        below = snapshot()
        if revision != "0001":  # rows to keep in the main tables
            assert all(below[name]["created_at"] for name in ("users", "patients", "referrals")), revision
            assert below["events"]["seq"], revision

        upgrade(revision=revision)
        above = snapshot()
        assert in_common(above, below) == in_common(below, above), revision
        assert set(below) <= set(above), revision

        downgrade(revision=previous)
        assert snapshot() == below, revision
