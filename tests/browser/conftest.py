"""Browser fixtures: Debian's Chromium under Playwright, a live server on a seeded SQLite copy, console capture."""
import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from inclusive_access.extensions import db
from tests.serving import serve
from tests.sqlite_alone import sqlite_database  # noqa: F401 - a browser checks pages, the same on either database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
#: the NHS.UK CSS loads Frutiger from here; it is unreachable offline, so the page fixture aborts it
FONT_HOST = "https://assets.nhs.uk/"
USERNAME = "browser.booking"
CLINICIAN = "browser.clinician"
MANAGER = "browser.manager"


@pytest.fixture(scope="session", autouse=True)
def chromium_path() -> str:
    """Debian's Chromium, or a visible skip (a failure when REQUIRE_BROWSER=1). Never `playwright install`."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (REQUIRE_BROWSER=1)")
        pytest.skip(message)
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    """pytest-playwright launches the system Chromium with these flags."""
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS}


def _seed(app) -> dict:
    """A booking user, a clinician and seven referrals: two pathways, with and without inequality flags.

    The last two are for the triage journeys: a Polish speaker who needs an interpreter (flagged), and a
    referral too vague to triage without asking the referrer.
    """
    from tests.factories import make_referral, make_user

    with app.app_context():
        make_user(db.session, role="booking", username=USERNAME)
        make_user(db.session, role="clinician", username=CLINICIAN)
        referrals = [
            make_referral(db.session, pathway="msk", given_name="Alys", family_name="Plain"),
            make_referral(db.session, pathway="msk", given_name="Bryn", family_name="Settled", reason="Back pain"),
            make_referral(db.session, pathway="msk", given_name="Cerys", family_name="Hostel",
                          housing_status="temporary"),
            make_referral(db.session, pathway="frailty", given_name="Dafydd", family_name="Interpreter",
                          interpreter_needed="yes", preferred_language="Welsh", reason="Falls at home"),
            make_referral(db.session, pathway="frailty", given_name="Elin", family_name="Home",
                          reason="Discharge support"),
            make_referral(db.session, pathway="msk", given_name="Zuzanna", family_name="Nowak",
                          interpreter_needed="yes", preferred_language="Polish", urgency="urgent",
                          reason="Shoulder pain after a fall at work", referrer_name="Dr Maria Zielinska"),
            make_referral(db.session, pathway="msk", given_name="Gwen", family_name="Unclear",
                          reason="Please see", referrer_name="Dr Rhys Vague"),
        ]
        db.session.commit()
        return {"referral_ids": [r.id for r in referrals],
                "flagged": sum(1 for r in referrals if r.flags), "total": len(referrals),
                "interpreter_referral_id": referrals[-2].id, "unclear_referral_id": referrals[-1].id}


@pytest.fixture
def live_server(app, cheap_password_hashing):
    """The app on a fresh copy of the migrated SQLite template, served by werkzeug in a daemon thread."""
    seeded = _seed(app)
    with serve(app) as url:
        yield SimpleNamespace(url=url, app=app, username=USERNAME, clinician=CLINICIAN, **seeded)


@pytest.fixture
def manager(live_server) -> str:
    """A service manager to sign in as: their username."""
    from tests.factories import make_user

    with live_server.app.app_context():
        make_user(db.session, role="manager", username=MANAGER)
        db.session.commit()
    return MANAGER


#: the missed-appointment journey's patient: an adult with no flags, who does not need anyone to bring her
MISSED_PATIENT = ("Nia", "Parry")


@pytest.fixture
def missed_appointment(live_server) -> SimpleNamespace:
    """An accepted referral whose clinic appointment three days ago has no outcome yet (the patient did not come).

    Made through the domain as staff would have made it: received three weeks ago, accepted at triage, a
    large-print adjustment recorded by a clinician (so recording the outcome asks whether it was met), then booked.
    """
    from inclusive_access.domain import adjustments, appointments, triage
    from inclusive_access.domain.actors import actor_for
    from inclusive_access.domain.validation import LONDON
    from inclusive_access.models import User
    from tests.blueprints.records import script
    from tests.factories import make_referral

    now = datetime.now(UTC)
    missed_day = (now - timedelta(days=3)).astimezone(LONDON).date()
    missed_at = datetime.combine(missed_day, time(10, 0), LONDON).astimezone(UTC)
    with live_server.app.app_context():
        booker = actor_for(db.session.query(User).filter_by(username=live_server.username).one())
        clinician = actor_for(db.session.query(User).filter_by(username=live_server.clinician).one())
        referral = make_referral(
            db.session, pathway="msk", given_name=MISSED_PATIENT[0], family_name=MISSED_PATIENT[1],
            date_of_birth="1988-03-14", reason="Knee pain after running",
            received_at=(now - timedelta(days=21)).astimezone(LONDON).strftime("%Y-%m-%d %H:%M"))
        assert not referral.flags
        triage.triage_referral(db.session, booker, referral, referral.version, script(contact_times="Weekday evenings"),
                               [], "accept", now=now - timedelta(days=20))
        large_print = adjustments.record_adjustment(
            db.session, clinician, referral.patient,
            adjustments.AdjustmentDetails(category="information_format", description="Large print letters",
                                          consent_basis="patient"),
            "patient_request", now=now - timedelta(days=20))
        appointment = appointments.book_appointment(
            db.session, booker, referral, referral.version, missed_at, "clinic", "Leeds Road Health Centre",
            now=now - timedelta(days=19))
        db.session.commit()
        assert referral.state == "accepted"
        return SimpleNamespace(referral_id=referral.id, patient_id=referral.patient_id,
                               appointment_id=appointment.id, adjustment_id=large_print.id, missed_at=missed_at,
                               patient=f"{MISSED_PATIENT[0]} {MISSED_PATIENT[1].upper()}")


@pytest.fixture
def page(page):
    """pytest-playwright's page, with the NHS.UK font host aborted (it is not reachable offline)."""
    page.route(f"{FONT_HOST}**", lambda route: route.abort())
    # Actions and assertions wait alike: on CI's two busy cores a link once took over 5 s (expect's default)
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    return page


@pytest.fixture
def console_errors(page) -> list[str]:
    """Console errors and uncaught page errors, except the failed loads of the aborted font requests."""
    problems: list[str] = []

    def on_console(message):
        if message.type not in ("error", "warning"):
            return
        if (message.location or {}).get("url", "").startswith(FONT_HOST):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(f"console.{message.type}: {message.text} @ {message.location}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    return problems
