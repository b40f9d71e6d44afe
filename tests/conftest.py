"""Fixtures: an app over a migrated database as the migrations left it, for each test, on SQLite and on PostgreSQL;
the app is built once per database and worker, the database put back as migrated before each test."""
import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import MetaData, Table, create_engine, inspect, text
from sqlalchemy.pool import NullPool

from config import TestConfig
from inclusive_access import create_app
from inclusive_access.domain import accounts
from inclusive_access.extensions import db
from tests import fake_notify_api
from tests.client import CheckedClient
from tests.demo_snapshots import load_demo, made_once  # noqa: F401 - the fixtures, for every test

BACKENDS = ("sqlite", "postgresql")
#: for a test of what the database does not decide (a role check, a CSRF token, the commits a request makes) or of
#: a plan SQLite makes: it runs on SQLite alone
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
#: for a test where tests run on SQLite alone (tests/sqlite_alone.py) that must run on both: one of what the
#: database itself does, or the only one to run some SQL on PostgreSQL (tests/blueprints/conftest.py)
ON_BOTH_DATABASES = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
PASSWORD = "correct horse battery"


def _required(name: str) -> bool:
    return os.environ.get(name) == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingHasher(PasswordHasher):
    """A cheap argon2 that counts its password checks, so a test can see which answers cost a hash."""

    def __init__(self):
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0

    def verify(self, hash, password) -> bool:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 at production cost takes 0.1 s a hash; the tests check behaviour, not cost."""
    monkeypatch.setattr(accounts, "password_hasher", CountingHasher())
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole run: each new app reuses them (keyed by source)."""

    def __init__(self):
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = MemoryBytecodeCache()
#: the apps' write spools (write_spool.py) under the system's temporary folder, not the checkout's instance folder
SPOOL_BASE = tempfile.mkdtemp(prefix="ia-write-spool-")


def make_app(database_url: str, **overrides):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": database_url, "JINJA_BYTECODE_CACHE": TEMPLATE_CACHE,
                                  "WRITE_SPOOL_DIR": SPOOL_BASE, **overrides})
    app.test_client_class = CheckedClient
    return app


def own_app(database_url: str, **overrides) -> Iterator:
    """For an `app` fixture of a module's own: an app configured with `overrides`, its connections closed after."""
    app = make_app(database_url, **overrides)
    yield app
    with app.app_context():
        db.engine.dispose()


def _migrate(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_server():
    """A throw-away PostgreSQL cluster on a free port, run as the postgres user when we are root."""
    initdb = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not initdb:
        message = "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): apt-get install postgresql"
        if _required("REQUIRE_POSTGRES"):
            pytest.fail(message + " (REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    bindir = Path(initdb[-1]).parent
    # Its own directory, not pytest's tmp: a concurrent pytest run prunes old basetemps under a live server.
    base = Path(tempfile.mkdtemp(prefix="ia-pg-"))
    data, port = base / "data", _free_port()
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                    "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off", "start"],
                   check=True, capture_output=True)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    subprocess.run([*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                   check=False, capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def _admin(server: str):
    return create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")


def create_database(server: str, name: str, template: str | None = None) -> str:
    """A new database on the cluster, empty or a copy of `template`: its address."""
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else "")))
    admin.dispose()
    return f"{server}/{name}"


def drop_database(server: str, name: str) -> None:
    admin = _admin(server)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_server) -> str:
    url = create_database(pg_server, "ia_template")
    _migrate(url)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in WATCH_DDL:
            conn.execute(text(statement))
    engine.dispose()
    return pg_server


#: installed in the migrated template, so in every test database cloned from it: a row for each DDL command a test
#: runs (a migration undone, a trigger switched off), which tells giving the database back to drop it instead. One
#: EXISTS is far cheaper than fingerprinting the catalogue after every test.
WATCH_DDL = (
    "CREATE SCHEMA test_watch",
    "CREATE TABLE test_watch.ddl (tag text)",
    "CREATE FUNCTION test_watch.note() RETURNS event_trigger LANGUAGE plpgsql AS "
    "$$ BEGIN INSERT INTO test_watch.ddl VALUES (tg_tag); END $$",
    "CREATE EVENT TRIGGER test_watch ON ddl_command_end EXECUTE FUNCTION test_watch.note()",
)
SCHEMA_CHANGED = text("SELECT EXISTS (SELECT FROM test_watch.ddl)")


#: the sequences drawn from since they were made or restarted (a sequence not yet read has no last value)
USED_SEQUENCES = text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL")


class PostgresDatabases:
    """Migrated databases for one worker's tests. A used one is emptied and reused when no DDL ran in it (emptying
    is far cheaper than cloning the template: docs/benchmarks.md); otherwise it is dropped."""

    def __init__(self, server: str):
        self.server, self.free = server, []
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT", poolclass=NullPool)
        template = create_engine(f"{server}/ia_template", poolclass=NullPool)
        with template.connect() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            #: one statement naming the tables a test left rows in
            self.used_tables = text(" UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT FROM {t})"
                                                       for t in tables))
            #: rows the migrations seed (the pathways), put back after emptying
            rows = {t: [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {t}"))] for t in tables}
            self.seed = {Table(t, MetaData(), autoload_with=conn): found for t, found in rows.items() if found}
        template.dispose()

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} TEMPLATE ia_template STRATEGY FILE_COPY"))
        return name

    def give_back(self, name: str) -> None:
        engine = create_engine(f"{self.server}/{name}", poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL lock_timeout = '2s'"))  # a connection left open: drop it instead
                if conn.execute(SCHEMA_CHANGED).scalar_one():
                    raise LookupError("the test changed the schema")
                # DELETE from the few tables a test used rather than TRUNCATE them all, which makes new files for
                # every table (docs/benchmarks.md). The replica role skips the foreign keys' triggers: any order.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for table in conn.execute(self.used_tables).scalars():
                    if table == "events":
                        conn.execute(text("ALTER TABLE events DISABLE TRIGGER events_no_update_delete"))
                        conn.execute(text("DELETE FROM events"))
                        conn.execute(text("ALTER TABLE events ENABLE ALWAYS TRIGGER events_no_update_delete"))
                    else:
                        conn.execute(text(f"DELETE FROM {table}"))
                for sequence in conn.execute(USED_SEQUENCES).scalars():
                    conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
                for table, rows in self.seed.items():
                    conn.execute(table.insert(), rows)
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT max(id) FROM {table.name}))"))
                conn.execute(text("DELETE FROM test_watch.ddl"))  # what emptying it did
            self.free.append(name)
        except Exception:  # noqa: BLE001 - any doubt about the database: a fresh one next time
            with self.admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def pg_databases(pg_template) -> PostgresDatabases:
    pool = PostgresDatabases(pg_template)
    yield pool
    pool.admin.dispose()


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory) -> Path:
    """Where this worker's tests find their SQLite database, one test at a time."""
    return tmp_path_factory.mktemp("sqlite_test") / "test.db"


def migrated_database(request, backend: str) -> Iterator[str]:
    """A migrated database for one test on the backend named, as the migrations left it: a copy of the SQLite
    template (its write-ahead log and the previous test's copy removed first), or a PostgreSQL database cloned from
    its template or emptied after an earlier test. The same address test after test, so the app over it can be
    reused."""
    if backend == "sqlite":
        path = request.getfixturevalue("sqlite_path")
        for previous in path.parent.glob(f"{path.name}*"):
            previous.unlink()
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    pool = request.getfixturevalue("pg_databases")
    name = pool.take()
    yield f"{pool.server}/{name}"
    pool.give_back(name)


@pytest.fixture(params=BACKENDS)
def database_url(request):
    yield from migrated_database(request, request.param)


@pytest.fixture
def blank_database_url(backend, request, tmp_path):
    """An empty database, not migrated: a new SQLite file, or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = request.getfixturevalue("pg_server")
    name = f"m_{uuid.uuid4().hex[:12]}"
    yield create_database(server, name)
    drop_database(server, name)


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


#: this worker's apps by database address: building one costs more than most tests
_APPS: dict = {}


@pytest.fixture
def app(database_url):
    """The app over the test's database, built once per address; what a test changes of its configuration is put
    back after it, and its connections are closed so the database can be put back too."""
    app = _APPS.get(database_url) or _APPS.setdefault(database_url, make_app(database_url))
    config, instance_path = dict(app.config), app.instance_path
    yield app
    app.config.clear()
    app.config.update(config)
    app.instance_path = instance_path
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def db_session(app):
    """The app's session inside an app context, for tests that call the domain directly."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def post_form(client, url: str, data: dict, **kwargs):
    """POST as the browser does: with the session's CSRF token in the form."""
    return client.post(url, data={"csrf_token": client.csrf_token(), **data}, **kwargs)


@pytest.fixture
def login_as(app, client):
    """login_as("senior") creates a user of that role, signs the client in, and returns the user's id."""

    def _login(role: str, username: str | None = None) -> int:
        from tests.factories import make_user

        username = username or f"test.{role}"
        with app.app_context():
            user_id = make_user(db.session, role=role, username=username).id
            db.session.commit()
        response = post_form(client, "/auth/login", {"username": username, "password": PASSWORD})
        assert response.status_code == 303, response.data[:500]
        return user_id

    return _login


@pytest.fixture
def fake_notify(app):
    """A local fake of the GOV.UK Notify API, and the app configured to send to it."""
    with fake_notify_api.serve() as fake:
        app.config.update(NOTIFY_API_KEY=fake_notify_api.API_KEY, NOTIFY_BASE_URL=fake.url)
        yield fake


@pytest.fixture(scope="session")
def oidc_server():
    """The fake OpenID Connect provider (tests/fake_oidc.py), serving for the whole run."""
    from tests.fake_oidc import FakeProvider

    provider = FakeProvider().start()
    yield provider
    provider.stop()


#: the fake provider's role codes -> our roles, in order of preference, as a service would configure them
OIDC_ROLE_MAP = {"R8013": "manager", "R8001": "clinician", "R8010": "booking"}


@pytest.fixture
def oidc_provider(app, oidc_server):
    """The fake provider, configured as the app's provider, signing in a nurse (R8001: a clinician here)."""
    from tests.fake_oidc import CLIENT_ID, CLIENT_SECRET

    oidc_server.reset()
    app.config.update(OIDC_ISSUER=oidc_server.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                      OIDC_ROLE_MAP=json.dumps(OIDC_ROLE_MAP))
    return oidc_server
