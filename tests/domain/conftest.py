"""Fixtures for the domain tests: the staff who act (one of each role the tests name), and for the migration tests
an app over an empty database, or over one at the head holding the demo data, each in its app context for a test
that upgrades and downgrades the database itself."""
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from inclusive_access import demo
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from tests.conftest import _admin, make_app
from tests.factories import make_user

#: the demo data every migration test with a year of history starts from (loaded once per database engine)
DEMO = {"patients": 25, "referrals": 40, "seed": 11}


@pytest.fixture
def booker(db_session):
    """A booking-team member, username "booker"."""
    return actor_for(make_user(db_session, role="booking", username="booker"))


@pytest.fixture
def clinician(db_session):
    """A clinician, username "clinician"."""
    return actor_for(make_user(db_session, role="clinician", username="clinician"))


@pytest.fixture
def senior(db_session):
    """A senior clinician, username "senior"."""
    return actor_for(make_user(db_session, role="senior", username="senior"))


@contextmanager
def _app_context(database_url: str):
    app = make_app(database_url)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def _load_demo(database_url: str) -> None:
    with _app_context(database_url):
        demo.load(db.session, **DEMO)
        db.session.commit()


@pytest.fixture(scope="session")
def sqlite_demo_template(sqlite_template, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite_demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    _load_demo(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_demo_template(pg_template) -> str:
    """ia_demo: a copy of the migrated template with the demo data in it."""
    admin = _admin(pg_template)
    with admin.connect() as conn:
        conn.execute(text("CREATE DATABASE ia_demo TEMPLATE ia_template"))
    admin.dispose()
    _load_demo(f"{pg_template}/ia_demo")
    return pg_template


@pytest.fixture
def blank_app(blank_database_url):
    """An app over an empty database, in its app context."""
    with _app_context(blank_database_url) as app:
        yield app


@pytest.fixture
def demo_app(backend, request, tmp_path):
    """An app over a database at the head holding the demo data (a copy of a template loaded once), in its app
    context."""
    if backend == "sqlite":
        path = tmp_path / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_demo_template"), path)
        with _app_context(f"sqlite:///{path}") as app:
            yield app
        return
    server = request.getfixturevalue("pg_demo_template")
    name = f"d_{uuid.uuid4().hex[:12]}"
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE ia_demo"))
    try:
        with _app_context(f"{server}/{name}") as app:
            yield app
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
