"""Past one machine: PostgreSQL pools sized from the configuration, PgBouncer's transaction mode, and reports and
exports read from a read replica while every write lands on the primary."""
import csv
import io
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import exc, func, make_url, select, text

from inclusive_access import replica
from inclusive_access.domain import actions
from inclusive_access.extensions import db
from inclusive_access.models import Event, ReferralFact
from tests.blueprints.pages import cells
from tests.conftest import PASSWORD, _free_port, _required, create_database, drop_database, make_app, post_form
from tests.factories import make_referral, make_user

#: referrals in IMD quintile 1 the replica holds, and those received on the primary since (not replicated yet)
REPLICATED, SINCE = 12, 3


def _copy(app, backend: str, database_url: str, request, tmp_path) -> str:
    """A copy of the test's database as it stands: the replica's address (dropped after the test)."""
    with app.app_context():
        db.engine.dispose()
    if backend == "sqlite":
        path = tmp_path / "replica.db"
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as source, sqlite3.connect(path) as copy:
            source.backup(copy)
        return f"sqlite:///{path}"
    server, name = request.getfixturevalue("pg_server"), f"r_{uuid.uuid4().hex[:12]}"
    request.addfinalizer(lambda: drop_database(server, name))
    return create_database(server, name, template=database_url.rsplit("/", 1)[1])


@pytest.fixture
def lagging(app, backend, database_url, request, tmp_path):
    """An app whose replica holds REPLICATED referrals in quintile 1 and whose primary has SINCE more, with a
    manager signed in."""
    with app.app_context():
        for _ in range(REPLICATED):
            make_referral(db.session, imd_decile="1")
        make_user(db.session, role="manager", username="manager")
        db.session.commit()
    replica_url = _copy(app, backend, database_url, request, tmp_path)
    with app.app_context():
        for _ in range(SINCE):
            make_referral(db.session, imd_decile="1")
        db.session.commit()
        db.engine.dispose()
    read_from_replica = make_app(database_url, DATABASE_REPLICA_URL=replica_url)
    client = read_from_replica.test_client()
    assert post_form(client, "/auth/login", {"username": "manager", "password": PASSWORD}).status_code == 303
    yield read_from_replica, client
    with read_from_replica.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _quintile_1_received(page: str) -> str:
    return cells(page[page.index("Referrals received"):].split("</tr>")[0])[0]


def _count(app, model, *where, bind=None) -> int:
    with app.app_context():
        session = replica.session() if bind == "replica" else db.session
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_dashboard_and_its_export_show_the_replicas_figures(lagging):
    app, client = lagging
    assert _count(app, ReferralFact) == REPLICATED + SINCE
    dashboard = client.get("/reports/equity?segment=imd_quintile", headers={"HX-Request": "true"})
    assert _quintile_1_received(dashboard.get_data(as_text=True)) == str(REPLICATED)
    exported = list(csv.reader(io.StringIO(client.get("/reports/equity/export").get_data(as_text=True))))
    assert ["1 (most deprived)", "Referrals received", str(REPLICATED)] in [row[:3] for row in exported]


def test_the_list_behind_a_figure_is_the_replicas_and_its_views_are_logged_on_the_primary(lagging):
    app, client = lagging
    viewed = Event.action == actions.RECORD_VIEWED
    page = client.get("/reports/equity/referrals?figure=referrals&quintile=1").get_data(as_text=True)
    assert f"{REPLICATED} referrals" in page
    assert _count(app, Event, viewed) == REPLICATED
    assert _count(app, Event, viewed, bind="replica") == 0


def test_nothing_can_write_to_the_replica(lagging):
    app, _client = lagging
    with app.app_context(), pytest.raises(exc.DBAPIError):
        replica.session().execute(text("DELETE FROM referral_facts"))
    assert _count(app, ReferralFact, bind="replica") == REPLICATED


def test_without_a_replica_reports_read_the_primarys_session(app):
    with app.app_context():
        assert replica.session() is db.session


def _postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the pool settings are PostgreSQL's; SQLite keeps SQLAlchemy's")


@pytest.mark.parametrize("replicated", [False, True])
def test_the_pool_is_sized_from_the_configuration(backend, database_url, replicated):
    _postgresql_only(backend)
    app = make_app(database_url, DB_POOL_SIZE=7, DB_MAX_OVERFLOW=1, DB_POOL_RECYCLE_SECONDS=60,
                   DB_POOL_PRE_PING=False, DATABASE_REPLICA_URL=database_url if replicated else None)
    with app.app_context():
        engine = db.engines["replica" if replicated else None]
        assert (engine.pool.size(), engine.pool._max_overflow, engine.pool._recycle, engine.pool._pre_ping) == (
            7, 1, 60, False)
        engine.dispose()


@pytest.mark.parametrize(("transaction_pooling", "prepared"), [(False, True), (True, False)])
def test_behind_a_transaction_pooler_no_statement_is_prepared(backend, database_url, transaction_pooling, prepared):
    """psycopg prepares a statement run five times on a connection; PgBouncer in transaction mode may run the sixth
    on a server connection that never saw it."""
    _postgresql_only(backend)
    app = make_app(database_url, DB_TRANSACTION_POOLING=transaction_pooling)
    with app.app_context():
        for _ in range(6):
            db.session.scalar(select(func.count()).select_from(ReferralFact))
        assert (db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements")) > 0) is prepared
        db.session.rollback()
        db.engine.dispose()


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def pgbouncer(backend, database_url):
    """PgBouncer in transaction mode in front of the test's database, with at most two server connections: its
    address."""
    _postgresql_only(backend)
    binary = shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if binary is None:
        if _required("REQUIRE_POSTGRES"):
            pytest.fail("pgbouncer not found: apt-get install pgbouncer (REQUIRE_POSTGRES=1)")
        pytest.skip("pgbouncer not found: apt-get install pgbouncer")
    server, port = make_url(database_url), _free_port()
    # Its own directory, readable by the postgres user it runs as when we are root (PgBouncer refuses root).
    base = Path(tempfile.mkdtemp(prefix="ia-pgbouncer-"))
    (base / "users.txt").write_text('"postgres" ""\n')
    (base / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={server.host} port={server.port}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = trust\n"
        f"auth_file = {base / 'users.txt'}\npool_mode = transaction\ndefault_pool_size = 2\n")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
    bouncer = subprocess.Popen([*as_postgres, binary, str(base / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not _listening(port):
        assert bouncer.poll() is None, "pgbouncer stopped"
        assert time.monotonic() < deadline, "pgbouncer did not start"
        time.sleep(0.05)
    yield server.set(port=port).render_as_string(hide_password=False)
    bouncer.terminate()
    bouncer.wait(10)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.parametrize(("transaction_pooling", "fails"), [(False, True), (True, False)])
def test_through_pgbouncer_a_statement_runs_on_any_server_connection(pgbouncer, transaction_pooling, fails):
    """A statement psycopg prepared on one server connection, run again while another client holds that one, reaches
    the other server connection: it fails there unless DB_TRANSACTION_POOLING is set."""
    app = make_app(pgbouncer, DB_TRANSACTION_POOLING=transaction_pooling)
    query = select(func.count()).select_from(ReferralFact)
    with app.app_context(), db.engine.connect() as first, db.engine.connect() as other:
        for _ in range(6):
            first.execute(query)
            first.commit()
        other.execute(text("SELECT 1"))  # a transaction on the server connection `first` has used until now
        try:
            first.execute(query)
            failed = False
        except exc.ProgrammingError:
            failed = True
        first.rollback()
        other.rollback()
    with app.app_context():
        db.engine.dispose()
    assert failed is fails

