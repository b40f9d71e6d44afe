"""The service answers while `flask audit verify` and `flask facts rebuild` run: each is made of short transactions,
so a signed-in page that logs its view (a write) does not wait for them, even with SQLite's busy timeout short."""
import threading
import time

import pytest
from sqlalchemy import text

from inclusive_access.domain import event_chain, fact_rebuild
from inclusive_access.extensions import db
from tests.conftest import ON_BOTH_DATABASES, own_app
from tests.factories import make_referral

pytestmark = ON_BOTH_DATABASES

#: a page that waited for the job's lock would fail after this (SQLite)...
BUSY_TIMEOUT_MS = 300
#: ...or answer only once the job gave up waiting for it, this long after its pause (PostgreSQL), and the test fails
#: rather than hangs (long: on a loaded machine a page alone can take seconds)
PAUSE_SECONDS = 60


@pytest.fixture
def app(database_url):
    """The app with SQLite's busy timeout short (the conftest's `app`, reused across tests, keeps the default)."""
    yield from own_app(database_url, SQLITE_BUSY_TIMEOUT_MS=BUSY_TIMEOUT_MS)


@pytest.fixture
def patient_ids(app) -> list[int]:
    """Three patients, each with a referral: more than one step of the rebuild and one chunk of the walk."""
    with app.app_context():
        ids = [make_referral(db.session).patient_id for _ in range(3)]
        db.session.commit()
    return ids


class Pause:
    """Holds a job at one point (in another thread) until the test has asked for a page."""

    def __init__(self):
        self.reached, self.go_on = threading.Event(), threading.Event()
        self.gave_up = False

    def here(self) -> None:
        self.reached.set()
        self.gave_up = not self.go_on.wait(PAUSE_SECONDS)


def _page_during(app, command: list[str], pause: Pause, client, url: str):
    """Run the command in a thread until it pauses; ask for the page; let the command finish. The page's status,
    and the command's result; the page answered while the command was paused."""
    ran: list = []

    def run() -> None:
        with app.app_context():  # as the flask command line pushes one
            ran.append(app.test_cli_runner().invoke(args=command))

    thread = threading.Thread(target=run)
    thread.start()
    assert pause.reached.wait(30), f"the job reached its pause: {ran and (ran[0].output, ran[0].exception)}"
    started = time.perf_counter()
    status = client.get(url).status_code
    took = time.perf_counter() - started
    pause.go_on.set()
    thread.join(PAUSE_SECONDS)
    assert not pause.gave_up, f"the page waited {took:.1f} s, for the command to go on"
    return status, ran[0]


def test_a_signed_in_page_answers_while_the_log_is_verified(app, client, login_as, patient_ids, monkeypatch):
    login_as("clinician")
    pause, chunks, real = Pause(), [], event_chain.verify_chunk

    def second_chunk_waits(session, *args, **kwargs):
        chunks.append(session)
        if len(chunks) == 2:
            session.execute(text("SELECT 1"))  # the chunk's transaction begun, as the pause holds it
            pause.here()
        return real(session, *args, **kwargs)

    monkeypatch.setattr(event_chain, "VERIFY_CHUNK", 2)
    monkeypatch.setattr(event_chain, "verify_chunk", second_chunk_waits)
    status, verified = _page_during(app, ["audit", "verify"], pause, client, f"/patients/{patient_ids[0]}")
    assert status == 200
    assert "OK:" in verified.output, verified.output
    assert len(chunks) > 2


def test_a_signed_in_page_answers_while_the_facts_are_rebuilt(app, client, login_as, patient_ids, monkeypatch):
    login_as("clinician")
    pause, real = Pause(), fact_rebuild.steps

    def first_step_then_wait(session):
        for made, written in enumerate(real(session, patients=1)):
            yield written
            if made == 0:  # the command has committed the step
                pause.here()

    monkeypatch.setattr(fact_rebuild, "steps", first_step_then_wait)
    status, rebuilt = _page_during(app, ["facts", "rebuild"], pause, client, f"/patients/{patient_ids[0]}")
    assert status == 200
    assert "Rebuilt 3 referral facts" in rebuilt.output, rebuilt.output
