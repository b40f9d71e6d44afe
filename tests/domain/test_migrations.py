"""Migrations: the migrated schema matches the models on both databases, and revision files are named in order."""
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from inclusive_access.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
VERSIONS = MIGRATIONS / "versions"


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
