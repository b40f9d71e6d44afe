"""Reads never wait for the single writer: a page answers while another connection holds SQLite's write lock, the
writes it caused (its view logged, its session touched) are spooled and applied once the lock is free, a save still
waits for the lock and saves, and a view that was shown is logged once even when its process dies."""
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from inclusive_access import write_spool
from inclusive_access.domain import later
from inclusive_access.extensions import db
from inclusive_access.models import Event, Referral, SafeguardingAction, UserSession
from tests.blueprints.test_security import UNSAFE, referral_ids  # noqa: F401 - referral_ids is a fixture
from tests.conftest import ON_BOTH_DATABASES, PASSWORD
from tests.event_log import count
from tests.factories import make_referral, make_user

pytestmark = ON_BOTH_DATABASES

#: a page answers well inside this while a writer holds the lock (a write would wait SQLITE_BUSY_TIMEOUT_MS)
QUICK_SECONDS = 2.0


@pytest.fixture
def patient_id(app) -> int:
    with app.app_context():
        referral = make_referral(db.session)
        db.session.commit()
        return referral.patient_id


@contextmanager
def write_lock_held(app):
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE, open) for the block."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SQLite's single writer")
    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _spool(app) -> write_spool.Spool:
    return app.extensions["write_spool"]


def _viewed(app, user_id: int) -> list[tuple]:
    """(entity, patient, referral, has its shown time) of each view the user has logged."""
    with app.app_context():
        rows = db.session.execute(select(Event.entity_type, Event.patient_id, Event.referral_id, Event.data)
                                  .where(Event.action == "record.viewed", Event.actor_id == user_id)).all()
    return [(entity, patient, referral, later.SHOWN_AT in json.loads(data))
            for entity, patient, referral, data in rows]


def _age_sessions(app) -> datetime:
    """Every session last touched five minutes ago (due a touch); that time."""
    aged = datetime.now(UTC) - timedelta(minutes=5)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=aged))
        db.session.commit()
    return aged


def _last_seen(app) -> datetime:
    with app.app_context():
        return db.session.scalar(select(UserSession.last_seen_at))


def test_pages_answer_while_a_writer_holds_the_lock_and_log_once_it_is_free(app, client, login_as, patient_id,
                                                                           monkeypatch):
    user_id = login_as("booking")
    pages = ("/triage/", f"/patients/{patient_id}")
    for url in pages:  # templates compiled, and a view logged before the lock is taken
        assert client.get(url).status_code == 200
    before = _viewed(app, user_id)
    aged = _age_sessions(app)
    drains = []
    monkeypatch.setattr(_spool(app), "drain", lambda: drains.append(True))  # as if the server had not closed yet
    with write_lock_held(app):
        for url in pages:
            started = time.monotonic()
            assert client.get(url).status_code == 200
            assert time.monotonic() - started < QUICK_SECONDS, url
    assert drains, "the pages spooled what they wrote"
    assert _viewed(app, user_id) == before, "and wrote none of it while the lock was held"
    monkeypatch.undo()
    _spool(app).drain()  # what the server does once it has sent the page
    assert _viewed(app, user_id) == [*before, ("patient", patient_id, None, True)]
    assert _last_seen(app) > aged, "the session's touch was spooled and applied too"


def test_a_save_waits_for_the_writer_and_saves(app, client, login_as, referral_ids):  # noqa: F811
    role, url, data = UNSAFE["safeguarding.record_action"]
    login_as(role)
    token, answers = client.csrf_token(), []
    with write_lock_held(app):
        saving = threading.Thread(target=lambda: answers.append(client.post(
            url.format(**referral_ids), data={"csrf_token": token, **data}).status_code))
        saving.start()
        saving.join(0.5)
        assert saving.is_alive(), "the save waits for the lock"
    saving.join(QUICK_SECONDS)
    assert answers == [303]
    assert count_in(app, SafeguardingAction) == 1


def count_in(app, model) -> int:
    with app.app_context():
        return count(db.session, model)


def test_viewing_a_record_logs_one_view_by_the_viewer(app, client, login_as, patient_id):
    user_id = login_as("clinician")
    with app.app_context():
        referral_id = db.session.scalar(select(Referral.id).where(Referral.patient_id == patient_id))
    assert client.get(f"/referrals/{referral_id}").status_code == 200
    assert _viewed(app, user_id) == [("referral", patient_id, referral_id, True)]
    with app.app_context():
        assert db.session.scalar(select(Event.actor_role).where(Event.action == "record.viewed")) == "clinician"


#: a web worker that signs in, is shown a patient's page, and dies: before applying its spool (`before`; it leaves
#: half a line too, a request that died mid-append), or after applying it but before clearing it (`after_commit`)
DYING_WORKER = """
import os, sys
from inclusive_access import write_spool
from tests.conftest import make_app, post_form
app = make_app(sys.argv[1], WRITE_SPOOL_DIR=sys.argv[5])
client = app.test_client()
assert post_form(client, "/auth/login", {"username": "dying.worker", "password": sys.argv[3]}).status_code == 303
if sys.argv[4] == "before":
    write_spool.Spool.drain = lambda self: None
else:
    os.ftruncate = lambda *args: os._exit(1)
assert client.get("/patients/" + sys.argv[2]).status_code == 200
spool = app.extensions["write_spool"]
os.write(spool._fd, b'[{"kind": "touch", "tok')
os._exit(1)
"""


@pytest.mark.parametrize("dies", ["before", "after_commit"])
def test_a_view_shown_by_a_worker_that_died_is_logged_once(app, patient_id, dies):
    with app.app_context():
        user_id = make_user(db.session, role="booking", username="dying.worker").id
        db.session.commit()
    # Other apps of this test process may have spools beside it: the dead worker's is the file it adds.
    earlier = set(_spool(app).directory.glob("*.jsonl"))
    subprocess.run([sys.executable, "-c", DYING_WORKER, app.config["SQLALCHEMY_DATABASE_URI"], str(patient_id),
                    PASSWORD, dies, app.config["WRITE_SPOOL_DIR"]], cwd=Path(__file__).parents[2], check=False,
                   timeout=120,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    left = set(_spool(app).directory.glob("*.jsonl")) - earlier
    assert left, "the dead worker's spool is left behind"
    assert len(_viewed(app, user_id)) == (1 if dies == "after_commit" else 0)
    for _replacement in range(2):  # the next worker to start applies it; one after that finds nothing left
        write_spool.Spool(_spool(app).directory, _spool(app).engine).drain()
    assert _viewed(app, user_id) == [("patient", patient_id, None, True)]
    assert not any(path.exists() for path in left)
