"""Fixtures for the domain tests: the staff who act (one of each role the tests name), and for the migration tests
an app over an empty database, or over one at the head holding the demo data, each in its app context for a test
that upgrades and downgrades the database itself."""
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from inclusive_access import demo
from inclusive_access.domain.actors import actor_for
from inclusive_access.extensions import db
from inclusive_access.models import Referral, User
from tests.conftest import create_database, drop_database, make_app
from tests.demo_snapshots import SMALL, same_demo
from tests.factories import accepted, make_user, staff


@pytest.fixture
def booker(db_session):
    """A booking-team member, username "booker"."""
    return actor_for(make_user(db_session, role="booking", username="booker"))


@pytest.fixture
def booking_user(db_session) -> User:
    """The booking-team member's account, username "booker", committed: for the account and sign-in tests."""
    user = make_user(db_session, role="booking", username="booker")
    db_session.commit()
    return user


@pytest.fixture
def actor(db_session, role):
    """A user of the test's `role` (a parameter of the test), committed, so it outlasts a refusal's rollback."""
    user = staff(db_session, role)
    db_session.commit()
    return user


@pytest.fixture
def referral(db_session, clinician) -> Referral:
    """A referral received on RECEIVED and accepted by the clinician at TRIAGED (tests/factories.py), committed."""
    row = accepted(db_session, clinician)
    db_session.commit()
    return row


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
        demo.load(db.session, **SMALL)
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
    _load_demo(create_database(pg_template, "ia_demo", "ia_template"))
    return pg_template


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items):
    """The tests over the demo at the head share one worker, which loads it once per engine."""
    for item in items:
        if "demo_app" in getattr(item, "fixturenames", ()):
            item.add_marker(same_demo(**SMALL))


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
    url = create_database(server, name, "ia_demo")
    try:
        with _app_context(url) as app:
            yield app
    finally:
        drop_database(server, name)
